"""Statistic classes: means and variances from sums equal the direct numpy computation."""
import numpy as np
import pytest

from ml.experiments.statistics import (
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    pooled_theta,
)


class TestSampleMeanStatistic:
    def test_mean_and_unbiased_variance_match_numpy(self, rng):
        x = rng.gamma(2.0, 15.0, 1234)
        stat = SampleMeanStatistic.from_values(x)
        assert stat.n == 1234
        assert stat.mean == pytest.approx(x.mean(), rel=1e-12)
        assert stat.variance == pytest.approx(x.var(ddof=1), rel=1e-9)

    def test_vectorised_fields_give_elementwise_results(self, rng):
        samples = [rng.normal(5, 2, n) for n in (10, 50, 300)]
        stat = SampleMeanStatistic(
            n=np.array([s.size for s in samples]),
            sum=np.array([s.sum() for s in samples]),
            sum_squares=np.array([(s**2).sum() for s in samples]),
        )
        np.testing.assert_allclose(stat.variance, [s.var(ddof=1) for s in samples], rtol=1e-9)

    def test_single_unit_and_empty_arm_have_no_variance(self):
        assert np.isnan(SampleMeanStatistic(n=1, sum=3.0, sum_squares=9.0).variance)
        assert np.isnan(SampleMeanStatistic(n=0, sum=0.0, sum_squares=0.0).mean)

    def test_constant_values_have_zero_variance_not_negative(self):
        stat = SampleMeanStatistic.from_values(np.full(1000, 0.1))  # cancellation-prone
        assert stat.variance == 0.0


class TestProportionStatistic:
    def test_variance_is_p_one_minus_p(self):
        stat = ProportionStatistic(n=200, sum=30)
        assert stat.mean == pytest.approx(0.15)
        assert stat.variance == pytest.approx(0.15 * 0.85)

    def test_from_values_rejects_non_binary_data(self):
        with pytest.raises(ValueError, match="0/1"):
            ProportionStatistic.from_values([0, 1, 2])


class TestRatioStatistic:
    def test_delta_method_variance_matches_linearisation(self, rng):
        d = rng.poisson(4, 5000) + 1.0
        m = d * rng.gamma(2, 3, 5000)
        stat = RatioStatistic.from_values(m, d)
        ratio = m.sum() / d.sum()
        # Influence function of the ratio of means: (m - R d) / mean(d)
        linearised = (m - ratio * d) / d.mean()
        assert stat.mean == pytest.approx(ratio, rel=1e-12)
        assert stat.variance == pytest.approx(linearised.var(ddof=1), rel=1e-9)

    def test_zero_denominator_is_undefined(self):
        zero = SampleMeanStatistic(n=5, sum=0.0, sum_squares=0.0)
        stat = RatioStatistic(n=5, m_statistic=zero, d_statistic=zero, m_d_sum_of_products=0.0)
        assert stat.undefined
        assert np.isnan(stat.mean)


class TestRegressionAdjustedStatistic:
    def test_adjusted_mean_and_variance(self, rng):
        x = rng.normal(10, 3, 800)
        y = 2 + 0.7 * x + rng.normal(0, 1, 800)
        stat = RegressionAdjustedStatistic.from_values(y, x, theta=0.5)
        adjusted = y - 0.5 * x
        assert stat.mean == pytest.approx(adjusted.mean(), rel=1e-12)
        assert stat.variance == pytest.approx(adjusted.var(ddof=1), rel=1e-9)
        assert stat.unadjusted_mean == pytest.approx(y.mean())
        assert stat.adjusted_unadjusted_cov == pytest.approx(np.cov(adjusted, y, ddof=1)[0, 1], rel=1e-9)


class TestPooledTheta:
    def test_equals_pooled_within_arm_regression_slope(self, rng):
        xa, xb = rng.normal(10, 3, 500), rng.normal(11, 3, 700)
        ya, yb = 0.8 * xa + rng.normal(0, 2, 500), 1 + 0.8 * xb + rng.normal(0, 2, 700)
        a = RegressionAdjustedStatistic.from_values(ya, xa)
        b = RegressionAdjustedStatistic.from_values(yb, xb)
        sxy = ((xa - xa.mean()) * (ya - ya.mean())).sum() + ((xb - xb.mean()) * (yb - yb.mean())).sum()
        sxx = ((xa - xa.mean()) ** 2).sum() + ((xb - xb.mean()) ** 2).sum()
        assert pooled_theta(a, b) == pytest.approx(sxy / sxx, rel=1e-9)

    def test_constant_covariate_gives_no_adjustment(self, rng):
        y = rng.normal(size=100)
        a = RegressionAdjustedStatistic.from_values(y, np.zeros(100))
        assert pooled_theta(a, a) == 0.0
