"""Factorial analysis: the summary path equals statsmodels OLS + Type III ANOVA; planted
interactions are found and absent ones are not (beyond the nominal 5%)."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from ml.experiments.factorial import (
    cells_from_values,
    factorial_anova_from_cells,
    factorial_anova_from_users,
    parse_factor_levels,
)


def two_by_two(rng, cell_sizes, interaction=0.0, sd=1.0):
    frames = []
    for (price, layout), n in cell_sizes.items():
        mean = 10 + 0.5 * (price == "high") + 0.3 * (layout == "b") + interaction * (price == "high") * (layout == "b")
        frames.append(pd.DataFrame({"price": price, "layout": layout, "y": rng.normal(mean, sd, n)}))
    return pd.concat(frames, ignore_index=True)


UNBALANCED = {("low", "a"): 900, ("high", "a"): 1100, ("low", "b"): 750, ("high", "b"): 1300}


class TestParseFactorLevels:
    def test_from_variant_keys(self):
        keys = ["price_low__layout_a", "price_high__layout_a", "price_low__layout_b", "price_high__layout_b"]
        levels = parse_factor_levels(keys)
        assert list(levels.columns) == ["price", "layout"]
        assert levels.loc["price_high__layout_b"].to_dict() == {"price": "high", "layout": "b"}

    def test_from_factor_levels_json(self):
        keys = ["control", "v1", "v2", "v3"]
        raw = ['{"price": "low", "layout": "a"}', '{"price": "high", "layout": "a"}',
               '{"price": "low", "layout": "b"}', '{"price": "high", "layout": "b"}']
        assert parse_factor_levels(keys, raw).loc["v3"].to_dict() == {"price": "high", "layout": "b"}

    def test_plain_ab_test_is_not_factorial(self):
        assert parse_factor_levels(["control", "treatment"]) is None
        assert parse_factor_levels(["control", "b", "c"], [None, None, None]) is None

    def test_invalid_json_is_a_clear_error(self):
        with pytest.raises(ValueError, match="variant 'v1'.*not valid JSON"):
            parse_factor_levels(["c", "v1"], ['{"price": "low"}', "{price: high"])


class TestAgreementWithStatsmodels:
    def test_summary_path_equals_type_iii_anova_on_unbalanced_cells(self, rng):
        data = two_by_two(rng, UNBALANCED, interaction=0.2)
        fit = smf.ols("y ~ C(price, Sum) * C(layout, Sum)", data=data).fit()
        reference = anova_lm(fit, typ=3).drop(index="Intercept")
        got = factorial_anova_from_cells(cells_from_values(data, "y", ["price", "layout"]), ["price", "layout"],
                                         reference_levels={"price": "low", "layout": "a"}).anova
        np.testing.assert_allclose(got["sum_sq"], reference["sum_sq"], rtol=1e-8)
        np.testing.assert_allclose(got["df"], reference["df"])
        np.testing.assert_allclose(got["f_stat"][:3], reference["F"][:3], rtol=1e-8)
        np.testing.assert_allclose(got["p_value"][:3], reference["PR(>F)"][:3], rtol=1e-6)

    def test_per_user_path_runs_statsmodels_and_matches_summary_path(self, rng):
        data = two_by_two(rng, UNBALANCED)
        users = factorial_anova_from_users(data, "y", ["price", "layout"], reference_levels={"price": "low", "layout": "a"})
        cells = factorial_anova_from_cells(cells_from_values(data, "y", ["price", "layout"]), ["price", "layout"],
                                           reference_levels={"price": "low", "layout": "a"})
        np.testing.assert_allclose(users.anova["sum_sq"], cells.anova["sum_sq"], rtol=1e-8)
        assert list(users.anova["term"]) == ["price", "layout", "price:layout", "Residual"]

    def test_effect_estimates_equal_ols_contrasts(self, rng):
        data = two_by_two(rng, UNBALANCED, interaction=0.4)
        fit = smf.ols("y ~ C(price, Treatment('low')) * C(layout, Treatment('a'))", data=data).fit()
        effects = factorial_anova_from_cells(cells_from_values(data, "y", ["price", "layout"]), ["price", "layout"],
                                             reference_levels={"price": "low", "layout": "a"}).effects.set_index("term")
        interaction_name = [p for p in fit.params.index if ":" in p][0]
        assert effects.loc["price:layout", "estimate"] == pytest.approx(fit.params[interaction_name], rel=1e-9)
        assert effects.loc["price:layout", "se"] == pytest.approx(fit.bse[interaction_name], rel=1e-9)
        # main effect = average over layouts of (high - low) = b_price + b_interaction / 2
        price_name = [p for p in fit.params.index if p.startswith("C(price") and ":" not in p][0]
        main = fit.t_test(f"{price_name} + 0.5 * {interaction_name} = 0")
        assert effects.loc["price", "estimate"] == pytest.approx(float(main.effect[0]), rel=1e-9)
        assert effects.loc["price", "se"] == pytest.approx(float(main.sd[0, 0]), rel=1e-9)

    def test_three_by_two_design(self, rng):
        frames = [pd.DataFrame({"a": a, "b": b, "y": rng.normal(i * 0.1, 1, 200 + 37 * i)})
                  for i, (a, b) in enumerate([(a, b) for a in ("x", "y", "z") for b in ("p", "q")])]
        data = pd.concat(frames, ignore_index=True)
        reference = anova_lm(smf.ols("y ~ C(a, Sum) * C(b, Sum)", data=data).fit(), typ=3).drop(index="Intercept")
        got = factorial_anova_from_users(data, "y", ["a", "b"])
        np.testing.assert_allclose(got.anova["sum_sq"], reference["sum_sq"], rtol=1e-8)
        assert got.anova.set_index("term").loc["a:b", "df"] == 2


class TestDetection:
    def test_planted_interaction_is_found_and_covered(self, rng):
        data = two_by_two(rng, {cell: 2000 for cell in UNBALANCED}, interaction=0.25)
        result = factorial_anova_from_users(data, "y", ["price", "layout"], reference_levels={"price": "low", "layout": "a"})
        row = result.effects.set_index("term").loc["price:layout"]
        assert row["p_value"] < 0.001
        assert row["ci_low"] <= 0.25 <= row["ci_high"]

    def test_no_interaction_false_positive_rate_is_nominal(self):
        # 1,000 null 2x2 experiments from exact cell sufficient statistics (SE 0.7 points).
        rng = np.random.default_rng(5)
        n, rejections = 400, 0
        for _ in range(1000):
            means = 10 + np.array([0.0, 0.5, 0.3, 0.8]) + rng.normal(0, 1 / np.sqrt(n), 4)
            variances = rng.chisquare(n - 1, 4) / (n - 1)
            cells = pd.DataFrame({"price": ["low", "high", "low", "high"], "layout": ["a", "a", "b", "b"],
                                  "n": n, "mean": means, "variance": variances})
            anova = factorial_anova_from_cells(cells, ["price", "layout"]).anova.set_index("term")
            rejections += anova.loc["price:layout", "p_value"] < 0.05
        assert rejections / 1000 == pytest.approx(0.05, abs=0.02)


class TestBadDesigns:
    def test_missing_cell_is_named(self, rng):
        data = two_by_two(rng, {("low", "a"): 50, ("high", "a"): 50, ("low", "b"): 50})
        with pytest.raises(ValueError, match="incomplete.*price=high, layout=b"):
            factorial_anova_from_users(data, "y", ["price", "layout"])

    def test_constant_metric_is_a_clear_error(self):
        cells = pd.DataFrame({"f": ["a", "a", "b", "b"], "g": ["x", "y", "x", "y"], "n": 10, "mean": 0.0, "variance": 0.0})
        with pytest.raises(ValueError, match="zero residual variance"):
            factorial_anova_from_cells(cells, ["f", "g"])
