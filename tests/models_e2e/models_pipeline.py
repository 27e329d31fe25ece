"""A simulated platform run through the real pipeline for the model assets (module name kept
unique across test folders): simulator -> ingestion -> dbt build (one Dagster run), then the
`models` group (orchestration/models.py) in runs of its own, on a DuckDB file.

Also a command line, to measure the targets at any scale outside pytest:

    .venv/bin/python tests/models_e2e/models_pipeline.py --scale 1.0 --root /tmp/models_scale1
    .venv/bin/python tests/models_e2e/models_pipeline.py --source /tmp/x/source --root /tmp/x

(`--source` reuses an already generated simulator output folder.)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import dagster as dg  # noqa: E402
import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

TEST_PII_SALT = "test-salt-not-a-secret"
SIM_SEED = "42"
SIM_END_DATE = "2026-11-24"
UNSET = ("ZHISHU_SERVING_DUCKDB_PATH", "ZHISHU_SOURCES_CONFIG")


def data_dir_env(data: Path, source: Path) -> dict[str, str]:
    """The variables tests/conftest.py's tmp_data_dir sets, for a session-wide data folder."""
    return {
        "ZHISHU_DATA_DIR": str(data),
        "ZHISHU_DUCKDB_PATH": str(data / "warehouse" / "zhishu.duckdb"),
        "ZHISHU_SOURCE_URL": f"sqlite:///{source / 'oltp.sqlite'}",
        "ZHISHU_CLICKSTREAM_DIR": str(source / "clickstream"),
        "ZHISHU_PII_SALT": TEST_PII_SALT,
        "ZHISHU_WAREHOUSE": "duckdb",
        "DBT_TARGET": "duckdb",
    }


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in (*values, *UNSET)}
    os.environ.update(values)
    for k in UNSET:
        os.environ.pop(k, None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def generate_source(out: Path, scale: str, seed: str = SIM_SEED) -> None:
    command = [sys.executable, "-m", "simulator", "generate", "--seed", seed, "--scale", scale,
               "--end-date", SIM_END_DATE, "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"simulator failed ({' '.join(command)}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")


def platform_defs() -> dg.Definitions:
    """Ingestion + dbt + the models domain, with resources built from the current environment
    (orchestration/definitions.py builds its resources once at import, so it is not reused)."""
    from orchestration import dbt, ingestion, models
    from orchestration.resources import build_resources

    return dg.Definitions.merge(
        dg.Definitions(resources=build_resources(), executor=dg.in_process_executor),
        ingestion.build_ingestion_defs(),
        dbt.defs,
        models.build_models_defs(),
    )


def step_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    return [f"{e.step_key}: {e.event_specific_data.error.message.strip()[:3000]}"
            for e in result.all_events if e.event_type_value == "STEP_FAILURE"]


@dataclass
class Pipeline:
    root: Path
    source: Path
    env: dict[str, str]
    defs: dg.Definitions
    instance: dg.DagsterInstance
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return Path(self.env["ZHISHU_DATA_DIR"])

    @property
    def duckdb_path(self) -> Path:
        return Path(self.env["ZHISHU_DUCKDB_PATH"])

    @property
    def truth(self) -> dict:
        return json.loads((self.source / "ground_truth.json").read_text())

    def query(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.duckdb_path), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()

    def materialize(self, selection, run_config: dict | None = None, partition_key: str | None = None,
                    tags: dict | None = None) -> dg.ExecuteInProcessResult:
        """Materialize an asset selection (with its checks) in one run on this pipeline's instance."""
        job = dg.define_asset_job("adhoc_models_e2e", selection=selection)
        defs = dg.Definitions.merge(self.defs, dg.Definitions(jobs=[job]))
        with environment(self.env):
            return defs.resolve_job_def("adhoc_models_e2e").execute_in_process(
                instance=self.instance, raise_on_error=False, run_config=run_config,
                partition_key=partition_key, tags=tags)


def build_platform(root: Path, scale: str | None = None, source: Path | None = None) -> Pipeline:
    """Simulate (unless `source` is given), then ingest and dbt-build everything into <root>/data.

    (Not just the models' upstream: a dbt subset still runs the relationship tests of its models
    (indirect selection), which fail when the other side of the relationship was not built.)"""
    from orchestration.models import MODELS_GROUP

    data = root / "data"
    (data / "warehouse").mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    if source is None:
        source = data / "source"
        started = time.perf_counter()
        generate_source(source, scale or "0.1")
        seconds["simulate"] = time.perf_counter() - started
    env = data_dir_env(data, source)
    with environment(env):
        defs = platform_defs()
        instance = dg.DagsterInstance.ephemeral()
        pipeline = Pipeline(root=root, source=source, env=env, defs=defs, instance=instance, seconds=seconds)
        started = time.perf_counter()
        result = pipeline.materialize(dg.AssetSelection.all() - dg.AssetSelection.groups(MODELS_GROUP))
        seconds["ingest_and_dbt"] = time.perf_counter() - started
    failures = step_failures(result)
    if failures:
        raise RuntimeError("ingestion/dbt steps failed:\n" + "\n".join(failures))
    return pipeline


def run_models(pipeline: Pipeline, run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    from orchestration.models import MODELS_GROUP

    started = time.perf_counter()
    result = pipeline.materialize(dg.AssetSelection.groups(MODELS_GROUP), run_config=run_config)
    pipeline.seconds["models"] = time.perf_counter() - started
    return result


def model_metrics(pipeline: Pipeline) -> pd.DataFrame:
    return pipeline.query("SELECT * FROM ml.model_metrics ORDER BY family, trained_at, metric")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, required=True, help="working folder (data/ is created inside)")
    parser.add_argument("--scale", default="0.1")
    parser.add_argument("--source", type=Path, help="existing simulator output folder to reuse")
    parser.add_argument("--skip-platform", action="store_true", help="reuse <root>/data/warehouse as built")
    args = parser.parse_args(argv)
    import orchestration.dbt_project  # noqa: F401 - puts this venv's dbt on PATH
    if args.skip_platform:
        source = args.source or args.root / "data" / "source"
        env = data_dir_env(args.root / "data", source)
        with environment(env):
            pipeline = Pipeline(root=args.root, source=source, env=env, defs=platform_defs(),
                                instance=dg.DagsterInstance.ephemeral())
    else:
        if args.root.exists() and (args.root / "data" / "warehouse").exists():
            shutil.rmtree(args.root / "data" / "warehouse")
        pipeline = build_platform(args.root, args.scale, args.source)
    result = run_models(pipeline)
    failures = step_failures(result)
    checks = [(e.asset_key.to_user_string(), e.check_name, e.passed) for e in result.get_asset_check_evaluations()
              if e.asset_key.path[0] == "ml"]
    print(json.dumps({"seconds": pipeline.seconds, "checks": checks, "failures": failures}, indent=2, default=str))
    metrics = model_metrics(pipeline)
    latest = metrics[metrics["trained_at"] == metrics.groupby("family")["trained_at"].transform("max")]
    with pd.option_context("display.max_rows", 200, "display.width", 200):
        print(latest[["family", "version", "metric", "value", "gate_passed"]].to_string(index=False))
    return 0 if not failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
