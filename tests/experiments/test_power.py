"""Planning functions: agreement with statsmodels and closed forms, round trips, bad input."""
import math

import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from ml.experiments.power import minimum_detectable_effect, power_at, sample_size_per_arm


class TestSampleSize:
    def test_absolute_mean_matches_statsmodels_normal_power(self):
        n = sample_size_per_arm(100.0, 2.0, metric_type="mean", baseline_sd=20.0, relative=False)
        reference = NormalIndPower().solve_power(effect_size=2.0 / 20.0, alpha=0.05, power=0.8)
        assert n == math.ceil(reference) or abs(n - reference) < 1.0

    def test_proportion_closed_form(self):
        p1, p2 = 0.10, 0.12
        z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
        expected = math.ceil(z**2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p2 - p1) ** 2)
        assert sample_size_per_arm(p1, 0.02, metric_type="proportion", relative=False) == expected

    def test_relative_needs_more_units_than_absolute_for_a_positive_lift(self):
        # The delta-method variance of a relative lift includes the control-mean uncertainty.
        rel = sample_size_per_arm(0.1, 0.2, metric_type="proportion", relative=True)
        absolute = sample_size_per_arm(0.1, 0.02, metric_type="proportion", relative=False)
        assert rel > absolute

    def test_one_sided_needs_fewer_units(self):
        two = sample_size_per_arm(10.0, 0.05, baseline_sd=8.0)
        one = sample_size_per_arm(10.0, 0.05, baseline_sd=8.0, alternative="one-sided")
        assert one < two


class TestMinimumDetectableEffect:
    @pytest.mark.parametrize("metric_type, baseline, sd", [("mean", 25.0, 40.0), ("proportion", 0.04, None)])
    def test_round_trip_with_sample_size(self, metric_type, baseline, sd):
        mde = minimum_detectable_effect(20_000, baseline, metric_type=metric_type, baseline_sd=sd)
        assert power_at(20_000, baseline, mde, metric_type=metric_type, baseline_sd=sd) == pytest.approx(0.8, abs=1e-6)
        assert sample_size_per_arm(baseline, mde, metric_type=metric_type, baseline_sd=sd) == pytest.approx(20_000, abs=2)

    def test_absolute_mean_closed_form(self):
        z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
        expected = z * 30.0 * math.sqrt(2 / 5000)
        got = minimum_detectable_effect(5000, 10.0, baseline_sd=30.0, relative=False)
        assert got == pytest.approx(expected, rel=1e-3)  # the tiny opposite-tail term is included


class TestPlanningBadInput:
    @pytest.mark.parametrize("kwargs, message", [
        (dict(baseline_mean=1.5, mde=0.1, metric_type="proportion"), "baseline proportion"),
        (dict(baseline_mean=10.0, mde=0.1, metric_type="mean"), "baseline_sd"),
        (dict(baseline_mean=0.1, mde=0.0, metric_type="proportion"), "non-zero"),
        (dict(baseline_mean=0.1, mde=0.1, metric_type="proportion", power=0.01), "power"),
        (dict(baseline_mean=0.9, mde=0.5, metric_type="proportion"), "outside"),
    ])
    def test_clear_errors(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            sample_size_per_arm(**kwargs)

    def test_unreachable_power(self):
        with pytest.raises(ValueError, match="reaches power"):
            minimum_detectable_effect(10, 0.5, metric_type="proportion", power=0.99)
