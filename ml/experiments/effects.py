"""Point estimate and variance of the treatment effect (absolute or relative).

absolute:  delta = mean_b - mean_a,  Var = var_a / n_a + var_b / n_b
relative:  r = delta / u_a  (u_a = unadjusted control mean), first-order delta method:
  Var(r) = Var(delta)/u_a^2 + delta^2 Var(u_a)/u_a^4 - 2 delta Cov(delta, u_a)/u_a^3
  with Var(u_a) = unadjusted_var_a / n_a and Cov(delta, u_a) = -adjusted_unadjusted_cov_a / n_a.
Without CUPED this reduces to the familiar var_b/(n_b u_a^2) + var_a u_b^2/(n_a u_a^4)
(gbstats `frequentist_variance`, relative case).

Welch-Satterthwaite degrees of freedom from the per-arm variances are used by every t test.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ml.experiments.statistics import Statistic, as_float, safe_divide
from ml.experiments.status import ResultStatus, first_failure

DifferenceType = Literal["relative", "absolute"]
DIFFERENCE_TYPES = ("relative", "absolute")


def check_difference_type(difference_type: str) -> None:
    if difference_type not in DIFFERENCE_TYPES:
        raise ValueError(f"difference_type must be one of {DIFFERENCE_TYPES}, got {difference_type!r}")


@dataclass(frozen=True)
class EffectMoments:
    estimate: np.ndarray
    variance: np.ndarray
    df: np.ndarray
    n_total: np.ndarray
    status: np.ndarray  # ResultStatus per element

    @property
    def ok(self) -> np.ndarray:
        return np.asarray(self.status == ResultStatus.OK, dtype=bool)[()]

    @property
    def standard_error(self) -> np.ndarray:
        return np.sqrt(np.maximum(as_float(self.variance), 0.0))[()]


def welch_satterthwaite_df(stat_a: Statistic, stat_b: Statistic) -> np.ndarray:
    """(s_a^2/n_a + s_b^2/n_b)^2 / ((s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1))."""
    n_a, n_b = as_float(stat_a.n), as_float(stat_b.n)
    va = safe_divide(stat_a.variance, n_a)
    vb = safe_divide(stat_b.variance, n_b)
    den = safe_divide(va**2, n_a - 1) + safe_divide(vb**2, n_b - 1)
    return safe_divide((va + vb) ** 2, den)


def effect_moments(stat_a: Statistic, stat_b: Statistic, difference_type: DifferenceType = "relative") -> EffectMoments:
    """Effect of b (treatment) over a (control) with its variance and a status per element."""
    check_difference_type(difference_type)
    n_a, n_b = as_float(stat_a.n), as_float(stat_b.n)
    with np.errstate(all="ignore"):
        delta = as_float(stat_b.mean) - as_float(stat_a.mean)
        var_delta = safe_divide(stat_a.variance, n_a) + safe_divide(stat_b.variance, n_b)
        baseline = as_float(stat_a.unadjusted_mean)
        if difference_type == "absolute":
            estimate, variance = delta, var_delta
        else:
            var_baseline = safe_divide(stat_a.unadjusted_variance, n_a)
            cov_delta_baseline = -safe_divide(stat_a.adjusted_unadjusted_cov, n_a)
            estimate = safe_divide(delta, baseline)
            variance = (
                safe_divide(var_delta, baseline**2)
                + safe_divide(delta**2 * var_baseline, baseline**4)
                - 2 * safe_divide(delta * cov_delta_baseline, baseline**3)
            )
        df = welch_satterthwaite_df(stat_a, stat_b)
    shape = np.broadcast(n_a, n_b, estimate).shape
    per_unit_var_zero = (np.nan_to_num(as_float(stat_a.variance)) <= 0) & (np.nan_to_num(as_float(stat_b.variance)) <= 0)
    status = first_failure(
        [
            (ResultStatus.NO_EXPOSURES, (n_a <= 0) | (n_b <= 0)),
            (ResultStatus.TOO_FEW_UNITS, (n_a < 2) | (n_b < 2)),
            (ResultStatus.ZERO_DENOMINATOR, np.asarray(stat_a.undefined) | np.asarray(stat_b.undefined)),
            (ResultStatus.ZERO_VARIANCE, per_unit_var_zero),
            (ResultStatus.BASELINE_ZERO, (difference_type == "relative") & (baseline == 0)),
            (ResultStatus.NOT_FINITE, ~np.isfinite(estimate) | ~np.isfinite(variance) | ~(variance > 0)),
        ],
        shape,
    )
    ok = status == ResultStatus.OK
    # Elements without a valid status carry NaN: never a number that looks real.
    return EffectMoments(
        estimate=np.where(ok, estimate, np.nan)[()],
        variance=np.where(ok, variance, np.nan)[()],
        df=np.where(ok, np.broadcast_to(df, shape), np.nan)[()],
        n_total=np.broadcast_to(n_a + n_b, shape)[()],
        status=status[()],
    )
