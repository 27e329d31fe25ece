"""Input side of `analyse`: normalise, validate and annotate the summary DataFrame.

Structural problems raise ValueError; content problems (negative counts, non-numbers,
inconsistent sums...) become a per-row message that `analyse` turns into the status
`invalid_input` (or raises with strict=True). Messages name the row (CSV line for the CLI),
experiment, metric, variant and column.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

ENGINES = ("frequentist", "bayesian", "sequential")
METRIC_TYPES = ("proportion", "mean", "ratio")
CORRECTIONS = ("holm", "bh", "none")
METRIC_ROLES = ("primary", "secondary", "guardrail")

COLUMN_ALIASES = {
    "variant": "variant_key", "variation": "variant_key", "arm": "variant_key",
    "users": "n", "count": "n", "exposures": "n", "units": "n",
    "experiment": "experiment_key", "metric_name": "metric",
    "sum_of_squares": "sum_squares", "sum_sq": "sum_squares",
}
RATIO_COLUMNS = ("denominator_sum", "denominator_sum_squares", "main_denominator_sum_product")
CUPED_COLUMNS = ("covariate_sum", "covariate_sum_squares", "main_covariate_sum_product")
NUMERIC_INPUTS = ("n", "sum", "sum_squares", *RATIO_COLUMNS, *CUPED_COLUMNS, "traffic_weight")


def _row_label(frame: pd.DataFrame, idx) -> str:
    row = frame.loc[idx]
    parts = [f"{col.split('_')[0]} {row[col]!r}" for col in ("experiment_key", "metric", "variant_key")]
    return f"{row['_label']} ({', '.join(parts)})"


def _truthy(series: pd.Series) -> pd.Series:
    if series.dtype == bool:
        return series
    text = series.astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "yes", "t", "y", "1.0"])


def _direction(series: pd.Series, default: bool) -> pd.Series:
    """higher_is_better column: true/false/1/0/yes/no; empty cells take the default."""
    text = series.map(lambda v: None if pd.isna(v) else str(v).strip().lower())
    known = {"true": True, "1": True, "1.0": True, "yes": True, "t": True,
             "false": False, "0": False, "0.0": False, "no": False, "f": False}
    unknown = sorted({v for v in text.dropna() if v not in known})
    if unknown:
        raise ValueError(f"column 'higher_is_better' has unrecognised value(s) {unknown}; use true/false")
    return text.map(lambda v: default if v is None else known[v]).astype(bool)


def _normalise_columns(summary: pd.DataFrame) -> pd.DataFrame:
    frame = summary.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    renames = {}
    for col in frame.columns:
        target = COLUMN_ALIASES.get(col)
        if target and target not in frame.columns and target not in renames.values():
            renames[col] = target
    frame = frame.rename(columns=renames)
    missing = [c for c in ("variant_key", "n", "sum") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"summary is missing required column(s) {missing}; columns present: {list(summary.columns)}"
        )
    return frame


def _infer_metric_types(frame: pd.DataFrame, default: str | None) -> pd.Series:
    if "metric_type" in frame.columns:
        given = frame["metric_type"].astype(str).str.strip().str.lower()
        unknown = sorted(set(given) - set(METRIC_TYPES))
        if unknown:
            raise ValueError(f"unknown metric_type value(s) {unknown}; expected one of {METRIC_TYPES}")
        return given
    if default is not None:
        if default not in METRIC_TYPES:
            raise ValueError(f"metric_type must be one of {METRIC_TYPES}, got {default!r}")
        return pd.Series(default, index=frame.index)
    keys = [frame["experiment_key"], frame["metric"]]
    if "denominator_sum" in frame.columns and frame["denominator_sum"].notna().any():
        is_ratio = frame["denominator_sum"].notna()
    else:
        is_ratio = pd.Series(False, index=frame.index)
    # Without sums of squares only a proportion can be analysed; with them, a metric whose
    # sum of squares equals its sum (0/1 values) and never exceeds n is a proportion.
    no_squares = frame["sum_squares"].isna().groupby(keys).transform("all")
    binary = ((frame["sum_squares"] == frame["sum"]) & (frame["sum"] >= 0) & (frame["sum"] <= frame["n"]))
    zero_one = no_squares | binary.groupby(keys).transform("all")
    return pd.Series(np.where(is_ratio, "ratio", np.where(zero_one, "proportion", "mean")), index=frame.index)


def _validate_rows(frame: pd.DataFrame, raw_bad: dict, raw_values: dict) -> pd.Series:
    """Problems per row (empty string = fine). Content errors never raise here."""
    problems = pd.Series("", index=frame.index, dtype=object)

    def flag(mask: pd.Series, message) -> None:
        mask = mask.fillna(False).astype(bool) & (problems == "")
        for idx in frame.index[mask]:
            text = message(idx) if callable(message) else message
            problems.loc[idx] = f"{_row_label(frame, idx)}: {text}"

    n, total, kind = frame["n"], frame["sum"], frame["metric_type"]
    for col, bad in raw_bad.items():
        flag(bad, lambda i, c=col: f"column '{c}' is not a number: {raw_values[c].loc[i]!r}")
    flag(n.isna(), "column 'n' is missing")
    flag(n < 0, lambda i: f"column 'n' is a negative count: {n.loc[i]:g}")
    flag((n % 1) != 0, lambda i: f"column 'n' must be a whole number of units, got {n.loc[i]:g}")
    flag(total.isna(), "column 'sum' is missing")
    prop = kind == "proportion"
    flag(prop & (total < 0), lambda i: f"column 'sum' is a negative count of conversions: {total.loc[i]:g}")
    flag(prop & (total > n), lambda i: f"column 'sum' ({total.loc[i]:g}) exceeds n ({n.loc[i]:g}) for a proportion")
    needs_squares = kind.isin(["mean", "ratio"])
    squares = frame["sum_squares"]
    flag(needs_squares & squares.isna(), "column 'sum_squares' is missing (needed for mean and ratio metrics)")
    flag(squares < 0, lambda i: f"column 'sum_squares' is negative: {squares.loc[i]:g}")
    # Cauchy-Schwarz: sum^2 <= n * sum_squares, otherwise the implied variance is negative.
    tolerance = 1e-9 * (n * squares).abs() + 1e-9
    flag(needs_squares & (total**2 - n * squares > tolerance),
         lambda i: "columns 'sum'/'sum_squares' are inconsistent (implied variance is negative)")
    ratio = kind == "ratio"
    for col in RATIO_COLUMNS:
        flag(ratio & frame[col].isna(), f"column '{col}' is missing (needed for ratio metrics)")
    flag(ratio & (frame["denominator_sum_squares"] < 0), "column 'denominator_sum_squares' is negative")
    has_cov = frame[list(CUPED_COLUMNS)].notna()
    partial = has_cov.any(axis=1) & ~has_cov.all(axis=1)
    flag(partial, f"CUPED needs all of {list(CUPED_COLUMNS)} (some are missing)")
    dup = frame.duplicated(["experiment_key", "metric", "variant_key"], keep="first")
    flag(dup, "duplicate row for this experiment, metric and variant")
    if "traffic_weight" in frame.columns:
        w = frame["traffic_weight"]
        flag(w.notna() & ~(w > 0), lambda i: f"column 'traffic_weight' must be positive, got {w.loc[i]:g}")
    return problems


def prepare_summary(summary: pd.DataFrame, metric_type, higher_is_better, metric_role, strict) -> pd.DataFrame:
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"summary must be a pandas DataFrame, got {type(summary).__name__}")
    if summary.empty:
        raise ValueError("summary is empty: no variants to analyse")
    frame = _normalise_columns(summary)
    # CLI frames carry CSV line numbers (index name "line") so messages point at the file.
    name = summary.index.name
    prefix = "line " if name == "line" else ("" if name else "row ")
    frame["_label"] = [f"{prefix}{label}" for label in summary.index]
    frame = frame.reset_index(drop=True)
    if "experiment_key" not in frame.columns:
        frame["experiment_key"] = "experiment"
    if "metric" not in frame.columns:
        frame["metric"] = frame["metric_type"] if "metric_type" in frame.columns else (metric_type or "metric")
    for col in ("experiment_key", "metric", "variant_key"):
        if frame[col].isna().any():
            raise ValueError(f"column '{col}' has {int(frame[col].isna().sum())} empty value(s)")
        frame[col] = frame[col].astype(str)
    raw_bad, raw_values = {}, {}
    for col in NUMERIC_INPUTS:
        if col not in frame.columns:
            frame[col] = np.nan
            continue
        original = frame[col]
        converted = pd.to_numeric(original, errors="coerce").astype(float)
        bad = original.notna() & converted.isna()
        if bad.any():
            raw_bad[col], raw_values[col] = bad, original
        frame[col] = converted
    frame["metric_type"] = _infer_metric_types(frame, metric_type)
    prop = frame["metric_type"] == "proportion"
    frame.loc[prop & frame["sum_squares"].isna(), "sum_squares"] = frame.loc[prop, "sum"]
    ratio_rows = frame["metric_type"] == "ratio"
    if ratio_rows.any():
        absent = [c for c in RATIO_COLUMNS if frame.loc[ratio_rows, c].isna().all()]
        if absent:
            raise ValueError(f"ratio metrics need columns {list(RATIO_COLUMNS)}; missing {absent}")
    if (frame["metric_type"] == "mean").any() and frame["sum_squares"].isna().all():
        raise ValueError("mean metrics need a 'sum_squares' column (sum of squared per-user values)")

    default_direction = True if higher_is_better is None else bool(higher_is_better)
    if "higher_is_better" in frame.columns:
        frame["higher_is_better"] = _direction(frame["higher_is_better"], default_direction)
    else:
        frame["higher_is_better"] = default_direction
    if "metric_role" in frame.columns:
        frame["metric_role"] = frame["metric_role"].fillna("secondary").astype(str).str.lower()
    else:
        frame["metric_role"] = metric_role or "primary"
    unknown_roles = sorted(set(frame["metric_role"]) - set(METRIC_ROLES))
    if unknown_roles:
        raise ValueError(f"unknown metric_role value(s) {unknown_roles}; expected one of {METRIC_ROLES}")

    problems = _validate_rows(frame, raw_bad, raw_values)
    if strict and (problems != "").any():
        listed = [p for p in problems if p]
        more = f" (and {len(listed) - 10} more)" if len(listed) > 10 else ""
        raise ValueError("invalid summary input: " + "; ".join(listed[:10]) + more)
    frame["_problem"] = problems
    return frame


def resolve_control(frame: pd.DataFrame, control) -> pd.Series:
    if control is not None:
        if isinstance(control, Mapping):
            wanted = frame["experiment_key"].map({str(k): str(v) for k, v in control.items()})
        else:
            wanted = pd.Series(str(control), index=frame.index)
        return frame["variant_key"] == wanted
    if "is_control" in frame.columns:
        return _truthy(frame["is_control"])
    return frame["variant_key"].str.strip().str.lower() == "control"


def add_planned_variants(frame: pd.DataFrame, traffic_weights) -> pd.DataFrame:
    """Add rows for planned variants without data (n = 0) and a weight per row."""
    frame = frame.copy()
    if traffic_weights is None:
        if frame["traffic_weight"].isna().all():
            frame["traffic_weight"] = 1.0
        return frame
    nested = all(isinstance(v, Mapping) for v in traffic_weights.values())
    per_experiment = (
        {str(e): {str(k): float(v) for k, v in w.items()} for e, w in traffic_weights.items()}
        if nested else None
    )
    flat = None if nested else {str(k): float(v) for k, v in traffic_weights.items()}
    for name, w in (flat or {}).items():
        if not w > 0:
            raise ValueError(f"traffic weight for variant {name!r} must be positive, got {w}")
    keys = ["experiment_key", "metric"]
    groups = frame.drop_duplicates(keys)[keys + ["metric_type", "higher_is_better", "metric_role"]]
    if nested:
        plan = pd.DataFrame([(e, v, w) for e, ws in per_experiment.items() for v, w in ws.items()],
                            columns=["experiment_key", "variant_key", "_plan_weight"])
        for e, ws in per_experiment.items():
            for v, w in ws.items():
                if not w > 0:
                    raise ValueError(f"traffic weight for experiment {e!r}, variant {v!r} must be positive, got {w}")
        planned = groups.merge(plan, on="experiment_key")
    else:
        plan = pd.DataFrame(list(flat.items()), columns=["variant_key", "_plan_weight"])
        planned = groups.merge(plan, how="cross")
    present = frame[keys + ["variant_key"]].assign(_present=True)
    planned = planned.merge(present, on=keys + ["variant_key"], how="left")
    absent = planned.loc[planned["_present"].isna()].drop(columns=["_present", "_plan_weight"])
    if len(absent):
        absent = absent.assign(n=0.0, sum=0.0, sum_squares=0.0, _problem="", _planned_missing=True,
                               _label="planned variant")
        if "is_control" in frame.columns:
            absent["is_control"] = False
        frame = pd.concat([frame, absent], ignore_index=True)
    weights = frame[keys + ["variant_key"]].merge(
        planned[keys + ["variant_key", "_plan_weight"]], on=keys + ["variant_key"], how="left"
    )["_plan_weight"].to_numpy()
    frame["traffic_weight"] = pd.Series(weights, index=frame.index).fillna(frame["traffic_weight"])
    unplanned = frame["traffic_weight"].isna()
    if unplanned.any():
        names = sorted(set(frame.loc[unplanned, "variant_key"]))
        raise ValueError(f"no traffic weight given for variant(s) {names}")
    return frame
