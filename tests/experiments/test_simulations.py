"""A/A false-positive rates and power, by simulation through the public entry point.

Sizes: 10,000 simulated experiments per check, so the binomial standard error of a 5% rate
is 0.22 points and of an 80% power 0.4 points; the targets (+/- 1 point, +/- 3 points) are
more than 4 standard errors wide. Seeds are fixed, so results are reproducible."""
import numpy as np
import pandas as pd
import pytest

from ml.experiments.analysis import analyse
from ml.experiments.frequentist import TwoSidedTTest
from ml.experiments.power import sample_size_per_arm
from ml.experiments.statistics import ProportionStatistic, SampleMeanStatistic

from conftest import normal_sufficient_stats

N_EXPERIMENTS = 10_000


def summary_frame(sum_a, ss_a, n_a, sum_b, ss_b, n_b) -> pd.DataFrame:
    size = len(sum_a)
    keys = np.arange(size).astype(str)
    control = pd.DataFrame({"experiment_key": keys, "variant_key": "control", "n": n_a, "sum": sum_a, "sum_squares": ss_a})
    treatment = pd.DataFrame({"experiment_key": keys, "variant_key": "treatment", "n": n_b, "sum": sum_b, "sum_squares": ss_b})
    return pd.concat([control, treatment], ignore_index=True)


def treatment_rows(results: pd.DataFrame) -> pd.DataFrame:
    return results.loc[~results["is_control"]]


class TestAAFalsePositiveRate:
    def test_mean_metric_through_analyse(self):
        rng = np.random.default_rng(11)
        n = 600
        sum_a, ss_a = normal_sufficient_stats(rng, 30.0, 45.0, n, N_EXPERIMENTS)
        sum_b, ss_b = normal_sufficient_stats(rng, 30.0, 45.0, n, N_EXPERIMENTS)
        results = treatment_rows(analyse(summary_frame(sum_a, ss_a, n, sum_b, ss_b, n), metric_type="mean"))
        assert (results["status"] == "ok").all()
        rate = (results["p_value"].astype(float) < 0.05).mean()
        assert rate == pytest.approx(0.05, abs=0.01)
        ci_excludes_zero = (results["ci_low"] > 0) | (results["ci_high"] < 0)
        assert ci_excludes_zero.mean() == pytest.approx(rate, abs=0.002)  # interval and p agree

    def test_conversion_metric_through_analyse(self):
        rng = np.random.default_rng(12)
        n_a, n_b = 2000, 2100
        conv_a, conv_b = rng.binomial(n_a, 0.08, N_EXPERIMENTS), rng.binomial(n_b, 0.08, N_EXPERIMENTS)
        frame = summary_frame(conv_a, conv_a, n_a, conv_b, conv_b, n_b)
        results = treatment_rows(analyse(frame, metric_type="proportion", traffic_weights={"control": 2000, "treatment": 2100}))
        rate = (results["p_value"].astype(float) < 0.05).mean()
        assert rate == pytest.approx(0.05, abs=0.01)
        assert (results["srm_status"] == "ok").all()

    def test_skewed_revenue_per_user_values(self):
        # Real per-user draws from a heavy-tailed distribution (2,000 experiments x 2 x 1,000 users).
        rng = np.random.default_rng(13)
        size, n = 2000, 1000
        a = rng.lognormal(2.0, 1.0, (size, n)) * (rng.random((size, n)) < 0.3)
        b = rng.lognormal(2.0, 1.0, (size, n)) * (rng.random((size, n)) < 0.3)
        r = TwoSidedTTest(SampleMeanStatistic(n, a.sum(1), (a**2).sum(1)),
                          SampleMeanStatistic(n, b.sum(1), (b**2).sum(1))).compute_result()
        assert (r.p_value < 0.05).mean() == pytest.approx(0.05, abs=0.015)  # 2,000 runs: SE 0.5 points


class TestPowerSimulation:
    def test_mean_metric_detection_rate_matches_planned_power(self):
        baseline, sd, lift = 40.0, 60.0, 0.05
        n = sample_size_per_arm(baseline, lift, metric_type="mean", baseline_sd=sd, power=0.8)
        rng = np.random.default_rng(21)
        sum_a, ss_a = normal_sufficient_stats(rng, baseline, sd, n, N_EXPERIMENTS)
        sum_b, ss_b = normal_sufficient_stats(rng, baseline * (1 + lift), sd, n, N_EXPERIMENTS)
        results = treatment_rows(analyse(summary_frame(sum_a, ss_a, n, sum_b, ss_b, n), metric_type="mean"))
        detected = ((results["p_value"].astype(float) < 0.05) & (results["rel_lift"] > 0)).mean()
        assert detected == pytest.approx(0.8, abs=0.03)

    def test_conversion_detection_rate_matches_planned_power(self):
        baseline, lift = 0.05, 0.10
        n = sample_size_per_arm(baseline, lift, metric_type="proportion", power=0.9)
        rng = np.random.default_rng(22)
        conv_a = rng.binomial(n, baseline, N_EXPERIMENTS)
        conv_b = rng.binomial(n, baseline * (1 + lift), N_EXPERIMENTS)
        r = TwoSidedTTest(ProportionStatistic(n, conv_a), ProportionStatistic(n, conv_b)).compute_result()
        detected = ((r.p_value < 0.05) & (r.estimate > 0)).mean()
        assert detected == pytest.approx(0.9, abs=0.03)
