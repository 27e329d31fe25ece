"""Warehouse-facing path: fct_experiment_user-shaped rows -> all metric results."""
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ml.experiments.analysis import variant_recommendations
from ml.experiments.frequentist import TwoSidedTTest
from ml.experiments.statistics import RatioStatistic
from ml.experiments.users import DEFAULT_METRICS, analyse_experiment_users, summarise_users

FACTOR_CELLS = {"price_low__layout_a": (0, 0), "price_high__layout_a": (1, 0),
                "price_low__layout_b": (0, 1), "price_high__layout_b": (1, 1)}


def experiment_rows(rng, experiment, variants, n, conversion, revenue_shift, decimals=True, factor_json=False):
    frames = []
    for variant, (cell, is_control) in variants.items():
        pre = rng.gamma(2.0, 30.0, n) * (rng.random(n) < 0.7)
        sessions = rng.poisson(4, n)
        revenue = np.maximum(0.0, 0.5 * pre + rng.normal(20 + revenue_shift(cell), 25, n))
        frame = pd.DataFrame({
            "experiment_key": experiment, "variant_key": variant, "is_control": is_control,
            "converted": (rng.random(n) < conversion(cell)).astype(int),
            "revenue": [Decimal(f"{v:.2f}") for v in revenue] if decimals else revenue.round(2),
            "sessions": sessions, "pre_revenue": pre.round(2), "pre_sessions": rng.poisson(4, n),
        })
        if factor_json:
            frame["factor_levels"] = json.dumps({"price": ["low", "high"][cell[0]], "layout": ["a", "b"][cell[1]]})
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out.insert(2, "customer_id", np.arange(len(out)))
    return out


@pytest.fixture(scope="module")
def mart_rows():
    rng = np.random.default_rng(99)
    ab = experiment_rows(rng, "checkout_cta", {"control": ((0, 0), True), "treatment": ((1, 0), False)}, 6000,
                         conversion=lambda c: 0.10 + 0.03 * c[0], revenue_shift=lambda c: 2.0 * c[0])
    aa = experiment_rows(rng, "aa_check", {"control": ((0, 0), True), "control_copy": ((0, 0), False)}, 4000,
                         conversion=lambda c: 0.10, revenue_shift=lambda c: 0.0)
    factorial = experiment_rows(rng, "pricing_grid", {k: (v, v == (0, 0)) for k, v in FACTOR_CELLS.items()}, 3000,
                                conversion=lambda c: 0.10, revenue_shift=lambda c: 3.0 * c[0] * c[1], decimals=False)
    return pd.concat([ab, aa, factorial], ignore_index=True)


@pytest.fixture(scope="module")
def analysis(mart_rows):
    return analyse_experiment_users(mart_rows)


def result(analysis, experiment, metric, variant):
    r = analysis.results
    return r.loc[(r["experiment_key"] == experiment) & (r["metric"] == metric) & (r["variant_key"] == variant)].iloc[0]


