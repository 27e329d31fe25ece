"""Forecast metrics, backtest folds, input preparation and holiday calendar: exact values."""

import math

import numpy as np
import pandas as pd
import pytest

from ml.forecasting import prepare_series
from ml.forecasting.backtest import ErrorStats, rolling_origin_folds
from ml.forecasting.data import future_dates
from ml.forecasting.holidays_cn import china_holidays_frame
from ml.forecasting.metrics import mape, mase, seasonal_naive_scale, smape, wape
from ml.forecasting.models import seasonal_naive
from ml.forecasting.pipeline import overall_scores

Y = np.array([10.0, 20.0, 0.0, 40.0])
F = np.array([12.0, 15.0, 5.0, 40.0])


def test_wape_by_hand():
    # |errors| = 2 + 5 + 5 + 0 = 12; sum|y| = 70
    assert wape(Y, F) == pytest.approx(12 / 70)


def test_mape_skips_zero_actuals():
    # 2/10, 5/20, (zero actual skipped), 0/40 -> mean of three
    assert mape(Y, F) == pytest.approx((0.2 + 0.25 + 0.0) / 3)


def test_smape_by_hand():
    # 2*2/22, 2*5/35, 2*5/5, 0 -> mean of four
    assert smape(Y, F) == pytest.approx((4 / 22 + 10 / 35 + 2.0 + 0.0) / 4)
    assert smape([0.0, 0.0], [0.0, 0.0]) == 0.0  # both zero: a perfect forecast, not 0/0


def test_mase_by_hand():
    train = np.array([1.0, 3.0, 2.0, 4.0, 3.0, 5.0])
    # season 2: |2-1| + |4-3| + |3-2| + |5-4| -> scale 1.0
    assert seasonal_naive_scale(train, 2) == pytest.approx(1.0)
    assert mase([6.0, 4.0], [5.0, 6.0], train, 2) == pytest.approx((1 + 2) / 2 / 1.0)
    # history not longer than a season: falls back to the one-step naive scale
    assert seasonal_naive_scale([1.0, 4.0, 2.0], 7) == pytest.approx((3 + 2) / 2)


def test_undefined_metrics_are_nan_not_errors():
    assert math.isnan(wape([0.0, 0.0], [1.0, 2.0]))
    assert math.isnan(mape([0.0], [1.0]))
    assert math.isnan(mase([1.0], [1.0], [5.0, 5.0, 5.0], 1))  # zero scale
    with pytest.raises(ValueError):
        wape([1.0, 2.0], [1.0])


def test_pooled_error_stats_equal_metrics_on_concatenated_folds():
    stats = ErrorStats()
    train = np.arange(1.0, 15.0)
    stats.add(Y[:2], F[:2], train, 7)
    stats.add(Y[2:], F[2:], train, 7)
    scores = stats.as_scores()
    assert scores["wape"] == pytest.approx(wape(Y, F))
    assert scores["mape"] == pytest.approx(mape(Y, F))
    assert scores["smape"] == pytest.approx(smape(Y, F))
    assert scores["mase"] == pytest.approx(np.mean([mase(Y[:2], F[:2], train, 7), mase(Y[2:], F[2:], train, 7)]))


def test_overall_scores_pool_points_across_series():
    rows = []
    for sid, (y, f) in {"a": (Y[:2], F[:2]), "b": (Y[2:], F[2:])}.items():
        stats = ErrorStats()
        stats.add(y, f, np.arange(1.0, 15.0), 7)
        rows.append({"series_id": sid, "model": "m", "chosen": True, **stats.as_scores()})
    table = overall_scores(pd.DataFrame(rows))
    assert table.loc["m", "wape"] == pytest.approx(wape(Y, F))  # pooled, not the mean of series WAPEs
    assert table.loc["chosen", "wape"] == pytest.approx(wape(Y, F))


def test_rolling_origin_fold_boundaries():
    folds = rolling_origin_folds(n_obs=100, horizon=10, n_folds=4)
    assert [(f.train_end, f.test_end) for f in folds] == [(60, 70), (70, 80), (80, 90), (90, 100)]
    overlapping = rolling_origin_folds(n_obs=100, horizon=10, n_folds=3, step=5)
    assert [(f.train_end, f.test_end) for f in overlapping] == [(80, 90), (85, 95), (90, 100)]
    # Too short for four folds with >= 10 training points: keep only the feasible latest origins.
    short = rolling_origin_folds(n_obs=35, horizon=10, n_folds=4, min_train=10)
    assert [(f.train_end, f.test_end) for f in short] == [(15, 25), (25, 35)]
    assert rolling_origin_folds(n_obs=12, horizon=10, n_folds=4) == []


def test_seasonal_naive_repeats_last_season_with_growing_intervals():
    y = np.array([1.0, 2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6, 7, 8])
    forecast = seasonal_naive(y, horizon=9, season_length=7, level=80)
    np.testing.assert_allclose(forecast.mean, [2, 3, 4, 5, 6, 7, 8, 2, 3])
    width = forecast.upper - forecast.lower
    assert width[7] > width[6] and width[0] == pytest.approx(width[6])


def test_prepare_series_sums_periods_and_fills_gaps():
    raw = pd.DataFrame({
        "when": ["2025-01-01 10:00", "2025-01-01 18:30", "2025-01-03", "2025-01-02", "2025-01-04"],
        "amount": [1.5, 2.5, 4.0, 1.0, 3.0],
        "store": ["a", "a", "a", "b", "b"],
    })
    daily = prepare_series(raw, date_col="when", value_col="amount", series_col="store", freq="D")
    a = daily[daily.series_id == "a"]
    assert a["ds"].dt.strftime("%m-%d").tolist() == ["01-01", "01-02", "01-03"]
    assert a["y"].tolist() == [4.0, 0.0, 4.0]  # two same-day rows summed, the missing day is 0
    monthly = prepare_series(raw, date_col="when", value_col="amount", series_col=None, freq="M")
    assert monthly[["ds", "y"]].values.tolist() == [[pd.Timestamp("2025-01-01"), 12.0]]
    weekly = prepare_series(raw, date_col="when", value_col="amount", series_col=None, freq="W")
    assert set(weekly["ds"].dt.dayofweek) == {0}  # weeks are labelled by their Monday


def test_future_dates_per_frequency():
    assert list(future_dates(pd.Timestamp("2025-01-30"), 3, "D").strftime("%m-%d")) == ["01-31", "02-01", "02-02"]
    assert list(future_dates(pd.Timestamp("2025-01-01"), 2, "M").strftime("%Y-%m-%d")) == ["2025-02-01", "2025-03-01"]
    assert list(future_dates(pd.Timestamp("2025-01-06"), 2, "W").strftime("%Y-%m-%d")) == ["2025-01-13", "2025-01-20"]


def test_china_holiday_calendar_has_public_holidays_and_shopping_events():
    frame = china_holidays_frame(2025, 2025)
    by_day = frame.set_index("ds")
    assert "cn_national_day" in set(by_day.loc[pd.Timestamp("2025-10-01"), ["holiday"]].values.ravel())
    assert "cn_chinese_new_year_spring_festival" in set(frame["holiday"])
    assert "cn_bridge_day_off" in set(frame["holiday"])  # substituted days off share one effect
    for name, day in (("shopping_618", "2025-06-18"), ("shopping_double_11", "2025-11-11")):
        event = frame[frame["holiday"] == name]
        assert event["ds"].tolist() == [pd.Timestamp(day)]
        assert event["lower_window"].iloc[0] < 0  # pre-sale days before the event count too
