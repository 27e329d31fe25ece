"""SRM check vs scipy's chi-square, and Holm / BH vs statsmodels multipletests."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ml.experiments.analysis import analyse
from ml.experiments.multiple_testing import benjamini_hochberg, holm_bonferroni
from ml.experiments.srm import srm_test


class TestSrm:
    def test_matches_scipy_chisquare_with_weights(self):
        counts, weights = [5120, 2480, 2400], [0.5, 0.25, 0.25]
        ref = stats.chisquare(counts, f_exp=np.array(weights) * sum(counts))
        got = srm_test(counts, weights)
        assert got.chi_square == pytest.approx(ref.statistic, rel=1e-12)
        assert got.p_value == pytest.approx(ref.pvalue, rel=1e-12)

    def test_skewed_split_is_flagged_and_balanced_is_not(self):
        assert round(srm_test([10000, 10500]).p_value, 5) == 0.00048  # scipy: 0.000479...
        assert srm_test([10000, 10500]).status == "mismatch"
        assert srm_test([10000, 10150]).status == "ok"

    def test_skewed_split_makes_results_untrustworthy(self):
        frame = pd.DataFrame({"variant": ["control", "b"], "users": [10000, 10500], "sum": [1000, 1100]})
        results = analyse(frame, metric_type="proportion")
        assert results["srm_status"].eq("mismatch").all()
        assert not results["trustworthy"].any()
        assert results.loc[~results["is_control"], "decision"].item() == "untrustworthy"

    def test_planned_unequal_weights_are_respected(self):
        frame = pd.DataFrame({"variant": ["control", "b"], "users": [9000, 1000], "sum": [900, 100]})
        assert analyse(frame, metric_type="proportion")["srm_status"].eq("mismatch").all()
        ok = analyse(frame, metric_type="proportion", traffic_weights={"control": 0.9, "b": 0.1})
        assert ok["srm_status"].eq("ok").all()

    def test_bad_counts_raise(self):
        with pytest.raises(ValueError, match="non-negative"):
            srm_test([10, -1])
        with pytest.raises(ValueError, match="weights"):
            srm_test([10, 10], [1, 2, 3])


class TestMultipleTesting:
    @pytest.mark.parametrize("seed", range(5))
    def test_match_statsmodels(self, seed):
        rng = np.random.default_rng(seed)
        p = np.r_[rng.uniform(0, 0.1, 6), rng.uniform(0, 1, 6), [0.02, 0.02]]  # with ties
        np.testing.assert_allclose(holm_bonferroni(p), multipletests(p, method="holm")[1], rtol=1e-12)
        np.testing.assert_allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1], rtol=1e-12)

    def test_missing_p_values_stay_missing_and_do_not_count(self):
        p = np.array([0.01, np.nan, 0.04])
        np.testing.assert_allclose(holm_bonferroni(p), [0.02, np.nan, 0.04])
        np.testing.assert_allclose(benjamini_hochberg(p), [0.02, np.nan, 0.04])

    def test_abn_results_carry_adjusted_p_values(self):
        frame = pd.DataFrame({
            "variant": ["control", "b", "c", "d"], "users": [5000] * 4,
            "sum": [500, 565, 505, 600],
        })
        results = analyse(frame, metric_type="proportion")
        treat = results.loc[~results["is_control"]]
        raw = treat["p_value"].astype(float).to_numpy()
        np.testing.assert_allclose(treat["p_value_holm"].astype(float), multipletests(raw, method="holm")[1])
        np.testing.assert_allclose(treat["p_value_bh"].astype(float), multipletests(raw, method="fdr_bh")[1])
        # decisions use the Holm-adjusted p-value by default
        significant_raw = set(treat.loc[treat["p_value"] < 0.05, "variant_key"])
        better = set(treat.loc[treat["decision"] == "better", "variant_key"])
        assert better == set(treat.loc[treat["p_value_holm"] < 0.05, "variant_key"]) and better < significant_raw


class TestGroupedAdjustment:
    def test_grouped_equals_per_group_statsmodels(self):
        from ml.experiments.multiple_testing import grouped_benjamini_hochberg, grouped_holm_bonferroni

        rng = np.random.default_rng(8)
        groups = rng.integers(0, 40, 300).astype(str)
        p = rng.uniform(0, 0.2, 300)
        p[::17] = np.nan
        holm, bh = grouped_holm_bonferroni(p, groups), grouped_benjamini_hochberg(p, groups)
        for g in np.unique(groups):
            sel = (groups == g) & ~np.isnan(p)
            if sel.any():
                np.testing.assert_allclose(holm[sel], multipletests(p[sel], method="holm")[1], rtol=1e-12)
                np.testing.assert_allclose(bh[sel], multipletests(p[sel], method="fdr_bh")[1], rtol=1e-12)
        assert np.isnan(holm[::17]).all() and np.isnan(bh[::17]).all()
