"""Bayesian effect test: gbstats published values, conjugate closed form, Monte Carlo.

Monte Carlo tolerances: 400,000 posterior draws give a standard error below 0.001 for the
chance to win and below 2% (relative) for the risks; we allow 0.003 and 3%."""
import numpy as np
import pytest
from scipy import stats

from ml.experiments.bayesian import EffectBayesABTest, GaussianPrior
from ml.experiments.frequentist import TwoSidedTTest
from ml.experiments.statistics import ProportionStatistic, SampleMeanStatistic
from ml.experiments.status import ResultStatus

A = SampleMeanStatistic(sum=100, sum_squares=1002.25, n=10)
B = SampleMeanStatistic(sum=105, sum_squares=1111.5, n=10)


def rounded(result):
    return {k: round(float(getattr(result, k)), 5) for k in
            ("estimate", "ci_low", "ci_high", "standard_error", "chance_to_win", "risk_control", "risk_treatment")}


class TestEffectBayesABTest:
    def test_flat_prior_matches_gbstats_published_values(self):
        got = rounded(EffectBayesABTest(A, B).compute_result())
        assert got == dict(estimate=0.05, ci_low=-0.02, ci_high=0.12, standard_error=0.03572,
                           chance_to_win=0.91923, risk_control=0.05131, risk_treatment=0.00131)

    def test_informative_prior_matches_gbstats_published_values(self):
        prior = GaussianPrior(mean=0.1, variance=0.1, proper=True)
        got = rounded(EffectBayesABTest(A, B, prior=prior).compute_result())
        assert got == dict(estimate=0.05063, ci_low=-0.01893, ci_high=0.12019, standard_error=0.03549,
                           chance_to_win=0.92315, risk_control=0.05186, risk_treatment=0.00123)

    def test_proportions_match_gbstats_published_values(self):
        got = rounded(EffectBayesABTest(ProportionStatistic(100, 49), ProportionStatistic(100, 51)).compute_result())
        assert got == dict(estimate=0.04082, ci_low=-0.24779, ci_high=0.32943, standard_error=0.14725,
                           chance_to_win=0.60918, risk_control=0.0814, risk_treatment=0.04058)

    def test_posterior_is_the_conjugate_normal_update(self):
        data = TwoSidedTTest(A, B).compute_result()  # likelihood N(estimate, se^2)
        d, v = float(data.estimate), float(data.standard_error) ** 2
        m0, v0 = -0.02, 0.004
        r = EffectBayesABTest(A, B, prior=GaussianPrior(m0, v0, proper=True)).compute_result()
        assert r.estimate == pytest.approx((d * v0 + m0 * v) / (v + v0), rel=1e-12)
        assert r.standard_error ** 2 == pytest.approx(v * v0 / (v + v0), rel=1e-12)

    def test_chance_to_win_and_risk_match_monte_carlo(self, rng):
        r = EffectBayesABTest(A, B, prior=GaussianPrior(0.0, 0.01, proper=True)).compute_result()
        draws = rng.normal(r.estimate, r.standard_error, 400_000)
        assert r.chance_to_win == pytest.approx(np.mean(draws > 0), abs=0.003)
        assert r.risk_treatment == pytest.approx(np.mean(np.maximum(-draws, 0)), rel=0.03)
        assert r.risk_control == pytest.approx(np.mean(np.maximum(draws, 0)), rel=0.03)
        lo, hi = np.quantile(draws, [0.025, 0.975])
        assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), abs=0.002)

    def test_lower_is_better_swaps_win_and_risk(self):
        up = EffectBayesABTest(A, B).compute_result()
        down = EffectBayesABTest(A, B, higher_is_better=False).compute_result()
        assert down.chance_to_win == pytest.approx(1 - up.chance_to_win)
        assert (down.risk_treatment, down.risk_control) == pytest.approx((up.risk_control, up.risk_treatment))

    def test_flat_prior_chance_to_win_is_one_minus_one_sided_p(self):
        # Known identity under a flat prior and a normal likelihood.
        r = EffectBayesABTest(A, B).compute_result()
        z = float(r.estimate / r.standard_error)
        assert r.chance_to_win == pytest.approx(stats.norm.cdf(z), rel=1e-12)

    def test_empty_arms_are_reported_not_computed(self):
        empty = SampleMeanStatistic(0, 0, 0)
        r = EffectBayesABTest(empty, empty).compute_result()
        assert r.status == ResultStatus.NO_EXPOSURES
        assert np.isnan(r.chance_to_win)

    def test_improper_informative_prior_is_rejected(self):
        with pytest.raises(ValueError, match="variance"):
            GaussianPrior(mean=0.0, variance=0.0, proper=True)
