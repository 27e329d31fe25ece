"""End to end at small scale, on DuckDB and on PostgreSQL: simulate the sources, materialize every
asset (ingestion, dbt build with its tests as checks, serving copy), then reconcile the raw layer
with the sources and check the run is repeatable."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import dagster as dg
import orjson
import pytest
import sqlalchemy as sa

from simulator.schema import metadata

REPO_ROOT = Path(__file__).resolve().parents[2]
SCALE = "0.01"


@pytest.fixture(scope="session")
def simulated_sources(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("simulated") / "source"
    subprocess.run(
        [sys.executable, "-m", "simulator", "generate", "--seed", "42", "--scale", SCALE,
         "--end-date", "2026-11-24", "--out", str(out)],
        check=True, cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.DEVNULL,
    )
    return out


def source_counts(sqlite_path: Path) -> dict[str, int]:
    engine = sa.create_engine(f"sqlite:///{sqlite_path}")
    with engine.connect() as connection:
        return {
            name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
        }


def source_sum(sqlite_path: Path, sql: str) -> Decimal:
    # SQLite stores NUMERIC as REAL; summing the cents as integers gives the exact total.
    engine = sa.create_engine(f"sqlite:///{sqlite_path}")
    with engine.connect() as connection:
        return Decimal(connection.execute(sa.text(sql)).scalar_one()) / 100


def landing_event_ids(landing: Path) -> set[str]:
    ids = set()
    for path in landing.glob("events_*.jsonl"):
        for line in path.read_bytes().splitlines():
            if line.strip():
                ids.add(orjson.loads(line)["event_id"])
    return ids


def run_everything(dbt_manifest):
    # The foundation path: ingestion, dbt and the serving copy. The model, experiment and mining layers
    # have their own end-to-end tests (tests/models_e2e, tests/orchestration_analytics).
    from orchestration import dbt, ingestion, serving
    from orchestration.resources import build_resources

    assets = [*ingestion.defs.assets, *dbt.defs.assets, *serving.defs.assets]
    return dg.materialize(assets, resources=build_resources(), raise_on_error=False)


def reconcile(simulated_sources: Path, warehouse) -> None:
    counts = source_counts(simulated_sources / "oltp.sqlite")
    quarantined = warehouse.read_sql(
        "SELECT table_name, count(DISTINCT primary_key) AS n FROM audit.quarantine "
        "WHERE source = 'oltp' AND reprocessed_at IS NULL GROUP BY table_name"
    ).set_index("table_name")["n"].to_dict()
    for table, expected in counts.items():
        loaded = int(warehouse.read_sql(f"SELECT count(*) AS n FROM raw.{table}")["n"].iloc[0])  # nosec B608 - test SQL, names from the test itself
        assert loaded + int(quarantined.get(table, 0)) == expected, table
    assert counts["orders"] > 0 and counts["customers"] > 0

    # Money reconciles to the cent, through raw and through the marts.
    raw_total = Decimal(warehouse.read_sql("SELECT sum(total_amount) AS s FROM raw.orders")["s"].iloc[0])
    assert raw_total == source_sum(simulated_sources / "oltp.sqlite",
                                   "SELECT sum(CAST(round(total_amount * 100) AS INTEGER)) FROM orders")

    events = warehouse.read_sql("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM raw.clickstream_events")
    bad_lines = int(warehouse.read_sql(
        "SELECT count(*) AS n FROM audit.quarantine WHERE source = 'clickstream'")["n"].iloc[0])
    expected_ids = landing_event_ids(simulated_sources / "clickstream" / "landing")
    assert int(events["n"].iloc[0]) == int(events["d"].iloc[0])  # nothing doubled
    assert int(events["n"].iloc[0]) + bad_lines >= len(expected_ids) > 0
    if not bad_lines:
        assert int(events["n"].iloc[0]) == len(expected_ids)


def point_at(simulated_sources: Path, monkeypatch) -> None:
    monkeypatch.setenv("ZHISHU_SOURCE_URL", f"sqlite:///{simulated_sources / 'oltp.sqlite'}")
    monkeypatch.setenv("ZHISHU_CLICKSTREAM_DIR", str(simulated_sources / "clickstream"))


def assert_built(result) -> None:
    failures = [(e.step_key, e.event_specific_data.error.message[:3000]) for e in result.get_step_failure_events()]
    assert result.success, failures
    failed_checks = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert not failed_checks, [(c.asset_key, c.check_name) for c in failed_checks]
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["marts", "fct_orders"]) in materialized
    assert dg.AssetKey(["staging", "stg_clickstream__events"]) in materialized


def test_end_to_end_on_duckdb(simulated_sources, tmp_data_dir, monkeypatch, dbt_manifest):
    point_at(simulated_sources, monkeypatch)
    from orchestration.environment import get_environment
    from orchestration.resources import build_warehouse

    result = run_everything(dbt_manifest)
    assert_built(result)
    warehouse = build_warehouse()
    reconcile(simulated_sources, warehouse)

    serving = get_environment().serving_duckdb_path
    assert serving.exists()
    import duckdb

    with duckdb.connect(str(serving), read_only=True) as copy:
        served = copy.execute("SELECT count(*) FROM marts.fct_orders").fetchone()[0]
    built = int(warehouse.read_sql("SELECT count(*) AS n FROM marts.fct_orders")["n"].iloc[0])
    assert served == built > 0


@pytest.mark.postgres
def test_end_to_end_on_postgres(simulated_sources, pg_warehouse_env, monkeypatch, dbt_manifest):
    point_at(simulated_sources, monkeypatch)
    from orchestration.resources import build_warehouse

    result = run_everything(dbt_manifest)
    assert_built(result)
    [serving] = [e for e in result.get_asset_materialization_events()
                 if e.asset_key == dg.AssetKey(["serving", "duckdb_serving_copy"])]
    assert "skipped" in serving.materialization.metadata
    reconcile(simulated_sources, build_warehouse())
