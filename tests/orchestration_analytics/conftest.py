"""Fixtures for the experiment and recipe assets.

- `analytics_pipeline` (session): the simulator at ZHISHU_ANALYTICS_TEST_SCALE run through
  ingestion -> dbt build -> experiment and recipe assets in one Dagster run on DuckDB. The default
  0.1 is the smallest scale whose experiments have enough users per arm (100-300) for the
  truth-recovery tests; at 0.02 (~40 per arm) heavy-tailed revenue breaks the normal approximation.
  The ZHISHU_* variables point at its data folder only while it is built (and inside
  `pipeline_env`), so other test areas never see them.
- `pipeline_env`: applies that environment for one test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import analytics_pipeline as ap  # noqa: E402

PIPELINE_SCALE = os.environ.get("ZHISHU_ANALYTICS_TEST_SCALE", "0.1")


@pytest.fixture(scope="session")
def analytics_pipeline(dbt_manifest, tmp_path_factory) -> ap.Pipeline:
    root = tmp_path_factory.mktemp("analytics_pipeline")
    with ap.environment(ap.data_dir_env(root / "data")):
        pipeline = ap.build_pipeline(root, PIPELINE_SCALE)
    print(f"\nanalytics pipeline at scale {PIPELINE_SCALE}: "
          + ", ".join(f"{k} {v:.0f} s" for k, v in pipeline.seconds.items()))
    failures = [
        f"{event.step_key}: {event.event_specific_data.error.message.strip()[:2000]}"
        for event in pipeline.result.all_events
        if event.event_type_value == "STEP_FAILURE"
    ]
    assert not failures, "pipeline steps failed:\n" + "\n".join(failures)
    return pipeline


@pytest.fixture
def pipeline_env(analytics_pipeline: ap.Pipeline, monkeypatch: pytest.MonkeyPatch) -> ap.Pipeline:
    for key, value in analytics_pipeline.env.items():
        monkeypatch.setenv(key, value)
    for key in ("ZHISHU_SERVING_DUCKDB_PATH", "ZHISHU_SOURCES_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    return analytics_pipeline
