"""Platform targets of issue 6 on simulator data, with the default (platform-target) gates:
category-level forecast accuracy 1 - WAPE > 0.85 and better than seasonal naive, churn accuracy
> 0.80 and ROC AUC >= 0.85, routing accuracy > 0.90; each model is promoted by its gate.

Slow: the forecast target needs ~0.4 of the demo's volume before Poisson noise alone stops eating
the margin (measured: 1 - WAPE 0.76 at scale 0.1, 0.89 at 1.0), so this builds its own platform
at ZHISHU_MODELS_TARGET_SCALE (default 0.5). Only the category series are forecast here (the
level the target applies to); every candidate, including Prophet, is backtested.
"""

from __future__ import annotations

import os

import dagster as dg
import pytest

import models_pipeline as mp
from ml.registry import ModelRegistry
from orchestration.models import CHURN_SCORES_KEY, DEMAND_FORECAST_KEY, FORECAST_BACKTEST_KEY, TICKET_ROUTING_KEY

TARGET_SCALE = os.environ.get("ZHISHU_MODELS_TARGET_SCALE", "1.0")
TARGET_SEED = os.environ.get("ZHISHU_MODELS_TARGET_SEED", mp.SIM_SEED)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def target_run(dbt_manifest, tmp_path_factory):
    pipeline = mp.build_platform(tmp_path_factory.mktemp("models_targets"), TARGET_SCALE, seed=TARGET_SEED)
    result = pipeline.materialize(
        dg.AssetSelection.keys(FORECAST_BACKTEST_KEY, DEMAND_FORECAST_KEY, CHURN_SCORES_KEY, TICKET_ROUTING_KEY),
        run_config={"ops": {"ml__forecast_backtest": {"config": {"levels": ["category"]}}}},
    )
    metrics = pipeline.query("SELECT family, metric, value FROM ml.model_metrics")
    values = {(f, m): v for f, m, v in metrics.itertuples(index=False)}
    print(f"\nscale {TARGET_SCALE} seed {TARGET_SEED}: " + ", ".join(f"{k} {v:.0f} s" for k, v in pipeline.seconds.items())
          + "; " + ", ".join(f"{f}.{m}={values[(f, m)]:.4f}" for f, m in (
              ("forecast", "accuracy"), ("forecast", "baseline_wape"), ("churn", "accuracy"), ("churn", "roc_auc"),
              ("churn", "base_rate"), ("churn", "models.logistic_regression.roc_auc"), ("routing", "accuracy"))))
    return pipeline, result, values


def test_forecast_category_accuracy_target(target_run):
    pipeline, result, values = target_run
    assert values[("forecast", "accuracy")] > 0.85
    assert values[("forecast", "wape")] < values[("forecast", "baseline_wape")]
    assert ModelRegistry(pipeline.data / "models").current("forecast") is not None


def test_churn_targets(target_run):
    pipeline, result, values = target_run
    assert values[("churn", "accuracy")] > 0.80
    assert values[("churn", "roc_auc")] >= 0.85
    # Accuracy alone says little at a ~3 % monthly churn rate: also beat "nobody churns" on ranking.
    assert values[("churn", "lift_top_decile")] > 3


def test_routing_accuracy_target(target_run):
    pipeline, result, values = target_run
    assert values[("routing", "accuracy")] > 0.90


def test_every_gate_passed_and_promoted(target_run):
    pipeline, result, values = target_run
    assert not mp.step_failures(result)
    gates = {e.asset_key.to_user_string(): e.passed for e in result.get_asset_check_evaluations()
             if e.check_name == "quality_gate"}
    assert gates == {k.to_user_string(): True for k in (DEMAND_FORECAST_KEY, CHURN_SCORES_KEY, TICKET_ROUTING_KEY)}
