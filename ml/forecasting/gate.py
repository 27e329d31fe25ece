"""Quality gate for a forecasting run: accurate enough and better than seasonal naive."""

from __future__ import annotations

from ml.registry import GateResult, check

MIN_ACCURACY = 0.85  # 1 - WAPE, platform target at the category level


def forecast_gate(summary: dict, min_accuracy: float = MIN_ACCURACY) -> GateResult:
    """Gate on the pooled backtest of the per-series choice (``ForecastResult.summary()``).

    Passes when 1 − WAPE > ``min_accuracy`` and the chosen models' WAPE is below the
    seasonal-naive WAPE over the same folds. Note: the chosen model's backtest WAPE is slightly
    optimistic because the choice is made on the same folds.
    """
    wape, baseline = summary.get("wape"), summary.get("baseline_wape")
    accuracy = None if wape is None else 1 - wape
    checks = {
        "accuracy_1_minus_wape": check(accuracy, ">", min_accuracy),
        "wape_vs_seasonal_naive": check(wape, "<", baseline if baseline is not None else float("nan")),
    }
    return GateResult.from_checks("forecast", checks)
