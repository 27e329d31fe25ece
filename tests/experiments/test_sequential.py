"""Sequential test: gbstats published values, interval/p-value duality, and peeking safety."""
import numpy as np
import pytest

from ml.experiments.frequentist import TwoSidedTTest
from ml.experiments.sequential import SequentialTwoSidedTTest, sequential_rho
from ml.experiments.statistics import ProportionStatistic, SampleMeanStatistic

from conftest import normal_sufficient_stats

GB_A = SampleMeanStatistic(sum=1396.87, sum_squares=52377.9767, n=3000)
GB_B = SampleMeanStatistic(sum=2422.7, sum_squares=134698.29, n=3461)


class TestSequentialTwoSidedTTest:
    def test_matches_gbstats_published_values_means(self):
        r = SequentialTwoSidedTTest(GB_A, GB_B, tuning_parameter=1000).compute_result()
        assert round(float(r.estimate), 5) == 0.50336
        assert (round(float(r.ci_low), 5), round(float(r.ci_high), 5)) == (-0.55844, 1.56516)
        assert round(float(r.p_value), 5) == 1.0

    def test_matches_gbstats_published_values_proportions(self):
        r = SequentialTwoSidedTTest(ProportionStatistic(3000, 1396), ProportionStatistic(3461, 2422)).compute_result()
        assert (round(float(r.ci_low), 5), round(float(r.ci_high), 5)) == (0.40098, 0.60675)
        assert round(float(r.p_value), 5) == 0.0

    def test_interval_is_wider_than_fixed_horizon(self):
        seq = SequentialTwoSidedTTest(GB_A, GB_B).compute_result()
        fixed = TwoSidedTTest(GB_A, GB_B).compute_result()
        assert seq.ci_low < fixed.ci_low and seq.ci_high > fixed.ci_high

    def test_tuning_near_sample_size_gives_the_tightest_interval(self):
        widths = {t: float(np.ptp([(r := SequentialTwoSidedTTest(GB_A, GB_B, tuning_parameter=t).compute_result()).ci_low, r.ci_high]))
                  for t in (10, 6461, 1e6)}
        assert widths[6461] < widths[10] and widths[6461] < widths[1e6]

    def test_p_value_below_alpha_exactly_when_zero_is_outside_interval(self, rng):
        n = 2000
        sum_a, ss_a = normal_sufficient_stats(rng, 10.0, 4.0, n, 3000)
        sum_b, ss_b = normal_sufficient_stats(rng, 10.25, 4.0, n, 3000)
        r = SequentialTwoSidedTTest(SampleMeanStatistic(n, sum_a, ss_a), SampleMeanStatistic(n, sum_b, ss_b)).compute_result()
        excludes_zero = (r.ci_low > 0) | (r.ci_high < 0)
        np.testing.assert_array_equal(r.p_value < 0.05, excludes_zero)
        assert 0.05 < excludes_zero.mean() < 0.95  # both outcomes occur, so the check has teeth

    def test_rho_rejects_non_positive_tuning(self):
        with pytest.raises(ValueError, match="tuning"):
            sequential_rho(0.05, 0)


class TestPeekingSafety:
    """A/A experiments peeked at 20 times: sequential stays <= 6%, fixed-horizon inflates."""

    N_EXPERIMENTS, PEEKS, USERS_PER_PEEK = 4000, 20, 250

    def _cumulative_arms(self, rng):
        shape = (self.N_EXPERIMENTS, self.PEEKS)
        arms = []
        for _ in range(2):
            sums, squares = normal_sufficient_stats(rng, 50.0, 30.0, self.USERS_PER_PEEK, shape)
            n = self.USERS_PER_PEEK * np.arange(1, self.PEEKS + 1)
            arms.append(SampleMeanStatistic(np.broadcast_to(n, shape), sums.cumsum(1), squares.cumsum(1)))
        return arms

    def test_sequential_false_positive_rate_with_20_peeks(self):
        a, b = self._cumulative_arms(np.random.default_rng(7))
        seq = SequentialTwoSidedTTest(a, b, tuning_parameter=5000).compute_result()
        ever_significant = (seq.p_value < 0.05).any(axis=1)
        assert ever_significant.mean() <= 0.06

    def test_fixed_horizon_test_inflates_when_peeked(self):
        # The problem the sequential test solves: same data, naive repeated t tests.
        a, b = self._cumulative_arms(np.random.default_rng(7))
        fixed = TwoSidedTTest(a, b).compute_result()
        assert (fixed.p_value < 0.05).any(axis=1).mean() > 0.15
        assert (fixed.p_value[:, -1] < 0.05).mean() == pytest.approx(0.05, abs=0.012)
