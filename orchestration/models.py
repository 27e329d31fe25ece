"""Predictive models as Dagster assets (group `models`, keys ml/<table>): train on the marts,
gate, register, and write predictions of the *promoted* version back to the warehouse.

Every family follows the same contract:

1. train/backtest on the marts (ml/ does the modelling, this module only moves frames);
2. evaluate the family's quality gate (ml.<family>.gate) and store the new version in the model
   registry (`ml.registry`, $ZHISHU_DATA_DIR/models); the registry promotes it only if the gate
   passed;
3. write predictions from the registry's *current* version, so a failing new model leaves the
   previous good one serving;
4. append the version's metrics to ml.model_metrics (the model-health dashboard's history);
5. a blocking `quality_gate` asset check re-evaluates the gate from the registry: a failing model
   fails the check and holds back everything downstream in the run.

Assets:

- ml/forecast_backtest (partitioned by category, + `_total`): rolling-origin backtest of every
  candidate per series (category total across warehouses, category x warehouse, platform total),
  choice per series, 28-day forecast. Writes ml.forecast_backtest_scores,
  ml.forecast_model_selection, ml.forecast_backtest_predictions and ml.forecast_pending (new
  forecasts awaiting the gate). A run without a partition key (the daily job) does every category
  in one step, in parallel worker processes, and registers the category partitions; a backfill
  over the partitions fans the categories out over runs.
- ml/demand_forecast: gate on the category level (1 - WAPE > 0.85 and better than seasonal naive),
  register, serve the promoted forecast.
- ml/inventory_policy_evaluation + ml/inventory_recommendations: (s, Q) policy per product x
  warehouse from the served forecast scaled to product shares; replay on the held-back last
  backtest window against the naive rule; gate; serve the promoted policy with today's stock.
- ml/churn_scores: monthly cut-off snapshots, time split, calibrated gradient boosting; scores
  every live customer.
- ml/ticket_routing: queue from subject/body, time holdout; routes every open ticket.

Test hooks: `degrade_*` run-config flags shuffle labels (or history) so a test can show that a
degraded model is blocked and the previous version keeps serving. Gate thresholds default to the
platform targets (ml/<family>/gate.py) and can be overridden per run; the thresholds used are
stored with each version.
"""


from collections.abc import Callable, Sequence
from datetime import datetime, timezone

import dagster as dg
import numpy as np
import pandas as pd
from pydantic import Field

from ml.churn import build_snapshots, churn_gate
from ml.churn import train as train_churn
from ml.churn.gate import MIN_ACCURACY as CHURN_MIN_ACCURACY
from ml.churn.gate import MIN_ROC_AUC as CHURN_MIN_ROC_AUC
from ml.forecasting import ForecastConfig, forecast_gate, overall_scores, run_forecasting
from ml.forecasting.gate import MIN_ACCURACY as FORECAST_MIN_ACCURACY
from ml.forecasting.models import BASELINE as SEASONAL_NAIVE
from ml.forecasting.models import CANDIDATES as FORECAST_CANDIDATES
from ml.inventory import compute_policy, demand_stats_from_forecast, inventory_gate, recommended_order, replay_comparison
from ml.inventory.gate import MIN_TURNOVER_UPLIFT
from ml.registry import GateResult, ModelRegistry
from ml.routing import routing_gate
from ml.routing import train as train_routing
from ml.routing.gate import MIN_ACCURACY as ROUTING_MIN_ACCURACY
from orchestration import model_frames as mf
from orchestration.ingestion import WAREHOUSE_WRITER_POOL
from orchestration.warehouse import WarehouseResource, qualified

MODELS_GROUP = "models"
ML_SCHEMA = "ml"


def ml_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([ML_SCHEMA, table])


FORECAST_BACKTEST_KEY = ml_key("forecast_backtest")
DEMAND_FORECAST_KEY = ml_key("demand_forecast")
INVENTORY_EVALUATION_KEY = ml_key("inventory_policy_evaluation")
INVENTORY_RECOMMENDATIONS_KEY = ml_key("inventory_recommendations")
CHURN_SCORES_KEY = ml_key("churn_scores")
TICKET_ROUTING_KEY = ml_key("ticket_routing")
MODEL_METRICS_TABLE = "model_metrics"

# Upstream dbt models, keyed as orchestration/dbt.py's translator names them (<schema>/<model>).
DEMAND_MART = dg.AssetKey(["marts", "fct_category_daily_demand"])
PRODUCT_SALES_MART = dg.AssetKey(["marts", "fct_daily_product_sales"])
INVENTORY_MART = dg.AssetKey(["marts", "fct_daily_inventory"])
PRODUCT_DIM = dg.AssetKey(["marts", "dim_product"])
CUSTOMER_DIM = dg.AssetKey(["marts", "dim_customer"])
ACTIVITY_MART = dg.AssetKey(["marts", "fct_customer_daily_activity"])
PAYMENTS_MART = dg.AssetKey(["marts", "fct_payments"])
TICKETS_MART = dg.AssetKey(["marts", "fct_tickets"])
SUBSCRIPTIONS_MART = dg.AssetKey(["marts", "fct_subscriptions"])
TOUCHES_STAGING = dg.AssetKey(["staging", "stg_oltp__marketing_touches"])
SUPPORT_TICKETS_STAGING = dg.AssetKey(["staging", "stg_oltp__support_tickets"])

