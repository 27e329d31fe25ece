"""Truth recovery: what the pipeline wrote to ml.experiment_results, compared with the simulator's
ground truth (only tests read it).

A single simulated history is one draw, so the claims are stated the way they hold statistically:
- the arm statistics equal the simulator's realised values exactly (the whole path from exposure
  events to the warehouse table loses or double-counts nobody);
- every planted effect lies inside its interval, family-wise: Bonferroni over all primary
  comparisons for the fixed-horizon intervals, and inside the always-valid sequential intervals;
- null experiments (A/A and the other no-effect tests) are not significant: not under the
  always-valid sequential engine, and not at Bonferroni level over the null experiments for the
  fixed-horizon test;
- the factorial interaction's interval holds the planted interaction; it must be significant
  whenever the data have the power to find it (power computed from the observed standard error),
  otherwise the test warns that the simulator's experiment is underpowered at this scale.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from analytics_pipeline import MIN_TRUTH_SCALE
from scipy import stats

ALPHA = 0.05
LIFT_FIELD = {"conversion": "true_relative_lift_conversion", "revenue_per_user": "true_relative_lift_revenue_per_user"}


@pytest.fixture(scope="module")
def all_results(analytics_pipeline) -> pd.DataFrame:
    return analytics_pipeline.query("select * from ml.experiment_results")


@pytest.fixture(scope="module")
def results(analytics_pipeline, all_results) -> pd.DataFrame:
    """The results, for the statistical claims (which need enough users per arm)."""
    if float(analytics_pipeline.scale) < MIN_TRUTH_SCALE:
        pytest.skip(f"scale {analytics_pipeline.scale} < {MIN_TRUTH_SCALE}: too few users per arm for truth recovery")
    return all_results


@pytest.fixture(scope="module")
def truth(analytics_pipeline) -> dict:
    return {e["experiment_key"]: e for e in analytics_pipeline.truth["experiments"]}


def _comparisons(results: pd.DataFrame, truth: dict, engine: str) -> pd.DataFrame:
    """Treatment rows of the primary metric with their planted relative lift."""
    rows = results.loc[(results["engine"] == engine) & (results["metric_role"] == "primary") & ~results["is_control"]].copy()
    planted = {
        (key, v["variant_key"]): v[LIFT_FIELD[e["primary_metric"]]] for key, e in truth.items() for v in e["variants"]
    }
    rows["planted"] = [planted[(k, v)] for k, v in zip(rows["experiment_key"], rows["variant_key"])]
    assert (rows["status"] == "ok").all(), rows.loc[rows["status"] != "ok", ["experiment_key", "variant_key", "status_message"]]
    return rows


def _describe(rows: pd.DataFrame) -> str:
    return rows[["experiment_key", "variant_key", "n", "rel_lift", "ci_low", "ci_high", "planted", "p_value"]].to_string()


def test_arm_statistics_reconcile_with_the_simulator(all_results, truth):
    frequentist = all_results.loc[all_results["engine"] == "frequentist"].set_index(["experiment_key", "metric", "variant_key"])
    for key, experiment in truth.items():
        for variant in experiment["variants"]:
            conversion = frequentist.loc[(key, "conversion", variant["variant_key"])]
            revenue = frequentist.loc[(key, "revenue_per_user", variant["variant_key"])]
            where = f"{key}/{variant['variant_key']}"
            assert conversion["n"] == variant["assigned_customers"], where
            assert conversion["mean"] == pytest.approx(variant["realised_conversion_rate"], abs=1e-6), where
            assert revenue["mean"] == pytest.approx(variant["realised_revenue_per_user"], abs=1e-3), where


def test_planted_effects_lie_inside_the_intervals(results, truth):
    fixed = _comparisons(results, truth, "frequentist")
    # Bonferroni over the m comparisons: widen each 95% interval to 1 - alpha/m (normal scale;
    # the Welch degrees of freedom are in the hundreds here).
    widen = stats.norm.ppf(1 - ALPHA / (2 * len(fixed))) / stats.norm.ppf(1 - ALPHA / 2)
    centre, half = (fixed["ci_low"] + fixed["ci_high"]) / 2, (fixed["ci_high"] - fixed["ci_low"]) / 2
    outside = fixed.loc[(fixed["planted"] < centre - widen * half) | (fixed["planted"] > centre + widen * half)]
    assert outside.empty, f"planted effects outside the family-wise intervals:\n{_describe(outside)}"

    sequential = _comparisons(results, truth, "sequential")
    outside = sequential.loc[(sequential["planted"] < sequential["ci_low"]) | (sequential["planted"] > sequential["ci_high"])]
    assert outside.empty, f"planted effects outside the always-valid intervals:\n{_describe(outside)}"
    inside_plain = ((fixed["planted"] >= fixed["ci_low"]) & (fixed["planted"] <= fixed["ci_high"])).mean()
    print(f"\nplanted effects inside the plain 95% fixed-horizon intervals: {inside_plain:.0%} of {len(fixed)}")


def test_null_experiments_are_not_significant(results, truth):
    null = [key for key, e in truth.items() if e["is_null_experiment"]]
    assert any(truth[k]["design"] == "aa" for k in null), "the simulator has no A/A experiment"
    sequential = _comparisons(results, truth, "sequential")
    rows = sequential.loc[sequential["experiment_key"].isin(null)]
    assert set(rows["experiment_key"]) == set(null)
    assert (rows["decision"] == "inconclusive").all(), _describe(rows)
    assert ((rows["ci_low"] <= 0) & (rows["ci_high"] >= 0)).all(), _describe(rows)

    fixed = _comparisons(results, truth, "frequentist")
    rows = fixed.loc[fixed["experiment_key"].isin(null)]
    assert (rows["p_value_holm"] >= ALPHA / len(null)).all(), f"a null experiment is significant:\n{_describe(rows)}"


def test_factorial_interaction_is_recovered(analytics_pipeline, results, truth):
    effects = analytics_pipeline.query("select * from ml.experiment_factorial_effects where kind = 'interaction'")
    factorial = [key for key, e in truth.items() if e["design"] == "factorial"]
    assert factorial
    for key in factorial:
        planted_relative = truth[key]["interaction"]
        control = results.loc[(results["experiment_key"] == key) & results["is_control"] & (results["engine"] == "frequentist")]
        metrics = [m for m in ("conversion", "revenue_per_user") if m in planted_relative]
        for metric in metrics:
            (row,) = effects.loc[(effects["experiment_key"] == key) & (effects["metric"] == metric)].itertuples()
            control_mean = float(control.loc[control["metric"] == metric, "mean"].iloc[0])
            planted = planted_relative[metric] * control_mean  # defined relative to the control cell's mean
            z = stats.norm.ppf(1 - ALPHA / (2 * len(metrics)))
            where = f"{key} {metric}: estimate {row.estimate:.4g} ± {row.se:.3g}, planted {planted:.4g}, p {row.p_value:.3g}"
            assert row.estimate - z * row.se <= planted <= row.estimate + z * row.se, where
            power = stats.norm.cdf(abs(planted) / row.se - stats.norm.ppf(1 - ALPHA / 2))
            if power >= 0.8:
                assert row.p_value < ALPHA and row.estimate * planted > 0, f"interaction not found although power {power:.0%}: {where}"
            else:
                warnings.warn(f"interaction underpowered at this scale (power {power:.0%}), only its interval is checked: {where}")
