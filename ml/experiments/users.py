"""Warehouse-facing analysis: per-user experiment rows in, result tables out.

Input is shaped like marts.fct_experiment_user (one row per experiment x exposed customer):
  experiment_key, variant_key, customer_id, converted (0/1 or a count), revenue (decimal),
  sessions, optional: is_control, pre_revenue, pre_sessions, traffic_weight, factor_levels
The function is pure (no I/O): a Dagster asset reads the mart, calls
`analyse_experiment_users`, and writes `.results` to ml.experiment_results and the factorial
tables next to it.

Metric values that are NULL count as 0 (an exposed user with no recorded activity);
pre-period covariates that are NULL count as 0 too (new customers have no history), which
keeps CUPED unbiased because the covariate is fixed before exposure.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ml.experiments.analysis import RESULT_COLUMNS, analyse
from ml.experiments.bayesian import GaussianPrior
from ml.experiments.factorial import factorial_anova_from_users, parse_factor_levels
from ml.experiments.sequential import DEFAULT_TUNING_PARAMETER
from ml.experiments.srm import DEFAULT_SRM_THRESHOLD

REQUIRED_USER_COLUMNS = ("experiment_key", "variant_key")
# marts.fct_experiment_user column names -> the names the default metrics use
# (applied only when the target column is absent).
MART_COLUMN_ALIASES = {
    "conversions": "converted",
    "revenue_amount": "revenue",
    "pre_period_revenue_amount": "pre_revenue",
    "pre_period_sessions": "pre_sessions",
    "pre_period_orders": "pre_orders",
}


@dataclass(frozen=True)
class MetricSpec:
    """How one metric is computed from per-user columns."""

    name: str
    metric_type: str                 # proportion | mean | ratio
    column: str                      # per-user value (numerator for a ratio)
    denominator: str | None = None   # ratio metrics only
    covariate: str | None = None     # pre-period column for CUPED (mean/proportion)
    higher_is_better: bool = True
    role: str = "secondary"          # primary | secondary | guardrail


DEFAULT_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("conversion", "proportion", "converted_flag", covariate="pre_converted_flag", role="primary"),
    MetricSpec("revenue_per_user", "mean", "revenue", covariate="pre_revenue"),
    MetricSpec("revenue_per_session", "ratio", "revenue", denominator="sessions"),
    MetricSpec("sessions_per_user", "mean", "sessions", covariate="pre_sessions", role="guardrail"),
)

FACTORIAL_EFFECT_COLUMNS = [
    "experiment_key", "metric", "term", "kind", "contrast", "estimate", "se", "ci_low", "ci_high",
    "t_stat", "p_value", "df", "term_f_stat", "term_p_value", "status", "status_message",
]
FACTORIAL_ANOVA_COLUMNS = ["experiment_key", "metric", "term", "sum_sq", "df", "mean_sq", "f_stat", "p_value"]


@dataclass(frozen=True)
class ExperimentAnalysis:
    results: pd.DataFrame            # RESULT_COLUMNS: experiment x metric x variant
    factorial_effects: pd.DataFrame  # FACTORIAL_EFFECT_COLUMNS (empty without factorial designs)
    factorial_anova: pd.DataFrame    # FACTORIAL_ANOVA_COLUMNS


def _to_float(value):
    """Decimal / int / bool -> float; strings are left for pd.to_numeric to judge."""
    if value is None or value is pd.NA:
        return np.nan
    if isinstance(value, (str, bytes)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _numeric(rows: pd.DataFrame, column: str, *, counts: bool, fill: bool = True) -> pd.Series:
    raw = rows[column]
    if raw.dtype == bool:
        raw = raw.astype(float)
    values = pd.to_numeric(raw.map(_to_float) if raw.dtype == object else raw, errors="coerce")
    bad = raw.notna() & values.isna()
    if bad.any():
        idx = bad.idxmax()
        raise ValueError(f"column {column!r} has a non-numeric value {raw.loc[idx]!r} ({_who(rows, idx)})")
    values = values.astype(float)
    if not np.isfinite(values.dropna()).all():
        idx = values.index[~np.isfinite(values.fillna(0))][0]
        raise ValueError(f"column {column!r} has a non-finite value ({_who(rows, idx)})")
    if counts and (values < 0).any():
        idx = (values < 0).idxmax()
        raise ValueError(f"column {column!r} has a negative count {values.loc[idx]:g} ({_who(rows, idx)})")
    return values.fillna(0.0) if fill else values


def _who(rows: pd.DataFrame, idx) -> str:
    parts = [f"row {idx}"]
    for col in ("experiment_key", "variant_key", "customer_id"):
        if col in rows.columns:
            parts.append(f"{col}={rows.at[idx, col]!r}")
    return ", ".join(parts)


def prepare_user_rows(rows: pd.DataFrame, metrics: Sequence[MetricSpec], *, exposed_only: bool = True) -> pd.DataFrame:
    """Validate and type the per-user rows; add derived flags (converted_flag, pre_converted_flag).

    Accepts the mart's names (revenue_amount, conversions, pre_period_*) as aliases; keeps only
    exposed customers when an is_exposed column is present (exposed_only)."""
    if not isinstance(rows, pd.DataFrame):
        raise TypeError(f"rows must be a pandas DataFrame, got {type(rows).__name__}")
    missing = [c for c in REQUIRED_USER_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"experiment user rows lack column(s) {missing}; present: {list(rows.columns)}")
    frame = rows.reset_index(drop=True).copy()
    frame = frame.rename(columns={k: v for k, v in MART_COLUMN_ALIASES.items()
                                  if k in frame.columns and v not in frame.columns})
    if exposed_only and "is_exposed" in frame.columns:
        # Assigned but never exposed customers cannot be affected by the treatment.
        exposed = frame["is_exposed"].map(lambda v: str(v).strip().lower() in ("true", "1", "1.0", "t"))
        frame = frame.loc[exposed].reset_index(drop=True)
    if frame.empty:
        raise ValueError("no experiment user rows to analyse" + (" (none is exposed)" if len(rows) else ""))
    for col in REQUIRED_USER_COLUMNS:
        if frame[col].isna().any():
            idx = frame[col].isna().idxmax()
            raise ValueError(f"column {col!r} is empty ({_who(frame, idx)})")
        frame[col] = frame[col].astype(str)
    if "customer_id" in frame.columns:
        dup = frame.duplicated(["experiment_key", "customer_id"], keep=False)
        if dup.any():
            idx = dup.idxmax()
            raise ValueError(
                f"{int(dup.sum())} rows assign a customer to an experiment more than once "
                f"(first: {_who(frame, idx)}); one row per experiment and customer is expected"
            )
    if "converted" in frame.columns:
        frame["converted"] = _numeric(frame, "converted", counts=True)
        frame["converted_flag"] = (frame["converted"] > 0).astype(float)
    elif "is_converted" in frame.columns:
        frame["converted_flag"] = _numeric(frame, "is_converted", counts=True).clip(upper=1.0)
    # Pre-period conversion: any pre-period order (else any pre-period revenue).
    pre_source = "pre_orders" if "pre_orders" in frame.columns else ("pre_revenue" if "pre_revenue" in frame.columns else None)
    if pre_source is not None:
        pre = _numeric(frame, pre_source, counts=pre_source == "pre_orders", fill=False)
        frame[pre_source] = pre
        frame["pre_converted_flag"] = (pre > 0).astype(float).where(pre.notna())
    needed = set()
    for spec in metrics:
        needed.update(c for c in (spec.column, spec.denominator) if c)
    for col in sorted(needed):
        if col not in frame.columns:
            raise ValueError(f"metric column {col!r} is missing from the experiment user rows")
        if col not in ("converted_flag", "pre_converted_flag"):
            frame[col] = _numeric(frame, col, counts=col in ("sessions", "converted"))
    for spec in metrics:
        if spec.covariate and spec.covariate in frame.columns and spec.covariate != "pre_converted_flag":
            frame[spec.covariate] = _numeric(frame, spec.covariate, counts=False, fill=False)
    return frame


def summarise_users(rows: pd.DataFrame, metrics: Sequence[MetricSpec] = DEFAULT_METRICS, *,
                    exposed_only: bool = True) -> pd.DataFrame:
    """Per experiment x variant x metric sufficient statistics (the input of `analyse`)."""
    return _summarise_prepared(prepare_user_rows(rows, metrics, exposed_only=exposed_only), metrics)


def _summarise_prepared(frame: pd.DataFrame, metrics: Sequence[MetricSpec]) -> pd.DataFrame:
    keys = ["experiment_key", "variant_key"]
    grouped = frame.groupby(keys, sort=True)
    base = grouped.size().rename("n").reset_index()
    for col in ("is_control", "traffic_weight", "factor_levels"):
        if col in frame.columns:
            base = base.merge(grouped[col].first().reset_index(), on=keys, how="left")
    summaries = []
    for spec in metrics:
        y = frame[spec.column]
        parts = {"sum": y, "sum_squares": y * y}
        if spec.metric_type == "ratio":
            d = frame[spec.denominator]
            parts.update(denominator_sum=d, denominator_sum_squares=d * d, main_denominator_sum_product=y * d)
        cov_available = (
            spec.covariate is not None and spec.covariate in frame.columns
            and spec.metric_type in ("mean", "proportion")
        )
        if cov_available:
            x = frame[spec.covariate]
            has_history = x.notna().groupby(frame["experiment_key"]).transform("any")
            x = x.fillna(0.0)
            parts.update(covariate_sum=x.where(has_history), covariate_sum_squares=(x * x).where(has_history),
                         main_covariate_sum_product=(y * x).where(has_history))
        sums = pd.DataFrame(parts).groupby([frame[k] for k in keys]).sum(min_count=1).reset_index()
        summary = base.merge(sums, on=keys, how="left")
        summary.insert(2, "metric", spec.name)
        summary["metric_type"] = spec.metric_type
        summary["higher_is_better"] = spec.higher_is_better
        summary["metric_role"] = spec.role
        summaries.append(summary)
    return pd.concat(summaries, ignore_index=True)


def _with_primary(metrics: Sequence[MetricSpec], primary_metric: str | None) -> tuple[MetricSpec, ...]:
    if primary_metric is None:
        return tuple(metrics)
    names = [m.name for m in metrics]
    if primary_metric not in names:
        raise ValueError(f"primary metric {primary_metric!r} is not among the metrics {names}")
    return tuple(
        replace(m, role="primary") if m.name == primary_metric
        else (replace(m, role="secondary") if m.role == "primary" else m)
        for m in metrics
    )


def _apply_primary_per_experiment(summary: pd.DataFrame, metrics: Sequence[MetricSpec],
                                  primary: Mapping[str, str]) -> pd.DataFrame:
    """experiments.primary_metric differs per experiment: set metric_role row by row."""
    names = {m.name for m in metrics}
    unknown = sorted({str(v) for v in primary.values()} - names)
    if unknown:
        raise ValueError(f"primary metric(s) {unknown} are not among the metrics {sorted(names)}")
    chosen = summary["experiment_key"].map({str(k): str(v) for k, v in primary.items()})
    summary = summary.copy()
    demoted = chosen.notna() & (summary["metric_role"] == "primary") & (summary["metric"] != chosen)
    summary.loc[demoted, "metric_role"] = "secondary"
    summary.loc[chosen.notna() & (summary["metric"] == chosen), "metric_role"] = "primary"
    return summary


VARIANT_TABLE_COLUMNS = ("is_control", "traffic_weight", "factor_levels")


def _apply_variant_table(summary: pd.DataFrame, variants: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Join experiment_variants-like metadata; return the summary and planned traffic weights."""
    missing = [c for c in ("experiment_key", "variant_key") if c not in variants.columns]
    if missing:
        raise ValueError(f"variants table lacks column(s) {missing}; present: {list(variants.columns)}")
    table = variants.copy()
    table["experiment_key"] = table["experiment_key"].astype(str)
    table["variant_key"] = table["variant_key"].astype(str)
    if table.duplicated(["experiment_key", "variant_key"]).any():
        raise ValueError("variants table has duplicate experiment_key/variant_key pairs")
    extra = [c for c in VARIANT_TABLE_COLUMNS if c in table.columns]
    table = table.loc[table["experiment_key"].isin(set(summary["experiment_key"]))]
    summary = summary.drop(columns=[c for c in extra if c in summary.columns]).merge(
        table[["experiment_key", "variant_key", *extra]], on=["experiment_key", "variant_key"], how="left")
    weights: dict = {}
    if "traffic_weight" in table.columns:
        for (experiment, variant), w in table.set_index(["experiment_key", "variant_key"])["traffic_weight"].items():
            weights.setdefault(experiment, {})[variant] = float(w)
        summary = summary.drop(columns="traffic_weight")
    return summary, weights


