"""Frequentist tests agree with scipy / statsmodels and with values published by gbstats.

Tolerances: exact formula agreement to 1e-9 (same statistic); t vs normal reference
distributions (Welch df in the thousands vs z) to 5e-4 in p-value."""
import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest
from statsmodels.stats.proportion import test_proportions_2indep as proportions_2indep

from ml.experiments.frequentist import (
    OneSidedTreatmentGreaterTTest,
    OneSidedTreatmentLesserTTest,
    TwoSidedTTest,
)
from ml.experiments.statistics import ProportionStatistic, RatioStatistic, SampleMeanStatistic
from ml.experiments.status import ResultStatus

from conftest import normal_sufficient_stats

CONTROL = np.array([1.2, 3.4, 2.2, 5.1, 0.3, 2.8])
TREATMENT = np.array([2.5, 4.1, 3.9, 6.2, 1.7, 3.3, 5.0])
# gbstats tests/frequentist/test_tests.py fixtures (control, treatment)
GB_A = SampleMeanStatistic(sum=1396.87, sum_squares=52377.9767, n=3407)
GB_B = SampleMeanStatistic(sum=2422.7, sum_squares=134698.29, n=3461)


def welch(a, b, cls=TwoSidedTTest, **kw):
    return cls(SampleMeanStatistic.from_values(a), SampleMeanStatistic.from_values(b),
               difference_type="absolute", **kw).compute_result()


class TestTwoSidedTTest:
    def test_pinned_values_computed_with_scipy(self):
        # scipy.stats.ttest_ind(TREATMENT, CONTROL, equal_var=False), rounded to 5 decimals
        r = welch(CONTROL, TREATMENT)
        assert round(float(r.estimate / r.standard_error), 5) == 1.46853
        assert round(float(r.p_value), 5) == 0.17212
        assert round(float(r.df), 5) == 10.19693
        assert (round(float(r.ci_low), 5), round(float(r.ci_high), 5)) == (-0.67462, 3.30319)

    def test_matches_scipy_welch_on_random_data(self, rng):
        for n_a, n_b, shift in ((30, 45, 0.3), (500, 480, 0.0), (2000, 2500, -0.1)):
            a, b = rng.lognormal(1, 0.8, n_a), rng.lognormal(1 + shift, 0.8, n_b)
            ref = stats.ttest_ind(b, a, equal_var=False)
            ci = ref.confidence_interval(0.95)
            r = welch(a, b)
            assert r.status == ResultStatus.OK
            assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
            assert r.df == pytest.approx(ref.df, rel=1e-9)
            assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)

    def test_relative_lift_matches_gbstats_published_values(self):
        r = TwoSidedTTest(GB_A, GB_B, difference_type="relative").compute_result()
        assert round(float(r.estimate), 5) == 0.70732
        assert (round(float(r.ci_low), 5), round(float(r.ci_high), 5)) == (-0.03526, 1.44989)
        assert round(float(r.standard_error), 5) == 0.37879
        assert round(float(r.p_value), 5) == 0.06191

    def test_absolute_lift_matches_gbstats_published_values(self):
        r = TwoSidedTTest(GB_A, GB_B, difference_type="absolute").compute_result()
        assert (round(float(r.ci_low), 5), round(float(r.ci_high), 5)) == (0.04538, 0.53462)
        assert round(float(r.p_value), 5) == 0.02016

    def test_relative_interval_covers_true_lift_at_nominal_rate(self, rng):
        # Monte Carlo: 95% delta-method interval for a +10% lift, 4,000 experiments.
        size, n = 4000, 800
        sum_a, ss_a = normal_sufficient_stats(rng, 20.0, 15.0, n, size)
        sum_b, ss_b = normal_sufficient_stats(rng, 22.0, 15.0, n, size)
        r = TwoSidedTTest(SampleMeanStatistic(n, sum_a, ss_a), SampleMeanStatistic(n, sum_b, ss_b)).compute_result()
        coverage = np.mean((r.ci_low <= 0.10) & (0.10 <= r.ci_high))
        assert coverage == pytest.approx(0.95, abs=0.012)

    def test_vectorised_call_equals_scalar_calls(self, rng):
        n = np.array([100, 200, 300])
        sums, squares = normal_sufficient_stats(rng, 5.0, 2.0, n, 3)
        vector = TwoSidedTTest(SampleMeanStatistic(n, sums, squares),
                               SampleMeanStatistic(n[::-1], sums[::-1], squares[::-1])).compute_result()
        for i in range(3):
            single = TwoSidedTTest(SampleMeanStatistic(n[i], sums[i], squares[i]),
                                   SampleMeanStatistic(n[::-1][i], sums[::-1][i], squares[::-1][i])).compute_result()
            assert vector.p_value[i] == pytest.approx(single.p_value, rel=1e-12)


