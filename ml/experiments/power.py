"""Planning: sample size for a minimum detectable effect (MDE), and MDE for a sample size.

The power calculation uses the variance of the estimator the analysis actually reports, so
plan and analysis agree (normal approximation, equal allocation, n units per arm):

  absolute effect:  Var = (s_a^2 + s_b^2) / n
  relative effect:  Var = (s_b^2 / a^2 + s_a^2 b^2 / a^4) / n      (delta method)

with a, b the control/treatment means and s^2 = p(1-p) for proportions.
Two-sided power  = Phi(|d|/se - z_{1-alpha/2}) + Phi(-|d|/se - z_{1-alpha/2});
sample size      n = (z_{1-alpha/2} + z_{power})^2 * n Var / d^2   (rounded up).
(Standard normal-approximation formulas; e.g. Chow, Shao & Wang, "Sample Size Calculations
in Clinical Research", ch. 3-4.)
"""
from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy import optimize, stats

MetricKind = Literal["proportion", "mean"]
Alternative = Literal["two-sided", "one-sided"]


def _check_common(baseline_mean, metric_type, baseline_sd, alpha, power=None, alternative="two-sided", relative=True):
    if metric_type not in ("proportion", "mean"):
        raise ValueError(f"metric_type must be 'proportion' or 'mean', got {metric_type!r}")
    if alternative not in ("two-sided", "one-sided"):
        raise ValueError(f"alternative must be 'two-sided' or 'one-sided', got {alternative!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if power is not None and not alpha < power < 1:
        raise ValueError(f"power must be in (alpha, 1), got {power!r}")
    if metric_type == "proportion":
        if not 0 < baseline_mean < 1:
            raise ValueError(f"baseline proportion must be in (0, 1), got {baseline_mean!r}")
    else:
        if baseline_sd is None or not baseline_sd > 0:
            raise ValueError(f"a mean metric needs a positive baseline_sd, got {baseline_sd!r}")
        if relative and baseline_mean == 0:
            raise ValueError("baseline mean is 0: use relative=False (relative lift is undefined)")


def _unit_variance(baseline_mean, absolute_effect, metric_type, baseline_sd, treatment_sd, relative) -> float:
    a = float(baseline_mean)
    b = a + float(absolute_effect)
    if metric_type == "proportion":
        if not 0 < b < 1:
            raise ValueError(f"treatment proportion {b:.6g} is outside (0, 1) for this effect")
        var_a, var_b = a * (1 - a), b * (1 - b)
    else:
        var_a = float(baseline_sd) ** 2
        var_b = float(treatment_sd if treatment_sd is not None else baseline_sd) ** 2
    if relative:
        return var_b / a**2 + var_a * b**2 / a**4
    return var_a + var_b


def _critical(alpha, alternative) -> float:
    return stats.norm.ppf(1 - alpha / 2) if alternative == "two-sided" else stats.norm.ppf(1 - alpha)


def _as_absolute(baseline_mean, effect, relative) -> float:
    return effect * baseline_mean if relative else effect


def power_at(
    n_per_arm: float,
    baseline_mean: float,
    effect: float,
    *,
    metric_type: MetricKind = "mean",
    baseline_sd: float | None = None,
    treatment_sd: float | None = None,
    relative: bool = True,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
) -> float:
    """Probability of a significant result in the direction of `effect` (relative lift if relative)."""
    _check_common(baseline_mean, metric_type, baseline_sd, alpha, None, alternative, relative)
    if not n_per_arm >= 2:
        raise ValueError(f"n_per_arm must be at least 2, got {n_per_arm!r}")
    v = _unit_variance(baseline_mean, _as_absolute(baseline_mean, effect, relative), metric_type,
                       baseline_sd, treatment_sd, relative)
    se = math.sqrt(v / n_per_arm)
    z = _critical(alpha, alternative)
    shift = abs(effect) / se
    if alternative == "two-sided":
        return float(stats.norm.cdf(shift - z) + stats.norm.cdf(-shift - z))
    return float(stats.norm.cdf(shift - z))


def sample_size_per_arm(
    baseline_mean: float,
    mde: float,
    *,
    metric_type: MetricKind = "mean",
    baseline_sd: float | None = None,
    treatment_sd: float | None = None,
    relative: bool = True,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: Alternative = "two-sided",
) -> int:
    """Units per arm to detect `mde` (relative lift if relative, else absolute) with `power`."""
    _check_common(baseline_mean, metric_type, baseline_sd, alpha, power, alternative, relative)
    if mde == 0 or not np.isfinite(mde):
        raise ValueError(f"mde must be a non-zero finite number, got {mde!r}")
    v = _unit_variance(baseline_mean, _as_absolute(baseline_mean, mde, relative), metric_type,
                       baseline_sd, treatment_sd, relative)
    z_total = _critical(alpha, alternative) + stats.norm.ppf(power)
    return max(2, math.ceil(z_total**2 * v / mde**2))


def minimum_detectable_effect(
    n_per_arm: float,
    baseline_mean: float,
    *,
    metric_type: MetricKind = "mean",
    baseline_sd: float | None = None,
    treatment_sd: float | None = None,
    relative: bool = True,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: Alternative = "two-sided",
) -> float:
    """Smallest positive effect (relative if relative) detected with `power` at n per arm."""
    _check_common(baseline_mean, metric_type, baseline_sd, alpha, power, alternative, relative)
    if not n_per_arm >= 2:
        raise ValueError(f"n_per_arm must be at least 2, got {n_per_arm!r}")
    kwargs = dict(metric_type=metric_type, baseline_sd=baseline_sd, treatment_sd=treatment_sd,
                  relative=relative, alpha=alpha, alternative=alternative)

    def gap(effect: float) -> float:
        return power_at(n_per_arm, baseline_mean, effect, **kwargs) - power

    if metric_type == "proportion":
        # The treatment proportion must stay below 1.
        upper_abs = (1 - baseline_mean) * (1 - 1e-9)
        upper = upper_abs / baseline_mean if relative else upper_abs
        if gap(upper) < 0:
            raise ValueError(
                f"no effect up to a treatment proportion of 1 reaches power {power} with n={n_per_arm} per arm"
            )
    else:
        upper = 1.0
        while gap(upper) < 0:
            upper *= 2
    lower = upper * 1e-12
    return float(optimize.brentq(gap, lower, upper, xtol=1e-12, rtol=1e-10))