class TestAllMetrics:
    def test_every_experiment_metric_and_variant_has_a_row(self, analysis):
        counts = analysis.results.groupby("experiment_key").size().to_dict()
        assert counts == {"checkout_cta": 2 * len(DEFAULT_METRICS), "aa_check": 2 * len(DEFAULT_METRICS),
                          "pricing_grid": 4 * len(DEFAULT_METRICS)}
        assert (analysis.results["status"].isin(["ok", "baseline"])).all()

    def test_planted_effects_lie_inside_the_intervals(self, analysis):
        conv = result(analysis, "checkout_cta", "conversion", "treatment")
        assert conv["abs_ci_low"] <= 0.03 <= conv["abs_ci_high"] and conv["decision"] == "better"
        rev = result(analysis, "checkout_cta", "revenue_per_user", "treatment")
        assert rev["abs_ci_low"] <= 2.0 <= rev["abs_ci_high"]

    def test_aa_experiment_is_not_significant(self, analysis):
        # Ship decisions follow the primary metric; secondary metrics are not corrected across
        # metrics, so one of them can be nominally significant in an A/A test (5% each).
        assert result(analysis, "aa_check", "conversion", "control_copy")["decision"] == "inconclusive"
        recs = variant_recommendations(analysis.results).set_index(["experiment_key", "variant_key"])
        assert recs.loc[("aa_check", "control_copy"), "recommendation"] == "keep_running"
        assert recs.loc[("checkout_cta", "treatment"), "recommendation"] == "ship"

    def test_cuped_uses_the_pre_period_and_reduces_variance(self, analysis):
        rev = result(analysis, "checkout_cta", "revenue_per_user", "treatment")
        assert rev["cuped_applied"] and 0.15 < rev["variance_reduction"] < 0.6
        assert not result(analysis, "checkout_cta", "revenue_per_session", "treatment")["cuped_applied"]

    def test_revenue_per_user_without_cuped_equals_scipy_welch(self, mart_rows):
        plain = analyse_experiment_users(mart_rows, cuped=False, difference_type="absolute", factorial=False).results
        got = plain.loc[(plain["experiment_key"] == "checkout_cta") & (plain["metric"] == "revenue_per_user")
                        & (plain["variant_key"] == "treatment"), "p_value"].item()
        rows = mart_rows.loc[mart_rows["experiment_key"] == "checkout_cta"]
        revenue = rows["revenue"].astype(float)
        ref = stats.ttest_ind(revenue[rows["variant_key"] == "treatment"], revenue[rows["variant_key"] == "control"],
                              equal_var=False)
        assert got == pytest.approx(ref.pvalue, rel=1e-9)

    def test_revenue_per_session_is_the_delta_method_ratio(self, analysis, mart_rows):
        rows = mart_rows.loc[mart_rows["experiment_key"] == "checkout_cta"]
        arms = [rows.loc[rows["variant_key"] == v] for v in ("control", "treatment")]
        stats_ = [RatioStatistic.from_values(a["revenue"].astype(float), a["sessions"].astype(float)) for a in arms]
        ref = TwoSidedTTest(*stats_).compute_result()
        got = result(analysis, "checkout_cta", "revenue_per_session", "treatment")
        assert got["rel_lift"] == pytest.approx(ref.estimate) and got["p_value"] == pytest.approx(ref.p_value)

    def test_primary_metric_can_be_chosen(self, mart_rows):
        results = analyse_experiment_users(mart_rows, primary_metric="revenue_per_user", factorial=False).results
        roles = results.drop_duplicates("metric").set_index("metric")["metric_role"].to_dict()
        assert roles["revenue_per_user"] == "primary" and roles["conversion"] == "secondary"


class TestFactorial:
    def test_interaction_found_where_planted_from_variant_keys(self, analysis):
        effects = analysis.factorial_effects.set_index(["experiment_key", "metric", "term"])
        revenue = effects.loc[("pricing_grid", "revenue_per_user", "price:layout")]
        assert revenue["term_p_value"] < 0.01 and revenue["ci_low"] <= 3.0 <= revenue["ci_high"]
        assert revenue["contrast"] == "price: high vs low x layout: b vs a"
        assert set(analysis.factorial_effects["experiment_key"]) == {"pricing_grid"}

    def test_factor_levels_json_column_is_used(self):
        rng = np.random.default_rng(3)
        variants = {f"v{i}": (cell, cell == (0, 0)) for i, cell in enumerate(FACTOR_CELLS.values())}
        rows = experiment_rows(rng, "json_grid", variants, 1500, conversion=lambda c: 0.1,
                               revenue_shift=lambda c: 0.0, factor_json=True)
        out = analyse_experiment_users(rows)
        assert set(out.factorial_anova["term"]) == {"price", "layout", "price:layout", "Residual"}
        inter = out.factorial_anova.set_index(["metric", "term"]).loc[("revenue_per_user", "price:layout")]
        assert inter["p_value"] > 0.01  # no interaction planted