def _factorial_tables(frame: pd.DataFrame, summary: pd.DataFrame, metrics: Sequence[MetricSpec], alpha: float):
    effects, anovas = [], []
    for experiment, exp_rows in frame.groupby("experiment_key", sort=True):
        variants = summary.loc[summary["experiment_key"] == experiment].drop_duplicates("variant_key")
        levels_json = variants["factor_levels"].tolist() if "factor_levels" in variants.columns else None
        try:
            levels = parse_factor_levels(variants["variant_key"].tolist(), levels_json)
        except ValueError as exc:
            effects.append(dict(experiment_key=experiment, metric=None, status="invalid_design", status_message=str(exc)))
            continue
        if levels is None:
            continue
        factors = list(levels.columns)
        reference = None
        if "is_control" in variants.columns:
            ctrl = variants.loc[variants["is_control"].astype(str).str.lower().isin(["true", "1", "1.0"]), "variant_key"]
            if len(ctrl) == 1:
                reference = levels.loc[ctrl.iloc[0]].to_dict()
        data = exp_rows.join(levels, on="variant_key")
        for spec in metrics:
            if spec.metric_type == "ratio":
                continue  # OLS on per-user values does not estimate a ratio of sums
            try:
                fit = factorial_anova_from_users(data, spec.column, factors, reference_levels=reference, alpha=alpha)
            except ValueError as exc:
                effects.append(dict(experiment_key=experiment, metric=spec.name, status="invalid_design",
                                    status_message=f"experiment {experiment!r}, metric {spec.name!r}: {exc}"))
                continue
            term_tests = fit.anova.set_index("term")
            eff = fit.effects.copy()
            eff["term_f_stat"] = eff["term"].map(term_tests["f_stat"])
            eff["term_p_value"] = eff["term"].map(term_tests["p_value"])
            eff.insert(0, "metric", spec.name)
            eff.insert(0, "experiment_key", experiment)
            eff["status"], eff["status_message"] = "ok", ""
            effects.extend(eff.to_dict("records"))
            anova = fit.anova.copy()
            anova.insert(0, "metric", spec.name)
            anova.insert(0, "experiment_key", experiment)
            anovas.extend(anova.to_dict("records"))
    return (pd.DataFrame(effects, columns=FACTORIAL_EFFECT_COLUMNS),
            pd.DataFrame(anovas, columns=FACTORIAL_ANOVA_COLUMNS))