# Registry families (ml/registry.py) and their gate functions.
FORECAST, INVENTORY, CHURN, ROUTING = "forecast", "inventory", "churn", "routing"
GATES: dict[str, Callable[..., GateResult]] = {
    FORECAST: forecast_gate, INVENTORY: inventory_gate, CHURN: churn_gate, ROUTING: routing_gate,
}

# Tickets whose queue is final (training labels) and tickets still waiting for work (to route).
SETTLED_TICKET_STATUSES = ("resolved", "closed")
OPEN_TICKET_STATUSES = ("open", "pending", "reopened")

FORECAST_PARTITIONS = dg.DynamicPartitionsDefinition(name="forecast_category")
COMMON = {"group_name": MODELS_GROUP, "pool": WAREHOUSE_WRITER_POOL}


class ModelRegistryResource(dg.ConfigurableResource):
    """Where versioned model artifacts live (outside git)."""

    root: str | None = Field(
        default=None, description="Registry folder; default $ZHISHU_DATA_DIR/models (read at run time)"
    )

    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.root)


# --- shared plumbing -------------------------------------------------------------------------------

def _now() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(timezone.utc))  # tz-aware: the warehouse stores it as local time


def _table_exists(warehouse: WarehouseResource, table: str) -> bool:
    with warehouse.session() as session:
        return bool(session.table_columns(ML_SCHEMA, table))


def _register_and_serve(
    context: dg.AssetExecutionContext,
    registry: ModelRegistry,
    family: str,
    model,
    *,
    metrics: dict,
    gate: GateResult,
    training_window: dict,
    params: dict,
) -> tuple[dict, tuple | None]:
    """Save the new version (promoted iff its gate passed); return it and the serving (model, metadata)."""
    registered = registry.register(family, model, metrics=metrics, gate=gate, training_window=training_window,
                                   params=params)
    if gate.passed:
        context.log.info(f"{family}: version {registered['version']} passed its gate and serves now")
    else:
        context.log.warning(
            f"{family}: version {registered['version']} failed its gate ({'; '.join(gate.reasons)}); "
            f"still serving {registered['serving_version'] or 'nothing'}"
        )
    return registered, registry.load_current(family)


def _metrics_rows(registry: ModelRegistry, family: str, registered: dict) -> pd.DataFrame:
    metadata = registry.get(family, registered["version"]).metadata
    return mf.metric_rows(family, registered, metadata, registered["serving_version"])


def _gate_metadata(registered: dict, gate: GateResult) -> dict:
    return {
        "model_version": registered["version"],
        "serving_version": registered["serving_version"] or "none",
        "promoted": registered["promoted"],
        "gate_passed": gate.passed,
        "gate": dg.MetadataValue.json(gate.to_dict()),
    }


def _metadata(values: dict) -> dict:
    """Dagster metadata from plain values: numpy scalars -> Python, NaN -> None (not serialisable)."""
    clean = {}
    for name, value in values.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not np.isfinite(value):
            value = None
        clean[name] = value
    return clean


def _write(session, table: str, frame: pd.DataFrame, date_columns: Sequence[str] = (), append: bool = False) -> int:
    data = mf.to_arrow(frame, date_columns)
    if append:
        return session.append_table(ML_SCHEMA, table, data)
    return session.replace_table(ML_SCHEMA, table, data)


# --- 1. forecasting ---------------------------------------------------------------------------------

class ForecastBacktestConfig(dg.Config):
    horizon: int = Field(default=28, description="Forecast horizon in days (also each backtest fold's length)")
    n_folds: int = Field(default=4, description="Rolling-origin backtest folds")
    level: float = Field(default=80.0, description="Central prediction-interval coverage in percent")
    candidates: list[str] = Field(default=list(FORECAST_CANDIDATES),
                                  description="Candidate models; seasonal naive is always added")
    n_jobs: int = Field(default=0, description="Worker processes for the series; 0 = all cores")
    levels: list[str] = Field(default=[mf.CATEGORY, mf.CATEGORY_WAREHOUSE, mf.TOTAL],
                              description="Series levels to fit (inventory needs category_warehouse; the "
                                          "gate needs category)")
    degrade_shuffle_history: bool = Field(default=False, description="TEST HOOK: shuffle each series in time")


BACKTEST_TABLES = ("forecast_backtest_scores", "forecast_model_selection", "forecast_backtest_predictions",
                   "forecast_pending")


