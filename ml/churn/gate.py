"""Quality gate for a churn model: accuracy > 0.80 and ROC AUC >= 0.85 on the held-out cut-off."""

from __future__ import annotations

from ml.registry import GateResult, check

MIN_ACCURACY = 0.80
MIN_ROC_AUC = 0.85


def churn_gate(metrics: dict, min_accuracy: float = MIN_ACCURACY, min_roc_auc: float = MIN_ROC_AUC) -> GateResult:
    """``metrics`` from :func:`ml.churn.train` (the production model's test metrics)."""
    checks = {
        "accuracy": check(metrics.get("accuracy"), ">", min_accuracy),
        "roc_auc": check(metrics.get("roc_auc"), ">=", min_roc_auc),
    }
    return GateResult.from_checks("churn", checks)
