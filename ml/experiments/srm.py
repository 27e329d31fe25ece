"""Sample ratio mismatch: chi-square goodness of fit of exposures vs planned traffic weights.

chi2 = sum_k (n_k - N w_k)^2 / (N w_k),  df = K - 1,  p = P(chi2_{K-1} > chi2).
A p-value below the threshold (default 0.001, as GrowthBook and Kohavi et al. 2020
"Trustworthy Online Controlled Experiments" ch. 21 recommend) marks the experiment's results
untrustworthy: the assignment or logging is broken, so effect estimates may be biased.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

DEFAULT_SRM_THRESHOLD = 0.001

SRM_OK = "ok"
SRM_MISMATCH = "mismatch"
SRM_NOT_CHECKED = "not_checked"  # fewer than 2 variants or no exposures at all


@dataclass(frozen=True)
class SrmResult:
    chi_square: float
    p_value: float
    status: str
    expected: np.ndarray

    @property
    def trustworthy(self) -> bool:
        return self.status != SRM_MISMATCH


def normalised_weights(counts: np.ndarray, weights=None) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    if weights is None:
        return np.full(counts.shape, 1.0 / counts.size)
    w = np.asarray(weights, dtype=float)
    if w.shape != counts.shape:
        raise ValueError(f"{w.size} traffic weights given for {counts.size} variants")
    if not np.isfinite(w).all() or (w <= 0).any():
        raise ValueError(f"traffic weights must be positive and finite, got {w.tolist()}")
    return w / w.sum()


def srm_test(counts, weights=None, threshold: float = DEFAULT_SRM_THRESHOLD) -> SrmResult:
    """counts: exposures per variant; weights: planned traffic shares (default equal)."""
    counts = np.asarray(counts, dtype=float)
    if (counts < 0).any() or not np.isfinite(counts).all():
        raise ValueError(f"exposure counts must be finite and non-negative, got {counts.tolist()}")
    w = normalised_weights(counts, weights)
    total = counts.sum()
    expected = total * w
    if counts.size < 2 or total <= 0:
        return SrmResult(np.nan, np.nan, SRM_NOT_CHECKED, expected)
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    p = float(stats.chi2.sf(chi2, counts.size - 1))
    return SrmResult(chi2, p, SRM_MISMATCH if p < threshold else SRM_OK, expected)