@dg.asset(
    key=FORECAST_BACKTEST_KEY,
    deps=[DEMAND_MART],
    partitions_def=FORECAST_PARTITIONS,
    kinds={"python", "prophet", "statsforecast"},
    description=(
        "Rolling-origin backtest of Prophet, AutoETS, AutoTheta, their ensemble and seasonal naive for "
        "every demand series of a category (category total across warehouses, category x warehouse; "
        "partition `_total` = the platform total), the best candidate per series by WAPE, and its 28-day "
        "forecast with an 80 % interval (not served until ml/demand_forecast's gate passes). Tables: "
        "ml.forecast_backtest_scores, ml.forecast_model_selection, ml.forecast_backtest_predictions, "
        "ml.forecast_pending. Without a partition key every category runs, in parallel processes."
    ),
    **COMMON,
)
def forecast_backtest(
    context: dg.AssetExecutionContext, config: ForecastBacktestConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    demand = warehouse.read_sql(
        "SELECT date_day, category, warehouse_id, units FROM marts.fct_category_daily_demand"
    )
    series = mf.build_demand_series(demand)
    partitions = sorted(series["forecast_partition"].unique())
    if context.has_partition_key:
        selected = [context.partition_key]
    else:
        selected = partitions
        known = set(context.instance.get_dynamic_partitions(FORECAST_PARTITIONS.name))
        new = [p for p in partitions if p not in known]
        if new:  # so a backfill can fan the categories out over runs
            context.instance.add_dynamic_partitions(FORECAST_PARTITIONS.name, new)
    unknown = set(config.levels) - {mf.CATEGORY, mf.CATEGORY_WAREHOUSE, mf.TOTAL}
    if unknown:
        raise dg.Failure(f"unknown forecast levels {sorted(unknown)}")
    series = series[series["forecast_partition"].isin(selected) & series["series_level"].isin(config.levels)]
    if config.degrade_shuffle_history:
        context.log.warning("TEST HOOK degrade_shuffle_history: every series is shuffled in time")
        series = mf.shuffle_within_series(series)
    labels = mf.series_labels(series)
    run_id, trained_at = context.run.run_id, _now()
    written: dict[str, int] = {}
    result = None
    if not series.empty:
        result = run_forecasting(
            series[["series_id", "ds", "y"]],
            ForecastConfig(freq="D", horizon=config.horizon, n_folds=config.n_folds, level=config.level,
                           candidates=tuple(config.candidates), n_jobs=config.n_jobs or None),
        )
        stamp = {"trained_at": trained_at, "backtest_run_id": run_id}
        tables = {
            "forecast_backtest_scores": labels.merge(result.scores, on="series_id").assign(**stamp),
            "forecast_model_selection": labels.merge(result.chosen, on="series_id").assign(**stamp),
            "forecast_backtest_predictions": labels.merge(result.backtest, on="series_id").assign(**stamp),
            "forecast_pending": labels.merge(result.forecast, on="series_id").assign(**stamp),
        }
    else:
        context.log.warning(f"no demand series for partition(s) {selected}; their rows are removed")
        tables = {}
    with warehouse.session() as session:  # all four tables change together
        for table in BACKTEST_TABLES:
            frame = tables.get(table)
            dates = [c for c in ("ds", "history_start", "history_end") if frame is not None and c in frame]
            if context.has_partition_key:
                if session.table_columns(ML_SCHEMA, table):
                    session.execute(f"DELETE FROM {qualified(ML_SCHEMA, table)} WHERE forecast_partition = ?",
                                    selected)
                written[table] = _write(session, table, frame, dates, append=True) if frame is not None else 0
            elif frame is not None:
                written[table] = _write(session, table, frame, dates)
    metadata: dict = {"partitions": ", ".join(selected), "rows_written": dg.MetadataValue.json(written),
                      "dagster/row_count": written.get("forecast_backtest_scores", 0)}
    if result is not None:
        summary = result.summary()
        metadata.update({
            "series": int(len(labels)),
            "accuracy_all_series_1_minus_wape": summary["accuracy"],
            "seasonal_naive_wape": summary["baseline_wape"],
            "elapsed_seconds": round(result.elapsed_seconds, 1),
            "notes": "\n".join(result.notes) or "none",
        })
    return dg.MaterializeResult(metadata=_metadata(metadata))


class DemandForecastConfig(dg.Config):
    min_accuracy: float = Field(default=FORECAST_MIN_ACCURACY,
                                description="Gate: category-level 1 - WAPE must exceed this (platform target 0.85)")


def forecast_summary(scores: pd.DataFrame, selection: pd.DataFrame) -> dict:
    """Gate metrics: the per-series choice pooled over the CATEGORY series, vs seasonal naive;
    plus the same pooled accuracy for the other levels (reported, not gated)."""
    summary: dict = {}
    for level in (mf.CATEGORY, mf.CATEGORY_WAREHOUSE, mf.TOTAL):
        level_scores = scores[scores["series_level"] == level]
        if level_scores.empty:
            continue
        pooled = overall_scores(level_scores)
        chosen, naive = pooled.loc["chosen"], pooled.loc[SEASONAL_NAIVE]
        entry = {
            "wape": float(chosen["wape"]), "mape": float(chosen["mape"]), "smape": float(chosen["smape"]),
            "mase": float(chosen["mase"]), "accuracy": float(1 - chosen["wape"]),
            "baseline_wape": float(naive["wape"]), "baseline_mase": float(naive["mase"]),
            "n_series": int(level_scores["series_id"].nunique()),
            "candidates": {str(m): {k: float(row[k]) for k in ("wape", "mape", "smape", "mase")}
                           for m, row in pooled.drop(index="chosen").iterrows()},
        }
        if level == mf.CATEGORY:
            summary.update({k: v for k, v in entry.items() if k != "candidates"})
            summary["candidates"] = entry["candidates"]
        summary[level] = {k: v for k, v in entry.items() if k != "candidates"}
    summary["chosen_models"] = selection["model"].value_counts().to_dict()
    summary["n_series_total"] = int(selection["series_id"].nunique())
    return summary


def _forecast_report(selection: pd.DataFrame, summary: dict) -> dict:
    """Markdown: per series chosen model vs seasonal naive (with text bars); candidates as a table."""
    order = {mf.CATEGORY: 0, mf.TOTAL: 1, mf.CATEGORY_WAREHOUSE: 2}
    rows = selection.assign(_o=selection["series_level"].map(order)).sort_values(["_o", "series_id"])
    table = pd.DataFrame({
        "series": rows["series_id"], "level": rows["series_level"], "chosen": rows["model"],
        "1-WAPE": 1 - rows["wape"], "seasonal_naive 1-WAPE": 1 - rows["baseline_wape"],
        "beats naive": rows["beats_baseline"].map({True: "yes", False: "NO"}),
        "accuracy": [mf.bar(1 - w) for w in rows["wape"]],
    })
    candidates = summary.get("candidates", {})
    return {
        "scores_by_series": dg.MetadataValue.md(mf.markdown_table(table, max_rows=80)),
        "category_candidates": dg.MetadataValue.table(
            records=[dg.TableRecord({"model": m, "wape": round(c["wape"], 4), "accuracy": round(1 - c["wape"], 4),
                                     "mase": round(c["mase"], 4)}) for m, c in candidates.items()],
            schema=dg.TableSchema(columns=[dg.TableColumn("model"), dg.TableColumn("wape", "float"),
                                           dg.TableColumn("accuracy", "float"), dg.TableColumn("mase", "float")]),
        ),
    }


@dg.asset(
    key=DEMAND_FORECAST_KEY,
    deps=[FORECAST_BACKTEST_KEY],
    kinds={"python"},
    description=(
        "The served 28-day demand forecast (ml.demand_forecast: series_id, category, warehouse_id, ds, yhat, "
        "yhat_lower, yhat_upper, model) from the promoted forecast version. The newest backtest becomes a "
        "registry version and is promoted only if, pooled over the category series (category total across "
        "warehouses), 1 - WAPE > 0.85 and WAPE < seasonal naive."
    ),
    **COMMON,
)
def demand_forecast(
    context: dg.AssetExecutionContext,
    config: DemandForecastConfig,
    warehouse: WarehouseResource,
    model_registry: ModelRegistryResource,
) -> dg.MaterializeResult:
    if not _table_exists(warehouse, "forecast_pending"):
        raise dg.Failure("no forecast backtest yet: materialize ml/forecast_backtest first")
    scores = warehouse.read_sql("SELECT * FROM ml.forecast_backtest_scores")
    selection = warehouse.read_sql("SELECT * FROM ml.forecast_model_selection")
    pending = warehouse.read_sql("SELECT * FROM ml.forecast_pending")
    summary = forecast_summary(scores, selection)
    thresholds = {"min_accuracy": config.min_accuracy}
    gate = forecast_gate(summary, **thresholds)
    registry = model_registry.registry()
    model = {"forecast": pending, "selection": selection, "summary": summary}
    window = {"start": str(pd.Timestamp(selection["history_start"].min()).date()),
              "end": str(pd.Timestamp(selection["history_end"].max()).date())}
    registered, serving = _register_and_serve(
        context, registry, FORECAST, model, metrics=summary, gate=gate, training_window=window,
        params={"gate_thresholds": thresholds, "backtest_runs": sorted(set(selection["backtest_run_id"]))},
    )
    written = 0
    with warehouse.session() as session:
        if serving is not None:
            served_model, served_meta = serving
            forecast = served_model["forecast"][
                ["series_id", "series_level", "category", "warehouse_id", "ds", "yhat", "yhat_lower", "yhat_upper",
                 "model", "interval_level"]
            ].assign(model_version=served_meta["version"], trained_at=pd.Timestamp(served_meta["created_at"]))
            written = _write(session, "demand_forecast", forecast, ["ds"])
        _write(session, MODEL_METRICS_TABLE, _metrics_rows(registry, FORECAST, registered), append=True)
    return dg.MaterializeResult(metadata=_metadata({
        **_gate_metadata(registered, gate),
        "category_accuracy_1_minus_wape": summary.get("accuracy"),
        "category_seasonal_naive_accuracy": 1 - summary["baseline_wape"] if summary.get("baseline_wape") else None,
        "category_warehouse_accuracy": summary.get(mf.CATEGORY_WAREHOUSE, {}).get("accuracy"),
        "total_accuracy": summary.get(mf.TOTAL, {}).get("accuracy"),
        "series": summary["n_series_total"],
        "dagster/row_count": written,
        "dagster/table_name": "ml.demand_forecast",
        **_forecast_report(selection, summary),
    }))


# --- 2. inventory -----------------------------------------------------------------------------------

class InventoryConfig(dg.Config):
    service_level: float = Field(default=0.95, description="Cycle service level of the (s, Q) policy")
    lead_time_days: float = Field(default=5.0, description="Replenishment lead time (no purchase-order data yet)")
    lead_time_std_days: float = Field(default=2.0, description="Standard deviation of the lead time")
    ordering_cost: float = Field(default=200.0, description="Fixed cost per purchase order (CNY)")
    holding_rate: float = Field(default=0.25, description="Yearly holding cost as a fraction of unit cost")
    max_order_cover_days: float = Field(
        default=14.0, description="Cap on the order quantity in days of forecast demand (0 = pure EOQ). With "
        "a few units a day per product, EOQ alone orders months of supply for slow movers")
    share_window_days: int = Field(default=90, description="Days of sales defining each product's share")
    min_turnover_uplift: float = Field(default=MIN_TURNOVER_UPLIFT, description="Gate: turnover vs naive")


def _replay_group_stats(predictions: pd.DataFrame, selection: pd.DataFrame) -> pd.DataFrame:
    """As of the last backtest origin: mean forecast over the last fold and the chosen model's RMSE on
    the earlier folds (its realised daily forecast error), per category x warehouse."""
    chosen = selection[selection["series_level"] == mf.CATEGORY_WAREHOUSE][["series_id", "model"]]
    preds = predictions.merge(chosen, on=["series_id", "model"])
    last_fold = preds["fold"].max()
    current, earlier = preds[preds["fold"] == last_fold], preds[preds["fold"] < last_fold]
    if earlier.empty:
        earlier = current
    mean = current.groupby(["category", "warehouse_id"])["yhat"].mean().rename("mean_daily_demand")
    rmse = earlier.assign(e2=(earlier["y"] - earlier["yhat"]) ** 2).groupby(["category", "warehouse_id"])["e2"].mean()
    return pd.concat([mean, np.sqrt(rmse).rename("sigma_daily")], axis=1).reset_index()


def _policy_inputs(items: pd.DataFrame, cfg: InventoryConfig) -> pd.DataFrame:
    """compute_policy's inputs; stock is applied later, when recommending from the served policy."""
    return items.assign(on_hand=0.0, service_level=cfg.service_level, lead_time_days=cfg.lead_time_days, lead_time_std_days=cfg.lead_time_std_days,
                        ordering_cost=cfg.ordering_cost, holding_rate=cfg.holding_rate,
                        unit_cost=items["unit_cost"].astype(float))


def _policy(items: pd.DataFrame, cfg: InventoryConfig) -> pd.DataFrame:
    """ml.inventory.compute_policy, then the order quantity capped at `max_order_cover_days`."""
    policy = compute_policy(_policy_inputs(items, cfg), cfg.service_level)
    policy["eoq_uncapped"] = policy["eoq"]
    if cfg.max_order_cover_days > 0:
        cap = np.maximum(np.ceil(policy["mean_daily_demand"] * cfg.max_order_cover_days), 1.0)
        policy["eoq"] = np.where(policy["eoq"] > 0, np.minimum(policy["eoq"], cap), 0.0)
    return policy


POLICY_COLUMNS = ["product_id", "warehouse_id", "category", "share", "mean_daily_demand", "sigma_daily",
                  "lead_time_days", "lead_time_std_days", "service_level", "unit_cost", "ordering_cost",
                  "holding_cost_per_unit_year", "safety_stock", "reorder_point", "eoq_uncapped", "eoq"]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(INVENTORY_EVALUATION_KEY, group_name=MODELS_GROUP, deps=[FORECAST_BACKTEST_KEY, PRODUCT_SALES_MART, PRODUCT_DIM],
                     kinds={"python"},
                     description="Replay of the held-back last backtest window: the (s, Q) policy vs the naive "
                                 "rule (order last 30 days' sales every 30 days), fill rate and turnover per "
                                 "product x warehouse and pooled (scope = item | pooled)."),
        dg.AssetSpec(INVENTORY_RECOMMENDATIONS_KEY, group_name=MODELS_GROUP,
                     deps=[DEMAND_FORECAST_KEY, PRODUCT_SALES_MART, INVENTORY_MART, PRODUCT_DIM],
                     kinds={"python"},
                     description="Safety stock, reorder point, EOQ and recommended order per product x "
                                 "warehouse from the promoted inventory policy and today's stock."),
    ],
    name="inventory_policy",
    pool=WAREHOUSE_WRITER_POOL,
)
def inventory_policy(
    context: dg.AssetExecutionContext,
    config: InventoryConfig,
    warehouse: WarehouseResource,
    model_registry: ModelRegistryResource,
):
    forecast = warehouse.read_sql(
        "SELECT category, warehouse_id, ds, yhat, yhat_lower, yhat_upper, interval_level, model_version "
        "FROM ml.demand_forecast WHERE series_level = 'category_warehouse'"
    ) if _table_exists(warehouse, "demand_forecast") else pd.DataFrame()
    if forecast.empty:
        raise dg.Failure("no served demand forecast (ml.demand_forecast): no forecast version was ever promoted")
    selection = warehouse.read_sql("SELECT * FROM ml.forecast_model_selection")
    predictions = warehouse.read_sql(
        "SELECT series_id, category, warehouse_id, model, fold, ds, y, yhat FROM ml.forecast_backtest_predictions "
        "WHERE series_level = 'category_warehouse'"
    )
    last_day = pd.Timestamp(warehouse.read_sql("SELECT max(date_day) AS d FROM marts.fct_daily_product_sales")["d"].iloc[0])
    # The held-back window is the last backtest fold: forecasts for it were made without seeing it.
    last_fold_days = pd.to_datetime(predictions.loc[predictions["fold"] == predictions["fold"].max(), "ds"])
    held_back_start, end = last_fold_days.min(), last_fold_days.max() + pd.Timedelta(days=1)
    earliest = held_back_start - pd.Timedelta(days=config.share_window_days + 30)
    sales = warehouse.read_sql(
        "SELECT date_day, product_id, warehouse_id, category, units_sold FROM marts.fct_daily_product_sales "
        "WHERE date_day >= ?", (earliest.date(),))
    products = warehouse.read_sql("SELECT product_id, CAST(unit_cost AS DOUBLE PRECISION) AS unit_cost FROM marts.dim_product")
    stock = warehouse.read_sql(
        "SELECT product_id, warehouse_id, stock_on_hand AS on_hand FROM marts.fct_daily_inventory "
        "WHERE date_day = (SELECT max(date_day) FROM marts.fct_daily_inventory)")
    stock["on_hand"] = stock["on_hand"].astype(float)

    # Replay: the policy as it would have been set at the last backtest origin, on the demand after it.
    replay_shares = mf.product_shares(sales, held_back_start - pd.Timedelta(days=config.share_window_days),
                                      held_back_start)
    replay_items = mf.product_demand(replay_shares, _replay_group_stats(predictions, selection)).merge(products)
    replay_policy = _policy(replay_items, config)
    held_back = mf.daily_grid(sales, replay_policy, held_back_start, end)
    history = mf.daily_grid(sales, replay_policy, held_back_start - pd.Timedelta(days=30), held_back_start)
    replay_table, summary = replay_comparison(held_back, history, replay_policy, key_cols=("product_id", "warehouse_id"))
    thresholds = {"min_turnover_uplift": config.min_turnover_uplift}
    gate = inventory_gate(summary, **thresholds)

    # Today's policy from the served forecast; it becomes the new registry version.
    group_stats = demand_stats_from_forecast(forecast, key_cols=("category", "warehouse_id"))
    shares = mf.product_shares(sales, last_day + pd.Timedelta(days=1) - pd.Timedelta(days=config.share_window_days),
                               last_day + pd.Timedelta(days=1))
    items = mf.product_demand(shares, group_stats).merge(products)
    policy = _policy(items, config)[POLICY_COLUMNS]
    registry = model_registry.registry()
    params = {"gate_thresholds": thresholds, "forecast_version": str(forecast["model_version"].iloc[0]),
              **config.model_dump(exclude={"min_turnover_uplift"})}
    registered, serving = _register_and_serve(
        context, registry, INVENTORY, policy, metrics=summary, gate=gate, params=params,
        training_window={"start": str(held_back_start.date()), "end": str((end - pd.Timedelta(days=1)).date())},
    )

    evaluated_at = _now()
    pooled = pd.DataFrame([{"scope": "pooled", "policy": name, **values}
                           for name, values in summary.items() if isinstance(values, dict)])
    evaluation = pd.concat([replay_table.assign(scope="item"), pooled], ignore_index=True).assign(
        model_version=registered["version"], replay_start=held_back_start, replay_end=end - pd.Timedelta(days=1),
        evaluated_at=evaluated_at)
    recommendations = None
    if serving is not None:
        served_policy, served_meta = serving
        recommendations = served_policy.merge(stock, on=["product_id", "warehouse_id"], how="left")
        recommendations["on_hand"] = recommendations["on_hand"].fillna(0.0)
        recommendations["inventory_position"] = recommendations["on_hand"]  # no open purchase orders in the marts
        recommendations["recommended_order_qty"] = recommended_order(
            recommendations["inventory_position"], recommendations["reorder_point"], recommendations["eoq"])
        recommendations["needs_order"] = recommendations["recommended_order_qty"] > 0
        recommendations = recommendations.assign(policy_version=served_meta["version"], stock_date=last_day,
                                                 computed_at=evaluated_at)
    with warehouse.session() as session:
        n_eval = _write(session, "inventory_policy_evaluation", evaluation, ["replay_start", "replay_end"])
        n_rec = _write(session, "inventory_recommendations", recommendations, ["stock_date"]) \
            if recommendations is not None else 0
        _write(session, MODEL_METRICS_TABLE, _metrics_rows(registry, INVENTORY, registered), append=True)
    sq, naive = summary.get("sq_policy", {}), summary.get("naive", {})
    yield dg.MaterializeResult(asset_key=INVENTORY_EVALUATION_KEY, metadata=_metadata({
        **_gate_metadata(registered, gate),
        "fill_rate_policy": sq.get("fill_rate"), "fill_rate_naive": naive.get("fill_rate"),
        "turnover_policy": sq.get("turnover"), "turnover_naive": naive.get("turnover"),
        "turnover_uplift": summary.get("turnover_uplift"), "items": summary.get("n_items"),
        "replay_window": f"{held_back_start.date()}..{(end - pd.Timedelta(days=1)).date()}",
        "dagster/row_count": n_eval, "dagster/table_name": "ml.inventory_policy_evaluation",
    }))
    yield dg.MaterializeResult(asset_key=INVENTORY_RECOMMENDATIONS_KEY, metadata=_metadata({
        "policy_version": registered["serving_version"] or "none",
        "items": n_rec,
        "items_to_order": int(recommendations["needs_order"].sum()) if recommendations is not None else 0,
        "dagster/row_count": n_rec, "dagster/table_name": "ml.inventory_recommendations",
    }))


