"""Experiment results as Dagster assets: the experiment mart in, ml.experiment_* tables out.

One multi-asset reads marts.fct_experiment_user plus the experiment definitions (staging) through
the warehouse resource, runs the engine of ml/experiments/ three times (sequential, frequentist,
bayesian: one `engine` column keeps all three side by side) and replaces, in one transaction:

- ml.experiment_results            experiment x metric x variant x engine
- ml.experiment_factorial_effects  main effects and interactions of factorial designs
- ml.experiment_factorial_anova    their Type III ANOVA tables

`decision_engine` marks the row a dashboard should read: the always-valid sequential engine while
an experiment is running (results are refreshed every few minutes, and re-reading a fixed-horizon
p-value that often would inflate false positives), the fixed-horizon frequentist engine once it
has stopped.

Freshness: the assets are `eager`, so they refresh whenever an upstream mart is updated by a run
that did not include them (e.g. the clickstream fast path after new exposures land). Our own
automation sensor evaluates that condition, running by default, so nobody has to switch on the
default automation sensor in the UI.
"""

import time
from datetime import datetime

import dagster as dg
import pandas as pd
import pyarrow as pa

from ml.experiments import (
    FACTORIAL_ANOVA_COLUMNS,
    FACTORIAL_EFFECT_COLUMNS,
    RESULT_COLUMNS,
    analyse_experiment_users,
    variant_recommendations,
)
from orchestration.ingest.columns import PLATFORM_TZ
from orchestration.ingestion import WAREHOUSE_WRITER_POOL
from orchestration.warehouse import WarehouseResource

EXPERIMENTS_GROUP = "experiments"
ML_SCHEMA = "ml"
RESULTS_TABLE = "experiment_results"
EFFECTS_TABLE = "experiment_factorial_effects"
ANOVA_TABLE = "experiment_factorial_anova"
RESULTS_KEY = dg.AssetKey([ML_SCHEMA, RESULTS_TABLE])
EFFECTS_KEY = dg.AssetKey([ML_SCHEMA, EFFECTS_TABLE])
ANOVA_KEY = dg.AssetKey([ML_SCHEMA, ANOVA_TABLE])

# Upstream dbt models (keys as the dbt translator produces them: <schema>/<model>).
EXPERIMENT_USER_KEY = dg.AssetKey(["marts", "fct_experiment_user"])
EXPERIMENTS_KEY = dg.AssetKey(["staging", "stg_oltp__experiments"])
VARIANTS_KEY = dg.AssetKey(["staging", "stg_oltp__experiment_variants"])
UPSTREAM_KEYS = (EXPERIMENT_USER_KEY, EXPERIMENTS_KEY, VARIANTS_KEY)

ENGINES = ("sequential", "frequentist", "bayesian")
RUNNING_STATUS = "running"
# Columns added to the engine's RESULT_COLUMNS in ml.experiment_results.
EXTRA_RESULT_COLUMNS = ["experiment_status", "design", "decision_engine", "analysed_at"]

USERS_SQL = "SELECT * FROM marts.fct_experiment_user"
EXPERIMENTS_SQL = (
    "SELECT experiment_key, design, primary_metric, experiment_status "
    "FROM staging.stg_oltp__experiments"
)
VARIANTS_SQL = (
    "SELECT e.experiment_key, v.variant_key, v.is_control, v.traffic_weight, v.factor_levels "
    "FROM staging.stg_oltp__experiment_variants AS v "
    "JOIN staging.stg_oltp__experiments AS e ON e.experiment_id = v.experiment_id"
)


# --- pure helpers (tested without Dagster) ------------------------------------------------------

def decision_engine_for(status: object) -> str:
    """Which engine a dashboard should read for an experiment in this status."""
    return "sequential" if str(status) == RUNNING_STATUS else "frequentist"


