"""Bayesian effect test: Gaussian likelihood on the effect, optional Gaussian prior.

Data: estimate d ~ N(delta, v) (relative or absolute effect, see effects.py).
Prior: delta ~ N(m0, v0) when proper, else flat (improper).
Posterior (conjugate normal):  precision = 1/v + 1/v0,
                               mu = (d/v + m0/v0) / precision,  sigma^2 = 1/precision.

chance to win     P(delta > 0) = Phi(mu / sigma)         (P(delta < 0) if lower is better)
risk (expected loss, in effect units)
  of shipping the treatment  E[max(-delta, 0)] = sigma phi(mu/sigma) - mu Phi(-mu/sigma)
  of keeping the control     E[max(delta, 0)]  = sigma phi(mu/sigma) + mu Phi(mu/sigma)
  (roles of the two swap when lower is better)
credible interval  mu +/- z_{1-alpha/2} sigma

Same model as gbstats EffectBayesianABTest (GaussianPrior(mean, variance, proper)); the
risk formulas are the closed-form means of the truncated normal.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ml.experiments.effects import DifferenceType, effect_moments
from ml.experiments.frequentist import check_alpha
from ml.experiments.statistics import Statistic


@dataclass(frozen=True)
class GaussianPrior:
    """Prior on the effect (same scale as difference_type: relative lift by default)."""

    mean: float = 0.0
    variance: float = 1.0
    proper: bool = False

    def __post_init__(self):
        if self.proper and not (np.isfinite(self.variance) and self.variance > 0):
            raise ValueError(f"a proper prior needs a positive finite variance, got {self.variance!r}")
        if not np.isfinite(self.mean):
            raise ValueError(f"prior mean must be finite, got {self.mean!r}")


@dataclass(frozen=True)
class BayesianResult:
    estimate: np.ndarray          # posterior mean of the effect
    standard_error: np.ndarray    # posterior sd
    ci_low: np.ndarray
    ci_high: np.ndarray
    chance_to_win: np.ndarray
    risk_treatment: np.ndarray    # expected loss if the treatment is shipped
    risk_control: np.ndarray      # expected loss if the control is kept
    status: np.ndarray
    difference_type: str
    alpha: float


def gaussian_expected_positive_part(mu, sigma):
    """E[max(X, 0)] for X ~ N(mu, sigma^2)."""
    z = mu / sigma
    return sigma * stats.norm.pdf(z) + mu * stats.norm.cdf(z)


class EffectBayesABTest:
    def __init__(
        self,
        stat_a: Statistic,
        stat_b: Statistic,
        *,
        difference_type: DifferenceType = "relative",
        prior: GaussianPrior = GaussianPrior(),
        alpha: float = 0.05,
        higher_is_better: bool = True,
    ):
        check_alpha(alpha)
        self.alpha = alpha
        self.prior = prior
        self.difference_type = difference_type
        self.higher_is_better = higher_is_better
        self.moments = effect_moments(stat_a, stat_b, difference_type)

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        d, v = self.moments.estimate, self.moments.variance
        if not self.prior.proper:
            return d, np.sqrt(v)
        precision = 1.0 / v + 1.0 / self.prior.variance
        mu = (d / v + self.prior.mean / self.prior.variance) / precision
        return mu, np.sqrt(1.0 / precision)

    def compute_result(self) -> BayesianResult:
        with np.errstate(all="ignore"):
            mu, sigma = self.posterior()
            z = stats.norm.ppf(1 - self.alpha / 2)
            p_positive = stats.norm.sf(0, loc=mu, scale=sigma)
            loss_if_control = gaussian_expected_positive_part(mu, sigma)   # E[max(delta, 0)]
            loss_if_treatment = gaussian_expected_positive_part(-mu, sigma)  # E[max(-delta, 0)]
        if self.higher_is_better:
            chance, risk_t, risk_c = p_positive, loss_if_treatment, loss_if_control
        else:
            chance, risk_t, risk_c = 1 - p_positive, loss_if_control, loss_if_treatment
        return BayesianResult(
            estimate=np.asarray(mu)[()],
            standard_error=np.asarray(sigma)[()],
            ci_low=np.asarray(mu - z * sigma)[()],
            ci_high=np.asarray(mu + z * sigma)[()],
            chance_to_win=np.asarray(chance)[()],
            risk_treatment=np.asarray(risk_t)[()],
            risk_control=np.asarray(risk_c)[()],
            status=self.moments.status,
            difference_type=self.difference_type,
            alpha=self.alpha,
        )