# --- 3. churn ----------------------------------------------------------------------------------------

class ChurnConfig(dg.Config):
    n_cutoffs: int = Field(default=6, description="Labelled monthly (30-day) cut-offs before the scoring one")
    min_accuracy: float = Field(default=CHURN_MIN_ACCURACY, description="Gate: accuracy must exceed this")
    min_roc_auc: float = Field(default=CHURN_MIN_ROC_AUC, description="Gate: ROC AUC must reach this")
    degrade_shuffle_labels: bool = Field(default=False, description="TEST HOOK: shuffle the churn labels")


def churn_inputs(warehouse: WarehouseResource, since: pd.Timestamp) -> dict[str, pd.DataFrame]:
    day = since.date()
    return {
        "customers": warehouse.read_sql(
            "SELECT customer_id, signed_up_at, acquisition_channel, current_plan_tier, current_billing_mode, "
            "churned_at FROM marts.dim_customer"),
        "activity": warehouse.read_sql(
            "SELECT customer_id, activity_date, events, sessions, orders, "
            "CAST(revenue_amount AS DOUBLE PRECISION) AS revenue FROM marts.fct_customer_daily_activity"),
        # (all activity: recency must see a customer's last activity however long ago it was)
        "payments": warehouse.read_sql(
            "SELECT customer_id, attempted_at, payment_status FROM marts.fct_payments WHERE attempted_at >= ?", (day,)),
        "tickets": warehouse.read_sql(
            "SELECT customer_id, opened_at, csat_score, is_sla_breached FROM marts.fct_tickets WHERE opened_at >= ?",
            (day,)),
        "touches": warehouse.read_sql(
            "SELECT customer_id, touched_at, touch_type FROM staging.stg_oltp__marketing_touches "
            "WHERE touched_at >= ?", (day,)),
        "subscriptions": warehouse.read_sql(
            "SELECT customer_id, plan_code, billing_mode, started_at, cancelled_at FROM marts.fct_subscriptions"),
    }


