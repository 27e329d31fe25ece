"""Daily KPI series: an injected anomaly is flagged; a planted level shift is dated by STL + PELT."""

import numpy as np
import pandas as pd
import pytest

from ml.mining import ALGORITHMS
from ml.mining.changepoints import _SegmentCost, pelt

WEEKDAY_FACTOR = np.array([1.0, 0.95, 0.97, 1.0, 1.1, 1.35, 1.3])


def daily_kpis(seed: int, days: int = 365) -> pd.DataFrame:
    """Growing business with weekend peaks; revenue = orders × basket value (so they co-move)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-01-01", periods=days, freq="D")
    t = np.arange(days)
    weekly = WEEKDAY_FACTOR[dates.weekday]
    orders = np.round((400 + 0.8 * t) * weekly * rng.normal(1, 0.04, days))
    revenue = orders * rng.normal(150, 4, days)
    signups = np.round((80 + 0.1 * t) * weekly * rng.normal(1, 0.06, days))
    return pd.DataFrame({"kpi_date": dates, "orders": orders, "revenue": revenue, "signups": signups})


@pytest.mark.parametrize("seed", [1, 2])
def test_isolation_forest_flags_injected_revenue_outage(seed):
    df = daily_kpis(seed)
    outage = 200
    df.loc[outage, "revenue"] *= 0.65  # payment outage: orders look normal, revenue collapses
    result = ALGORITHMS["isolation_forest"](df, {"date": "kpi_date", "kpis": ["orders", "revenue", "signups"]}, {})
    days = result["days"].set_index("kpi_date")
    day = df.loc[outage, "kpi_date"]
    flagged = days[days["is_anomaly"]]
    print(f"seed {seed}: outage rank {days.loc[day, 'anomaly_rank']}, {len(flagged)} days flagged")
    assert days.loc[day, "is_anomaly"]
    assert days.loc[day, "anomaly_rank"] == 1
    assert days.loc[day, "top_kpi"] == "revenue" and days.loc[day, "direction"] == "below"
    assert len(flagged) <= 0.03 * len(days)  # contamination 2% (+ rounding)
    dev = result["deviations"]
    assert len(dev) == 3 * len(df)
    row = dev[(dev["kpi_date"] == day) & (dev["kpi"] == "revenue")].squeeze()
    assert row["value"] < 0.75 * row["expected"]


def test_isolation_forest_rejects_duplicate_days():
    df = daily_kpis(1, 30)
    df.loc[5, "kpi_date"] = df.loc[4, "kpi_date"]
    with pytest.raises(ValueError, match="one row per day"):
        ALGORITHMS["isolation_forest"](df, {"date": "kpi_date", "kpis": ["orders"]}, {})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stl_pelt_dates_a_planted_level_shift(seed):
    rng = np.random.default_rng(seed)
    n, shift_at = 400, 250
    dates = pd.date_range("2025-01-01", periods=n, freq="D")
    t = np.arange(n)
    weekly = np.array([0, -20, -10, 0, 30, 80, 60])[dates.weekday]
    y = 500 + 0.5 * t - 120 * (t >= shift_at) + weekly + rng.normal(0, 15, n)
    y[100] += 200  # a one-day spike is not a regime change
    df = pd.DataFrame({"day": dates, "sessions": y}).drop(index=[30, 31])  # two missing days get interpolated
    result = ALGORITHMS["stl_changepoints"](df, {"date": "day", "value": "sessions"}, {})
    cps = result["change_points"]
    print(f"seed {seed}: change points {list(cps['day'].dt.date)} shifts {list(cps['shift'].round(1))}")
    assert len(cps) == 1
    found = cps["day"].iloc[0]
    assert abs((found - dates[shift_at]).days) <= 3
    assert cps["shift"].iloc[0] == pytest.approx(-120, abs=20)
    series = result["series"]
    assert len(series) == n and series["is_imputed"].sum() == 2
    assert np.allclose(series["trend"] + series["seasonal"] + series["residual"], series["value"])


def _optimal_partition(y, penalty, min_size, model):
    """Exhaustive dynamic programme (no pruning): the answer PELT must reproduce."""
    n = len(y)
    cost = _SegmentCost(y, model)
    F = np.full(n + 1, np.inf)
    F[0] = -penalty
    last = np.zeros(n + 1, dtype=int)
    for t in range(min_size, n + 1):
        for s in range(0, t - min_size + 1):
            if np.isfinite(F[s]):
                v = F[s] + cost(np.array([s]), t)[0] + penalty
                if v < F[t]:
                    F[t], last[t] = v, s
    points, t = [], n
    while t > 0:
        if last[t] > 0:
            points.append(int(last[t]))
        t = last[t]
    return sorted(points)


@pytest.mark.parametrize("model", ["mean", "linear"])
def test_pelt_pruning_matches_exhaustive_search(model):
    rng = np.random.default_rng(4)
    y = np.concatenate([rng.normal(0, 1, 60), rng.normal(3, 1, 40), rng.normal(-1, 1, 50), rng.normal(0.5, 1, 30)])
    penalty = 2 * 3 * np.log(len(y))
    assert pelt(y, penalty, 5, model) == _optimal_partition(y, penalty, 5, model)
