"""Factorial (multivariate) experiments: main effects and interactions with F tests.

Model: the saturated cell-means model y_ic = mu_c + e_ic, e ~ (0, sigma^2), one cell per
combination of factor levels. Effects are contrasts of cell means with *unweighted*
averaging over the other factors:

  main effect of A, level j vs reference:  mean over other-factor cells of (mu_{A=j} - mu_{A=ref})
  A x B interaction (2x2):                 (mu_11 - mu_10) - (mu_01 - mu_00)

For an effect with contrast matrix K (Kronecker product of per-factor difference matrices
and averaging vectors), with D = diag(1 / n_c) and MSE = sum_c (n_c - 1) s_c^2 / (N - C):

  SS = (K mu)' (K D K')^-1 (K mu),  F = SS / rank(K) / MSE  ~  F(rank K, N - C)

This is exactly the Type III sum of squares of OLS  y ~ C(A, Sum) * C(B, Sum)  (statsmodels
anova_lm(typ=3)), for balanced and unbalanced cells alike, so the summary path
(`factorial_anova_from_cells`) and the per-user path (`factorial_anova_from_users`, which
runs statsmodels OLS) agree to rounding. Reference: Searle, "Linear Models for Unbalanced
Data" (1987), ch. 4 (cell-means model); Montgomery, "Design and Analysis of Experiments",
ch. 5-6. Classical ANOVA assumes a common error variance across cells.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

FACTOR_SEPARATOR = "__"


@dataclass(frozen=True)
class FactorialResult:
    anova: pd.DataFrame    # term, sum_sq, df, mean_sq, f_stat, p_value (+ Residual row)
    effects: pd.DataFrame  # term, kind, contrast, estimate, se, ci_low, ci_high, t_stat, p_value, df
    factors: tuple[str, ...]
    levels: dict[str, tuple[str, ...]]


# --- recognising a factorial design ---------------------------------------------------------


def _levels_from_json(variant_keys, factor_levels) -> pd.DataFrame | None:
    parsed = []
    for key, raw in zip(variant_keys, factor_levels):
        if raw is None or (isinstance(raw, float) and np.isnan(raw)) or raw == "":
            return None
        if isinstance(raw, Mapping):
            value = dict(raw)
        else:
            try:
                value = json.loads(raw)
            except (TypeError, json.JSONDecodeError) as exc:
                raise ValueError(f"variant {key!r}: factor_levels is not valid JSON ({raw!r}): {exc}") from None
        if not isinstance(value, dict) or not value:
            raise ValueError(f"variant {key!r}: factor_levels must be a JSON object like {{\"price\": \"high\"}}, got {raw!r}")
        parsed.append({str(k): str(v) for k, v in value.items()})
    names = list(parsed[0])
    for key, value in zip(variant_keys, parsed):
        if sorted(value) != sorted(names):
            raise ValueError(f"variant {key!r}: factors {sorted(value)} differ from {sorted(names)} of the other variants")
    return pd.DataFrame(parsed, index=pd.Index(list(variant_keys), name="variant_key"))[names]


def _levels_from_keys(variant_keys) -> pd.DataFrame | None:
    split = [str(k).split(FACTOR_SEPARATOR) for k in variant_keys]
    width = len(split[0])
    if width < 2 or any(len(parts) != width for parts in split):
        return None
    columns = {}
    for i in range(width):
        tokens = [parts[i] for parts in split]
        prefix = _common_prefix(tokens)
        prefix = prefix[: prefix.rfind("_") + 1] if "_" in prefix else ""
        if prefix and all(len(t) > len(prefix) for t in tokens):
            name, levels = prefix.rstrip("_"), [t[len(prefix):] for t in tokens]
        else:
            name, levels = f"factor_{i + 1}", tokens
        if name in columns:
            name = f"{name}_{i + 1}"
        columns[name] = levels
    return pd.DataFrame(columns, index=pd.Index(list(variant_keys), name="variant_key"))


def _common_prefix(tokens: Sequence[str]) -> str:
    first, last = min(tokens), max(tokens)
    i = 0
    while i < min(len(first), len(last)) and first[i] == last[i]:
        i += 1
    return first[:i]


def parse_factor_levels(variant_keys: Sequence[str], factor_levels: Sequence | None = None) -> pd.DataFrame | None:
    """Factor levels per variant, or None when the variants are not a factorial design.

    Uses the factor_levels JSON column when every variant has one (experiment_variants
    .factor_levels, e.g. {"price": "high", "layout": "b"}); otherwise parses variant keys of
    the form "price_high__layout_b". A design needs >= 2 factors with >= 2 levels each."""
    variant_keys = [str(k) for k in variant_keys]
    if len(set(variant_keys)) != len(variant_keys):
        raise ValueError("variant keys must be unique to parse factor levels")
    levels = None
    if factor_levels is not None and len(variant_keys):
        levels = _levels_from_json(variant_keys, list(factor_levels))
    if levels is None and variant_keys:
        levels = _levels_from_keys(variant_keys)
    if levels is None:
        return None
    varying = [c for c in levels.columns if levels[c].nunique() >= 2]
    if len(varying) < 2:
        return None
    return levels[varying]


# --- closed-form analysis from cell summaries -----------------------------------------------


def _ordered_levels(values: Sequence[str], reference: str | None) -> tuple[str, ...]:
    unique = sorted({str(v) for v in values})
    if reference is not None:
        reference = str(reference)
        if reference not in unique:
            raise ValueError(f"reference level {reference!r} not among levels {unique}")
        unique.remove(reference)
        unique.insert(0, reference)
    return tuple(unique)


def _term_matrix(term: tuple[int, ...], sizes: list[int]) -> np.ndarray:
    blocks = []
    for f, size in enumerate(sizes):
        if f in term:
            blocks.append(np.hstack([-np.ones((size - 1, 1)), np.eye(size - 1)]))  # level j - reference
        else:
            blocks.append(np.full((1, size), 1.0 / size))  # unweighted average over this factor
    matrix = blocks[0]
    for block in blocks[1:]:
        matrix = np.kron(matrix, block)
    return matrix


def factorial_anova_from_cells(
    cells: pd.DataFrame,
    factors: Sequence[str],
    *,
    n_col: str = "n",
    mean_col: str = "mean",
    variance_col: str = "variance",
    reference_levels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> FactorialResult:
    """Main effects, interactions and Type III F tests from per-cell n, mean, variance."""
    factors = list(factors)
    if len(factors) < 1:
        raise ValueError("at least one factor is needed")
    missing = [c for c in [*factors, n_col, mean_col, variance_col] if c not in cells.columns]
    if missing:
        raise ValueError(f"cell summary lacks columns {missing}")
    labels = [tuple(str(v) for v in row) for row in zip(*(cells[f].tolist() for f in factors))]
    position: dict[tuple, int] = {}
    for i, label in enumerate(labels):
        if label in position:
            raise ValueError(f"duplicate cells for {dict(zip(factors, label))}")
        position[label] = i
    reference_levels = dict(reference_levels or {})
    levels = {f: _ordered_levels([lab[j] for lab in labels], reference_levels.get(f))
              for j, f in enumerate(factors)}
    sizes = [len(levels[f]) for f in factors]
    if any(s < 2 for s in sizes):
        raise ValueError(f"every factor needs at least 2 levels, got {dict(zip(factors, sizes))}")

    combos = list(itertools.product(*(levels[f] for f in factors)))
    absent = [c for c in combos if c not in position]
    if absent:
        raise ValueError(
            "factorial design incomplete: no data for "
            + "; ".join(", ".join(f"{f}={v}" for f, v in zip(factors, c)) for c in absent[:5])
        )
    order = [position[c] for c in combos]
    n = cells[n_col].to_numpy(dtype=float)[order]
    mu = cells[mean_col].to_numpy(dtype=float)[order]
    var = np.nan_to_num(cells[variance_col].to_numpy(dtype=float)[order])
    if (n < 1).any() or not np.isfinite(mu).all():
        raise ValueError("every cell needs n >= 1 and a finite mean")
    total, n_cells = n.sum(), len(combos)
    df_resid = total - n_cells
    if df_resid < 1:
        raise ValueError(f"too few units ({total:g}) for {n_cells} cells: no residual degrees of freedom")
    sse = float(((n - 1) * var).sum())
    mse = sse / df_resid
    if not mse > 0:
        raise ValueError("zero residual variance: the metric is constant within every cell")

    d = np.diag(1.0 / n)
    t_crit = stats.t.ppf(1 - alpha / 2, df_resid)
    anova_rows, effect_rows = [], []
    for order in range(1, len(factors) + 1):
        for term in itertools.combinations(range(len(factors)), order):
            k = _term_matrix(term, sizes)
            estimate = k @ mu
            kdk = k @ d @ k.T
            ss = float(estimate @ np.linalg.solve(kdk, estimate))
            q = k.shape[0]
            f_stat = ss / q / mse
            name = ":".join(factors[i] for i in term)
            anova_rows.append(dict(term=name, sum_sq=ss, df=float(q), mean_sq=ss / q, f_stat=f_stat,
                                   p_value=float(stats.f.sf(f_stat, q, df_resid))))
            # one row per contrast: non-reference level combinations of the term's factors
            for row, level_combo in enumerate(itertools.product(*(levels[factors[i]][1:] for i in term))):
                se = float(np.sqrt(mse * kdk[row, row]))
                t_stat = float(estimate[row] / se)
                contrast = " x ".join(
                    f"{factors[i]}: {lvl} vs {levels[factors[i]][0]}" for i, lvl in zip(term, level_combo)
                )
                effect_rows.append(dict(
                    term=name, kind="main" if order == 1 else "interaction", contrast=contrast,
                    estimate=float(estimate[row]), se=se,
                    ci_low=float(estimate[row] - t_crit * se), ci_high=float(estimate[row] + t_crit * se),
                    t_stat=t_stat, p_value=float(2 * stats.t.sf(abs(t_stat), df_resid)), df=float(df_resid),
                ))
    anova_rows.append(dict(term="Residual", sum_sq=sse, df=float(df_resid), mean_sq=mse, f_stat=np.nan, p_value=np.nan))
    return FactorialResult(
        anova=pd.DataFrame(anova_rows),
        effects=pd.DataFrame(effect_rows),
        factors=tuple(factors),
        levels=levels,
    )


def cells_from_values(frame: pd.DataFrame, value: str, factors: Sequence[str]) -> pd.DataFrame:
    grouped = frame.groupby([frame[f].astype(str) for f in factors], observed=True)[value]
    cells = grouped.agg(n="count", mean="mean", variance="var").reset_index()
    cells["variance"] = cells["variance"].fillna(0.0)
    return cells


def factorial_anova_from_users(
    frame: pd.DataFrame,
    value: str,
    factors: Sequence[str],
    *,
    reference_levels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> FactorialResult:
    """Per-user path: statsmodels OLS y ~ C(f1, Sum) * C(f2, Sum) * ... with Type III ANOVA.

    Effect estimates are the cell-mean contrasts (identical to the OLS contrasts)."""
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    factors = list(factors)
    missing = [c for c in [value, *factors] if c not in frame.columns]
    if missing:
        raise ValueError(f"per-user frame lacks columns {missing}")
    y = pd.to_numeric(frame[value], errors="coerce")
    if y.isna().any():
        raise ValueError(f"column {value!r} has {int(y.isna().sum())} missing or non-numeric values")
    data = pd.DataFrame({"y": y.to_numpy(dtype=float)})
    for i, f in enumerate(factors):
        data[f"f{i}"] = frame[f].astype(str).to_numpy()
    cells = cells_from_values(frame.assign(**{value: y}), value, factors)
    closed_form = factorial_anova_from_cells(cells, factors, reference_levels=reference_levels, alpha=alpha)

    formula = "y ~ " + " * ".join(f"C(f{i}, Sum)" for i in range(len(factors)))
    fit = smf.ols(formula, data=data).fit()
    table = anova_lm(fit, typ=3)
    names = {f"C(f{i}, Sum)": f for i, f in enumerate(factors)}
    rows = []
    for label, rec in table.iterrows():
        if label == "Intercept":
            continue
        term = "Residual" if label == "Residual" else ":".join(names[p] for p in label.split(":"))
        rows.append(dict(term=term, sum_sq=float(rec["sum_sq"]), df=float(rec["df"]),
                         mean_sq=float(rec["sum_sq"] / rec["df"]),
                         f_stat=float(rec["F"]) if label != "Residual" else np.nan,
                         p_value=float(rec["PR(>F)"]) if label != "Residual" else np.nan))
    anova = pd.DataFrame(rows)
    order = {t: i for i, t in enumerate(closed_form.anova["term"])}
    anova = anova.sort_values("term", key=lambda s: s.map(order)).reset_index(drop=True)
    return FactorialResult(anova=anova, effects=closed_form.effects, factors=closed_form.factors,
                           levels=closed_form.levels)
