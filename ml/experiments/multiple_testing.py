"""Multiple-comparison adjustments for A/B/n tests (every variant vs control).

Holm (1979) step-down, controls the family-wise error rate:
  sorted p_(1) <= ... <= p_(m):  adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))
Benjamini & Hochberg (1995) step-up, controls the false discovery rate:
  adj_(i) = min_{j >= i} min(1, m p_(j) / j)
NaN p-values (comparisons without a result) are left out of m and stay NaN.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _valid(p) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float)
    if p.ndim != 1:
        raise ValueError("p-values must be a 1-D array")
    valid = ~np.isnan(p)
    if ((p[valid] < 0) | (p[valid] > 1)).any():
        raise ValueError(f"p-values must lie in [0, 1], got {p.tolist()}")
    return p, valid


def holm_bonferroni(p_values) -> np.ndarray:
    p, valid = _valid(p_values)
    out = np.full(p.shape, np.nan)
    pv = p[valid]
    m = pv.size
    if m:
        order = np.argsort(pv, kind="stable")
        stepped = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * pv[order]))
        adjusted = np.empty(m)
        adjusted[order] = stepped
        out[valid] = adjusted
    return out


def benjamini_hochberg(p_values) -> np.ndarray:
    p, valid = _valid(p_values)
    out = np.full(p.shape, np.nan)
    pv = p[valid]
    m = pv.size
    if m:
        order = np.argsort(pv, kind="stable")
        scaled = pv[order] * m / np.arange(1, m + 1)
        stepped = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
        adjusted = np.empty(m)
        adjusted[order] = stepped
        out[valid] = adjusted
    return out


def _grouped(p_values, groups, method: str) -> np.ndarray:
    """Holm or BH within each group in one vectorised pass (thousands of experiments)."""
    p = np.asarray(p_values, dtype=float)
    codes = pd.factorize(pd.Series(np.asarray(groups, dtype=object)).astype(str))[0]
    if codes.shape != p.shape:
        raise ValueError("p_values and groups must have the same length")
    out = np.full(p.shape, np.nan)
    valid = ~np.isnan(p)
    if not valid.any():
        return out
    pv, gv = p[valid], np.asarray(codes)[valid]
    order = np.lexsort((pv, gv))  # by group, then ascending p
    ps, gs = pv[order], gv[order]
    frame = pd.DataFrame({"g": gs})
    rank = frame.groupby("g").cumcount().to_numpy()  # 0-based rank within group
    m = frame.groupby("g")["g"].transform("size").to_numpy()
    if method == "holm":
        stepped = pd.Series(np.minimum(1.0, (m - rank) * ps)).groupby(gs).cummax().to_numpy()
    else:
        scaled = pd.Series(ps * m / (rank + 1))
        reversed_min = scaled[::-1].groupby(gs[::-1]).cummin()[::-1]
        stepped = np.minimum(1.0, reversed_min.to_numpy())
    adjusted = np.empty(pv.size)
    adjusted[order] = stepped
    out[valid] = adjusted
    return out


def grouped_holm_bonferroni(p_values, groups) -> np.ndarray:
    return _grouped(p_values, groups, "holm")


def grouped_benjamini_hochberg(p_values, groups) -> np.ndarray:
    return _grouped(p_values, groups, "bh")
