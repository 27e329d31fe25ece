"""Sufficient statistics of one experiment arm for one metric.

Each class does one job: turn sums (n, sum, sum of squares, cross products) into the
per-unit mean and variance that the tests need. Fields may be Python floats or numpy arrays
(one element per comparison); all arithmetic is elementwise, so the same classes serve one
comparison in a unit test and 10,000 comparisons in the warehouse job.

Every statistic exposes the same interface, used by `effects.effect_moments`:
  n                         units (users) in the arm
  mean                      per-unit estimate (regression adjusted for CUPED)
  variance                  per-unit variance of that estimate's influence function,
                            so Var(mean) = variance / n
  unadjusted_mean           plain mean (the baseline for relative lift)
  unadjusted_variance       per-unit variance of the plain mean
  adjusted_unadjusted_cov   per-unit covariance of the adjusted and plain estimators
  undefined                 True where the mean itself is undefined (ratio with 0 denominator)

Layout after GrowthBook gbstats (packages/stats/gbstats/models/statistics.py); the CUPED
theta is pooled *within* arms here so the adjusted difference equals the OLS/ANCOVA
coefficient exactly (see README).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Union

import numpy as np

ArrayLike = Union[float, int, np.ndarray]


def as_float(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float)


def safe_divide(numerator: ArrayLike, denominator: ArrayLike) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0 (no warnings)."""
    num, den = np.broadcast_arrays(as_float(numerator), as_float(denominator))
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out[()]


def _sample_covariance(n, sum_x, sum_y, sum_xy) -> np.ndarray:
    """Unbiased covariance from sums (n - 1 denominator); NaN where n < 2."""
    n = as_float(n)
    centred = as_float(sum_xy) - np.nan_to_num(safe_divide(as_float(sum_x) * as_float(sum_y), n))
    return safe_divide(centred, np.where(n >= 2, n - 1, 0))


def _variance_from_sums(n, total, sum_squares) -> np.ndarray:
    """Unbiased variance from sums, clipped at 0 against floating-point cancellation."""
    return np.maximum(_sample_covariance(n, total, total, sum_squares), 0.0)[()]


@dataclass(frozen=True)
class SampleMeanStatistic:
    """A metric with an arbitrary per-user value (revenue per user, sessions per user)."""

    n: ArrayLike
    sum: ArrayLike
    sum_squares: ArrayLike

    @classmethod
    def from_values(cls, values) -> "SampleMeanStatistic":
        x = as_float(values)
        return cls(n=x.size, sum=float(x.sum()), sum_squares=float(np.dot(x, x)))

    @property
    def mean(self) -> np.ndarray:
        return safe_divide(self.sum, self.n)

    @property
    def variance(self) -> np.ndarray:
        return _variance_from_sums(self.n, self.sum, self.sum_squares)

    unadjusted_mean = mean
    unadjusted_variance = variance
    adjusted_unadjusted_cov = variance

    @property
    def undefined(self) -> np.ndarray:
        return np.zeros(np.shape(as_float(self.n)), dtype=bool)[()]


@dataclass(frozen=True)
class ProportionStatistic:
    """A 0/1 metric (conversion). Variance p(1 - p) as in the Wald / z test for proportions."""

    n: ArrayLike
    sum: ArrayLike

    @classmethod
    def from_values(cls, values) -> "ProportionStatistic":
        x = as_float(values)
        if x.size and not np.isin(x, (0.0, 1.0)).all():
            raise ValueError("ProportionStatistic.from_values needs 0/1 values")
        return cls(n=x.size, sum=float(x.sum()))

    @property
    def sum_squares(self) -> ArrayLike:
        return self.sum

    @property
    def mean(self) -> np.ndarray:
        return safe_divide(self.sum, self.n)

    @property
    def variance(self) -> np.ndarray:
        p = self.mean
        return (p * (1.0 - p))[()]

    unadjusted_mean = mean
    unadjusted_variance = variance
    adjusted_unadjusted_cov = variance

    @property
    def undefined(self) -> np.ndarray:
        return np.zeros(np.shape(as_float(self.n)), dtype=bool)[()]


@dataclass(frozen=True)
class RatioStatistic:
    """Ratio of two per-user sums (revenue / sessions), variance by the delta method.

    mean = M / D (sums over users); per-unit variance
      var_m / d^2 - 2 m cov_md / d^3 + m^2 var_d / d^4   (m, d = per-user means)
    Deng, Knoblich & Lu (2018) "Applying the Delta Method in Metric Analytics", KDD.
    """

    n: ArrayLike
    m_statistic: SampleMeanStatistic
    d_statistic: SampleMeanStatistic
    m_d_sum_of_products: ArrayLike

    @classmethod
    def from_values(cls, numerator, denominator) -> "RatioStatistic":
        m, d = as_float(numerator), as_float(denominator)
        if m.shape != d.shape:
            raise ValueError("numerator and denominator must have the same length")
        return cls(
            n=m.size,
            m_statistic=SampleMeanStatistic.from_values(m),
            d_statistic=SampleMeanStatistic.from_values(d),
            m_d_sum_of_products=float(np.dot(m, d)),
        )

    @property
    def mean(self) -> np.ndarray:
        return safe_divide(self.m_statistic.sum, self.d_statistic.sum)

    @property
    def covariance(self) -> np.ndarray:
        return _sample_covariance(self.n, self.m_statistic.sum, self.d_statistic.sum, self.m_d_sum_of_products)

    @property
    def variance(self) -> np.ndarray:
        m, d = self.m_statistic.mean, self.d_statistic.mean
        var = (
            safe_divide(self.m_statistic.variance, d**2)
            - 2 * safe_divide(m * self.covariance, d**3)
            + safe_divide(m**2 * self.d_statistic.variance, d**4)
        )
        return np.maximum(var, 0.0)[()]

    unadjusted_mean = mean
    unadjusted_variance = variance
    adjusted_unadjusted_cov = variance

    @property
    def undefined(self) -> np.ndarray:
        return (as_float(self.d_statistic.sum) == 0)[()]


