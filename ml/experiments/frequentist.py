"""Fixed-horizon frequentist tests: Welch t tests on the absolute or relative effect.

t = estimate / se, df by Welch-Satterthwaite (see effects.py), p-values and intervals from
Student's t. For proportions the same machinery is a Wald z test in all but name (df is in
the thousands); for absolute effects on per-user data it is exactly
scipy.stats.ttest_ind(equal_var=False).

Class layout after gbstats frequentist/tests.py (TwoSidedTTest,
OneSidedTreatmentGreaterTTest, OneSidedTreatmentLesserTTest).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ml.experiments.effects import DifferenceType, EffectMoments, effect_moments
from ml.experiments.statistics import Statistic


@dataclass(frozen=True)
class FrequentistResult:
    estimate: np.ndarray
    standard_error: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    df: np.ndarray
    status: np.ndarray
    difference_type: str
    alpha: float


def check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")


class TTest(ABC):
    def __init__(
        self,
        stat_a: Statistic,
        stat_b: Statistic,
        *,
        difference_type: DifferenceType = "relative",
        alpha: float = 0.05,
    ):
        """stat_a is the control, stat_b the treatment; alpha sets the interval level."""
        check_alpha(alpha)
        self.alpha = alpha
        self.difference_type = difference_type
        self.moments: EffectMoments = effect_moments(stat_a, stat_b, difference_type)

    @property
    def t_statistic(self) -> np.ndarray:
        return (self.moments.estimate / self.moments.standard_error)[()]

    @abstractmethod
    def _p_value(self) -> np.ndarray: ...

    @abstractmethod
    def _interval(self) -> tuple[np.ndarray, np.ndarray]: ...

    def compute_result(self) -> FrequentistResult:
        with np.errstate(all="ignore"):
            low, high = self._interval()
            p_value = self._p_value()
        return FrequentistResult(
            estimate=self.moments.estimate,
            standard_error=self.moments.standard_error,
            ci_low=np.asarray(low)[()],
            ci_high=np.asarray(high)[()],
            p_value=np.asarray(p_value)[()],
            df=self.moments.df,
            status=self.moments.status,
            difference_type=self.difference_type,
            alpha=self.alpha,
        )


class TwoSidedTTest(TTest):
    def _p_value(self):
        return 2 * stats.t.sf(np.abs(self.t_statistic), self.moments.df)

    def _interval(self):
        width = stats.t.ppf(1 - self.alpha / 2, self.moments.df) * self.moments.standard_error
        return self.moments.estimate - width, self.moments.estimate + width


class OneSidedTreatmentGreaterTTest(TTest):
    """H1: treatment > control. Interval [estimate - t_{1-alpha} se, +inf)."""

    def _p_value(self):
        return stats.t.sf(self.t_statistic, self.moments.df)

    def _interval(self):
        width = stats.t.ppf(1 - self.alpha, self.moments.df) * self.moments.standard_error
        high = np.where(np.isnan(self.moments.estimate), np.nan, np.inf)
        return self.moments.estimate - width, high


class OneSidedTreatmentLesserTTest(TTest):
    """H1: treatment < control. Interval (-inf, estimate + t_{1-alpha} se]."""

    def _p_value(self):
        return stats.t.cdf(self.t_statistic, self.moments.df)

    def _interval(self):
        width = stats.t.ppf(1 - self.alpha, self.moments.df) * self.moments.standard_error
        low = np.where(np.isnan(self.moments.estimate), np.nan, -np.inf)
        return low, self.moments.estimate + width
