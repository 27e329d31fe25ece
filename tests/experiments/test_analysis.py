"""The entry point `analyse`: summary DataFrame -> results DataFrame, including bad input."""
import numpy as np
import pandas as pd
import pytest

from ml.experiments.analysis import CORE_RESULT_COLUMNS, RESULT_COLUMNS, analyse, variant_recommendations
from ml.experiments.bayesian import EffectBayesABTest, GaussianPrior
from ml.experiments.frequentist import TwoSidedTTest
from ml.experiments.sequential import SequentialTwoSidedTTest
from ml.experiments.statistics import RatioStatistic, RegressionAdjustedStatistic, SampleMeanStatistic, pooled_theta

GB = pd.DataFrame({"variant": ["control", "b"], "users": [3407, 3461],
                   "sum": [1396.87, 2422.7], "sum_squares": [52377.9767, 134698.29]})


def row(results, variant, experiment=None):
    sel = results["variant_key"] == variant
    if experiment is not None:
        sel &= results["experiment_key"] == experiment
    return results.loc[sel].iloc[0]


def mean_rows(experiment, arms, metric="revenue"):
    return [dict(experiment_key=experiment, metric=metric, variant_key=v, n=n, sum=s, sum_squares=ss)
            for v, n, s, ss in arms]


class TestResultsTable:
    def test_columns_and_gbstats_values_through_the_dataframe(self):
        results = analyse(GB)
        assert list(results.columns) == RESULT_COLUMNS
        b = row(results, "b")
        assert round(b["rel_lift"], 5) == 0.70732
        assert (round(b["ci_low"], 5), round(b["ci_high"], 5)) == (-0.03526, 1.44989)
        assert (round(b["abs_ci_low"], 5), round(b["abs_ci_high"], 5)) == (0.04538, 0.53462)
        assert round(b["p_value"], 5) == 0.06191
        assert row(results, "control")["decision"] == "baseline"

    def test_missing_numbers_are_nullable_na_not_float_nan(self):
        results = analyse(GB)
        assert str(results["p_value"].dtype) == "Float64"
        assert results.loc[results["is_control"], "p_value"].isna().all()

    def test_engines_report_their_own_interval(self):
        a = SampleMeanStatistic(3407, 1396.87, 52377.9767)
        b = SampleMeanStatistic(3461, 2422.7, 134698.29)
        seq = row(analyse(GB, engine="sequential", sequential_tuning=2000), "b")
        ref = SequentialTwoSidedTTest(a, b, tuning_parameter=2000).compute_result()
        assert (seq["ci_low"], seq["ci_high"], seq["p_value"]) == pytest.approx((ref.ci_low, ref.ci_high, ref.p_value))
        prior = GaussianPrior(0.0, 0.25, proper=True)
        bayes = row(analyse(GB, engine="bayesian", prior=prior), "b")
        ref = EffectBayesABTest(a, b, prior=prior).compute_result()
        assert (bayes["ci_low"], bayes["chance_to_win"], bayes["risk"]) == pytest.approx(
            (ref.ci_low, ref.chance_to_win, ref.risk_treatment))
        assert bayes["decision"] == ("better" if ref.chance_to_win >= 0.95 else "inconclusive")

    def test_many_experiments_in_one_call_equal_separate_calls(self, rng):
        frames = []
        for e in range(20):
            n = rng.integers(500, 2000, 3)
            sums = n * rng.normal(5, 0.2, 3)
            frames.append(pd.DataFrame({"experiment_key": f"e{e}", "variant_key": ["control", "b", "c"], "n": n,
                                        "sum": sums, "sum_squares": sums**2 / n + (n - 1) * 9.0}))
        together = analyse(pd.concat(frames, ignore_index=True))
        for frame in frames[:5]:
            alone = analyse(frame)
            key = frame["experiment_key"].iloc[0]
            part = together.loc[together["experiment_key"] == key].reset_index(drop=True)
            pd.testing.assert_frame_equal(part, alone)

    def test_ratio_metric(self, rng):
        d = rng.poisson(3, (2, 800)) + 1.0
        m = d * rng.gamma(2, 4, (2, 800))
        frame = pd.DataFrame({"variant_key": ["control", "b"], "n": 800, "sum": m.sum(1), "sum_squares": (m**2).sum(1),
                              "denominator_sum": d.sum(1), "denominator_sum_squares": (d**2).sum(1),
                              "main_denominator_sum_product": (m * d).sum(1)})
        results = analyse(frame)
        assert (results["metric_type"] == "ratio").all()
        ref = TwoSidedTTest(RatioStatistic.from_values(m[0], d[0]), RatioStatistic.from_values(m[1], d[1])).compute_result()
        assert row(results, "b")["p_value"] == pytest.approx(ref.p_value, rel=1e-10)
        assert row(results, "control")["mean"] == pytest.approx(m[0].sum() / d[0].sum())

    def test_cuped_columns(self, rng):
        x = rng.normal(20, 5, (2, 3000))
        y = 0.9 * x + rng.normal(0, 3, (2, 3000))
        frame = pd.DataFrame({"variant_key": ["control", "b"], "n": 3000, "sum": y.sum(1), "sum_squares": (y**2).sum(1),
                              "covariate_sum": x.sum(1), "covariate_sum_squares": (x**2).sum(1),
                              "main_covariate_sum_product": (x * y).sum(1)})
        b = row(analyse(frame), "b")
        stats_a = RegressionAdjustedStatistic.from_values(y[0], x[0])
        stats_b = RegressionAdjustedStatistic.from_values(y[1], x[1])
        assert b["cuped_applied"] and b["cuped_theta"] == pytest.approx(pooled_theta(stats_a, stats_b))
        rho2 = np.corrcoef(x.ravel(), y.ravel())[0, 1] ** 2
        assert b["variance_reduction"] == pytest.approx(rho2, abs=0.03)
        assert not row(analyse(frame, cuped=False), "b")["cuped_applied"]


