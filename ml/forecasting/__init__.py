"""Demand forecasting: Prophet (primary) vs AutoETS / AutoTheta / ensemble, chosen per series by backtest.

Input: a long DataFrame with columns ``series_id``, ``ds`` (period start), ``y`` (float); build it
from raw rows with :func:`prepare_series`. Entry points: :func:`run_backtest_and_forecast`
(Dagster wrapper returning forecast, scores, chosen) and :func:`run_forecasting` (everything).
"""

from ml.forecasting.data import prepare_series
from ml.forecasting.gate import forecast_gate
from ml.forecasting.metrics import mape, mase, smape, wape
from ml.forecasting.pipeline import (
    ForecastConfig,
    ForecastResult,
    overall_scores,
    run_backtest_and_forecast,
    run_forecasting,
)

__all__ = [
    "ForecastConfig",
    "ForecastResult",
    "forecast_gate",
    "mape",
    "mase",
    "overall_scores",
    "prepare_series",
    "run_backtest_and_forecast",
    "run_forecasting",
    "smape",
    "wape",
]
