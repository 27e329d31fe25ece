"""Association rules: exact counts, and a planted co-occurrence found with its analytical lift."""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from ml.mining import ALGORITHMS
from ml.mining.baskets import basket_matrix, frequent_itemsets

P_A, P_B_GIVEN_A, P_B_OTHERWISE = 0.2, 0.6, 0.05
P_C_GIVEN_AB, P_C_OTHERWISE = 0.5, 0.03


def planted_baskets(n: int, seed: int) -> pd.DataFrame:
    """Background items are independent of A, B, C; B depends on A, and C on (A and B).
    Every basket gets at least one background line (as every real order has a line), drawn
    without looking at A/B/C, so P(A), P(B), P(C) stay the unconditional ones used below."""
    rng = np.random.default_rng(seed)
    bg_p = rng.uniform(0.02, 0.1, 40)
    background = rng.random((n, 40)) < bg_p
    background[np.arange(n), rng.integers(0, 40, n)] = True
    a = rng.random(n) < P_A
    b = rng.random(n) < np.where(a, P_B_GIVEN_A, P_B_OTHERWISE)
    c = rng.random(n) < np.where(a & b, P_C_GIVEN_AB, P_C_OTHERWISE)
    rows = [(o, f"sku_{i:02d}") for o, i in zip(*np.nonzero(background))]
    for name, has in (("A", a), ("B", b), ("C", c)):
        rows += [(o, name) for o in np.flatnonzero(has)]
    df = pd.DataFrame(rows, columns=["order_id", "product"])
    return pd.concat([df, df.sample(frac=0.05, random_state=seed)], ignore_index=True)  # repeated lines count once


def test_planted_rules_found_with_expected_lift():
    df = planted_baskets(8000, seed=3)
    rules = ALGORITHMS["association_rules"](
        df, {"basket": "order_id", "item": "product"}, {"min_support": 0.01, "min_confidence": 0.2}
    )["rules"]
    p_b = P_A * P_B_GIVEN_A + (1 - P_A) * P_B_OTHERWISE
    expected_ab = P_B_GIVEN_A / p_b  # lift(A → B) = P(B|A) / P(B)
    p_ab = P_A * P_B_GIVEN_A
    p_c = p_ab * P_C_GIVEN_AB + (1 - p_ab) * P_C_OTHERWISE
    expected_abc = P_C_GIVEN_AB / p_c  # lift(A + B → C)
    ab = rules.query("antecedent == 'A' and consequent == 'B'").squeeze()
    abc = rules.query("antecedent == 'A + B' and consequent == 'C'").squeeze()
    print(f"A→B lift {ab['lift']:.3f} (expected {expected_ab:.3f}); A+B→C lift {abc['lift']:.3f} (expected {expected_abc:.3f})")
    assert ab["lift"] == pytest.approx(expected_ab, rel=0.08)
    assert ab["confidence"] == pytest.approx(P_B_GIVEN_A, abs=0.03)
    assert abc["lift"] == pytest.approx(expected_abc, rel=0.12)
    assert abc["confidence"] == pytest.approx(P_C_GIVEN_AB, abs=0.05)
    # Independent background items produce no strong rule.
    planted = rules["antecedent"].str.contains("^[ABC]$| [ABC]$|^[ABC] ") | rules["consequent"].str.contains("^[ABC]$| [ABC]$|^[ABC] ")
    background = rules[~planted]
    assert background.empty or background["lift"].max() < 1.5


def test_itemset_counts_match_brute_force():
    rng = np.random.default_rng(5)
    baskets = [set(rng.choice(10, size=rng.integers(1, 7), replace=False).tolist()) for _ in range(300)]
    df = pd.DataFrame([(i, f"i{x}") for i, b in enumerate(baskets) for x in b], columns=["order_id", "item"])
    X, _, labels = basket_matrix(df["order_id"], df["item"])
    found = frequent_itemsets(X, min_count=10, max_len=4, max_itemsets=10_000)
    got = {frozenset(labels[list(s)]): n for s, n in found.items()}
    expected = {}
    for size in range(1, 5):
        for combo in combinations(range(10), size):
            n = sum(set(combo) <= b for b in baskets)
            if n >= 10:
                expected[frozenset(f"i{x}" for x in combo)] = n
    assert got == expected
    assert max(map(len, got)) >= 3, "the check must reach beyond pairs"