@dataclass(frozen=True)
class RegressionAdjustedStatistic:
    """CUPED: post-period metric Y adjusted by a pre-period covariate X.

    adjusted mean = mean(Y) - theta * mean(X); per-unit variance
      var(Y) + theta^2 var(X) - 2 theta cov(Y, X)
    Deng, Xu, Kohavi & Walker (2013) "Improving the Sensitivity of Online Controlled
    Experiments by Utilizing Pre-Experiment Data", WSDM. theta comes from `pooled_theta`.
    """

    n: ArrayLike
    post_statistic: SampleMeanStatistic
    pre_statistic: SampleMeanStatistic
    post_pre_sum_of_products: ArrayLike
    theta: ArrayLike = 0.0

    @classmethod
    def from_values(cls, post, pre, theta: ArrayLike = 0.0) -> "RegressionAdjustedStatistic":
        y, x = as_float(post), as_float(pre)
        if y.shape != x.shape:
            raise ValueError("post and pre values must have the same length")
        return cls(
            n=y.size,
            post_statistic=SampleMeanStatistic.from_values(y),
            pre_statistic=SampleMeanStatistic.from_values(x),
            post_pre_sum_of_products=float(np.dot(y, x)),
            theta=theta,
        )

    def with_theta(self, theta: ArrayLike) -> "RegressionAdjustedStatistic":
        return replace(self, theta=theta)

    @property
    def covariance(self) -> np.ndarray:
        return _sample_covariance(
            self.n, self.post_statistic.sum, self.pre_statistic.sum, self.post_pre_sum_of_products
        )

    @property
    def mean(self) -> np.ndarray:
        return (self.post_statistic.mean - as_float(self.theta) * self.pre_statistic.mean)[()]

    @property
    def variance(self) -> np.ndarray:
        theta = as_float(self.theta)
        var = (
            self.post_statistic.variance
            + theta**2 * self.pre_statistic.variance
            - 2 * theta * self.covariance
        )
        return np.maximum(var, 0.0)[()]

    @property
    def unadjusted_mean(self) -> np.ndarray:
        return self.post_statistic.mean

    @property
    def unadjusted_variance(self) -> np.ndarray:
        return self.post_statistic.variance

    @property
    def adjusted_unadjusted_cov(self) -> np.ndarray:
        return (self.post_statistic.variance - as_float(self.theta) * self.covariance)[()]

    @property
    def undefined(self) -> np.ndarray:
        return np.zeros(np.shape(as_float(self.n)), dtype=bool)[()]


Statistic = Union[SampleMeanStatistic, ProportionStatistic, RatioStatistic, RegressionAdjustedStatistic]


def pooled_theta(a: RegressionAdjustedStatistic, b: RegressionAdjustedStatistic) -> np.ndarray:
    """CUPED coefficient pooled within arms: sum_k S_xy,k / sum_k S_xx,k.

    With this theta the adjusted difference (Yb - Ya) - theta (Xb - Xa) is exactly the
    treatment coefficient of OLS  y ~ treatment + x. 0 where X has no variance."""

    def centred(stat: RegressionAdjustedStatistic):
        n = as_float(stat.n)
        sxy = as_float(stat.post_pre_sum_of_products) - np.nan_to_num(
            safe_divide(as_float(stat.post_statistic.sum) * as_float(stat.pre_statistic.sum), n)
        )
        sxx = as_float(stat.pre_statistic.sum_squares) - np.nan_to_num(
            safe_divide(as_float(stat.pre_statistic.sum) ** 2, n)
        )
        return sxy, np.maximum(sxx, 0.0)

    sxy_a, sxx_a = centred(a)
    sxy_b, sxx_b = centred(b)
    den = sxx_a + sxx_b
    # Relative tolerance: a covariate that is constant up to rounding gets no adjustment.
    scale = np.abs(as_float(a.pre_statistic.sum_squares)) + np.abs(as_float(b.pre_statistic.sum_squares))
    usable = den > 1e-12 * np.maximum(scale, 1e-300)
    return np.where(usable, safe_divide(sxy_a + sxy_b, np.where(usable, den, 1.0)), 0.0)[()]