class TestOneSidedTTests:
    @pytest.mark.parametrize("cls, alternative", [(OneSidedTreatmentGreaterTTest, "greater"),
                                                  (OneSidedTreatmentLesserTTest, "less")])
    def test_matches_scipy_one_sided_welch(self, rng, cls, alternative):
        a, b = rng.normal(10, 3, 400), rng.normal(10.4, 3.5, 380)
        ref = stats.ttest_ind(b, a, equal_var=False, alternative=alternative)
        assert welch(a, b, cls).p_value == pytest.approx(ref.pvalue, rel=1e-9)

    def test_pinned_greater_p_value_from_scipy(self):
        assert round(float(welch(CONTROL, TREATMENT, OneSidedTreatmentGreaterTTest).p_value), 5) == 0.08606

    def test_one_sided_matches_gbstats_published_values(self):
        a = SampleMeanStatistic(sum=1396.87, sum_squares=52377.9767, n=3000)
        r = OneSidedTreatmentGreaterTTest(a, GB_B).compute_result()
        assert round(float(r.ci_low), 5) == -0.04514 and np.isinf(r.ci_high)
        assert round(float(r.p_value), 5) == 0.06558


class TestProportionTests:
    def test_absolute_difference_matches_statsmodels_wald(self):
        r = TwoSidedTTest(ProportionStatistic(1000, 100), ProportionStatistic(1000, 130),
                          difference_type="absolute").compute_result()
        ref = proportions_2indep(130, 1000, 100, 1000, method="wald", compare="diff")
        assert float(r.estimate / r.standard_error) == pytest.approx(ref.statistic, rel=1e-9)
        assert r.p_value == pytest.approx(ref.pvalue, abs=5e-4)  # t(df~1.9k) vs normal reference
        assert round(float(ref.pvalue), 5) == 0.03529  # pinned statsmodels value

    def test_close_to_pooled_proportions_ztest(self):
        # proportions_ztest pools p under H0; the unpooled Wald SE differs by O(effect^2).
        r = TwoSidedTTest(ProportionStatistic(1000, 100), ProportionStatistic(1000, 130),
                          difference_type="absolute").compute_result()
        z, p = proportions_ztest([130, 100], [1000, 1000])
        assert round(float(z), 5) == 2.10274 and round(float(p), 5) == 0.03549
        assert r.p_value == pytest.approx(p, abs=0.001)

    def test_relative_lift_matches_gbstats_published_values(self):
        r = TwoSidedTTest(ProportionStatistic(28, 14), ProportionStatistic(30, 16)).compute_result()
        assert (round(float(r.ci_low), 5), round(float(r.ci_high), 5)) == (-0.47767, 0.61101)
        assert round(float(r.p_value), 5) == 0.80707


class TestRatioTest:
    def test_delta_method_standard_error_matches_simulation(self, rng):
        # Empirical sd of the ratio difference over 3,000 experiments vs the reported SE.
        size, n = 3000, 400
        sessions_a = rng.poisson(3, (size, n)) + 1.0
        sessions_b = rng.poisson(3, (size, n)) + 1.0
        revenue_a = sessions_a * rng.gamma(2, 5, (size, n))
        revenue_b = sessions_b * rng.gamma(2, 5, (size, n))

        def stat(m, d):
            return RatioStatistic(n, SampleMeanStatistic(n, m.sum(1), (m**2).sum(1)),
                                  SampleMeanStatistic(n, d.sum(1), (d**2).sum(1)), (m * d).sum(1))

        r = TwoSidedTTest(stat(revenue_a, sessions_a), stat(revenue_b, sessions_b),
                          difference_type="absolute").compute_result()
        assert np.std(r.estimate) == pytest.approx(np.mean(r.standard_error), rel=0.04)


class TestInvalidInputs:
    def test_zero_variance_gives_status_not_nan_silently(self):
        zero = SampleMeanStatistic(n=100, sum=0.0, sum_squares=0.0)
        r = TwoSidedTTest(zero, zero).compute_result()
        assert r.status == ResultStatus.ZERO_VARIANCE
        assert np.isnan(r.p_value)

    @pytest.mark.parametrize("n_a, status", [(0, ResultStatus.NO_EXPOSURES), (1, ResultStatus.TOO_FEW_UNITS)])
    def test_tiny_arms(self, n_a, status):
        a = SampleMeanStatistic(n=n_a, sum=2.0 * n_a, sum_squares=4.0 * n_a)
        b = SampleMeanStatistic(n=50, sum=100.0, sum_squares=300.0)
        assert TwoSidedTTest(a, b).compute_result().status == status

    def test_zero_baseline_blocks_relative_but_not_absolute(self):
        a, b = ProportionStatistic(500, 0), ProportionStatistic(500, 10)
        assert TwoSidedTTest(a, b).compute_result().status == ResultStatus.BASELINE_ZERO
        assert TwoSidedTTest(a, b, difference_type="absolute").compute_result().status == ResultStatus.OK

    def test_bad_options_raise(self):
        with pytest.raises(ValueError, match="alpha"):
            TwoSidedTTest(GB_A, GB_B, alpha=1.5)
        with pytest.raises(ValueError, match="difference_type"):
            TwoSidedTTest(GB_A, GB_B, difference_type="ratio")
