"""Candidate forecasters: Prophet (primary), AutoETS, AutoTheta, their mean, seasonal naive.

Each candidate takes one regular series (numpy values + period-start timestamps) and returns a
:class:`PointForecast` for the next ``horizon`` periods with a central prediction interval.
Prophet and statsforecast are imported lazily so that importing this module stays cheap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from ml.forecasting.data import future_dates, get_frequency
from ml.forecasting.holidays_cn import china_holidays_frame

PROPHET, AUTO_ETS, AUTO_THETA, ENSEMBLE, SEASONAL_NAIVE = (
    "prophet", "auto_ets", "auto_theta", "ensemble", "seasonal_naive",
)
# Order matters: on a WAPE tie the earlier candidate wins (Prophet is the primary model).
CANDIDATES = (PROPHET, AUTO_ETS, AUTO_THETA, ENSEMBLE, SEASONAL_NAIVE)
ENSEMBLE_MEMBERS = (PROPHET, AUTO_ETS, AUTO_THETA)
BASELINE = SEASONAL_NAIVE


@dataclass
class PointForecast:
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def quiet_logging() -> None:
    """Silence Prophet/cmdstanpy chatter (called in every worker process)."""
    logging.getLogger("prophet.plot").disabled = True  # "Importing plotly failed" on import
    logging.getLogger("prophet").setLevel(logging.ERROR)
    import cmdstanpy  # noqa: PLC0415 - heavy import kept lazy

    cmdstanpy.utils.get_logger().setLevel(logging.ERROR)


def effective_season_length(n_train: int, season_length: int) -> int:
    """Seasonal models need two full seasons of history; fall back to non-seasonal below that."""
    return season_length if n_train >= 2 * season_length else 1


def _z(level: float) -> float:
    return float(norm.ppf(0.5 + level / 200.0))


def seasonal_naive(y: np.ndarray, horizon: int, season_length: int, level: float) -> PointForecast:
    """Repeat the last observed season; intervals from the in-sample seasonal-naive residuals."""
    m = season_length if y.size > season_length else 1
    last_season = y[-m:]
    steps = np.arange(horizon)
    mean = last_season[steps % m]
    residuals = y[m:] - y[:-m]
    sigma = float(np.sqrt(np.mean(residuals**2))) if residuals.size else 0.0
    # Forecast variance grows with the number of whole seasons ahead (Hyndman & Athanasopoulos, 5.5).
    spread = _z(level) * sigma * np.sqrt(steps // m + 1)
    return PointForecast(mean.astype(float), mean - spread, mean + spread)


def _statsforecast(model, y: np.ndarray, horizon: int, level: float) -> PointForecast:
    level_int = int(round(level))
    result = model.forecast(y=y.astype(float), h=horizon, level=[level_int])
    return PointForecast(
        np.asarray(result["mean"], dtype=float),
        np.asarray(result[f"lo-{level_int}"], dtype=float),
        np.asarray(result[f"hi-{level_int}"], dtype=float),
    )


def auto_ets(y: np.ndarray, horizon: int, season_length: int, level: float) -> PointForecast:
    from statsforecast.models import AutoETS  # noqa: PLC0415

    m = effective_season_length(y.size, season_length)
    return _statsforecast(AutoETS(season_length=m), y, horizon, level)


def auto_theta(y: np.ndarray, horizon: int, season_length: int, level: float) -> PointForecast:
    from statsforecast.models import AutoTheta  # noqa: PLC0415

    m = effective_season_length(y.size, season_length)
    return _statsforecast(AutoTheta(season_length=m), y, horizon, level)


def prophet(
    y: np.ndarray, ds: pd.DatetimeIndex, horizon: int, freq: str, level: float, use_holidays: bool = True
) -> PointForecast:
    """Prophet with weekly (daily data) and yearly (≥ 2 years of history) seasonality.

    Daily series also get China's public holidays and the 618 / Double 11 shopping events as
    holiday effects; for weekly/monthly buckets single-day holiday effects are not identifiable,
    so they are left to the yearly seasonality.
    """
    from prophet import Prophet  # noqa: PLC0415

    frequency = get_frequency(freq)
    ds = pd.DatetimeIndex(ds)
    future = future_dates(ds[-1], horizon, freq)
    span_days = (ds[-1] - ds[0]).days
    holidays_frame = None
    if use_holidays and frequency.code == "D":
        holidays_frame = china_holidays_frame(ds[0].year, future[-1].year)
    model = Prophet(
        weekly_seasonality=frequency.code == "D" and y.size >= 14,
        yearly_seasonality=span_days >= 2 * 365,
        daily_seasonality=False,
        holidays=holidays_frame,
        interval_width=level / 100.0,
        uncertainty_samples=500,
    )
    model.fit(pd.DataFrame({"ds": ds, "y": y}))
    np.random.seed(0)  # Prophet samples its intervals from numpy's global generator
    predicted = model.predict(pd.DataFrame({"ds": future}))
    return PointForecast(
        predicted["yhat"].to_numpy(float),
        predicted["yhat_lower"].to_numpy(float),
        predicted["yhat_upper"].to_numpy(float),
    )


def ensemble(members: list[PointForecast]) -> PointForecast:
    """Mean of the members' forecasts; bounds are the mean of the members' bounds (approximate)."""
    return PointForecast(
        np.mean([m.mean for m in members], axis=0),
        np.mean([m.lower for m in members], axis=0),
        np.mean([m.upper for m in members], axis=0),
    )


def fit_predict(
    name: str,
    y: np.ndarray,
    ds: pd.DatetimeIndex,
    horizon: int,
    freq: str,
    season_length: int,
    level: float,
    use_holidays: bool = True,
) -> PointForecast:
    """Fit one base candidate (not the ensemble) on ``y`` and forecast ``horizon`` periods."""
    if name == PROPHET:
        forecast = prophet(y, ds, horizon, freq, level, use_holidays)
    elif name == AUTO_ETS:
        forecast = auto_ets(y, horizon, season_length, level)
    elif name == AUTO_THETA:
        forecast = auto_theta(y, horizon, season_length, level)
    elif name == SEASONAL_NAIVE:
        forecast = seasonal_naive(y, horizon, season_length, level)
    else:
        raise ValueError(f"unknown base candidate {name!r}")
    if not np.all(np.isfinite(forecast.mean)):
        raise FloatingPointError(f"{name} produced non-finite forecasts")
    if np.nanmin(y) >= 0:
        # Demand cannot be negative: clip forecasts and bounds of non-negative series at zero.
        forecast = PointForecast(*(np.clip(a, 0, None) for a in (forecast.mean, forecast.lower, forecast.upper)))
    return forecast
