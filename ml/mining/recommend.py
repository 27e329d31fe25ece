"""Item-based collaborative filtering: top-N next-best offers per customer.

Inputs: `customer_id`, `item` (e.g. product_id), optional `timestamp` (needed for the holdout
evaluation) and optional `weight` (e.g. quantity), one row per interaction (order line, view, ...).
Parameters: top_n, neighbours (similar items kept per item), weighting ('binary' | 'log'),
holdout_days (evaluate on the last N days; 0 = skip), min_item_customers.
Outputs:
- `offers`: customer_id, rank, item, score, source ('item_cf', or 'popular' when the customer's
  history gives no signal for the slot), because_of (the already-bought item that contributes
  most — "because you bought …"). Items the customer already has are never offered.
- `evaluation` (when timestamp is given and holdout_days > 0): item_cf versus the most-popular
  baseline on a time-based holdout: customers_evaluated, hit_rate_at_k, precision_at_k, recall_at_k.

Method: X is the sparse customer × item matrix (1 per bought item, or log(1 + weight)). Item-item
cosine similarity S = normalise(X)ᵀ·normalise(X), keeping each item's `neighbours` most similar
items; a customer's score for item i is Σ_j x_uj·S_ij over the items j they have. Scoring runs in
customer chunks so memory stays at chunk × items whatever the customer count.
Holdout: interactions before (last date − holdout_days) train the model; a customer is evaluated
when they bought something new after the cutoff; a hit is a new item among their top-k.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.preprocessing import normalize

from ml.mining.spec import Algorithm, MiningInputError, Output, Param, Role, datetime_column, numeric_column

CHUNK = 2000


def interaction_matrix(customers: pd.Series, items: pd.Series, weights: pd.Series | None, weighting: str, item_labels=None):
    """(X, customer labels, item labels). Repeated interactions add up before weighting."""
    c_codes, c_labels = pd.factorize(customers, sort=True)
    if item_labels is None:
        i_codes, item_labels = pd.factorize(items, sort=True)
    else:
        i_codes = pd.Index(item_labels).get_indexer(items)
    keep = i_codes >= 0
    w = np.ones(len(c_codes)) if weights is None else weights.to_numpy(dtype=float)
    X = sparse.csr_matrix((w[keep], (c_codes[keep], i_codes[keep])), shape=(len(c_labels), len(item_labels)))
    X.sum_duplicates()
    X.data = np.ones_like(X.data) if weighting == "binary" else np.log1p(np.maximum(X.data, 0))
    X.eliminate_zeros()
    return X, np.asarray(c_labels), np.asarray(item_labels)


def item_similarity(X: sparse.csr_matrix, neighbours: int) -> sparse.csr_matrix:
    """Cosine similarity between item columns; row i keeps item i's `neighbours` best, no self-similarity."""
    Xn = normalize(X.tocsc(), norm="l2", axis=0)
    S = (Xn.T @ Xn).tocsr()
    S.setdiag(0)
    S.eliminate_zeros()
    indptr, indices, data = S.indptr, S.indices, S.data
    rows, cols, vals = [], [], []
    for i in range(S.shape[0]):
        lo, hi = indptr[i], indptr[i + 1]
        if hi - lo > neighbours:
            top = lo + np.argpartition(-data[lo:hi], neighbours - 1)[:neighbours]
        else:
            top = np.arange(lo, hi)
        rows.append(np.full(len(top), i))
        cols.append(indices[top])
        vals.append(data[top])
    if not rows:
        return sparse.csr_matrix(S.shape)
    return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=S.shape)


