"""PCA recovers the variance of a known low-rank structure; decision-tree rules recover a planted rule."""

import re

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import subspace_angles

from ml.mining import ALGORITHMS


def test_pca_recovers_explained_variance_and_subspace_of_rank_two_data():
    rng = np.random.default_rng(0)
    n, d = 4000, 6
    Q, _ = np.linalg.qr(rng.normal(size=(d, 2)))  # orthonormal loadings
    factor_var, noise_var = np.array([9.0, 4.0]), 0.04
    X = rng.normal(size=(n, 2)) * np.sqrt(factor_var) @ Q.T + rng.normal(0, np.sqrt(noise_var), (n, d))
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(d)])
    df.insert(0, "customer_id", np.arange(n))
    result = ALGORITHMS["pca"](df, {"id": "customer_id", "features": list(df.columns[1:])}, {"standardise": False, "variance_target": 0.95})
    ev = result["explained_variance"]
    # Population covariance Q diag(9, 4) Qᵀ + 0.04 I: eigenvalues 9.04, 4.04, then 0.04 (four times).
    total = factor_var.sum() + d * noise_var
    expected = np.r_[factor_var + noise_var, np.full(d - 2, noise_var)] / total
    print("explained variance ratio", ev["explained_variance_ratio"].round(4).tolist(), "expected", expected.round(4).tolist())
    assert ev["explained_variance_ratio"].to_numpy() == pytest.approx(expected, abs=0.02)
    assert ev["kept"].sum() == 2
    assert list(result["scores"].columns) == ["customer_id", "pc1", "pc2"]
    load = result["loadings"].pivot(index="feature", columns="component", values="weight").loc[df.columns[1:]]
    angles = subspace_angles(load[["pc1", "pc2"]].to_numpy(), Q)
    assert np.degrees(angles).max() < 2.0


def test_pca_standardised_matches_correlation_eigenvalues():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3000, 1))
    X = np.hstack([z + rng.normal(0, 0.5, (3000, 1)), 100 * (z + rng.normal(0, 0.5, (3000, 1))), rng.normal(size=(3000, 1))])
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    ev = ALGORITHMS["pca"](df, {"features": ["a", "b", "c"]}, {})["explained_variance"]
    # corr(a, b) = 1 / 1.25 = 0.8, c independent: eigenvalues 1.8, 1, 0.2 of 3.
    assert ev["explained_variance_ratio"].to_numpy() == pytest.approx([0.6, 1 / 3, 0.2 / 3], abs=0.02)


def _bounds(conditions: str, feature: str):
    lo = re.search(rf"(\d+) < {feature}\b|{feature} > (\d+)", conditions)
    hi = re.search(rf"{feature} <= (\d+)", conditions)
    return (int(next(g for g in lo.groups() if g)) if lo else None, int(hi.group(1)) if hi else None)


def test_decision_tree_rules_recover_planted_conversion_rule():
    rng = np.random.default_rng(0)
    n = 6000
    df = pd.DataFrame(
        {
            "tenure_days": rng.integers(0, 365, n),
            "sessions": rng.poisson(5, n),
            "device": rng.choice(["ios", "android", "web"], n),
            "spend": rng.gamma(2, 50, n),
        }
    )
    in_rule = (df["tenure_days"] <= 30) & (df["sessions"] > 5)
    df["converted"] = rng.random(n) < np.where(in_rule, 0.8, 0.05)
    result = ALGORITHMS["decision_tree_rules"](
        df, {"target": "converted", "features": ["tenure_days", "sessions", "device", "spend"]}, {"outcome_label": "converts"}
    )
    top = result["rules"].iloc[0]
    print(top["rule"])
    assert top["rule"].startswith("if ") and " then converts " in top["rule"] and f"(n={top['rows']:,})" in top["rule"]
    assert _bounds(top["conditions"], "tenure_days")[1] == pytest.approx(30, abs=2)
    assert _bounds(top["conditions"], "sessions")[0] == 5
    assert top["rows"] == pytest.approx(in_rule.sum(), rel=0.1)
    assert top["outcome"] == pytest.approx(0.8, abs=0.07)
    assert top["lift"] > 5
    assert result["rules"]["rows"].sum() == n
    imp = result["importance"].set_index("feature")["importance"]
    assert imp[["tenure_days", "sessions"]].sum() > 0.95


def test_decision_tree_rules_name_categorical_levels():
    rng = np.random.default_rng(2)
    n = 4000
    df = pd.DataFrame({"device": rng.choice(["ios", "android", "web"], n), "age": rng.integers(18, 70, n)})
    df["churned"] = np.where(rng.random(n) < np.where(df["device"] == "web", 0.5, 0.1), "yes", "no")
    rules = ALGORITHMS["decision_tree_rules"](df, {"target": "churned", "features": ["device", "age"]}, {"positive_class": "yes"})["rules"]
    assert rules.iloc[0]["conditions"] == "device = web"
    assert rules.iloc[0]["outcome"] == pytest.approx(0.5, abs=0.05)
    assert "device != web" in rules["conditions"].tolist()


def test_yes_no_target_counts_true_as_success_even_when_it_is_the_majority():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.integers(0, 100, 3000)})
    df["activated"] = rng.random(3000) < np.where(df["x"] > 50, 0.95, 0.5)
    for target in (df["activated"], df["activated"].astype(object), df["activated"].map({True: "yes", False: "no"})):
        rules = ALGORITHMS["decision_tree_rules"](df.assign(activated=target), {"target": "activated", "features": ["x"]}, {})["rules"]
        assert rules.iloc[0]["conditions"] == "x > 50"
        assert rules.iloc[0]["outcome"] == pytest.approx(0.95, abs=0.03)