class TestBadInput:
    def frame(self):
        rows = []
        rows += mean_rows("fine", [("control", 1000, 5000.0, 40000.0), ("b", 1000, 5100.0, 41000.0)])
        rows += mean_rows("zero_exposure", [("control", 1000, 5000.0, 40000.0), ("b", 0, 0.0, 0.0)])
        rows += mean_rows("all_zero", [("control", 1000, 0.0, 0.0), ("b", 1000, 0.0, 0.0)])
        rows += mean_rows("no_control", [("b", 1000, 5000.0, 40000.0), ("c", 1000, 5000.0, 40000.0)])
        rows += mean_rows("only_control", [("control", 1000, 5000.0, 40000.0)])
        rows += mean_rows("negative", [("control", -5, 10.0, 40.0), ("b", 1000, 5000.0, 40000.0)])
        rows += mean_rows("tiny", [("control", 1, 5.0, 25.0), ("b", 1000, 5000.0, 40000.0)])
        rows += mean_rows("inconsistent", [("control", 100, 500.0, 10.0), ("b", 100, 500.0, 3000.0)])
        frame = pd.DataFrame(rows)
        conv = pd.DataFrame([dict(experiment_key="conv", metric="conversion", variant_key="control", n=100, sum=120),
                             dict(experiment_key="conv", metric="conversion", variant_key="b", n=100, sum=10),
                             dict(experiment_key="zero_base", metric="conversion", variant_key="control", n=500, sum=0),
                             dict(experiment_key="zero_base", metric="conversion", variant_key="b", n=500, sum=12)])
        frame["metric_type"] = "mean"
        conv["metric_type"] = "proportion"
        return pd.concat([frame, conv], ignore_index=True)

    @pytest.mark.parametrize("experiment, variant, status, words", [
        ("fine", "b", "ok", ""),
        ("zero_exposure", "b", "no_exposures", "n = 0"),
        ("all_zero", "b", "zero_variance", "zero variance"),
        ("no_control", "b", "missing_control", "not found among ['b', 'c']"),
        ("only_control", "control", "missing_variant", "only the control"),
        ("negative", "control", "invalid_input", "column 'n' is a negative count: -5"),
        ("negative", "b", "invalid_input", "control row is invalid"),
        ("tiny", "b", "too_few_units", "fewer than 2"),
        ("inconsistent", "control", "invalid_input", "implied variance is negative"),
        ("conv", "control", "invalid_input", "exceeds n"),
        ("zero_base", "b", "baseline_zero", "relative lift is undefined"),
    ])
    def test_each_problem_gets_a_status_and_message(self, experiment, variant, status, words):
        results = analyse(self.frame())
        got = row(results, variant, experiment)
        assert got["status"] == status
        assert words in got["status_message"]
        assert got["decision"] in (("inconclusive", "better", "worse") if status == "ok" else ("no_result",))

    def test_numbers_are_missing_only_when_the_status_says_why(self):
        results = analyse(self.frame())
        treat = results.loc[~results["is_control"]]
        ok = treat["status"] == "ok"
        assert treat.loc[ok, CORE_RESULT_COLUMNS].notna().all().all()
        assert (treat.loc[~ok, "status_message"] != "").all()
        has_missing = treat[CORE_RESULT_COLUMNS].isna().any(axis=1)
        assert (treat.loc[has_missing, "status"] != "ok").all()
        # zero baseline: the absolute lift is still reported, the relative one is not
        zb = row(results, "b", "zero_base")
        assert zb["abs_lift"] == pytest.approx(0.024) and pd.isna(zb["rel_lift"])

    def test_strict_mode_raises_with_row_and_column(self):
        with pytest.raises(ValueError, match=r"row 9 \(experiment 'negative'.*column 'n' is a negative count"):
            analyse(self.frame(), strict=True)

    @pytest.mark.parametrize("frame, kwargs, message", [
        (GB.drop(columns="sum"), {}, r"missing required column\(s\) \['sum'\]"),
        (GB, {"engine": "magic"}, "engine must be one of"),
        (GB, {"metric_type": "median"}, "metric_type must be one of"),
        (GB.drop(columns="sum_squares"), {"metric_type": "mean"}, "sum_squares"),
        (GB.iloc[:0], {}, "empty"),
        (GB.assign(metric_role="vip"), {}, "unknown metric_role"),
    ])
    def test_structural_problems_raise_value_error(self, frame, kwargs, message):
        with pytest.raises(ValueError, match=message):
            analyse(frame, **kwargs)

    def test_non_numeric_value_is_named(self):
        frame = GB.astype(object)
        frame.loc[1, "sum"] = "12,5"
        got = row(analyse(frame), "b")
        assert got["status"] == "invalid_input" and "column 'sum' is not a number: '12,5'" in got["status_message"]

    def test_planned_variant_without_rows(self):
        frame = GB.copy()
        results = analyse(frame, traffic_weights={"control": 1, "b": 1, "c": 1})
        c = row(results, "c")
        assert c["n"] == 0 and c["status"] == "no_exposures" and "planned" in c["status_message"]
        assert results["srm_status"].eq("mismatch").all()


