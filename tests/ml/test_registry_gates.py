"""Quality gates block degraded models; the registry keeps the previous version serving."""

import json

import numpy as np
import pytest

from ml import registry
from ml.churn import churn_gate, train
from ml.churn.tabular import parse_binary_label
from ml.forecasting.gate import forecast_gate
from ml.registry import GateResult, ModelRegistry, PromotionRefused


def test_forecast_gate_thresholds():
    good = forecast_gate({"wape": 0.10, "baseline_wape": 0.20})
    assert good.passed and good.reasons == []
    worse_than_naive = forecast_gate({"wape": 0.10, "baseline_wape": 0.09})
    assert not worse_than_naive.passed and "seasonal_naive" in worse_than_naive.reasons[0]
    inaccurate = forecast_gate({"wape": 0.20, "baseline_wape": 0.40})
    assert not inaccurate.passed and "accuracy" in inaccurate.reasons[0]
    assert not forecast_gate({"wape": None, "baseline_wape": 0.4}).passed  # unmeasured never passes


def test_churn_gate_thresholds():
    assert churn_gate({"accuracy": 0.81, "roc_auc": 0.85}).passed
    assert not churn_gate({"accuracy": 0.80, "roc_auc": 0.90}).passed  # accuracy must exceed 0.80
    assert not churn_gate({"accuracy": 0.95, "roc_auc": float("nan")}).passed


def test_save_promote_and_metadata(tmp_path):
    reg = ModelRegistry(tmp_path / "models")
    assert reg.load_current("forecast") is None
    passed = GateResult(family="forecast", passed=True)
    saved = reg.save("forecast", {"weights": [1, 2]}, metrics={"wape": 0.1}, gate=passed,
                     training_window={"start": "2025-01-01", "end": "2025-06-30"}, params={"horizon": 28})
    meta = json.loads((saved.path / "metadata.json").read_text())
    assert meta["version"] == saved.version and meta["family"] == "forecast"
    assert meta["training_window"] == {"start": "2025-01-01", "end": "2025-06-30"}
    assert meta["metrics"] == {"wape": 0.1} and meta["gate"]["passed"] is True
    assert {"python", "scikit-learn", "pandas", "prophet", "statsforecast"} <= set(meta["library_versions"])
    assert meta["created_at"].endswith("+00:00")
    assert reg.load_current("forecast") is None  # saved is not serving until promoted
    reg.promote("forecast", saved.version)
    model, current_meta = reg.load_current("forecast")
    assert model == {"weights": [1, 2]} and current_meta["version"] == saved.version
    with pytest.raises(ValueError):
        reg.save("../escape", {}, metrics={}, gate=passed)


def test_default_registry_lives_under_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHISHU_DATA_DIR", str(tmp_path))
    version = registry.save("routing", "m", metrics={}, gate=GateResult("routing", True)).version
    assert (tmp_path / "models" / "routing" / version / "model.joblib").exists()
    registry.promote("routing", version)
    assert registry.load_current("routing")[0] == "m"


def test_degraded_churn_model_is_blocked_and_previous_version_keeps_serving(tmp_path, mlc_churn):
    reg = ModelRegistry(tmp_path / "models")
    data = mlc_churn.head(2500)  # half of the real set keeps the test quick and still clears the gate
    features = data.drop(columns=["churn"])
    y, _ = parse_binary_label(data["churn"])

    good_model, good_metrics, _ = train(features, label_col="churn", id_col=None, cutoff_col=None, y=y)
    good_gate = churn_gate(good_metrics)
    assert good_gate.passed, good_gate.reasons
    first = reg.register("churn", good_model, metrics=good_metrics, gate=good_gate)
    assert first["promoted"] and first["serving_version"] == first["version"]

    # Deliberately degraded: the same pipeline trained on shuffled labels.
    shuffled = np.random.default_rng(0).permutation(y)
    bad_model, bad_metrics, _ = train(features, label_col="churn", id_col=None, cutoff_col=None, y=shuffled)
    bad_gate = churn_gate(bad_metrics)
    assert not bad_gate.passed
    assert any(reason.startswith("roc_auc") for reason in bad_gate.reasons)
    second = reg.register("churn", bad_model, metrics=bad_metrics, gate=bad_gate)
    assert not second["promoted"] and second["serving_version"] == first["version"]
    with pytest.raises(PromotionRefused, match="quality gate failed"):
        reg.promote("churn", second["version"])

    serving, meta = reg.load_current("churn")
    assert meta["version"] == first["version"]
    assert reg.list_versions("churn") == sorted([first["version"], second["version"]])
    sample = features.head(200)
    np.testing.assert_allclose(serving.predict_proba(sample), good_model.predict_proba(sample))
