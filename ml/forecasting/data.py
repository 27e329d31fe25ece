"""Input preparation: turn any long table of dated values into regular series.

The modelling code expects a long DataFrame with columns

* ``series_id`` – any hashable label (str/int), one value per series,
* ``ds`` – period start timestamp (daily: the day; weekly: the Monday; monthly: the 1st),
* ``y`` – float value of the period.

:func:`prepare_series` builds that frame from raw rows: several rows falling into the same
period are **summed** (so transaction-level data can be fed directly) and periods missing
inside a series' range are filled with 0 (no sales recorded = zero demand).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SERIES_COL, DATE_COL, VALUE_COL = "series_id", "ds", "y"


@dataclass(frozen=True)
class Frequency:
    code: str  # D, W, M
    pandas_freq: str  # frequency of the regular period-start index
    period: str  # pandas Period frequency used to bucket raw timestamps
    season_length: int  # main seasonal period in number of observations
    default_horizon: int


FREQUENCIES = {
    "D": Frequency("D", "D", "D", 7, 28),
    "W": Frequency("W", "W-MON", "W-SUN", 52, 12),
    "M": Frequency("M", "MS", "M", 12, 12),
}


def get_frequency(code: str) -> Frequency:
    try:
        return FREQUENCIES[code.upper()]
    except (KeyError, AttributeError):
        raise ValueError(f"unsupported frequency {code!r}: use one of {', '.join(FREQUENCIES)}") from None


def to_period_start(dates: pd.Series, freq: Frequency) -> pd.Series:
    """Bucket timestamps to the start of their period (day, Monday-starting week, month)."""
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates, format="mixed")  # strings with and without a time part
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)  # keep local wall-clock time
    return dates.dt.to_period(freq.period).dt.start_time


def prepare_series(
    df: pd.DataFrame,
    *,
    date_col: str = DATE_COL,
    value_col: str = VALUE_COL,
    series_col: str | None = SERIES_COL,
    freq: str = "D",
) -> pd.DataFrame:
    """Aggregate raw rows into regular series with columns (series_id, ds, y).

    ``series_col=None`` treats the whole table as one series called ``"total"``. Values are
    summed per period; gaps inside a series are zero-filled; rows with a missing date or value
    are dropped. Raises ``ValueError`` for non-numeric values.
    """
    frequency = get_frequency(freq)
    out = pd.DataFrame(
        {
            SERIES_COL: df[series_col].astype(str) if series_col else "total",
            DATE_COL: to_period_start(df[date_col], frequency),
            VALUE_COL: pd.to_numeric(df[value_col], errors="raise").astype(float),
        }
    ).dropna()
    out = out.groupby([SERIES_COL, DATE_COL], as_index=False)[VALUE_COL].sum()
    pieces = []
    for series_id, group in out.groupby(SERIES_COL, sort=True):
        index = pd.date_range(group[DATE_COL].min(), group[DATE_COL].max(), freq=frequency.pandas_freq)
        filled = group.set_index(DATE_COL)[VALUE_COL].reindex(index, fill_value=0.0)
        pieces.append(pd.DataFrame({SERIES_COL: series_id, DATE_COL: index, VALUE_COL: filled.to_numpy()}))
    if not pieces:
        return pd.DataFrame({SERIES_COL: pd.Series(dtype=object), DATE_COL: pd.Series(dtype="datetime64[ns]"),
                             VALUE_COL: pd.Series(dtype=float)})
    return pd.concat(pieces, ignore_index=True)


def future_dates(last_ds: pd.Timestamp, horizon: int, freq: str) -> pd.DatetimeIndex:
    """The ``horizon`` period starts following ``last_ds``."""
    frequency = get_frequency(freq)
    return pd.date_range(last_ds, periods=horizon + 1, freq=frequency.pandas_freq)[1:]


def check_regular(df: pd.DataFrame, freq: str) -> None:
    """Raise if a prepared frame is not regular (used to guard the public entry points)."""
    frequency = get_frequency(freq)
    missing = {SERIES_COL, DATE_COL, VALUE_COL} - set(df.columns)
    if missing:
        raise ValueError(f"forecast input lacks columns {sorted(missing)}; expected series_id, ds, y")
    for series_id, group in df.groupby(SERIES_COL):
        ds = pd.DatetimeIndex(group[DATE_COL])
        if ds.has_duplicates:
            raise ValueError(f"series {series_id!r} has duplicate ds values; aggregate first (prepare_series)")
        expected = pd.date_range(ds.min(), ds.max(), freq=frequency.pandas_freq)
        if len(expected) != len(ds) or not np.array_equal(expected.values, ds.sort_values().values):
            raise ValueError(
                f"series {series_id!r} is not a regular {freq} series of period starts; use prepare_series"
            )
