"""Fixtures of the data-quality tests.

- `wh`: the pipeline's warehouse resource on a fresh DuckDB file and (marked `postgres`) on a fresh
  PostgreSQL database -- quality code must behave identically on both.
- `suites`: the configured suites (quality/suites + orchestration/sources.yaml).
- Builders of small, valid source-shaped frames (`frames`), into which tests plant defects.
- `built_warehouse` (session): a DuckDB warehouse built by the real pipeline -- simulator at scale
  0.01, then every asset of orchestration.definitions plus the quality checks materialized. It
  takes a few minutes, so it is built once and shared; ZHISHU_QUALITY_TEST_WAREHOUSE=<data dir>
  reuses a data dir built earlier (while iterating).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from quality_fixtures import (
    REPO,
    SIM_ARGS,
    BuiltWarehouse,
    Frames,
    code_location_with_quality_checks,
    pipeline_env,
)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def wh(request: pytest.FixtureRequest, tmp_path: Path):
    from orchestration.warehouse import DuckDBWarehouse, PostgresWarehouse

    if request.param == "duckdb":
        return DuckDBWarehouse(path=str(tmp_path / "quality.duckdb"))
    database = request.getfixturevalue("fresh_pg_database")
    if database.server.password:
        request.getfixturevalue("monkeypatch").setenv("PGPASSWORD", database.server.password)
    return PostgresWarehouse(host=database.server.host, port=database.server.port,
                             user=database.server.user, database=database.name)


@pytest.fixture(scope="session")
def suites():
    from quality.specs import all_suites

    return all_suites()


@pytest.fixture
def frames() -> Frames:
    return Frames()


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> BuiltWarehouse:
    reuse = os.environ.get("ZHISHU_QUALITY_TEST_WAREHOUSE")
    data_dir = Path(reuse) if reuse else tmp_path_factory.mktemp("quality_pipeline") / "data"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in pipeline_env(data_dir).items():
            patch.setenv(name, value)
        for name in ("ZHISHU_SERVING_DUCKDB_PATH", "ZHISHU_SOURCES_CONFIG"):
            patch.delenv(name, raising=False)
        if not (data_dir / "source" / "oltp.sqlite").exists():
            command = [sys.executable, "-m", "simulator", "generate", *SIM_ARGS, "--out", str(data_dir / "source")]
            result = subprocess.run(command, capture_output=True, text=True, cwd=REPO)  # nosec B603 - fixed argv
            if result.returncode != 0:
                pytest.fail(f"simulator failed: {result.stdout[-2000:]}\n{result.stderr[-4000:]}")
        import dagster as dg

        from orchestration import quality

        job = code_location_with_quality_checks().resolve_implicit_global_asset_job_def()
        run = job.execute_in_process(raise_on_error=False, instance=dg.DagsterInstance.ephemeral())
        failures = tuple(
            f"{event.step_key}: {event.event_specific_data.error.message[:2000]}"  # type: ignore[union-attr]
            for event in run.all_events if event.event_type_value == "STEP_FAILURE"
        )
        checks = tuple(
            (e.asset_key.to_user_string(), e.passed, e.severity.value)
            for e in run.get_asset_check_evaluations() if e.check_name == quality.CHECK_NAME
        )
    return BuiltWarehouse(data_dir, data_dir / "warehouse" / "zhishu.duckdb", run.run_id, run.success,
                          failures, checks)
