"""Planted clusters are recovered by all four clustering algorithms (adjusted Rand index)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from ml.mining import ALGORITHMS, MiningInputError

FEATURES = ["visits", "spend", "tenure", "tickets"]
SIZES = [600, 400, 300, 250, 150]  # unequal on purpose


@pytest.fixture(scope="module")
def planted():
    """Five Gaussian groups 8 sd-units apart (centre at the origin + one per axis), one feature in a
    unit 100× larger: without standardisation that feature alone would decide the clusters."""
    rng = np.random.default_rng(11)
    centres = np.vstack([np.zeros(4), 8 * np.eye(4)])
    truth = np.repeat(np.arange(len(SIZES)), SIZES)
    X = centres[truth] + rng.normal(0, 1.5, (len(truth), 4))
    X[:, 1] = X[:, 1] * 100 + 5000
    order = rng.permutation(len(truth))
    df = pd.DataFrame(X[order], columns=FEATURES)
    df.insert(0, "customer_id", np.arange(len(df)) + 1000)
    return df, truth[order]


def _labels(result, df):
    a = result["assignments"]
    assert list(a["customer_id"]) == list(df["customer_id"]), "assignments must keep input order and ids"
    return a["cluster"].to_numpy()


@pytest.mark.parametrize("name", ["kmeans", "gaussian_mixture", "agglomerative"])
def test_partitioning_algorithms_recover_planted_clusters(planted, name):
    df, truth = planted
    result = ALGORITHMS[name](df, {"id": "customer_id", "features": FEATURES}, {})
    labels = _labels(result, df)
    ari = adjusted_rand_score(truth, labels)
    print(f"{name}: ARI = {ari:.3f}, clusters = {len(set(labels))}")
    assert len(set(labels)) == len(SIZES), "the automatic choice of k must find the 5 planted groups"
    assert ari > 0.9
    profile = result["profile"]
    assert profile["size"].sum() == len(df)
    assert sorted(profile["size"]) == pytest.approx(sorted(SIZES), abs=30)
    # Profiles are in the original unit: the big-unit feature keeps its scale.
    assert profile["mean_spend"].between(4000, 6000).all()


def test_hdbscan_recovers_planted_clusters_and_marks_tails_as_noise(planted):
    df, truth = planted
    cols = {"id": "customer_id", "features": FEATURES}
    result = ALGORITHMS["hdbscan"](df, cols, {"min_cluster_size": 40})
    labels = _labels(result, df)
    core = labels >= 0
    ari_core = adjusted_rand_score(truth[core], labels[core])
    print(f"hdbscan: ARI (non-noise) = {ari_core:.3f}, noise share = {1 - core.mean():.2f}")
    assert len(set(labels[core])) == len(SIZES)
    assert ari_core > 0.95
    assert 1 - core.mean() < 0.45
    assigned = _labels(ALGORITHMS["hdbscan"](df, cols, {"min_cluster_size": 40, "assign_noise": True}), df)
    ari_all = adjusted_rand_score(truth, assigned)
    print(f"hdbscan assign_noise: ARI = {ari_all:.3f}")
    assert (assigned >= 0).all() and ari_all > 0.9


def test_gaussian_mixture_soft_memberships_sum_to_one(planted):
    df, _ = planted
    result = ALGORITHMS["gaussian_mixture"](df, {"id": "customer_id", "features": FEATURES}, {})
    m = result["memberships"]
    sums = m.groupby("customer_id")["probability"].sum()
    assert np.allclose(sums, 1.0)
    chosen = result["selection"].query("chosen")
    assert chosen["n_components"].item() == 5
    assert chosen["bic"].item() == result["selection"]["bic"].min()


def test_agglomerative_on_a_sample_assigns_every_row(planted):
    df, truth = planted
    result = ALGORITHMS["agglomerative"](df, {"id": "customer_id", "features": FEATURES}, {"max_rows": 400})
    labels = _labels(result, df)
    assert result["assignments"]["in_tree"].sum() == 400
    assert adjusted_rand_score(truth, labels) > 0.9


def test_rows_with_missing_features_are_left_out_and_text_is_rejected(planted):
    df, _ = planted
    holes = df.copy()
    holes.loc[:9, "visits"] = np.nan
    result = ALGORITHMS["kmeans"](holes, {"id": "customer_id", "features": FEATURES}, {"n_clusters": 5})
    assert len(result["assignments"]) == len(df) - 10
    text = df.assign(visits="many")
    with pytest.raises(MiningInputError, match="column 'visits' must be numeric"):
        ALGORITHMS["kmeans"](text, {"id": "customer_id", "features": FEATURES}, {})


def test_gaussian_mixture_components_do_not_collapse_onto_one_order_count():
    """Order counts take few values; without dequantising, one component sits on a single count
    with ~zero variance, its likelihood is unbounded and BIC 'prefers' it."""
    rng = np.random.default_rng(4)
    truth = np.repeat([0, 1], [500, 500])
    df = pd.DataFrame({"log_spend": np.where(truth == 0, rng.normal(4, 0.3, 1000), rng.normal(6, 0.3, 1000)), "orders": rng.poisson(1.2, 1000) + 1})
    cols = {"features": ["log_spend", "orders"]}

    def single_count_clusters(params):
        a = ALGORITHMS["gaussian_mixture"](df, cols, params)["assignments"]
        spread = df.groupby(a["cluster"].to_numpy())["orders"].nunique()
        return int((spread == 1).sum())

    collapsed = single_count_clusters({"dequantise": False, "reg_covar": 1e-6})
    fixed = single_count_clusters({})
    print(f"clusters holding a single order count: raw {collapsed}, dequantised {fixed}")
    assert collapsed > 0, "the check must be able to see a collapse"
    assert fixed == 0