@dg.asset(
    key=CHURN_SCORES_KEY,
    deps=[CUSTOMER_DIM, ACTIVITY_MART, PAYMENTS_MART, TICKETS_MART, SUBSCRIPTIONS_MART, TOUCHES_STAGING],
    kinds={"python", "scikitlearn"},
    description=(
        "Churn-within-30-days probability for every live customer (ml.churn_scores: customer_id, "
        "churn_probability, risk_decile, top drivers, model_version, scored_at) from the promoted model. "
        "Trained on monthly cut-off snapshots (time split: earlier cut-offs train, the second-latest "
        "calibrates, the latest labelled one tests); gate: accuracy > 0.80 and ROC AUC >= 0.85."
    ),
    **COMMON,
)
def churn_scores(
    context: dg.AssetExecutionContext,
    config: ChurnConfig,
    warehouse: WarehouseResource,
    model_registry: ModelRegistryResource,
) -> dg.MaterializeResult:
    last = warehouse.read_sql("SELECT max(activity_date) AS d FROM marts.fct_customer_daily_activity")["d"].iloc[0]
    if last is None or pd.isna(last):
        raise dg.Failure("marts.fct_customer_daily_activity is empty: no churn snapshots possible")
    observed_until = pd.Timestamp(last).normalize() + pd.Timedelta(days=1)
    # 30-day steps, so every cut-off but the newest has a complete 30-day label window.
    cutoffs = [observed_until - pd.Timedelta(days=30 * k) for k in range(config.n_cutoffs, -1, -1)]
    inputs = churn_inputs(warehouse, cutoffs[0] - pd.Timedelta(days=100))  # features look back <= 90 days
    snapshots = build_snapshots(cutoffs, **inputs, observed_until=observed_until)
    labelled = snapshots[snapshots["cutoff_date"] < observed_until].reset_index(drop=True)
    scoring = snapshots[snapshots["cutoff_date"] == observed_until].reset_index(drop=True)
    if config.degrade_shuffle_labels:
        # Training cut-offs only: the degraded model is still evaluated on the true latest labels.
        context.log.warning("TEST HOOK degrade_shuffle_labels: training churn labels are shuffled")
        training = labelled["cutoff_date"] < labelled["cutoff_date"].max()
        labelled.loc[training, "churned_30d"] = np.random.default_rng(0).permutation(
            labelled.loc[training, "churned_30d"].to_numpy())
    model, metrics, _ = train_churn(labelled)
    thresholds = {"min_accuracy": config.min_accuracy, "min_roc_auc": config.min_roc_auc}
    gate = churn_gate(metrics, **thresholds)
    registry = model_registry.registry()
    registered, serving = _register_and_serve(
        context, registry, CHURN, model, metrics=metrics, gate=gate,
        training_window={"start": str(cutoffs[0].date()), "end": str(cutoffs[-2].date())},
        params={"gate_thresholds": thresholds, "cutoffs": [str(c.date()) for c in cutoffs],
                "degraded": config.degrade_shuffle_labels},
    )
    written = 0
    with warehouse.session() as session:
        if serving is not None:
            served_model, served_meta = serving
            scores = served_model.score(scoring)
            keep = ["customer_id", "churn_probability", "risk_decile", "driver_1", "driver_1_impact", "driver_2",
                    "driver_2_impact", "driver_3", "driver_3_impact", "top_drivers"]
            scores = scores[[c for c in keep if c in scores]].assign(
                as_of_date=observed_until, model_version=served_meta["version"], scored_at=_now())
            written = _write(session, "churn_scores", scores, ["as_of_date"])
        _write(session, MODEL_METRICS_TABLE, _metrics_rows(registry, CHURN, registered), append=True)
    baseline = metrics["models"].get("logistic_regression", {})
    return dg.MaterializeResult(metadata=_metadata({
        **_gate_metadata(registered, gate),
        **{name: metrics.get(name) for name in ("roc_auc", "pr_auc", "accuracy", "precision_top_decile",
                                                 "recall_top_decile", "lift_top_decile", "brier", "base_rate")},
        "baseline_logistic_roc_auc": baseline.get("roc_auc"),
        "split": metrics["split"],
        "top_features": dg.MetadataValue.md(mf.markdown_table(pd.DataFrame(metrics["global_importance"][:10]))
                                            if metrics["global_importance"] else "n/a"),
        "customers_scored": written,
        "dagster/row_count": written, "dagster/table_name": "ml.churn_scores",
    }))


