"""End to end on a small simulated platform: after one Dagster run (ingestion -> dbt -> our assets)
every simulator experiment has results from every engine in ml.experiment_results, the factorial
tables describe the factorial experiment, and every recipe's tables are in the `analysis` schema
with the row counts its metadata reports."""

from __future__ import annotations

import dagster as dg
import pytest

from ml.mining import dbt_model_columns, default_recipes_dir, load_recipes
from orchestration.environment import DBT_PROJECT_DIR
from orchestration.experiments import ANOVA_KEY, EFFECTS_KEY, RESULTS_KEY

ENGINES = {"sequential", "frequentist", "bayesian"}


def _metadata(pipeline, key: dg.AssetKey) -> dict:
    (event,) = [m for m in pipeline.result.get_asset_materialization_events() if m.asset_key == key]
    return event.materialization.metadata


def test_every_simulator_experiment_has_results_from_every_engine(analytics_pipeline):
    truth = {e["experiment_key"]: e for e in analytics_pipeline.truth["experiments"]}
    results = analytics_pipeline.query("select * from ml.experiment_results")
    assert set(results["experiment_key"]) == set(truth)

    for key, experiment in truth.items():
        rows = results.loc[results["experiment_key"] == key]
        assert set(rows["engine"]) == ENGINES, key
        primary = rows.loc[rows["metric_role"] == "primary"]
        assert set(primary["metric"]) == {experiment["primary_metric"]}, key
        planned = {v["variant_key"] for v in experiment["variants"]}
        for engine in ENGINES:
            assert set(primary.loc[primary["engine"] == engine, "variant_key"]) == planned, (key, engine)
        # Exactly one engine is the one to read: sequential while running, fixed-horizon after.
        chosen = set(rows.loc[rows["decision_engine"], "engine"])
        assert chosen == {"sequential" if experiment["status"] == "running" else "frequentist"}, key
        assert set(rows["experiment_status"]) == {experiment["status"]}
        treated = primary.loc[~primary["is_control"] & (primary["status"] == "ok")]
        assert len(treated), f"{key}: no treatment result on the primary metric"
        assert treated[["rel_lift", "ci_low", "ci_high", "p_value", "chance_to_win"]].notna().all().all(), key

    metadata = _metadata(analytics_pipeline, RESULTS_KEY)
    assert metadata["dagster/row_count"].value == len(results)
    assert metadata["experiments"].value == len(truth)
    assert metadata["run_seconds"].value > 0
    for key, experiment in truth.items():
        table = metadata[f"experiment:{key}"].value
        assert f"`{experiment['primary_metric']}`" in table
        for variant in experiment["variants"]:
            assert f"| {variant['variant_key']}" in table


def test_factorial_tables_describe_the_factorial_experiment(analytics_pipeline):
    factorial = {e["experiment_key"] for e in analytics_pipeline.truth["experiments"] if e["design"] == "factorial"}
    assert factorial
    effects = analytics_pipeline.query("select * from ml.experiment_factorial_effects")
    anova = analytics_pipeline.query("select * from ml.experiment_factorial_anova")
    assert set(effects["experiment_key"]) == factorial == set(anova["experiment_key"])
    for metric in ("conversion", "revenue_per_user"):
        terms = effects.loc[effects["metric"] == metric]
        assert set(terms["kind"]) == {"main", "interaction"}
        assert set(terms["term"]) >= {"layout", "badge"}
        assert terms["p_value"].between(0, 1).all()
    assert _metadata(analytics_pipeline, EFFECTS_KEY)["dagster/row_count"].value == len(effects)
    assert _metadata(analytics_pipeline, ANOVA_KEY)["dagster/row_count"].value == len(anova)


RECIPES, RECIPE_ERRORS = load_recipes(default_recipes_dir(), known_columns=dbt_model_columns(DBT_PROJECT_DIR))
# Known defect, reported to the mining owner: the planted basket rules are between products, the
# shipped recipe mines the 6 categories, whose pairs all have lift <= 1, so it finds no rule.
# strict: the test turns red once the recipe is fixed, so this marker gets removed.
KNOWN_EMPTY = {"market_baskets": "category-level baskets have no rule with lift > 1 (planted rules are per product)"}


def test_shipped_recipes_load():
    assert RECIPES and not RECIPE_ERRORS, "\n".join(map(str, RECIPE_ERRORS))


@pytest.mark.parametrize("recipe", [
    pytest.param(r, id=r.name, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_EMPTY[r.name])] if r.name in KNOWN_EMPTY else [])
    for r in RECIPES
])
def test_every_recipe_lands_in_the_analysis_schema(analytics_pipeline, recipe):
    tables = set(analytics_pipeline.query(
        "select table_schema || '.' || table_name as name from information_schema.tables where table_schema = 'analysis'"
    )["name"])
    assert "analysis.recipe_errors" in tables
    events = {m.asset_key: m.materialization.metadata for m in analytics_pipeline.result.get_asset_materialization_events()}
    metadata = events[dg.AssetKey(["analysis", recipe.name])]
    primary = next(iter(recipe.output_tables.values()))
    for table in recipe.output_tables.values():
        assert table in tables, f"{recipe.name}: {table} missing"
        count = int(analytics_pipeline.query(f"select count(*) as n from {table}")["n"][0])
        assert metadata[f"rows:{table}"].value == count, table
        assert f"preview:{table}" in metadata
    assert metadata["input_rows"].value > 0
    assert metadata["run_seconds"].value >= 0
    assert metadata["dagster/row_count"].value > 0, f"{recipe.name}: {primary} is empty"


def test_results_are_replaced_not_appended(pipeline_env):
    """A second materialization (e.g. the next minute's refresh) leaves the same rows."""
    from orchestration.experiments import experiment_analysis
    from orchestration.resources import build_warehouse

    tables = [".".join(key.path) for key in (RESULTS_KEY, EFFECTS_KEY, ANOVA_KEY)]
    before = {t: int(pipeline_env.query(f"select count(*) as n from {t}")["n"][0]) for t in tables}
    result = dg.materialize([experiment_analysis], resources={"warehouse": build_warehouse()})
    assert result.success
    assert {t: int(pipeline_env.query(f"select count(*) as n from {t}")["n"][0]) for t in tables} == before
