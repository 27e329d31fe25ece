"""Always-valid inference: the Gaussian-mixture confidence sequence.

With N = n_a + n_b units, per-unit variance s^2 = se^2 * N (se of the effect estimate) and
mixing parameter rho, the two-sided (1 - alpha) confidence sequence is

    estimate +/- s * sqrt( 2 (N rho^2 + 1) / (N rho)^2 * log( sqrt(N rho^2 + 1) / alpha ) )

and the always-valid p-value is min(1, 1 / E) with the mixture e-value

    E = exp( rho^2 S / (2 (N rho^2 + 1)) ) / sqrt(N rho^2 + 1),   S = N estimate^2 / se^2.

rho is chosen so the sequence is tightest at N = tuning_parameter (Howard, Ramdas,
McAuliffe & Sekhon 2021, "Time-uniform, nonparametric, nonasymptotic confidence
sequences", eq. for the normal mixture; Waudby-Smith et al. 2023 arXiv:2103.06476 eq. 155):

    rho = sqrt( (-2 log alpha + log(-2 log alpha + 1)) / tuning_parameter )

Same parametrisation as gbstats SequentialTwoSidedTTest (default tuning 5000). The interval
and p-value are dual: 0 lies outside the interval exactly when p < alpha. Because the
guarantee holds uniformly over time, results may be looked at after every new exposure.
"""
from __future__ import annotations

import numpy as np

from ml.experiments.effects import DifferenceType, effect_moments
from ml.experiments.frequentist import FrequentistResult, check_alpha
from ml.experiments.statistics import Statistic

DEFAULT_TUNING_PARAMETER = 5000.0


def sequential_rho(alpha: float, tuning_parameter: float) -> float:
    if tuning_parameter <= 0:
        raise ValueError(f"sequential tuning parameter must be positive, got {tuning_parameter!r}")
    return float(np.sqrt((-2 * np.log(alpha) + np.log(-2 * np.log(alpha) + 1)) / tuning_parameter))


def sequential_halfwidth(s2, n, alpha: float, rho: float) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    nr2 = n * rho**2
    return np.sqrt(s2 * 2 * (nr2 + 1) / (n * rho) ** 2 * np.log(np.sqrt(nr2 + 1) / alpha))


class SequentialTwoSidedTTest:
    def __init__(
        self,
        stat_a: Statistic,
        stat_b: Statistic,
        *,
        difference_type: DifferenceType = "relative",
        alpha: float = 0.05,
        tuning_parameter: float = DEFAULT_TUNING_PARAMETER,
    ):
        check_alpha(alpha)
        self.alpha = alpha
        self.difference_type = difference_type
        self.tuning_parameter = tuning_parameter
        self.rho = sequential_rho(alpha, tuning_parameter)
        self.moments = effect_moments(stat_a, stat_b, difference_type)

    def compute_result(self) -> FrequentistResult:
        m = self.moments
        n = np.asarray(m.n_total, dtype=float)
        with np.errstate(all="ignore"):
            s2 = m.variance * n
            width = sequential_halfwidth(s2, n, self.alpha, self.rho)
            nr2p1 = n * self.rho**2 + 1
            signal = n * m.estimate**2 / m.variance  # S = N estimate^2 / se^2
            log_e = self.rho**2 * signal / (2 * nr2p1) - 0.5 * np.log(nr2p1)
            p_value = np.minimum(1.0, np.exp(-log_e))
        return FrequentistResult(
            estimate=m.estimate,
            standard_error=m.standard_error,
            ci_low=np.asarray(m.estimate - width)[()],
            ci_high=np.asarray(m.estimate + width)[()],
            p_value=np.where(np.isnan(m.estimate), np.nan, p_value)[()],
            df=np.where(np.isnan(m.estimate), np.nan, np.inf)[()],
            status=m.status,
            difference_type=self.difference_type,
            alpha=self.alpha,
        )