def analyse_experiment_users(
    rows: pd.DataFrame,
    *,
    metrics: Sequence[MetricSpec] = DEFAULT_METRICS,
    primary_metric: str | Mapping[str, str] | None = None,
    variants: pd.DataFrame | None = None,
    control: str | Mapping[str, str] | None = None,
    traffic_weights: Mapping | None = None,
    engine: str = "frequentist",
    alpha: float = 0.05,
    difference_type: str = "relative",
    srm_threshold: float = DEFAULT_SRM_THRESHOLD,
    correction: str = "holm",
    prior: GaussianPrior | None = None,
    sequential_tuning: float = DEFAULT_TUNING_PARAMETER,
    cuped: bool = True,
    factorial: bool = True,
    exposed_only: bool = True,
) -> ExperimentAnalysis:
    """All metric results for every experiment in `rows` (fct_experiment_user shape).

    Conversion, revenue per user, revenue per session (ratio, delta method) and sessions per
    user (guardrail) by default, each with CUPED where a pre-period column exists; factorial
    main effects and interactions when the variants carry factor levels.

    primary_metric: one metric name, or {experiment_key: metric} (experiments.primary_metric).
    variants: optional experiment_variants-like table (experiment_key, variant_key and any of
      is_control, traffic_weight, factor_levels); it overrides those columns of `rows`, gives
      the planned traffic for the SRM check, and lists planned variants that have no rows.
    """
    per_experiment_primary = primary_metric if isinstance(primary_metric, Mapping) else None
    metrics = _with_primary(metrics, None if per_experiment_primary is not None else primary_metric)
    frame = prepare_user_rows(rows, metrics, exposed_only=exposed_only)
    summary = _summarise_prepared(frame, metrics)
    if per_experiment_primary is not None:
        summary = _apply_primary_per_experiment(summary, metrics, per_experiment_primary)
    if variants is not None:
        summary, planned = _apply_variant_table(summary, variants)
        if planned:
            if traffic_weights is not None:
                raise ValueError("give traffic weights either in the variants table or as traffic_weights, not both")
            traffic_weights = planned
    results = analyse(
        summary, control=control, engine=engine, alpha=alpha, difference_type=difference_type,
        traffic_weights=traffic_weights, srm_threshold=srm_threshold, correction=correction, prior=prior,
        sequential_tuning=sequential_tuning, cuped=cuped,
    )
    if factorial:
        effects, anova = _factorial_tables(frame, summary, metrics, alpha)
    else:
        effects = pd.DataFrame(columns=FACTORIAL_EFFECT_COLUMNS)
        anova = pd.DataFrame(columns=FACTORIAL_ANOVA_COLUMNS)
    return ExperimentAnalysis(results=results[RESULT_COLUMNS], factorial_effects=effects, factorial_anova=anova)


