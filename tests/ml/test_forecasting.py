"""Backtest + selection + forecast behaviour on synthetic series with known structure."""

import numpy as np
import pandas as pd
import pytest
from ml_testdata import seasonal_daily_series

from ml.forecasting import ForecastConfig, run_backtest_and_forecast, run_forecasting
from ml.forecasting.models import CANDIDATES, fit_predict


@pytest.fixture(scope="module")
def seasonal_result():
    series = seasonal_daily_series(n_days=420).assign(series_id="weekly_seasonal")
    return run_forecasting(series, ForecastConfig(freq="D", horizon=28, n_folds=4, n_jobs=1))


def test_forecaster_beats_seasonal_naive_on_seasonal_series(seasonal_result):
    scores = seasonal_result.scores.set_index("model")
    assert set(scores.index) == set(CANDIDATES)
    assert (scores["n_folds"] == 4).all()
    chosen = seasonal_result.chosen.iloc[0]
    assert chosen["wape"] < chosen["baseline_wape"]
    assert bool(chosen["beats_baseline"])
    # The primary model on its own also beats the baseline, and the choice is the lowest WAPE.
    assert scores.loc["prophet", "wape"] < scores.loc["seasonal_naive", "wape"]
    assert chosen["wape"] == pytest.approx(scores["wape"].min())
    assert scores["chosen"].sum() == 1 and scores.loc[chosen["model"], "chosen"]
    summary = seasonal_result.summary()
    assert summary["accuracy"] > 0.85 and summary["wape"] < summary["baseline_wape"]


def test_forecast_has_horizon_rows_with_ordered_intervals(seasonal_result):
    forecast = seasonal_result.forecast
    assert len(forecast) == 28
    assert forecast["ds"].iloc[0] == pd.Timestamp("2024-01-01") + pd.Timedelta(days=420)
    assert forecast["ds"].diff().dropna().eq(pd.Timedelta(days=1)).all()
    assert (forecast["yhat_lower"] <= forecast["yhat"]).all() and (forecast["yhat"] <= forecast["yhat_upper"]).all()
    assert (forecast["model"] == seasonal_result.chosen["model"].iloc[0]).all()
    # Weekly shape carried into the future: Saturdays (peak) above Mondays (trough).
    by_weekday = forecast.groupby(forecast["ds"].dt.dayofweek)["yhat"].mean()
    assert by_weekday[5] > 1.3 * by_weekday[0]


def test_backtest_predictions_cover_each_fold_window(seasonal_result):
    backtest = seasonal_result.backtest
    prophet = backtest[backtest["model"] == "prophet"]
    assert prophet.groupby("fold").size().tolist() == [28, 28, 28, 28]
    # Folds are consecutive 28-day windows ending at the last observation.
    assert prophet["ds"].max() == pd.Timestamp("2024-01-01") + pd.Timedelta(days=419)
    assert prophet["ds"].nunique() == 112


def test_parallel_run_matches_sequential_and_handles_degenerate_series():
    frames = [
        seasonal_daily_series(n_days=160, seed=1).assign(series_id="a"),
        seasonal_daily_series(n_days=160, seed=2, level=50).assign(series_id="b"),
        pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=160), "y": 0.0, "series_id": "all_zero"}),
        pd.DataFrame({"ds": pd.date_range("2024-05-01", periods=12), "y": np.arange(12.0), "series_id": "too_short"}),
    ]
    data = pd.concat(frames, ignore_index=True)
    forecast, scores, chosen = run_backtest_and_forecast(data, horizon=14, n_jobs=2, n_folds=2)
    sequential = run_forecasting(data, ForecastConfig(horizon=14, n_folds=2, n_jobs=1))
    pd.testing.assert_frame_equal(chosen.reset_index(drop=True), sequential.chosen.reset_index(drop=True))
    # Every series gets a forecast, including those that cannot be scored.
    assert forecast.groupby("series_id").size().to_dict() == {"a": 14, "b": 14, "all_zero": 14, "too_short": 14}
    assert (forecast.loc[forecast.series_id == "all_zero", "yhat"] == 0).all()
    short = chosen.set_index("series_id").loc["too_short"]
    assert short["n_folds"] == 0 and short["model"] == "seasonal_naive"
    assert any("too_short" in note for note in sequential.notes)


def test_prophet_learns_double_11_from_the_holiday_calendar():
    days = pd.date_range("2022-01-01", "2024-10-31", freq="D")
    rng = np.random.default_rng(3)
    y = 100 + rng.normal(0, 3, len(days))
    for year in (2022, 2023):
        y[days == pd.Timestamp(year, 11, 11)] += 300
    forecast = fit_predict("prophet", y, days, horizon=20, freq="D", season_length=7, level=80)
    future = pd.date_range("2024-11-01", periods=20)
    spike = forecast.mean[future == pd.Timestamp("2024-11-11")][0]
    assert spike > 250  # the event lifts the forecast although the training tail is flat
    assert np.median(forecast.mean) < 130
