"""A broken recipe never breaks the code location: the valid recipes still become assets, and the
broken files are listed (load-time metadata, the recipe_errors asset, its failing check)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ml.mining import default_recipes_dir

GOOD = ("kpi_anomalies.yaml", "customer_segments.yaml")
BROKEN = {
    "typo_algorithm.yaml": "algorithm: kmeens\ninput: marts.fct_daily_kpis\ncolumns: {id: date_day, features: [sessions]}\n",
    "missing_column.yaml": "algorithm: isolation_forest\ninput: marts.fct_daily_kpis\n"
                           "columns: {date: date_day, kpis: [sessions, no_such_kpi]}\n",
    "not_yaml.yaml": "algorithm: rfm\ninput: [unclosed\n",
    "reads_raw.yaml": "algorithm: rfm\ninput: {sql: 'select * from raw.orders'}\n"
                      "columns: {customer_id: customer_id, order_date: ordered_at, monetary: total_amount}\n",
    "recipe_errors.yaml": "algorithm: isolation_forest\ninput: marts.fct_daily_kpis\n"
                          "columns: {date: date_day, kpis: [sessions]}\n",
}
# Two recipes that read each other's output: a cycle the asset graph could not hold.
CYCLE = {
    "ping.yaml": "algorithm: pca\ninput: analysis.pong\ncolumns: {id: customer_id, features: [a, b]}\n",
    "pong.yaml": "algorithm: pca\ninput: analysis.ping\ncolumns: {id: customer_id, features: [a, b]}\n",
}


@pytest.fixture
def recipes_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "recipes"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(default_recipes_dir() / name, folder / name)
    for name, text in {**BROKEN, **CYCLE}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_broken_recipes_do_not_break_the_others(recipes_dir, dbt_manifest, tmp_data_dir, tmp_path):
    from orchestration import dbt
    from orchestration.mining import RECIPE_ERRORS_KEY, build_mining_defs
    from orchestration.resources import build_resources
    from orchestration.warehouse import DuckDBWarehouse

    mining = build_mining_defs(recipes_dir)
    defs = dg.Definitions.merge(dg.Definitions(resources=build_resources()), dbt.defs, mining)
    dg.Definitions.validate_loadable(defs)  # what the UI does when it loads the code location

    keys = {k for a in mining.assets for k in a.keys}
    assert keys == {dg.AssetKey(["analysis", "kpi_anomalies"]), dg.AssetKey(["analysis", "customer_segments"]),
                    RECIPE_ERRORS_KEY}

    listed = mining.metadata["zhishu/recipe_errors"].data
    invalid = {*BROKEN, *CYCLE}
    for name in invalid:
        assert any(f"{name}:" in message for message in listed), f"{name} not reported: {listed}"
    joined = "\n".join(listed)
    assert "did you mean 'kmeans'" in joined
    assert "no_such_kpi" in joined
    assert "cycle" in joined
    errors_asset = next(a for a in mining.assets if RECIPE_ERRORS_KEY in a.keys)
    assert "typo_algorithm.yaml" in errors_asset.specs_by_key[RECIPE_ERRORS_KEY].description

    # Materialized, the listing lands in the warehouse and the check warns.
    warehouse = DuckDBWarehouse(path=str(tmp_path / "wh.duckdb"))
    result = dg.materialize([errors_asset], resources={"warehouse": warehouse})
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    files = {row[0] for row in con.execute("select recipe_file from analysis.recipe_errors").fetchall()}
    con.close()
    assert files == invalid


def test_all_valid_recipes_pass_the_check(dbt_manifest, tmp_path):
    from orchestration.mining import RECIPE_ERRORS_KEY, build_mining_defs
    from orchestration.warehouse import DuckDBWarehouse

    folder = tmp_path / "recipes"
    folder.mkdir()
    shutil.copy(default_recipes_dir() / GOOD[0], folder / GOOD[0])
    mining = build_mining_defs(folder)
    assert mining.metadata["zhishu/recipe_errors"].data == []
    errors_asset = next(a for a in mining.assets if RECIPE_ERRORS_KEY in a.keys)
    result = dg.materialize([errors_asset], resources={"warehouse": DuckDBWarehouse(path=str(tmp_path / "wh.duckdb"))})
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed


def test_a_missing_recipe_folder_is_reported_not_raised(dbt_manifest, tmp_path):
    from orchestration.mining import build_mining_defs
    from orchestration.warehouse import DuckDBWarehouse

    mining = build_mining_defs(tmp_path / "nowhere")
    dg.Definitions.validate_loadable(dg.Definitions.merge(
        mining, dg.Definitions(resources={"warehouse": DuckDBWarehouse(path=str(tmp_path / "wh.duckdb"))})))
    assert any("does not exist" in m for m in mining.metadata["zhishu/recipe_errors"].data)
