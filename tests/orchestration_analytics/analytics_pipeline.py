"""A small simulated platform run through the real pipeline (ingestion -> dbt -> experiments and
recipes) on a DuckDB file, shared by the tests of this folder (module name kept unique)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_PII_SALT = "test-salt-not-a-secret"
SIM_SEED = "7"
SIM_END_DATE = "2026-11-24"
# Below this scale the experiments have < ~100 users per arm: heavy-tailed revenue breaks the
# normal approximation and truth-recovery claims would test luck, not the engine.
MIN_TRUTH_SCALE = 0.1


def data_dir_env(data: Path) -> dict[str, str]:
    """The variables tests/conftest.py's tmp_data_dir sets, for a session-wide data folder."""
    return {
        "ZHISHU_DATA_DIR": str(data),
        "ZHISHU_DUCKDB_PATH": str(data / "warehouse" / "zhishu.duckdb"),
        "ZHISHU_SOURCE_URL": f"sqlite:///{data / 'source' / 'oltp.sqlite'}",
        "ZHISHU_CLICKSTREAM_DIR": str(data / "source" / "clickstream"),
        "ZHISHU_PII_SALT": TEST_PII_SALT,
        "ZHISHU_WAREHOUSE": "duckdb",
        "DBT_TARGET": "duckdb",
    }


@contextmanager
def environment(values: dict[str, str], unset: tuple[str, ...] = ("ZHISHU_SERVING_DUCKDB_PATH", "ZHISHU_SOURCES_CONFIG")):
    saved = {k: os.environ.get(k) for k in (*values, *unset)}
    os.environ.update(values)
    for k in unset:
        os.environ.pop(k, None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def generate_source(out: Path, scale: str) -> None:
    command = [sys.executable, "-m", "simulator", "generate", "--seed", SIM_SEED, "--scale", scale,
               "--end-date", SIM_END_DATE, "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"simulator failed ({' '.join(command)}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")


def pipeline_defs() -> dg.Definitions:
    """What orchestration/definitions.py will hold once our domains are wired in (built here, from
    the current environment, because definitions.py builds its resources once at import)."""
    from orchestration import dbt, experiments, ingestion, mining
    from orchestration.resources import build_resources

    return dg.Definitions.merge(
        dg.Definitions(resources=build_resources(), executor=dg.in_process_executor),
        ingestion.build_ingestion_defs(),
        dbt.defs,
        experiments.defs,
        mining.defs,
    )


@dataclass
class Pipeline:
    scale: str
    data: Path
    env: dict[str, str]
    defs: dg.Definitions
    instance: dg.DagsterInstance
    result: dg.ExecuteInProcessResult
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def duckdb_path(self) -> Path:
        return Path(self.env["ZHISHU_DUCKDB_PATH"])

    @property
    def truth(self) -> dict:
        return json.loads((self.data / "source" / "ground_truth.json").read_text())

    def query(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.duckdb_path), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()


def build_pipeline(root: Path, scale: str) -> Pipeline:
    """Simulate, then materialize every asset (and check) of the merged definitions in one run.
    The caller must keep `environment(data_dir_env(...))` active while using the result."""
    data = root / "data"
    (data / "warehouse").mkdir(parents=True, exist_ok=True)
    seconds = {}
    started = time.perf_counter()
    generate_source(data / "source", scale)
    seconds["simulate"] = time.perf_counter() - started
    started = time.perf_counter()
    defs = pipeline_defs()
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)
    seconds["materialize"] = time.perf_counter() - started
    return Pipeline(scale=scale, data=data, env=data_dir_env(data), defs=defs, instance=instance, result=result, seconds=seconds)
