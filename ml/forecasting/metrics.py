"""Point-forecast error metrics.

All functions return fractions (0.12 means 12 %), never percentages, and ``nan`` when the
metric is undefined for the data (e.g. WAPE of an all-zero actual series).
"""

from __future__ import annotations

import numpy as np


def _arrays(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float)
    f = np.asarray(y_pred, dtype=float)
    if y.shape != f.shape:
        raise ValueError(f"y_true has shape {y.shape} but y_pred has shape {f.shape}")
    return y, f


def wape(y_true, y_pred) -> float:
    """Weighted absolute percentage error: sum|y - f| / sum|y|."""
    y, f = _arrays(y_true, y_pred)
    denominator = np.abs(y).sum()
    return float(np.abs(y - f).sum() / denominator) if denominator > 0 else float("nan")


def mape(y_true, y_pred) -> float:
    """Mean absolute percentage error over the points whose actual is non-zero.

    Zero actuals are skipped (the ratio is undefined there); ``nan`` if every actual is zero.
    """
    y, f = _arrays(y_true, y_pred)
    nonzero = y != 0
    if not nonzero.any():
        return float("nan")
    return float(np.mean(np.abs(y[nonzero] - f[nonzero]) / np.abs(y[nonzero])))


def smape(y_true, y_pred) -> float:
    """Symmetric MAPE: mean of 2|y - f| / (|y| + |f|), in [0, 2]; a point where both are 0 scores 0."""
    y, f = _arrays(y_true, y_pred)
    if y.size == 0:
        return float("nan")
    denominator = np.abs(y) + np.abs(f)
    ratio = np.divide(2 * np.abs(y - f), denominator, out=np.zeros_like(y), where=denominator > 0)
    return float(ratio.mean())


def seasonal_naive_scale(y_train, season_length: int) -> float:
    """In-sample mean absolute error of the seasonal-naive forecast (the MASE denominator).

    Falls back to the one-step naive forecast when the history is not longer than one season.
    """
    y = np.asarray(y_train, dtype=float)
    m = season_length if y.size > season_length else 1
    if y.size <= m:
        return float("nan")
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def mase(y_true, y_pred, y_train, season_length: int) -> float:
    """Mean absolute scaled error: MAE of the forecast / in-sample MAE of seasonal naive."""
    y, f = _arrays(y_true, y_pred)
    scale = seasonal_naive_scale(y_train, season_length)
    if not np.isfinite(scale) or scale == 0 or y.size == 0:
        return float("nan")
    return float(np.mean(np.abs(y - f)) / scale)
