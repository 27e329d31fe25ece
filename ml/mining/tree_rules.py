"""Decision-tree segment rules: human-readable rules that explain a target.

Inputs: `target` (e.g. converted yes/no, plan, or a numeric value) and `features` (numeric or
categorical columns; categorical ones are one-hot encoded, top `max_categories` levels each).
Parameters: max_depth, min_leaf_share / min_leaf_rows (no rule describes a tiny group),
min_impurity_decrease (splits that barely improve purity are not made, so one planted rule is
not cut into near-identical sub-rules; regression targets are standardised for this),
task ('auto' | 'classification' | 'regression'), positive_class (for yes/no style targets),
outcome_label (the verb in the rule text, default "<target> =").
Outputs:
- `rules`: one row per leaf, best outcome first:
    "if tenure_days <= 30 and sessions > 5 then converts 42.0% (n=1,234)"
  with rows, share_of_rows, outcome (rate of the positive class, share of the majority class,
  or mean), lift versus the overall rate, and the conditions alone.
- `importance`: feature, importance (impurity decrease share).

Rules are the root-to-leaf paths with conditions on the same feature merged into one interval
("5 < sessions <= 12"); thresholds on integer-valued features are shown as integers
(sklearn splits at 30.5; "<= 30" says the same thing for whole numbers).
Rows with a missing target or numeric feature are left out (their count is in the rule summary).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from ml.mining.spec import Algorithm, MiningInputError, Output, Param, Role, numeric_column

def _encode(df: pd.DataFrame, features: list[str], max_categories: int):
    """Feature matrix plus, per encoded column, (feature, kind, level, is_integer)."""
    blocks, meta = [], []
    for f in features:
        s = df[f]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if not numeric and s.dtype == object:
            converted = pd.to_numeric(s, errors="coerce")
            numeric = converted.notna().sum() == s.notna().sum() and s.notna().any()
        if numeric:
            v = numeric_column(df, f)
            finite = v.dropna()
            is_int = bool(len(finite)) and bool(np.all(np.mod(finite.to_numpy(), 1) == 0))
            blocks.append(v.to_numpy()[:, None])
            meta.append((f, "num", None, is_int))
        else:
            levels = s.astype("string").fillna("(missing)")
            top = levels.value_counts().index[:max_categories]
            levels = levels.where(levels.isin(top), "(other)")
            for level in sorted(levels.unique()):
                blocks.append((levels == level).to_numpy(dtype=float)[:, None])
                meta.append((f, "cat", level, True))
    return np.hstack(blocks), meta


def _fmt(x: float, is_int: bool) -> str:
    if is_int:
        return str(int(math.floor(x)))
    return f"{x:.4g}"


def _describe(path: list[tuple[int, str, float]], meta) -> str:
    """Merge the conditions of one root-to-leaf path into readable clauses."""
    lower: dict[str, float] = {}
    upper: dict[str, float] = {}
    equals: dict[str, str] = {}
    not_equals: dict[str, list[str]] = {}
    order: list[str] = []
    for col, op, thr in path:
        feature, kind, level, is_int = meta[col]
        if feature not in order:
            order.append(feature)
        if kind == "cat":
            if op == ">":
                equals[feature] = level
            else:
                not_equals.setdefault(feature, []).append(level)
        elif op == "<=":
            upper[feature] = min(upper.get(feature, np.inf), thr)
        else:
            lower[feature] = max(lower.get(feature, -np.inf), thr)
    int_feature = {m[0]: m[3] for m in meta if m[1] == "num"}
    clauses = []
    for f in order:
        if f in equals:
            clauses.append(f"{f} = {equals[f]}")
        elif f in not_equals:
            lv = not_equals[f]
            clauses.append(f"{f} != {lv[0]}" if len(lv) == 1 else f"{f} not in ({', '.join(lv)})")
        else:
            lo, hi, is_int = lower.get(f), upper.get(f), int_feature[f]
            if lo is not None and hi is not None:
                clauses.append(f"{_fmt(lo, is_int)} < {f} <= {_fmt(hi, is_int)}")
            elif hi is not None:
                clauses.append(f"{f} <= {_fmt(hi, is_int)}")
            else:
                clauses.append(f"{f} > {_fmt(lo, is_int)}")
    return " and ".join(clauses) if clauses else "all rows"


def _leaf_paths(tree) -> list[tuple[int, list[tuple[int, str, float]]]]:
    t = tree.tree_
    out, stack = [], [(0, [])]
    while stack:
        node, path = stack.pop()
        if t.children_left[node] == -1:
            out.append((node, path))
            continue
        f, thr = int(t.feature[node]), float(t.threshold[node])
        stack.append((t.children_right[node], path + [(f, ">", thr)]))
        stack.append((t.children_left[node], path + [(f, "<=", thr)]))
    return out


def run(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    target_col, features = columns["target"], columns["features"]
    if target_col in features:
        raise MiningInputError(f"target column '{target_col}' is also listed as a feature")
    X_all, meta = _encode(df, features, params["max_categories"])
    y_raw = df[target_col].reset_index(drop=True)
    keep = y_raw.notna().to_numpy() & ~np.isnan(X_all).any(axis=1)
    X, y_raw = X_all[keep], y_raw[keep].reset_index(drop=True)
    if len(X) < 2 * params["min_leaf_rows"]:
        raise MiningInputError(f"only {len(X)} complete rows; need at least {2 * params['min_leaf_rows']}")
    task = params["task"]
    if task == "auto":
        numeric = pd.api.types.is_numeric_dtype(y_raw) and not pd.api.types.is_bool_dtype(y_raw)
        task = "regression" if numeric and y_raw.nunique() > 10 else "classification"
    min_leaf = max(params["min_leaf_rows"], math.ceil(params["min_leaf_share"] * len(X)))
    label = params["outcome_label"] or f"{target_col} ="
    binary_positive = None
    if task == "regression":
        y = numeric_column(pd.DataFrame({target_col: y_raw}), target_col).to_numpy()
        # Fit on the standardised target so min_impurity_decrease means the same for any unit.
        scale = float(y.std()) or 1.0
        model = DecisionTreeRegressor(
            max_depth=params["max_depth"], min_samples_leaf=min_leaf, min_impurity_decrease=params["min_impurity_decrease"], random_state=0
        ).fit(X, (y - y.mean()) / scale)
        overall = float(y.mean())
    else:
        classes = pd.Series(y_raw.unique())
        if params["positive_class"] is not None:
            matches = [c for c in classes if str(c) == params["positive_class"]]
            if not matches:
                raise MiningInputError(f"positive_class '{params['positive_class']}' never occurs in '{target_col}' (values: {sorted(map(str, classes))[:10]})")
            binary_positive = matches[0]
        elif len(classes) <= 2:
            # Yes/no targets: the positive class is True / 1 / the rarer value.
            truthy = [
                c for c in classes
                if (isinstance(c, (bool, np.bool_)) and bool(c))
                or (isinstance(c, (int, float, np.number)) and not isinstance(c, (bool, np.bool_)) and c == 1)
                or (isinstance(c, str) and c.lower() in {"true", "yes", "1"})
            ]
            binary_positive = truthy[0] if truthy else y_raw.value_counts().index[-1]
        if binary_positive is not None:
            y = (y_raw == binary_positive).to_numpy().astype(int)
            overall = float(y.mean())
        else:
            y = y_raw.astype(str).to_numpy()
            overall = float("nan")
        model = DecisionTreeClassifier(
            max_depth=params["max_depth"], min_samples_leaf=min_leaf, min_impurity_decrease=params["min_impurity_decrease"], random_state=0
        ).fit(X, y)
    leaves = model.apply(X)
    rows = []
    for node, path in _leaf_paths(model):
        in_leaf = leaves == node
        n = int(in_leaf.sum())
        conditions = _describe(path, meta)
        if task == "regression":
            outcome = float(y[in_leaf].mean())
            text_outcome = f"{label} {outcome:,.4g} on average"
            predicted = None
        elif binary_positive is not None:
            outcome = float(y[in_leaf].mean())
            text_outcome = f"{label} {outcome:.1%}" if params["outcome_label"] else f"{label} {binary_positive} {outcome:.1%}"
            predicted = str(binary_positive)
        else:
            counts = pd.Series(y[in_leaf]).value_counts()
            predicted, outcome = str(counts.index[0]), float(counts.iloc[0] / n)
            text_outcome = f"{label} {predicted} {outcome:.1%}" if not params["outcome_label"] else f"{label} {predicted} ({outcome:.1%})"
        rows.append(
            {
                "rule": f"if {conditions} then {text_outcome} (n={n:,})" if path else f"all rows: {text_outcome} (n={n:,})",
                "conditions": conditions,
                "rows": n,
                "share_of_rows": n / len(X),
                "outcome": outcome,
                "lift": outcome / overall if overall and np.isfinite(overall) else np.nan,
                "predicted": predicted,
                "depth": len(path),
            }
        )
    rules = pd.DataFrame(rows).sort_values(["outcome", "rows"], ascending=[False, False]).reset_index(drop=True)
    rules.insert(0, "rule_rank", np.arange(1, len(rules) + 1, dtype="int64"))
    rules["task"] = task
    rules["overall_outcome"] = overall
    rules["rows_left_out"] = int((~keep).sum())
    importance = pd.DataFrame({"feature": [m[0] for m in meta], "importance": model.feature_importances_})
    importance = importance.groupby("feature", sort=False)["importance"].sum().reset_index()
    importance = importance.sort_values("importance", ascending=False).reset_index(drop=True)
    return {"rules": rules, "importance": importance}


ALGORITHM = Algorithm(
    name="decision_tree_rules",
    summary="human-readable decision-tree rules that explain a target (who converts, who churns)",
    roles=(
        Role("target", "column to explain (yes/no, category or number)"),
        Role("features", "explanatory columns (numeric or categorical)", multiple=True),
    ),
    params=(
        Param("max_depth", "int", "most conditions per rule", default=3, minimum=1, maximum=8),
        Param("min_leaf_share", "float", "smallest group a rule may describe, as a share of rows", default=0.01, minimum=0.0, maximum=0.5),
        Param("min_leaf_rows", "int", "smallest group a rule may describe, in rows", default=30, minimum=1),
        Param("min_impurity_decrease", "float", "a split must improve purity by at least this much (weighted by its share of rows); keeps noise splits out of the rules", default=0.001, minimum=0.0),
        Param("task", "str", "what kind of target", default="auto", choices=("auto", "classification", "regression")),
        Param("positive_class", "str", "target value counted as success (yes/no targets)", nullable=True),
        Param("outcome_label", "str", "words before the outcome, e.g. 'converts'", nullable=True),
        Param("max_categories", "int", "levels kept per categorical feature (rest = '(other)')", default=20, minimum=2),
    ),
    outputs=(
        Output("rules", "one human-readable rule per tree leaf with rows, outcome and lift"),
        Output("importance", "feature importance"),
    ),
    func=run,
    doc=__doc__,
)
