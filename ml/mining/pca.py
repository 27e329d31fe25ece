"""Principal component analysis with explained variance and loadings.

Inputs: `id` (optional key) and `features` (numeric columns); rows with a missing feature are skipped.
Parameters: n_components (fixed number) or variance_target (smallest number of components that
explains this share of variance, default 0.9), standardise (default true: features on different
scales would otherwise let the largest unit dominate).
Outputs:
- `scores`: id, pc1 … pcK (the rows projected on the components)
- `explained_variance`: component, explained_variance, explained_variance_ratio, cumulative_ratio
  (for *all* components, so the scree plot is complete), kept
- `loadings`: feature, component, loading (eigenvector × √eigenvalue = correlation with the
  component when standardised), weight (eigenvector entry).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from ml.mining.spec import Algorithm, MiningInputError, Output, Param, Role, feature_matrix, id_frame, standardise


def run(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    features = columns["features"]
    if len(features) < 2:
        raise MiningInputError("PCA needs at least two feature columns")
    X, mask = feature_matrix(df, features)
    Z = standardise(X) if params["standardise"] else X - X.mean(axis=0)
    full = PCA(svd_solver="full").fit(Z)
    ratio = full.explained_variance_ratio_
    if params["n_components"] is not None:
        k = min(params["n_components"], len(ratio))
    else:
        k = int(np.searchsorted(np.cumsum(ratio), params["variance_target"] - 1e-12) + 1)
        k = min(k, len(ratio))
    names = [f"pc{i + 1}" for i in range(len(ratio))]
    scores = id_frame(df, columns, mask)
    projected = full.transform(Z)[:, :k]
    for i in range(k):
        scores[names[i]] = projected[:, i]
    explained = pd.DataFrame(
        {
            "component": names,
            "explained_variance": full.explained_variance_,
            "explained_variance_ratio": ratio,
            "cumulative_ratio": np.cumsum(ratio),
            "kept": np.arange(len(ratio)) < k,
        }
    )
    weights = full.components_[:k]  # k × features
    loadings = weights * np.sqrt(full.explained_variance_[:k])[:, None]
    load = pd.DataFrame(
        {
            "feature": np.tile(features, k),
            "component": np.repeat(names[:k], len(features)),
            "loading": loadings.reshape(-1),
            "weight": weights.reshape(-1),
        }
    )
    return {"scores": scores, "explained_variance": explained, "loadings": load}


ALGORITHM = Algorithm(
    name="pca",
    summary="principal components with explained variance and loadings",
    roles=(
        Role("id", "row key carried into the scores", required=False),
        Role("features", "numeric feature columns", multiple=True),
    ),
    params=(
        Param("n_components", "int", "fixed number of components kept", nullable=True, minimum=1),
        Param("variance_target", "float", "keep the fewest components explaining this share", default=0.9, minimum=0.01, maximum=1.0),
        Param("standardise", "bool", "scale features to unit variance first (correlation PCA)", default=True),
    ),
    outputs=(
        Output("scores", "id and component scores pc1..pcK"),
        Output("explained_variance", "variance, ratio and cumulative ratio per component; kept flag"),
        Output("loadings", "feature × component loading and weight"),
    ),
    func=run,
    doc=__doc__,
)