class TestGuardrailsAndDecisions:
    def frame(self, treatment_sum, role="guardrail", higher=True):
        return pd.DataFrame({"variant_key": ["control", "b"], "n": [5000, 5000], "sum": [15000.0, treatment_sum],
                             "sum_squares": [15000.0**2 / 5000 + 4999 * 4.0, treatment_sum**2 / 5000 + 4999 * 4.0],
                             "metric_role": role, "higher_is_better": higher})

    @pytest.mark.parametrize("engine", ["frequentist", "sequential", "bayesian"])
    def test_significant_harm_is_flagged(self, engine):
        b = row(analyse(self.frame(14000.0), engine=engine), "b")  # sessions per user down 6.7%
        assert b["guardrail_harm"] and b["decision"] == "worse"

    def test_improvement_and_noise_are_not_flagged(self):
        assert not row(analyse(self.frame(15500.0)), "b")["guardrail_harm"]
        assert not row(analyse(self.frame(15010.0)), "b")["guardrail_harm"]

    def test_lower_is_better_flips_the_direction(self):
        up = row(analyse(self.frame(15500.0, higher=False)), "b")
        assert up["guardrail_harm"] and up["chance_to_win"] < 0.05
        assert not row(analyse(self.frame(14500.0, higher=False)), "b")["guardrail_harm"]

    def test_variant_recommendations(self):
        primary = self.frame(15500.0, role="primary").assign(metric="conversion_proxy")
        guard = self.frame(14500.0, role="guardrail").assign(metric="sessions")
        recs = variant_recommendations(analyse(pd.concat([primary, guard], ignore_index=True)))
        assert recs.to_dict("records") == [dict(experiment_key="experiment", variant_key="b",
                                                recommendation="do_not_ship", harmed_guardrails="sessions")]
        assert variant_recommendations(analyse(primary))["recommendation"].item() == "ship"


class TestDirectionColumn:
    def test_empty_direction_cells_default_to_higher_is_better(self):
        frame = GB.assign(higher_is_better=[None, None])
        assert analyse(frame)["higher_is_better"].all()

    def test_unrecognised_direction_is_an_error(self):
        with pytest.raises(ValueError, match="higher_is_better.*'sometimes'"):
            analyse(GB.assign(higher_is_better="sometimes"))