# --- 4. ticket routing --------------------------------------------------------------------------------

class RoutingConfig(dg.Config):
    holdout_fraction: float = Field(default=0.2, description="Latest share of settled tickets held out")
    min_accuracy: float = Field(default=ROUTING_MIN_ACCURACY, description="Gate: holdout accuracy must exceed this")
    degrade_shuffle_labels: bool = Field(default=False, description="TEST HOOK: shuffle the training queues")


@dg.asset(
    key=TICKET_ROUTING_KEY,
    deps=[SUPPORT_TICKETS_STAGING],
    kinds={"python", "scikitlearn"},
    description=(
        "Queue predictions for every open ticket (ml.ticket_routing: ticket_id, predicted_queue, confidence, "
        "routed_to = queue or human_triage below the confidence threshold, model_version) from the promoted "
        "routing model, trained on settled tickets' subject + body (zh/en, TF-IDF char + word n-grams, "
        "calibrated linear SVM) with a time holdout; gate: accuracy > 0.90."
    ),
    **COMMON,
)
def ticket_routing(
    context: dg.AssetExecutionContext,
    config: RoutingConfig,
    warehouse: WarehouseResource,
    model_registry: ModelRegistryResource,
) -> dg.MaterializeResult:
    tickets = warehouse.read_sql(
        "SELECT ticket_id, subject, body, queue, opened_at, ticket_status FROM staging.stg_oltp__support_tickets")
    settled = tickets[tickets["ticket_status"].isin(SETTLED_TICKET_STATUSES)].reset_index(drop=True)
    open_tickets = tickets[tickets["ticket_status"].isin(OPEN_TICKET_STATUSES)].reset_index(drop=True)
    if config.degrade_shuffle_labels:
        # Training part only (train_routing holds out the latest tickets): evaluated on true queues.
        context.log.warning("TEST HOOK degrade_shuffle_labels: training queues are shuffled")
        order = pd.to_datetime(settled["opened_at"]).sort_values(kind="stable").index
        training = order[: len(order) - max(1, int(round(len(order) * config.holdout_fraction)))]
        settled.loc[training, "queue"] = np.random.default_rng(0).permutation(settled.loc[training, "queue"].to_numpy())
    model, metrics = train_routing(settled, holdout_fraction=config.holdout_fraction)
    thresholds = {"min_accuracy": config.min_accuracy}
    gate = routing_gate(metrics, **thresholds)
    registry = model_registry.registry()
    opened = pd.to_datetime(settled["opened_at"])
    registered, serving = _register_and_serve(
        context, registry, ROUTING, model, metrics=metrics, gate=gate,
        training_window={"start": str(opened.min()), "end": str(opened.max())},
        params={"gate_thresholds": thresholds, "degraded": config.degrade_shuffle_labels},
    )
    written = 0
    with warehouse.session() as session:
        if serving is not None:
            served_model, served_meta = serving
            routed = served_model.route(open_tickets) if len(open_tickets) else pd.DataFrame(
                columns=["predicted_queue", "confidence", "routed_queue"])
            output = pd.DataFrame({
                "ticket_id": open_tickets["ticket_id"].astype("int64"),
                "ticket_status": open_tickets["ticket_status"],
                "current_queue": open_tickets["queue"],
                "predicted_queue": routed["predicted_queue"].astype(str),
                "confidence": routed["confidence"].astype(float),
                "routed_to": routed["routed_queue"].astype(str),
            }).assign(model_version=served_meta["version"], scored_at=_now())
            written = _write(session, "ticket_routing", output)
        _write(session, MODEL_METRICS_TABLE, _metrics_rows(registry, ROUTING, registered), append=True)
    recall = pd.DataFrame(sorted(metrics["per_queue_recall"].items()), columns=["queue", "recall"])
    return dg.MaterializeResult(metadata=_metadata({
        **_gate_metadata(registered, gate),
        **{name: metrics.get(name) for name in ("accuracy", "macro_f1", "auto_routed_share", "auto_routed_accuracy",
                                                 "confidence_threshold", "n_test", "n_train")},
        "per_queue_recall": dg.MetadataValue.md(mf.markdown_table(recall)),
        "split": metrics["split"],
        "open_tickets_routed": written,
        "dagster/row_count": written, "dagster/table_name": "ml.ticket_routing",
    }))