def top_n_items(X: sparse.csr_matrix, S: sparse.csr_matrix | None, popularity: np.ndarray, top_n: int, with_reason: bool = True):
    """(items, scores, from_cf, because) arrays of shape customers × top_n (S=None: popularity only).
    Unbought items with no CF signal are ranked by popularity, so every slot is filled when possible."""
    n_cust, n_items = X.shape
    k = min(top_n, n_items)
    items = np.zeros((n_cust, k), dtype=np.int64)
    scores = np.zeros((n_cust, k))
    because = np.full((n_cust, k), -1, dtype=np.int64)
    # Popularity breaks ties and fills empty CF slots: scaled far below any real CF score.
    pop_rank = popularity / (popularity.max() or 1.0) * 1e-9
    ST = S.T.tocsr() if S is not None else None
    for start in range(0, n_cust, CHUNK):
        Xc = X[start : start + CHUNK]
        cf = np.asarray((Xc @ ST).todense()) if ST is not None else np.zeros((Xc.shape[0], n_items))
        key = cf + pop_rank
        owned = Xc.nonzero()
        key[owned] = -np.inf
        part = np.argpartition(-key, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(key, part, axis=1).argsort(axis=1)[:, ::-1]
        chosen = np.take_along_axis(part, order, axis=1)
        items[start : start + CHUNK] = chosen
        scores[start : start + CHUNK] = np.take_along_axis(cf, chosen, axis=1)
        if with_reason and S is not None:
            for r in range(k):
                contrib = Xc.multiply(S[chosen[:, r]]).tocsr()
                best = np.asarray(contrib.argmax(axis=1)).ravel()
                has = np.asarray(contrib.max(axis=1).todense()).ravel() > 0
                because[start : start + CHUNK, r] = np.where(has, best, -1)
        # Customers who own (almost) every item: fewer than k unbought items remain.
        blocked = np.isneginf(np.take_along_axis(key, chosen, axis=1))
        items[start : start + CHUNK][blocked] = -1
    return items, scores, scores > 0, because


def _labels_or_null(labels: np.ndarray, codes: np.ndarray) -> pd.Series:
    """Item labels for codes, null where the code is -1 (integer ids stay integers)."""
    values = pd.Series(labels[np.maximum(codes, 0)])
    values = values.where(codes >= 0)
    return values.astype("Int64") if pd.api.types.is_integer_dtype(labels.dtype) else values


def _hits(rec: np.ndarray, truth: list[set[int]], k: int) -> tuple[float, float, float]:
    hits = np.array([len(set(row[:k]) & t) for row, t in zip(rec, truth)])
    sizes = np.array([len(t) for t in truth])
    return float((hits > 0).mean()), float((hits / k).mean()), float((hits / sizes).mean())


def evaluate_holdout(
    customers: pd.Series, items: pd.Series, when: pd.Series, weights: pd.Series | None, params: dict
) -> pd.DataFrame:
    """Time-based holdout: train before the cutoff, score new items bought after it."""
    cutoff = when.max().normalize() - pd.Timedelta(days=params["holdout_days"] - 1)
    train = (when < cutoff).to_numpy()
    if train.sum() == 0 or train.all():
        raise MiningInputError(f"holdout of {params['holdout_days']} days leaves no training or no test interactions")
    Xtr, c_labels, i_labels = interaction_matrix(
        customers[train], items[train], None if weights is None else weights[train], params["weighting"]
    )
    test = pd.DataFrame({"c": customers[~train].to_numpy(), "i": pd.Index(i_labels).get_indexer(items[~train])})
    test["row"] = pd.Index(c_labels).get_indexer(test["c"])
    test = test[(test["row"] >= 0) & (test["i"] >= 0)]  # known customers, items seen in training
    owned = Xtr[test["row"].to_numpy(), test["i"].to_numpy()]
    test = test[np.asarray(owned).ravel() == 0]  # only items that are new to the customer
    truth_by_row = test.groupby("row")["i"].agg(set)
    rows = truth_by_row.index.to_numpy()
    k = params["top_n"]
    if len(rows) == 0:
        raise MiningInputError("no customer bought a new item after the holdout cutoff; lower holdout_days")
    Xe = Xtr[rows]
    popularity = np.asarray((Xtr > 0).sum(axis=0)).ravel().astype(float)
    S = item_similarity(Xtr, params["neighbours"])
    truth = list(truth_by_row.to_numpy())
    cf_items, *_ = top_n_items(Xe, S, popularity, k, with_reason=False)
    pop_items, *_ = top_n_items(Xe, None, popularity, k, with_reason=False)
    out = []
    for model, rec in (("item_cf", cf_items), ("most_popular", pop_items)):
        hit, precision, recall = _hits(rec, truth, k)
        out.append(
            {"model": model, "k": k, "customers_evaluated": len(rows), "hit_rate_at_k": hit, "precision_at_k": precision,
             "recall_at_k": recall, "cutoff": cutoff, "train_interactions": int(train.sum()), "test_interactions": int((~train).sum())}
        )
    return pd.DataFrame(out)


def run(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    cid, item_col = columns["customer_id"], columns["item"]
    frame = df[[cid, item_col]].copy()
    weights = numeric_column(df, columns["weight"]) if "weight" in columns else None
    keep = frame[cid].notna() & frame[item_col].notna()
    if weights is not None:
        keep &= weights.fillna(0) > 0
    frame, weights = frame[keep], (weights[keep] if weights is not None else None)
    # Items too rare to have reliable neighbours are not offered (they still count as owned).
    item_customers = frame.drop_duplicates().groupby(item_col).size()
    if (item_customers >= params["min_item_customers"]).sum() == 0:
        raise MiningInputError(f"no item was bought by {params['min_item_customers']} or more customers")
    X, c_labels, i_labels = interaction_matrix(frame[cid], frame[item_col], weights, params["weighting"])
    popularity = np.asarray((X > 0).sum(axis=0)).ravel().astype(float)
    S = item_similarity(X, params["neighbours"])
    rare = popularity < params["min_item_customers"]
    if rare.any():
        S = sparse.csr_matrix(S.multiply(~rare[:, None]))  # rare items get no CF score
        popularity = np.where(rare, -1.0, popularity)  # ... and are never the popular fallback
    items, scores, from_cf, because = top_n_items(X, S, popularity, params["top_n"])
    n, k = items.shape
    valid = (items >= 0).ravel()
    if rare.any():
        valid &= ~rare[np.maximum(items, 0)].ravel()
    flat_items = np.maximum(items.ravel(), 0)
    flat_because = because.ravel()
    offers = pd.DataFrame(
        {
            cid: np.repeat(c_labels, k),
            "rank": np.tile(np.arange(1, k + 1, dtype="int64"), n),
            "item": i_labels[flat_items],
            "score": scores.ravel(),
            "source": np.where(from_cf.ravel(), "item_cf", "popular"),
            "because_of": _labels_or_null(i_labels, flat_because),
        }
    )[valid].reset_index(drop=True)
    offers["rank"] = offers.groupby(cid).cumcount().astype("int64") + 1
    offers = offers.rename(columns={"item": item_col, "because_of": f"because_of_{item_col}"})
    result = {"offers": offers}
    if "timestamp" in columns and params["holdout_days"] > 0:
        when = datetime_column(df, columns["timestamp"])[keep]
        result["evaluation"] = evaluate_holdout(frame[cid], frame[item_col], when, weights, params)
    return result


ALGORITHM = Algorithm(
    name="item_cf",
    summary="item-based collaborative filtering: top-N next-best offers per customer (+ holdout vs most-popular)",
    roles=(
        Role("customer_id", "customer key"),
        Role("item", "item key, e.g. product_id"),
        Role("timestamp", "interaction time (enables the time-based holdout evaluation)", required=False),
        Role("weight", "interaction strength, e.g. quantity", required=False),
    ),
    params=(
        Param("top_n", "int", "offers per customer", default=10, minimum=1, maximum=100),
        Param("neighbours", "int", "most similar items kept per item", default=50, minimum=1),
        Param("weighting", "str", "binary: bought or not; log: log(1 + weight)", default="binary", choices=("binary", "log")),
        Param("holdout_days", "int", "evaluate on the last N days (0 = skip)", default=30, minimum=0),
        Param("min_item_customers", "int", "items bought by fewer customers are never offered", default=2, minimum=1),
    ),
    outputs=(
        Output("offers", "customer × rank: offered item, score, source, because_of item"),
        Output("evaluation", "holdout hit rate / precision / recall at k: item_cf vs most_popular"),
    ),
    func=run,
    doc=__doc__,
)
