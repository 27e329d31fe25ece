"""STL seasonal-trend decomposition with PELT change-point detection on a daily KPI.

Inputs: `date` (one row per day; missing days are interpolated and flagged) and `value`.
Parameters: period (seasonal period in days, 7), robust STL, series (which component is segmented:
'adjusted' = value − seasonal (default), 'trend', or 'residual'), model ('linear': piecewise-linear
segments, robust to a growing business; 'mean': piecewise-constant), outlier_clip (one-day spikes
are winsorised in the STL residual first, so they do not open segments), penalty (cost of one extra
change point; default 2·(parameters per segment)·ln n in units of the noise variance), min_segment_days.
Outputs:
- `series`: date, value, trend, seasonal, residual, adjusted, segment, fitted, is_change_point, is_imputed
- `change_points`: date, index, fitted value before and after the break, shift and shift_pct.

PELT (Killick, Fearnhead & Eckley 2012) finds the segmentation minimising
Σ cost(segment) + penalty × #changes exactly, pruning candidates that can never be optimal again.
Segment costs are residual sums of squares computed in O(1) from cumulative sums, after scaling the
series by a robust noise estimate (MAD of first differences / √2) so the penalty is unit-free.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.tsa.seasonal import STL

from ml.mining.spec import Algorithm, MiningInputError, Output, Param, Role, datetime_column, numeric_column


class _SegmentCost:
    """O(1) residual sum of squares of y[s:t] under a constant or a linear fit."""

    def __init__(self, y: np.ndarray, model: str):
        self.model = model
        t = np.arange(len(y), dtype=float)
        pad = lambda a: np.concatenate([[0.0], np.cumsum(a)])  # noqa: E731
        self.S1, self.Sy, self.Syy = pad(np.ones_like(y)), pad(y), pad(y * y)
        self.St, self.Stt, self.Sty = pad(t), pad(t * t), pad(t * y)

    def __call__(self, s: np.ndarray, t: int) -> np.ndarray:
        n = self.S1[t] - self.S1[s]
        sy = self.Sy[t] - self.Sy[s]
        rss = (self.Syy[t] - self.Syy[s]) - sy * sy / n
        if self.model == "linear":
            st = self.St[t] - self.St[s]
            sxx = (self.Stt[t] - self.Stt[s]) - st * st / n
            sxy = (self.Sty[t] - self.Sty[s]) - st * sy / n
            with np.errstate(divide="ignore", invalid="ignore"):
                rss = rss - np.where(sxx > 0, sxy * sxy / sxx, 0.0)
        return np.maximum(rss, 0.0)

    def fit(self, s: int, t: int) -> np.ndarray:
        """Fitted values on y[s:t] (for reporting)."""
        n = t - s
        mean = (self.Sy[t] - self.Sy[s]) / n
        if self.model == "mean" or n < 2:
            return np.full(n, mean)
        tt = np.arange(s, t, dtype=float)
        st = (self.St[t] - self.St[s]) / n
        sxx = (self.Stt[t] - self.Stt[s]) - n * st * st
        sxy = (self.Sty[t] - self.Sty[s]) - n * st * mean
        slope = sxy / sxx if sxx > 0 else 0.0
        return mean + slope * (tt - st)


def noise_scale(y: np.ndarray) -> float:
    """Robust noise sd from first differences: a level shift is one outlier among the differences."""
    d = np.diff(y)
    sigma = np.median(np.abs(d - np.median(d))) * 1.4826 / np.sqrt(2)
    if not np.isfinite(sigma) or sigma <= 0:
        sigma = np.std(y) or 1.0
    return float(sigma)


def pelt(y: np.ndarray, penalty: float, min_size: int, model: str = "mean") -> list[int]:
    """Change-point indices (start of each new segment) minimising RSS/σ² + penalty per change.
    `y` must already be scaled to unit noise variance."""
    n = len(y)
    cost = _SegmentCost(y, model)
    F = np.full(n + 1, np.inf)
    F[0] = -penalty
    last = np.zeros(n + 1, dtype=np.int64)
    candidates = np.array([0], dtype=np.int64)
    for t in range(min_size, n + 1):
        ready = candidates[t - candidates >= min_size]
        if len(ready) == 0:
            candidates = np.append(candidates, t)
            continue
        totals = F[ready] + cost(ready, t)
        best = int(np.argmin(totals + penalty))
        F[t] = totals[best] + penalty
        last[t] = ready[best]
        # Prune (PELT): splitting a segment never raises its RSS, so a start that is already worse
        # than the optimum at t can never become optimal later.
        keep = np.concatenate([ready[totals <= F[t]], candidates[t - candidates < min_size]])
        candidates = np.append(np.unique(keep), t)
    points, t = [], n
    while t > 0:
        s = int(last[t])
        if s > 0:
            points.append(s)
        t = s
    return sorted(points)


def run(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    date_col, value_col = columns["date"], columns["value"]
    dates = datetime_column(df, date_col).dt.normalize()
    if dates.isna().any():
        raise MiningInputError(f"column '{date_col}' has {int(dates.isna().sum())} empty date(s)")
    if dates.duplicated().any():
        raise MiningInputError(f"column '{date_col}' must hold one row per day; {dates[dates.duplicated()].iloc[0].date()} repeats")
    raw = pd.Series(numeric_column(df, value_col).to_numpy(), index=pd.DatetimeIndex(dates)).sort_index()
    full_index = pd.date_range(raw.index.min(), raw.index.max(), freq="D")
    series = raw.reindex(full_index)
    imputed = series.isna().to_numpy()
    series = series.interpolate(limit_direction="both")
    period = params["period"]
    if len(series) < 2 * period + 1 or len(series) < 2 * params["min_segment_days"]:
        raise MiningInputError(f"need at least {max(2 * period + 1, 2 * params['min_segment_days'])} days, got {len(series)}")
    stl = STL(series.to_numpy(), period=period, robust=params["robust"]).fit()
    parts = {"trend": stl.trend, "seasonal": stl.seasonal, "residual": stl.resid}
    adjusted = series.to_numpy() - stl.seasonal
    resid = stl.resid
    if params["outlier_clip"] is not None:
        # One-day spikes (outages, campaigns) are not regime changes: winsorise the residual so
        # a squared-error cost does not open a short segment around them.
        limit = params["outlier_clip"] * noise_scale(resid) * np.sqrt(2)
        resid = np.clip(resid, -limit, limit)
    target = {"adjusted": stl.trend + resid, "trend": stl.trend, "residual": resid}[params["series"]]
    sigma = noise_scale(target) if params["series"] != "trend" else noise_scale(adjusted)
    centre = float(np.median(target))
    y = (target - centre) / sigma
    n = len(y)
    params_per_segment = 2 if params["model"] == "mean" else 3
    penalty = params["penalty"] if params["penalty"] is not None else 2.0 * params_per_segment * np.log(n)
    points = pelt(y, penalty, params["min_segment_days"], params["model"])
    cost = _SegmentCost(y, params["model"])
    bounds = [0, *points, n]
    fitted = np.concatenate([cost.fit(s, t) for s, t in zip(bounds[:-1], bounds[1:])]) * sigma + centre
    segment = np.repeat(np.arange(len(bounds) - 1, dtype=np.int64), np.diff(bounds))
    is_cp = np.zeros(n, dtype=bool)
    is_cp[points] = True
    out = pd.DataFrame(
        {
            date_col: full_index,
            "value": series.to_numpy(),
            **parts,
            "adjusted": adjusted,
            "segment": segment,
            "fitted": fitted,
            "is_change_point": is_cp,
            "is_imputed": imputed,
        }
    )
    before = fitted[np.array(points, dtype=int) - 1] if points else np.array([])
    after = fitted[np.array(points, dtype=int)] if points else np.array([])
    cps = pd.DataFrame(
        {
            date_col: full_index[points] if points else pd.DatetimeIndex([]),
            "index": np.array(points, dtype=np.int64),
            "before": before,
            "after": after,
        }
    )
    cps["shift"] = cps["after"] - cps["before"]
    cps["shift_pct"] = np.where(cps["before"].abs() > 0, cps["shift"] / cps["before"].abs(), np.nan)
    cps["shift_in_noise_sd"] = cps["shift"] / sigma
    return {"series": out, "change_points": cps}


ALGORITHM = Algorithm(
    name="stl_changepoints",
    summary="STL seasonal-trend decomposition with PELT change-point detection on a daily KPI",
    roles=(
        Role("date", "day (one row per day)"),
        Role("value", "numeric KPI"),
    ),
    params=(
        Param("period", "int", "seasonal period in days", default=7, minimum=2),
        Param("robust", "bool", "robust STL (outliers do not distort trend/seasonality)", default=True),
        Param("series", "str", "component to segment", default="adjusted", choices=("adjusted", "trend", "residual")),
        Param("model", "str", "segment model", default="linear", choices=("linear", "mean")),
        Param("penalty", "float", "cost of one change point in noise-variance units; default 2·k·ln(n)", nullable=True, minimum=0.0),
        Param("min_segment_days", "int", "shortest segment between change points", default=14, minimum=2),
        Param("outlier_clip", "float", "winsorise STL residuals beyond this many robust sd before segmenting (null = off)", default=3.5, nullable=True, minimum=0.5),
    ),
    outputs=(
        Output("series", "per day: value, trend, seasonal, residual, adjusted, segment, fitted, is_change_point"),
        Output("change_points", "per change point: date, fitted level before/after, shift, shift_pct"),
    ),
    func=run,
    doc=__doc__,
)