class TestBadRows:
    def test_negative_sessions_name_the_customer(self, mart_rows):
        rows = mart_rows.copy()
        rows.loc[5, "sessions"] = -2
        with pytest.raises(ValueError, match=r"column 'sessions' has a negative count -2 \(row 5.*customer_id="):
            analyse_experiment_users(rows)

    def test_customer_in_two_variants_is_rejected(self, mart_rows):
        rows = pd.concat([mart_rows, mart_rows.iloc[[0]].assign(variant_key="treatment")], ignore_index=True)
        with pytest.raises(ValueError, match="more than once"):
            analyse_experiment_users(rows)

    def test_missing_and_non_numeric_columns(self, mart_rows):
        with pytest.raises(ValueError, match=r"lack column\(s\) \['variant_key'\]"):
            analyse_experiment_users(mart_rows.drop(columns="variant_key"))
        rows = mart_rows.astype({"revenue": object})
        rows.loc[3, "revenue"] = "n/a"
        with pytest.raises(ValueError, match="column 'revenue' has a non-numeric value 'n/a'"):
            analyse_experiment_users(rows)

    def test_all_zero_metric_and_missing_variant_are_states(self, mart_rows):
        rows = mart_rows.loc[mart_rows["experiment_key"] == "checkout_cta"].assign(converted=0)
        out = analyse_experiment_users(rows, traffic_weights={"control": 1, "treatment": 1, "ghost": 1}).results
        conv = out.loc[out["metric"] == "conversion"].set_index("variant_key")
        assert conv.loc["treatment", "status"] == "zero_variance"
        assert conv.loc["ghost", "status"] == "no_exposures" and conv.loc["ghost", "srm_status"] == "mismatch"

    def test_summary_has_the_analyse_input_columns(self, mart_rows):
        summary = summarise_users(mart_rows.loc[mart_rows["experiment_key"] == "aa_check"])
        assert {"n", "sum", "sum_squares", "covariate_sum", "denominator_sum"} <= set(summary.columns)
        assert summary["n"].sum() == 8000 * len(DEFAULT_METRICS)


class TestVariantTable:
    """experiment_variants metadata joined in: factor levels, control flag, planned traffic."""

    def rows_and_variants(self):
        rng = np.random.default_rng(17)
        keys = {"layout_a_badge_off": (0, 0), "layout_b_badge_off": (1, 0),
                "layout_a_badge_on": (0, 1), "layout_b_badge_on": (1, 1)}
        rows = experiment_rows(rng, "banner_grid", {k: (c, False) for k, c in keys.items()}, 2500,
                               conversion=lambda c: 0.10 + 0.06 * c[0] * c[1], revenue_shift=lambda c: 0.0)
        rows = rows.drop(columns="is_control")
        variants = pd.DataFrame({
            "experiment_key": "banner_grid", "variant_key": list(keys),
            "is_control": [True, False, False, False], "traffic_weight": [2500, 2500, 2500, 2500],
            "factor_levels": [json.dumps({"layout": "ab"[c[0]], "badge": ["off", "on"][c[1]]}) for c in keys.values()],
        })
        return rows, variants

    def test_factorial_from_variant_table_with_simulator_style_keys(self):
        rows, variants = self.rows_and_variants()
        out = analyse_experiment_users(rows, variants=variants, primary_metric={"banner_grid": "revenue_per_user"})
        control = out.results.loc[out.results["is_control"], "variant_key"].unique().tolist()
        assert control == ["layout_a_badge_off"]
        inter = out.factorial_effects.set_index(["metric", "term"]).loc[("conversion", "layout:badge")]
        assert inter["term_p_value"] < 0.01 and inter["ci_low"] <= 0.06 <= inter["ci_high"]
        roles = out.results.drop_duplicates("metric").set_index("metric")["metric_role"]
        assert roles["revenue_per_user"] == "primary" and roles["conversion"] == "secondary"
        assert (out.results["srm_status"] == "ok").all()

    def test_planned_variant_without_exposures_shows_up(self):
        rows, variants = self.rows_and_variants()
        rows = rows.loc[rows["variant_key"] != "layout_b_badge_on"]
        out = analyse_experiment_users(rows, variants=variants, factorial=False).results
        ghost = out.loc[out["variant_key"] == "layout_b_badge_on"]
        assert len(ghost) == len(DEFAULT_METRICS) and (ghost["status"] == "no_exposures").all()
        assert (out["srm_status"] == "mismatch").all()