# --- 5. quality gates as blocking asset checks ---------------------------------------------------------

def _trained_version(context: dg.AssetCheckExecutionContext, key: dg.AssetKey) -> str | None:
    event = context.instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get("model_version")
    return None if value is None else str(value.value)


def build_gate_check(family: str, key: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=key,
        name="quality_gate",
        blocking=True,
        description=f"The {family} model trained by the latest materialization passes its quality gate "
                    f"(ml.{family} gate, thresholds stored with the version). Blocks downstream assets when not; "
                    f"the registry keeps serving the previously promoted version.",
    )
    def _check(context: dg.AssetCheckExecutionContext, model_registry: ModelRegistryResource) -> dg.AssetCheckResult:
        version = _trained_version(context, key)
        if version is None:
            return dg.AssetCheckResult(passed=False, description="no trained model version recorded yet")
        registry = model_registry.registry()
        saved = registry.get(family, version).metadata
        gate = GATES[family](saved["metrics"], **(saved.get("params") or {}).get("gate_thresholds", {}))
        serving = registry.current(family)
        return dg.AssetCheckResult(
            passed=gate.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=None if gate.passed else "; ".join(gate.reasons),
            metadata={
                "model_version": version,
                "serving_version": serving.version if serving else "none",
                "checks": dg.MetadataValue.json(gate.checks),
            },
        )

    return _check


def build_models_defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[forecast_backtest, demand_forecast, inventory_policy, churn_scores, ticket_routing],
        asset_checks=[
            build_gate_check(FORECAST, DEMAND_FORECAST_KEY),
            build_gate_check(INVENTORY, INVENTORY_EVALUATION_KEY),
            build_gate_check(CHURN, CHURN_SCORES_KEY),
            build_gate_check(ROUTING, TICKET_ROUTING_KEY),
        ],
        resources={"model_registry": ModelRegistryResource()},
    )


defs = build_models_defs()
