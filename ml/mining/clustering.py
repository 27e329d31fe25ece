"""Four clustering algorithms on standardised numeric features.

Common inputs: `id` (optional key column, carried to the output) and `features` (numeric columns).
Rows with a missing feature are left out of the fit and of the outputs.
Common outputs:
- `assignments`: id, cluster (and algorithm-specific columns)
- `profile`: cluster, size, share and the mean of every feature in its original unit
- `selection` (where the number of clusters is chosen automatically): the score per candidate.

kmeans         – k-means; k chosen by the best silhouette over [k_min, k_max].
hdbscan        – density clustering (sklearn HDBSCAN); label -1 is noise; no k to choose.
                 HDBSCAN calls the thin tails of a cluster noise (often 20–30% of rows); set
                 assign_noise to attach them to their nearest cluster.
gaussian_mixture – soft clustering; the number of components minimises BIC; `memberships`
                 holds every component probability in long form (id, cluster, probability).
                 A component can collapse onto one value of a discrete feature (order counts!),
                 sending its likelihood — and BIC — to infinity; integer features with few levels
                 are therefore jittered by ±0.5 (dequantise) and every component gets a variance
                 floor (reg_covar). Skewed features still need several components each: log them.
agglomerative  – hierarchical clustering (Ward by default); k chosen by silhouette on one tree.
                 The pairwise distances grow with n², so above `max_rows` the tree is built on
                 a random sample and the other rows join the cluster with the nearest centroid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster import hierarchy
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors
from sklearn.mixture import GaussianMixture

from ml.mining.spec import Algorithm, MiningInputError, Output, Param, Role, feature_matrix, id_frame, standardise

ROLES = (
    Role("id", "row key carried into the results (e.g. customer_id)", required=False),
    Role("features", "numeric feature columns", multiple=True),
)
COMMON_PARAMS = (
    Param("standardise", "bool", "scale every feature to mean 0, sd 1 before clustering", default=True),
    Param("random_state", "int", "seed for reproducible results", default=0),
)


def _prepare(df: pd.DataFrame, columns: dict, params: dict):
    X, mask = feature_matrix(df, columns["features"])
    Z = standardise(X) if params["standardise"] else X
    return X, Z, mask, id_frame(df, columns, mask)


def _profile(X: np.ndarray, labels: np.ndarray, features: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(X, columns=[f"mean_{f}" for f in features])
    frame.insert(0, "cluster", labels)
    prof = frame.groupby("cluster").mean()
    prof.insert(0, "size", frame.groupby("cluster").size())
    prof.insert(1, "share", prof["size"] / len(frame))
    return prof.reset_index()


def _silhouette(Z: np.ndarray, labels: np.ndarray, sample: int, seed: int) -> float:
    if len(np.unique(labels)) < 2:
        return float("nan")
    size = min(sample, len(Z))
    return float(silhouette_score(Z, labels, sample_size=size, random_state=seed))


def _k_range(params: dict, n_rows: int) -> list[int]:
    if params.get("n_clusters"):
        return [params["n_clusters"]]
    hi = min(params["k_max"], n_rows - 1)
    ks = list(range(params["k_min"], hi + 1))
    if not ks:
        raise MiningInputError(f"need more than {params['k_min']} complete rows to choose k, got {n_rows}")
    return ks


# --- k-means -------------------------------------------------------------------------------------


def run_kmeans(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    X, Z, mask, ids = _prepare(df, columns, params)
    seed = params["random_state"]
    rows, fits = [], {}
    for k in _k_range(params, len(Z)):
        model = KMeans(n_clusters=k, n_init=params["n_init"], random_state=seed).fit(Z)
        score = _silhouette(Z, model.labels_, params["silhouette_sample"], seed)
        rows.append({"k": k, "silhouette": score, "inertia": float(model.inertia_)})
        fits[k] = model
    selection = pd.DataFrame(rows)
    best_k = int(selection.loc[selection["silhouette"].fillna(-2).idxmax(), "k"])
    selection["chosen"] = selection["k"] == best_k
    model = fits[best_k]
    labels = model.labels_.astype("int64")
    dist = np.linalg.norm(Z - model.cluster_centers_[labels], axis=1)
    assignments = ids.assign(cluster=labels, distance_to_centre=dist)
    return {"assignments": assignments, "profile": _profile(X, labels, columns["features"]), "selection": selection}


KMEANS = Algorithm(
    name="kmeans",
    summary="k-means clustering with k chosen automatically by silhouette",
    roles=ROLES,
    params=COMMON_PARAMS
    + (
        Param("k_min", "int", "smallest k tried", default=2, minimum=2),
        Param("k_max", "int", "largest k tried", default=10, minimum=2, maximum=50),
        Param("n_clusters", "int", "fixed k (skips the automatic choice)", nullable=True, minimum=2),
        Param("n_init", "int", "k-means restarts per k", default=3, minimum=1),
        Param("silhouette_sample", "int", "rows sampled to compute the silhouette (cost grows with n²)", default=5000, minimum=100),
    ),
    outputs=(
        Output("assignments", "id, cluster, distance_to_centre (standardised units)"),
        Output("profile", "cluster size, share and feature means"),
        Output("selection", "silhouette and inertia per k; chosen = the k used"),
    ),
    func=run_kmeans,
    doc=__doc__,
)


# --- HDBSCAN -------------------------------------------------------------------------------------


def run_hdbscan(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    X, Z, mask, ids = _prepare(df, columns, params)
    if len(Z) < params["min_cluster_size"]:
        raise MiningInputError(f"only {len(Z)} complete rows; min_cluster_size is {params['min_cluster_size']}")
    model = HDBSCAN(
        min_cluster_size=params["min_cluster_size"],
        min_samples=params["min_samples"],
        cluster_selection_epsilon=params["cluster_selection_epsilon"],
        copy=True,
    ).fit(Z)
    labels = model.labels_.astype("int64")
    is_noise = labels < 0
    if params["assign_noise"] and is_noise.any() and not is_noise.all():
        # Segmentation use: everyone needs a segment. Noise rows take the cluster of their
        # nearest clustered neighbour and keep is_noise = true (membership_strength stays 0).
        nn = NearestNeighbors(n_neighbors=1).fit(Z[~is_noise])
        _, idx = nn.kneighbors(Z[is_noise])
        labels = labels.copy()
        labels[is_noise] = labels[~is_noise][idx[:, 0]]
    assignments = ids.assign(cluster=labels, membership_strength=model.probabilities_, is_noise=is_noise)
    return {"assignments": assignments, "profile": _profile(X, labels, columns["features"])}


HDBSCAN_ALG = Algorithm(
    name="hdbscan",
    summary="HDBSCAN density clustering (finds the number of clusters itself; -1 = noise)",
    roles=ROLES,
    params=COMMON_PARAMS
    + (
        Param("min_cluster_size", "int", "smallest group that counts as a cluster", default=50, minimum=2),
        Param("min_samples", "int", "neighbourhood size for core points (larger = more noise); null = min_cluster_size", default=10, nullable=True, minimum=1),
        Param("assign_noise", "bool", "give noise rows the cluster of their nearest clustered row (is_noise stays true)", default=False),
        Param("cluster_selection_epsilon", "float", "merge clusters closer than this (standardised units)", default=0.0, minimum=0.0),
    ),
    outputs=(
        Output("assignments", "id, cluster (-1 noise), membership_strength, is_noise"),
        Output("profile", "cluster size, share and feature means (cluster -1 = noise)"),
    ),
    func=run_hdbscan,
    doc=__doc__,
)


# --- Gaussian mixture ---------------------------------------------------------------------------


def dequantise(X: np.ndarray, seed: int, max_levels: int = 50) -> np.ndarray:
    """Spread integer features with few distinct values (counts, flags) uniformly over ±0.5.
    A Gaussian component can otherwise sit on one exact value with ~zero variance: its likelihood
    is unbounded, BIC rewards it, and the 'clusters' become single order counts."""
    rng = np.random.default_rng(seed)
    out = X.astype(float).copy()
    for j in range(X.shape[1]):
        col = X[:, j]
        if np.all(np.mod(col, 1) == 0) and len(np.unique(col)) <= max_levels:
            out[:, j] = col + rng.uniform(-0.5, 0.5, len(col))
    return out


def run_gmm(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    X, Z, mask, ids = _prepare(df, columns, params)
    seed = params["random_state"]
    if params["dequantise"]:
        Z = standardise(dequantise(X, seed)) if params["standardise"] else dequantise(X, seed)
    if params["n_components"]:
        candidates = [params["n_components"]]
    else:
        candidates = list(range(1, min(params["max_components"], len(Z) - 1) + 1))
    rows, fits = [], {}
    for k in candidates:
        model = GaussianMixture(
            n_components=k, covariance_type=params["covariance_type"], n_init=params["n_init"],
            reg_covar=params["reg_covar"], random_state=seed,
        ).fit(Z)
        rows.append({"n_components": k, "bic": float(model.bic(Z)), "converged": bool(model.converged_)})
        fits[k] = model
    selection = pd.DataFrame(rows)
    best = int(selection.loc[selection["bic"].idxmin(), "n_components"])
    selection["chosen"] = selection["n_components"] == best
    model = fits[best]
    proba = model.predict_proba(Z)
    labels = proba.argmax(axis=1).astype("int64")
    assignments = ids.assign(cluster=labels, membership_probability=proba.max(axis=1))
    k = proba.shape[1]
    memberships = ids.loc[ids.index.repeat(k)].reset_index(drop=True)
    memberships["cluster"] = np.tile(np.arange(k, dtype="int64"), len(ids))
    memberships["probability"] = proba.reshape(-1)
    return {
        "assignments": assignments,
        "memberships": memberships,
        "profile": _profile(X, labels, columns["features"]),
        "selection": selection,
    }


GMM = Algorithm(
    name="gaussian_mixture",
    summary="Gaussian mixture clustering with soft membership; number of components chosen by BIC",
    roles=ROLES,
    params=COMMON_PARAMS
    + (
        Param("max_components", "int", "largest number of components tried (from 1)", default=8, minimum=1, maximum=30),
        Param("n_components", "int", "fixed number of components (skips BIC selection)", nullable=True, minimum=1),
        Param("covariance_type", "str", "shape of each component", default="full", choices=("full", "tied", "diag", "spherical")),
        Param("n_init", "int", "EM restarts per candidate", default=2, minimum=1),
        Param("dequantise", "bool", "jitter integer features with few values (counts) by ±0.5 before fitting", default=True),
        Param("reg_covar", "float", "variance added to every component (feature units², i.e. sd² when standardised)", default=0.01, minimum=0.0),
    ),
    outputs=(
        Output("assignments", "id, most likely cluster, membership_probability"),
        Output("memberships", "id, cluster, probability for every component (soft membership, long form)"),
        Output("profile", "cluster size, share and feature means (hard assignment)"),
        Output("selection", "BIC per number of components; chosen = the one used"),
    ),
    func=run_gmm,
    doc=__doc__,
)


# --- agglomerative --------------------------------------------------------------------------------


def run_agglomerative(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    X, Z, mask, ids = _prepare(df, columns, params)
    seed = params["random_state"]
    rng = np.random.default_rng(seed)
    n = len(Z)
    sample = np.sort(rng.choice(n, params["max_rows"], replace=False)) if n > params["max_rows"] else np.arange(n)
    Zs = Z[sample]
    tree = hierarchy.linkage(Zs, method=params["linkage"])
    rows, cuts = [], {}
    for k in _k_range(params, len(Zs)):
        labels = hierarchy.fcluster(tree, t=k, criterion="maxclust") - 1
        rows.append({"k": k, "clusters_found": int(labels.max() + 1), "silhouette": _silhouette(Zs, labels, params["silhouette_sample"], seed)})
        cuts[k] = labels
    selection = pd.DataFrame(rows)
    best = int(selection.loc[selection["silhouette"].fillna(-2).idxmax(), "k"])
    selection["chosen"] = selection["k"] == best
    sample_labels = cuts[best]
    if len(sample) < n:
        centres = np.vstack([Zs[sample_labels == c].mean(axis=0) for c in range(sample_labels.max() + 1)])
        labels = np.empty(n, dtype="int64")
        # Nearest centroid in chunks: keeps the n × k distance block small.
        for start in range(0, n, 50_000):
            block = Z[start : start + 50_000]
            labels[start : start + 50_000] = ((block[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
        labels[sample] = sample_labels
    else:
        labels = sample_labels.astype("int64")
    in_tree = np.zeros(n, dtype=bool)
    in_tree[sample] = True
    assignments = ids.assign(cluster=labels, in_tree=in_tree)
    return {"assignments": assignments, "profile": _profile(X, labels, columns["features"]), "selection": selection}


AGGLOMERATIVE = Algorithm(
    name="agglomerative",
    summary="hierarchical (agglomerative) clustering with k chosen by silhouette",
    roles=ROLES,
    params=COMMON_PARAMS
    + (
        Param("linkage", "str", "merge criterion", default="ward", choices=("ward", "average", "complete", "single")),
        Param("k_min", "int", "smallest k tried", default=2, minimum=2),
        Param("k_max", "int", "largest k tried", default=10, minimum=2, maximum=50),
        Param("n_clusters", "int", "fixed k (skips the automatic choice)", nullable=True, minimum=2),
        Param("max_rows", "int", "rows used to build the tree (memory grows with n²); the rest join the nearest centroid", default=5000, minimum=100, maximum=30000),
        Param("silhouette_sample", "int", "rows sampled to compute the silhouette", default=5000, minimum=100),
    ),
    outputs=(
        Output("assignments", "id, cluster, in_tree (row was part of the hierarchical fit)"),
        Output("profile", "cluster size, share and feature means"),
        Output("selection", "silhouette per k; chosen = the k used"),
    ),
    func=run_agglomerative,
    doc=__doc__,
)
