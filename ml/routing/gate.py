"""Quality gate for ticket routing: accuracy > 0.90 on the time holdout."""

from __future__ import annotations

from ml.registry import GateResult, check

MIN_ACCURACY = 0.90


def routing_gate(metrics: dict, min_accuracy: float = MIN_ACCURACY) -> GateResult:
    """``metrics`` from :func:`ml.routing.train` (accuracy over all holdout tickets)."""
    return GateResult.from_checks("routing", {"accuracy": check(metrics.get("accuracy"), ">", min_accuracy)})