def analyse_all_engines(
    users: pd.DataFrame, experiments: pd.DataFrame, variants: pd.DataFrame, analysed_at: datetime
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(results for every engine, factorial effects, factorial ANOVA) for the marts' experiments.

    Only experiments with assignment rows are analysed: a defined experiment nobody has been
    assigned to yet has nothing to estimate (the engine would reject the empty input)."""
    present = set(users["experiment_key"].astype(str)) if len(users) else set()
    if not present:
        return (
            pd.DataFrame(columns=RESULT_COLUMNS + EXTRA_RESULT_COLUMNS),
            pd.DataFrame(columns=FACTORIAL_EFFECT_COLUMNS),
            pd.DataFrame(columns=FACTORIAL_ANOVA_COLUMNS),
        )
    experiments = experiments.loc[experiments["experiment_key"].astype(str).isin(present)]
    variants = variants.loc[variants["experiment_key"].astype(str).isin(present)].copy()
    # NUMERIC(8,4) arrives as Decimal; the engine normalises weights, it needs floats.
    variants["traffic_weight"] = pd.to_numeric(variants["traffic_weight"], errors="coerce").astype(float)
    primary = {
        str(k): str(m) for k, m in zip(experiments["experiment_key"], experiments["primary_metric"]) if pd.notna(m)
    }
    results, effects, anova = [], None, None
    for engine in ENGINES:
        analysis = analyse_experiment_users(
            users, variants=variants, primary_metric=primary, engine=engine,
            factorial=engine == "frequentist",  # OLS effects do not depend on the engine
        )
        results.append(analysis.results)
        if engine == "frequentist":
            effects, anova = analysis.factorial_effects, analysis.factorial_anova
    out = pd.concat(results, ignore_index=True)
    info = experiments.set_index(experiments["experiment_key"].astype(str))
    status = out["experiment_key"].map(info["experiment_status"])
    out["experiment_status"] = status
    out["design"] = out["experiment_key"].map(info["design"])
    out["decision_engine"] = out["engine"] == status.map(decision_engine_for)
    out["analysed_at"] = pd.Timestamp(analysed_at)
    return out, effects, anova


def srm_mismatches(results: pd.DataFrame) -> pd.DataFrame:
    """One row per experiment whose sample ratio mismatches its planned traffic split."""
    columns = ["experiment_key", "srm_p_value", "variants", "users"]
    if results.empty:
        return pd.DataFrame(columns=columns)
    bad = results.loc[results["srm_status"] == "mismatch"]
    if bad.empty:
        return pd.DataFrame(columns=columns)
    # SRM is a property of the experiment's assignment counts: same for every metric and engine.
    first_metric = bad.groupby("experiment_key")["metric"].transform("first")
    arms = bad.loc[(bad["metric"] == first_metric)].drop_duplicates(["experiment_key", "variant_key"])
    rows = []
    for experiment, grp in arms.groupby("experiment_key", sort=True):
        rows.append({
            "experiment_key": experiment,
            "srm_p_value": float(grp["srm_p_value"].min()),
            "variants": ", ".join(f"{v}={int(n)}" for v, n in zip(grp["variant_key"], grp["n"])),
            "users": int(grp["n"].sum()),
        })
    return pd.DataFrame(rows, columns=columns)


def _pct(value: object, digits: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value) * 100:+.{digits}f}%"


def _num(value: object, fmt: str) -> str:
    return "–" if value is None or pd.isna(value) else format(float(value), fmt)


def experiment_markdown(results: pd.DataFrame, recommendations: pd.DataFrame, experiment: str) -> str:
    """Primary-metric table of one experiment, from the engine a dashboard should read."""
    rows = results.loc[
        (results["experiment_key"] == experiment) & results["decision_engine"] & (results["metric_role"] == "primary")
    ]
    if rows.empty:
        return f"**{experiment}**: no primary-metric result"
    first = rows.iloc[0]
    advice = {str(v): r for v, r in zip(recommendations["variant_key"], recommendations["recommendation"])} if len(
        recommendations) else {}
    lines = [
        f"**{experiment}** ({first['experiment_status']}, {first['design']}) — primary metric "
        f"`{first['metric']}`, {first['engine']} engine, lift relative to control",
        "",
        "| variant | users | mean | lift | 95% interval | p (Holm) | chance to win | SRM | decision | recommendation |",
        "|---|---:|---:|---:|---|---:|---:|---|---|---|",
    ]
    for _, r in rows.iterrows():
        interval = "–" if pd.isna(r["ci_low"]) else f"[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]"
        srm = str(r["srm_status"]) + ("" if pd.isna(r["srm_p_value"]) else f" (p={float(r['srm_p_value']):.3g})")
        lines.append(
            f"| {r['variant_key']}{' (control)' if r['is_control'] else ''} | {int(r['n'])} | {_num(r['mean'], '.4g')} "
            f"| {_pct(r['rel_lift'])} | {interval} | {_num(r['p_value_holm'], '.3g')} | {_num(r['chance_to_win'], '.1%')} "
            f"| {srm} | {r['decision']} | {advice.get(str(r['variant_key']), '–') if not r['is_control'] else '–'} |"
        )
    return "\n".join(lines)


def _now_local() -> datetime:
    # The warehouse stores naive platform-local timestamps.
    return datetime.now(PLATFORM_TZ).replace(tzinfo=None)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)


# --- assets ---------------------------------------------------------------------------------------

_EAGER = dg.AutomationCondition.eager()


@dg.multi_asset(
    name="experiment_analysis",
    specs=[
        dg.AssetSpec(
            RESULTS_KEY, deps=list(UPSTREAM_KEYS), group_name=EXPERIMENTS_GROUP, kinds={"python", "pandas"},
            automation_condition=_EAGER,
            description="Experiment x metric x variant x engine: lifts, intervals, p-values (raw, Holm, BH), "
                        "chance to win, risk, SRM status and decision. `decision_engine` marks the row to read.",
        ),
        dg.AssetSpec(
            EFFECTS_KEY, deps=list(UPSTREAM_KEYS), group_name=EXPERIMENTS_GROUP, kinds={"python", "statsmodels"},
            automation_condition=_EAGER,
            description="Main effects and interactions of factorial experiments (OLS contrasts of cell means).",
        ),
        dg.AssetSpec(
            ANOVA_KEY, deps=list(UPSTREAM_KEYS), group_name=EXPERIMENTS_GROUP, kinds={"python", "statsmodels"},
            automation_condition=_EAGER,
            description="Type III ANOVA tables of factorial experiments.",
        ),
    ],
    pool=WAREHOUSE_WRITER_POOL,
)
def experiment_analysis(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    started = time.perf_counter()
    users = warehouse.read_sql(USERS_SQL)
    experiments = warehouse.read_sql(EXPERIMENTS_SQL)
    variants = warehouse.read_sql(VARIANTS_SQL)
    try:
        results, effects, anova = analyse_all_engines(users, experiments, variants, _now_local())
    except ValueError as exc:  # the engine names the column / row / customer that is wrong
        raise dg.Failure(description=f"marts.fct_experiment_user cannot be analysed: {exc}") from exc
    with warehouse.session() as session:  # all three tables change together or not at all
        session.replace_table(ML_SCHEMA, RESULTS_TABLE, _arrow(results))
        session.replace_table(ML_SCHEMA, EFFECTS_TABLE, _arrow(effects))
        session.replace_table(ML_SCHEMA, ANOVA_TABLE, _arrow(anova))
    seconds = round(time.perf_counter() - started, 3)

    analysed = sorted(results["experiment_key"].astype(str).unique())
    not_analysed = sorted(set(experiments["experiment_key"].astype(str)) - set(analysed))
    if not_analysed:
        context.log.info(f"no assignments yet for {', '.join(not_analysed)}")
    srm = srm_mismatches(results)
    if len(srm):
        context.log.warning(f"sample ratio mismatch in {', '.join(srm['experiment_key'])}: their results are untrustworthy")
    decision_rows = results.loc[results["decision_engine"].astype(bool)] if len(results) else results
    recommendations = variant_recommendations(decision_rows) if len(decision_rows) else pd.DataFrame(
        columns=["experiment_key", "variant_key", "recommendation"])
    per_experiment = {
        f"experiment:{key}": dg.MetadataValue.md(
            experiment_markdown(results, recommendations.loc[recommendations["experiment_key"] == key], key))
        for key in analysed
    }
    common = {"run_seconds": seconds, "input_rows": len(users)}
    yield dg.MaterializeResult(
        asset_key=RESULTS_KEY,
        metadata={
            **common,
            "dagster/row_count": len(results),
            "dagster/table_name": f"{ML_SCHEMA}.{RESULTS_TABLE}",
            "experiments": len(analysed),
            "engines": ", ".join(ENGINES),
            "experiments_without_assignments": ", ".join(not_analysed) or "none",
            "srm_mismatches": ", ".join(srm["experiment_key"]) or "none",
            **per_experiment,
        },
    )
    yield dg.MaterializeResult(
        asset_key=EFFECTS_KEY,
        metadata={**common, "dagster/row_count": len(effects), "dagster/table_name": f"{ML_SCHEMA}.{EFFECTS_TABLE}"},
    )
    yield dg.MaterializeResult(
        asset_key=ANOVA_KEY,
        metadata={**common, "dagster/row_count": len(anova), "dagster/table_name": f"{ML_SCHEMA}.{ANOVA_TABLE}"},
    )


@dg.asset_check(
    asset=RESULTS_KEY,
    name="no_sample_ratio_mismatch",
    description="Fails when an experiment's assignment counts contradict its planned traffic split "
                "(chi-square p < 0.001): its results cannot be trusted until the cause is found.",
    pool=WAREHOUSE_WRITER_POOL,  # a DuckDB reader must not overlap another process's writes
    automation_condition=_EAGER,  # re-checked whenever the results are refreshed
)
def no_sample_ratio_mismatch(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    results = warehouse.read_sql(
        f"SELECT experiment_key, variant_key, metric, n, srm_status, srm_p_value FROM {ML_SCHEMA}.{RESULTS_TABLE}"
    )
    return srm_check_result(results)


def srm_check_result(results: pd.DataFrame) -> dg.AssetCheckResult:
    bad = srm_mismatches(results)
    checked = results["experiment_key"].nunique() if len(results) else 0
    table = "\n".join(
        ["| experiment | SRM p-value | users per variant |", "|---|---:|---|"]
        + [f"| {r.experiment_key} | {r.srm_p_value:.3g} | {r.variants} |" for r in bad.itertuples()]
    )
    return dg.AssetCheckResult(
        passed=bad.empty,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None if bad.empty else f"sample ratio mismatch in {len(bad)} experiment(s): "
                                           + ", ".join(bad["experiment_key"]),
        metadata={
            "experiments_checked": checked,
            "mismatched_experiments": dg.MetadataValue.json(bad["experiment_key"].tolist()),
            **({"mismatches": dg.MetadataValue.md(table)} if len(bad) else {}),
        },
    )


experiments_automation_sensor = dg.AutomationConditionSensorDefinition(
    "experiments_automation_sensor",
    target=dg.AssetSelection.groups(EXPERIMENTS_GROUP),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Refreshes experiment results after new exposures reach the experiment mart.",
)

defs = dg.Definitions(
    assets=[experiment_analysis],
    asset_checks=[no_sample_ratio_mismatch],
    sensors=[experiments_automation_sensor],
)
