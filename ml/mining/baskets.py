"""Market-basket association rules (Apriori, counted with sparse matrix products).

Inputs: `basket` (e.g. order_id) and `item` (e.g. product_id or category), one row per basket line;
repeated items in a basket count once.
Parameters: min_support (share of baskets), min_confidence, min_lift, max_len (largest itemset),
max_rules (keep the strongest by lift), max_itemsets (safety stop for a too-low support).
Outputs:
- `rules`: antecedent → consequent with support, confidence, lift, leverage, conviction, baskets
  (items are joined with " + "; conviction is null when confidence is 1)
- `itemsets`: every frequent itemset with its basket count and support.

How it counts: the basket × item 0/1 matrix X is sparse. Frequent k-itemsets are the columns of
a sparse basket × itemset matrix L_k (1 where the basket holds the whole itemset); L_kᵀ·X counts
every extension of every k-itemset by one item in a single sparse product. Counting is exact, so
no candidate pruning pass is needed, and thousands of baskets take milliseconds.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import sparse

from ml.mining.spec import Algorithm, MiningInputError, Output, Param, Role

ITEM_SEPARATOR = " + "


def basket_matrix(baskets: pd.Series, items: pd.Series) -> tuple[sparse.csc_matrix, np.ndarray, np.ndarray]:
    """(X, basket labels, item labels): 0/1 basket × item matrix, duplicates collapsed."""
    keep = baskets.notna().to_numpy() & items.notna().to_numpy()
    b_codes, b_labels = pd.factorize(baskets[keep], sort=True)
    i_codes, i_labels = pd.factorize(items[keep], sort=True)
    X = sparse.csr_matrix(
        (np.ones(len(b_codes), dtype=np.int32), (b_codes, i_codes)), shape=(len(b_labels), len(i_labels))
    )
    X.data[:] = 1  # duplicates were summed by the constructor
    return X.tocsc(), np.asarray(b_labels), np.asarray(i_labels)


def frequent_itemsets(X: sparse.csc_matrix, min_count: int, max_len: int, max_itemsets: int) -> dict[tuple, int]:
    """All itemsets (tuples of column indices, ascending) held by at least min_count baskets."""
    counts = np.asarray(X.sum(axis=0)).ravel()
    frequent_cols = np.flatnonzero(counts >= min_count)
    result: dict[tuple, int] = {(int(c),): int(counts[c]) for c in frequent_cols}
    if max_len < 2 or len(frequent_cols) < 2:
        return result
    Xf = X[:, frequent_cols].tocsc()  # only frequent items can extend a frequent itemset
    level_sets = [(i,) for i in range(len(frequent_cols))]
    L = Xf
    for _size in range(2, max_len + 1):
        ext = (L.T @ Xf).tocoo()  # ext[j, c] = baskets holding itemset j and item c
        last = np.array([s[-1] for s in level_sets])
        ok = (ext.col > last[ext.row]) & (ext.data >= min_count)
        rows, cols, vals = ext.row[ok], ext.col[ok], ext.data[ok]
        if len(rows) == 0:
            break
        if len(result) + len(rows) > max_itemsets:
            raise MiningInputError(
                f"more than {max_itemsets} frequent itemsets at min_support for size {_size}; raise min_support or lower max_len"
            )
        new_sets = [level_sets[j] + (int(c),) for j, c in zip(rows, cols)]
        for s, v in zip(new_sets, vals):
            result[tuple(int(frequent_cols[i]) for i in s)] = int(v)
        if _size == max_len:
            break
        L = L[:, rows].multiply(Xf[:, cols]).tocsc()
        level_sets = new_sets
    return result


def association_rules(
    itemsets: dict[tuple, int], n_baskets: int, min_confidence: float, min_lift: float
) -> pd.DataFrame:
    rows = []
    for itemset, count in itemsets.items():
        if len(itemset) < 2:
            continue
        support = count / n_baskets
        for size in range(1, len(itemset)):
            for antecedent in combinations(itemset, size):
                consequent = tuple(i for i in itemset if i not in antecedent)
                a_sup = itemsets[antecedent] / n_baskets
                c_sup = itemsets[consequent] / n_baskets
                confidence = support / a_sup
                lift = confidence / c_sup
                if confidence < min_confidence or lift < min_lift:
                    continue
                rows.append((antecedent, consequent, a_sup, c_sup, support, confidence, lift, count))
    frame = pd.DataFrame(
        rows,
        columns=["antecedent", "consequent", "antecedent_support", "consequent_support", "support", "confidence", "lift", "baskets"],
    )
    # Typed even when empty, so an empty result still becomes a well-typed warehouse table.
    return frame.astype({c: "float64" for c in frame.columns[2:7]} | {"baskets": "int64"})


def run(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    X, _baskets, labels = basket_matrix(df[columns["basket"]], df[columns["item"]])
    n_baskets = X.shape[0]
    if n_baskets == 0:
        raise MiningInputError("no basket has an item")
    min_count = max(1, math.ceil(params["min_support"] * n_baskets - 1e-9))
    itemsets = frequent_itemsets(X, min_count, params["max_len"], params["max_itemsets"])
    rules = association_rules(itemsets, n_baskets, params["min_confidence"], params["min_lift"])
    names = labels.astype(str)

    def label(idx: tuple) -> str:
        return ITEM_SEPARATOR.join(names[list(idx)])

    if len(rules):
        rules["leverage"] = rules["support"] - rules["antecedent_support"] * rules["consequent_support"]
        with np.errstate(divide="ignore"):
            conviction = (1 - rules["consequent_support"]) / (1 - rules["confidence"])
        rules["conviction"] = conviction.where(rules["confidence"] < 1 - 1e-12)
        rules["antecedent_size"] = rules["antecedent"].map(len)
        rules["antecedent"] = rules["antecedent"].map(label)
        rules["consequent"] = rules["consequent"].map(label)
        rules = rules.sort_values(["lift", "confidence", "support"], ascending=False).head(params["max_rules"])
        rules = rules.reset_index(drop=True)
    else:
        rules = rules.assign(
            antecedent=pd.Series(dtype="object"), consequent=pd.Series(dtype="object"),
            leverage=pd.Series(dtype="float64"), conviction=pd.Series(dtype="float64"), antecedent_size=pd.Series(dtype="int64"),
        )
    rules = rules[
        ["antecedent", "consequent", "antecedent_size", "support", "confidence", "lift", "leverage", "conviction", "baskets", "antecedent_support", "consequent_support"]
    ]
    rules.insert(0, "rule_rank", np.arange(1, len(rules) + 1, dtype="int64"))
    sets = pd.DataFrame(
        {
            "itemset": [label(s) for s in itemsets],
            "size": [len(s) for s in itemsets],
            "baskets": list(itemsets.values()),
        }
    )
    sets["support"] = sets["baskets"] / n_baskets
    sets = sets.sort_values(["size", "baskets"], ascending=[True, False]).reset_index(drop=True)
    return {"rules": rules, "itemsets": sets}


ALGORITHM = Algorithm(
    name="association_rules",
    summary="market-basket association rules (Apriori) with support, confidence and lift",
    roles=(
        Role("basket", "basket key, e.g. order_id"),
        Role("item", "item in the basket, e.g. product_id or category"),
    ),
    params=(
        Param("min_support", "float", "minimum share of baskets holding the itemset", default=0.01, minimum=1e-6, maximum=1.0),
        Param("min_confidence", "float", "minimum P(consequent | antecedent)", default=0.1, minimum=0.0, maximum=1.0),
        Param("min_lift", "float", "minimum lift (1 = independent)", default=1.0, minimum=0.0),
        Param("max_len", "int", "largest itemset size", default=3, minimum=2, maximum=6),
        Param("max_rules", "int", "keep at most this many rules (highest lift first)", default=1000, minimum=1),
        Param("max_itemsets", "int", "stop with an error beyond this many frequent itemsets", default=200_000, minimum=10),
    ),
    outputs=(
        Output("rules", "antecedent → consequent with support, confidence, lift, leverage, conviction"),
        Output("itemsets", "frequent itemsets with basket count and support"),
    ),
    func=run,
    doc=__doc__,
)