# --- the daily mart: cohort sums -> analyse() input ---------------------------------------------

DAILY_COHORT_METRICS = (
    # metric, type, sum column, sum-of-squares column, CUPED (sum, squares, cross) columns, role
    ("conversion", "proportion", "cohort_converted_users", None, None, "primary"),
    ("revenue_per_user", "mean", "cohort_revenue_sum", "cohort_revenue_sum_squares",
     ("cohort_pre_revenue_sum", "cohort_pre_revenue_sum_squares", "cohort_revenue_pre_revenue_cross_sum"), "secondary"),
    ("sessions_per_user", "mean", "cohort_sessions_sum", "cohort_sessions_sum_squares", None, "guardrail"),
)


def summarise_daily(daily: pd.DataFrame, *, until=None, primary_metric: str | None = None) -> pd.DataFrame:
    """marts.fct_experiment_daily cohort columns summed over days -> the input of `analyse`.

    A day's cohort holds the users first exposed that day with their whole-window outcomes,
    so summing cohorts gives exact per-user sums, squares and CUPED cross products. `until`
    (a date) keeps cohorts exposed up to that day. Metrics whose columns are absent are
    skipped; revenue per session needs per-user cross products and is only available from
    per-user rows (`analyse_experiment_users`)."""
    required = ["experiment_key", "variant_key", "new_users"]
    missing = [c for c in required if c not in daily.columns]
    if missing:
        raise ValueError(f"daily experiment rows lack column(s) {missing}; present: {list(daily.columns)}")
    frame = daily.reset_index(drop=True).copy()
    if until is not None:
        if "date_day" not in frame.columns:
            raise ValueError("`until` needs a date_day column")
        frame = frame.loc[pd.to_datetime(frame["date_day"]) <= pd.Timestamp(until)]
    if frame.empty:
        raise ValueError("no daily experiment rows to analyse")
    numeric = [c for c in frame.columns if c.startswith("cohort_") or c == "new_users"]
    for col in numeric:
        frame[col] = _numeric(frame, col, counts=not any(k in col for k in ("revenue",)))
    keys = ["experiment_key", "variant_key"]
    frame[keys] = frame[keys].astype(str)
    sums = frame.groupby(keys, sort=True)[numeric].sum().reset_index()
    if "is_control" in frame.columns:
        sums = sums.merge(frame.groupby(keys)["is_control"].first().reset_index(), on=keys)
    out = []
    for name, kind, total, squares, cuped, role in DAILY_COHORT_METRICS:
        if total not in sums.columns or (squares is not None and squares not in sums.columns):
            continue
        part = sums[keys + (["is_control"] if "is_control" in sums.columns else [])].copy()
        part["metric"], part["metric_type"] = name, kind
        part["n"], part["sum"] = sums["new_users"], sums[total]
        part["sum_squares"] = sums[squares] if squares else sums[total]
        if cuped and all(c in sums.columns for c in cuped):
            part["covariate_sum"], part["covariate_sum_squares"], part["main_covariate_sum_product"] = (
                sums[cuped[0]], sums[cuped[1]], sums[cuped[2]])
        part["higher_is_better"] = True
        part["metric_role"] = role if primary_metric is None else ("primary" if name == primary_metric else
                                                                  ("secondary" if role == "primary" else role))
        out.append(part)
    return pd.concat(out, ignore_index=True)