class TestMartColumnNames:
    def test_fct_experiment_user_names_and_unexposed_rows(self, mart_rows):
        rows = mart_rows.loc[mart_rows["experiment_key"] == "checkout_cta"].rename(columns={
            "revenue": "revenue_amount", "converted": "conversions", "pre_revenue": "pre_period_revenue_amount",
            "pre_sessions": "pre_period_sessions"})
        rows["is_converted"] = rows["conversions"] > 0
        rows["pre_period_orders"] = (rows["pre_period_revenue_amount"] > 0).astype(int)
        rows["is_exposed"] = True
        unexposed = rows.iloc[:300].assign(is_exposed=False, customer_id=lambda f: f["customer_id"] + 10**6,
                                           conversions=5, revenue_amount=Decimal("999.00"))
        out = analyse_experiment_users(pd.concat([rows, unexposed], ignore_index=True), factorial=False).results
        reference = analyse_experiment_users(mart_rows.loc[mart_rows["experiment_key"] == "checkout_cta"],
                                             factorial=False).results
        pd.testing.assert_series_equal(out["p_value"], reference["p_value"])
        assert out.loc[out["variant_key"] == "control", "n"].iloc[0] == 6000

    def test_nobody_exposed_is_a_clear_error(self, mart_rows):
        with pytest.raises(ValueError, match="none is exposed"):
            analyse_experiment_users(mart_rows.assign(is_exposed=False))


class TestDailyMart:
    def test_cohort_sums_reproduce_the_per_user_analysis(self, mart_rows):
        from ml.experiments.analysis import analyse
        from ml.experiments.users import summarise_daily

        rows = mart_rows.loc[mart_rows["experiment_key"] == "checkout_cta"].copy()
        rows["revenue"] = rows["revenue"].astype(float)
        rows["date_day"] = pd.Timestamp("2026-11-01") + pd.to_timedelta(np.arange(len(rows)) % 7, unit="D")
        rows["converted_flag"] = (rows["converted"] > 0).astype(int)
        daily = rows.assign(rev2=rows["revenue"] ** 2, pre2=rows["pre_revenue"] ** 2,
                            cross=rows["revenue"] * rows["pre_revenue"], s2=rows["sessions"] ** 2).groupby(
            ["experiment_key", "variant_key", "is_control", "date_day"]).agg(
            new_users=("customer_id", "size"), cohort_converted_users=("converted_flag", "sum"),
            cohort_revenue_sum=("revenue", "sum"), cohort_revenue_sum_squares=("rev2", "sum"),
            cohort_pre_revenue_sum=("pre_revenue", "sum"), cohort_pre_revenue_sum_squares=("pre2", "sum"),
            cohort_revenue_pre_revenue_cross_sum=("cross", "sum"), cohort_sessions_sum=("sessions", "sum"),
            cohort_sessions_sum_squares=("s2", "sum")).reset_index()
        from_daily = analyse(summarise_daily(daily)).set_index(["metric", "variant_key"])
        users = rows.drop(columns=["converted_flag", "date_day"])
        per_user = analyse_experiment_users(users, factorial=False).results.set_index(["metric", "variant_key"])
        plain = analyse_experiment_users(users, factorial=False, cuped=False).results.set_index(["metric", "variant_key"])
        # the daily mart has no pre-period conversion column: compare with the unadjusted analysis
        key = ("conversion", "treatment")
        assert from_daily.loc[key, "p_value"] == pytest.approx(plain.loc[key, "p_value"], rel=1e-9)
        assert not from_daily.loc[key, "cuped_applied"]
        # revenue per user is CUPED-adjusted in both paths
        for key in (("revenue_per_user", "treatment"), ("sessions_per_user", "treatment")):
            reference = per_user if key[0] == "revenue_per_user" else plain
            assert from_daily.loc[key, "rel_lift"] == pytest.approx(reference.loc[key, "rel_lift"], rel=1e-9)
            assert from_daily.loc[key, "p_value"] == pytest.approx(reference.loc[key, "p_value"], rel=1e-6)
        assert from_daily.loc[("revenue_per_user", "treatment"), "cuped_applied"]
        early = summarise_daily(daily, until="2026-11-03")
        assert early.loc[early["metric"] == "conversion", "n"].sum() < 12000
