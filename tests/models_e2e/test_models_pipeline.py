"""The `models` assets on a small simulated platform: every series, live customer and open ticket
gets a prediction from the promoted version, the numbers reconcile with the backtest, gate checks
block a degraded model while the previous version keeps serving, and a forecast partition run
replaces only its own category."""

from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from ml.registry import ModelRegistry
from orchestration import model_frames as mf
from orchestration.models import (
    CHURN,
    CHURN_SCORES_KEY,
    DEMAND_FORECAST_KEY,
    FORECAST,
    FORECAST_BACKTEST_KEY,
    FORECAST_PARTITIONS,
    INVENTORY,
    INVENTORY_EVALUATION_KEY,
    INVENTORY_RECOMMENDATIONS_KEY,
    OPEN_TICKET_STATUSES,
    ROUTING,
    TICKET_ROUTING_KEY,
)

HORIZON = 28
FAMILIES = (FORECAST, INVENTORY, CHURN, ROUTING)


def registry(pipeline) -> ModelRegistry:
    return ModelRegistry(pipeline.data / "models")


def serving(pipeline, family: str) -> str:
    current = registry(pipeline).current(family)
    assert current is not None, f"no {family} version was promoted"
    return current.version


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.asset_key.to_user_string(): e.passed for e in result.get_asset_check_evaluations()
            if e.check_name == "quality_gate"}


def test_forecast_covers_every_series_with_intervals(models_platform, first_run):
    mart = models_platform.query("SELECT DISTINCT category, warehouse_id FROM marts.fct_category_daily_demand")
    last_day = pd.Timestamp(models_platform.query("SELECT max(date_day) AS d FROM marts.fct_category_daily_demand")["d"][0])
    expected = ({"total"} | set(mart["category"])
                | {mf.series_id(mf.CATEGORY_WAREHOUSE, c, w) for c, w in mart.itertuples(index=False)})
    forecast = first_run.tables["demand_forecast"]
    assert set(forecast["series_id"]) == expected
    days = forecast.groupby("series_id")["ds"].agg(["count", "min", "max"])
    assert (days["count"] == HORIZON).all()
    assert (pd.to_datetime(days["min"]) == last_day + pd.Timedelta(days=1)).all()
    assert (pd.to_datetime(days["max"]) == last_day + pd.Timedelta(days=HORIZON)).all()
    assert (forecast["yhat_lower"] <= forecast["yhat"] + 1e-9).all()
    assert (forecast["yhat"] <= forecast["yhat_upper"] + 1e-9).all()
    assert (forecast["yhat"] >= 0).all()
    assert set(forecast["model_version"]) == {serving(models_platform, FORECAST)}
    # Category rows carry their labels: the category total equals the category, no warehouse.
    category_rows = forecast[forecast["series_level"] == mf.CATEGORY]
    assert (category_rows["series_id"] == category_rows["category"]).all()
    assert category_rows["warehouse_id"].isna().all()


def test_backtest_scores_every_candidate_next_to_seasonal_naive(first_run):
    scores = first_run.tables["forecast_backtest_scores"]
    selection = first_run.tables["forecast_model_selection"]
    assert set(scores["model"]) == {"auto_theta", "seasonal_naive"}  # the mechanics run's candidates
    per_series = scores.groupby("series_id")
    assert (per_series["model"].nunique() == 2).all()
    assert (per_series["chosen"].sum() == 1).all()
    assert (scores["n_folds"] == 4).all()  # two years of history: the full rolling-origin backtest
    assert set(selection["series_id"]) == set(scores["series_id"])
    chosen = scores[scores["chosen"]].set_index("series_id")["model"]
    assert (selection.set_index("series_id")["model"] == chosen.reindex(selection["series_id"]).to_numpy()).all()
    assert (selection["beats_baseline"] == (selection["wape"] < selection["baseline_wape"])).all()


def test_category_accuracy_reconciles_with_backtest_predictions(models_platform, first_run):
    """The gated number (pooled category-level 1 - WAPE of the per-series choice) recomputed from
    the stored fold predictions equals the number in ml.model_metrics."""
    predictions = models_platform.query(
        "SELECT p.series_id, p.y, p.yhat FROM ml.forecast_backtest_predictions p "
        "JOIN ml.forecast_model_selection s ON s.series_id = p.series_id AND s.model = p.model "
        "WHERE p.series_level = 'category'")
    recomputed = 1 - (predictions["y"] - predictions["yhat"]).abs().sum() / predictions["y"].abs().sum()
    metrics = first_run.tables["model_metrics"]
    recorded = metrics[(metrics["family"] == FORECAST) & (metrics["metric"] == "accuracy")]["value"]
    assert len(recorded) == 1
    assert recorded.iloc[0] == pytest.approx(recomputed, rel=1e-9)
    evaluation = {e.asset_key: e for e in first_run.result.get_asset_materialization_events()}
    metadata = evaluation[DEMAND_FORECAST_KEY].materialization.metadata
    assert metadata["category_accuracy_1_minus_wape"].value == pytest.approx(recomputed, rel=1e-9)
    assert "seasonal_naive" in metadata["scores_by_series"].value


def test_inventory_recommendations_per_product_and_warehouse(models_platform, first_run):
    recommendations = first_run.tables["inventory_recommendations"]
    last_day = pd.Timestamp(models_platform.query("SELECT max(date_day) AS d FROM marts.fct_daily_product_sales")["d"][0])
    sold = models_platform.query(
        "SELECT DISTINCT product_id, warehouse_id FROM marts.fct_daily_product_sales "
        f"WHERE units_sold > 0 AND date_day > DATE '{(last_day - pd.Timedelta(days=90)).date()}'")
    assert set(map(tuple, recommendations[["product_id", "warehouse_id"]].to_numpy())) == set(map(tuple, sold.to_numpy()))
    assert (recommendations["safety_stock"] >= 0).all()
    assert (recommendations["reorder_point"] >= recommendations["safety_stock"]).all()
    assert (recommendations["eoq"] > 0).all()
    ordering = recommendations[recommendations["needs_order"]]
    assert len(ordering) > 0
    multiples = ordering["recommended_order_qty"] / ordering["eoq"]
    assert np.allclose(multiples, np.round(multiples))
    assert (ordering["on_hand"] + ordering["recommended_order_qty"] > ordering["reorder_point"]).all()
    assert (recommendations.loc[~recommendations["needs_order"], "on_hand"]
            > recommendations.loc[~recommendations["needs_order"], "reorder_point"]).all()
    assert set(recommendations["policy_version"]) == {serving(models_platform, INVENTORY)}
    # Product demand adds up to the category x warehouse forecast it was scaled from.
    forecast = first_run.tables["demand_forecast"]
    group_mean = (forecast[forecast["series_level"] == mf.CATEGORY_WAREHOUSE]
                  .groupby(["category", "warehouse_id"])["yhat"].mean())
    product_sum = recommendations.groupby(["category", "warehouse_id"])["mean_daily_demand"].sum()
    joined = pd.concat([group_mean.rename("forecast"), product_sum.rename("products")], axis=1, join="inner")
    assert len(joined) > 0
    assert np.allclose(joined["forecast"], joined["products"])


def test_inventory_replay_reports_both_policies(first_run):
    evaluation = first_run.tables["inventory_policy_evaluation"]
    pooled = evaluation[evaluation["scope"] == "pooled"].set_index("policy")
    assert set(pooled.index) == {"sq_policy", "naive"}
    assert pooled["fill_rate"].between(0, 1).all()
    assert (pooled["turnover"] > 0).all()
    items = evaluation[evaluation["scope"] == "item"]
    for policy in ("sq_policy", "naive"):  # pooled = sums over the items
        rows = items[items["policy"] == policy]
        assert pooled.loc[policy, "units_sold"] == pytest.approx(rows["units_sold"].sum())
        assert pooled.loc[policy, "fill_rate"] == pytest.approx(rows["units_sold"].sum() / rows["units_demanded"].sum())
    metrics = first_run.tables["model_metrics"]
    uplift = metrics[(metrics["family"] == INVENTORY) & (metrics["metric"] == "turnover_uplift")]["value"].iloc[0]
    assert uplift == pytest.approx(pooled.loc["sq_policy", "turnover"] / pooled.loc["naive", "turnover"] - 1)


def test_churn_scores_every_live_customer(models_platform, first_run):
    observed_until = pd.Timestamp(models_platform.query(
        "SELECT max(activity_date) AS d FROM marts.fct_customer_daily_activity")["d"][0]) + pd.Timedelta(days=1)
    live = models_platform.query(
        f"SELECT customer_id FROM marts.dim_customer WHERE signed_up_at < TIMESTAMP '{observed_until}' "
        f"AND (churned_at IS NULL OR churned_at >= TIMESTAMP '{observed_until}')")
    scores = first_run.tables["churn_scores"]
    assert len(live) > 0
    assert sorted(scores["customer_id"]) == sorted(live["customer_id"])
    assert scores["churn_probability"].between(0, 1).all()
    assert set(scores["risk_decile"]) == set(range(1, 11))
    deciles = scores.groupby("risk_decile")["churn_probability"].mean()
    assert deciles.is_monotonic_decreasing  # decile 1 = riskiest
    assert scores["top_drivers"].str.len().gt(0).mean() > 0.5
    assert set(scores["model_version"]) == {serving(models_platform, CHURN)}


def test_routing_covers_every_open_ticket(models_platform, first_run):
    tickets = models_platform.query("SELECT ticket_id, ticket_status, queue FROM staging.stg_oltp__support_tickets")
    open_ids = set(tickets.loc[tickets["ticket_status"].isin(OPEN_TICKET_STATUSES), "ticket_id"])
    routed = first_run.tables["ticket_routing"]
    assert open_ids, "the simulated platform has no open tickets to route"
    assert set(routed["ticket_id"]) == open_ids
    model, metadata = registry(models_platform).load_current(ROUTING)
    assert set(routed["model_version"]) == {metadata["version"]}
    auto = routed["confidence"] >= model.confidence_threshold
    assert (routed.loc[auto, "routed_to"] == routed.loc[auto, "predicted_queue"]).all()
    assert (routed.loc[~auto, "routed_to"] == "human_triage").all()
    assert set(routed["predicted_queue"]) <= set(tickets["queue"])
    # The single-ticket serving path agrees with the batch.
    first = routed.iloc[0]
    text = models_platform.query(f"SELECT subject, body FROM staging.stg_oltp__support_tickets WHERE ticket_id = {first['ticket_id']}")
    single = model.score_ticket(text["subject"][0], text["body"][0])
    assert single["predicted_queue"] == first["predicted_queue"]
    assert single["confidence"] == pytest.approx(first["confidence"], rel=1e-6)


def test_gates_pass_and_metrics_history_is_recorded(models_platform, first_run):
    assert check_results(first_run.result) == {
        DEMAND_FORECAST_KEY.to_user_string(): True, INVENTORY_EVALUATION_KEY.to_user_string(): True,
        CHURN_SCORES_KEY.to_user_string(): True, TICKET_ROUTING_KEY.to_user_string(): True,
    }
    metrics = first_run.tables["model_metrics"]
    assert set(metrics["family"]) == set(FAMILIES)
    for family in FAMILIES:
        rows = metrics[metrics["family"] == family]
        assert rows["version"].nunique() == 1
        assert rows["gate_passed"].all() and rows["promoted"].all()
        assert (rows["serving_version"] == rows["version"]).all()
        metadata = registry(models_platform).get(family, rows["version"].iloc[0]).metadata
        assert metadata["gate"]["passed"] and metadata["training_window"]
        assert {"scikit-learn", "pandas"} <= set(metadata["library_versions"])
        assert metadata["params"]["gate_thresholds"]
    churn = metrics[metrics["family"] == CHURN].set_index("metric")["value"]
    assert {"roc_auc", "accuracy", "pr_auc", "precision_top_decile", "models.logistic_regression.roc_auc"} <= set(churn.index)
    routing = metrics[metrics["family"] == ROUTING].set_index("metric")["value"]
    assert {"accuracy", "macro_f1", "auto_routed_share"} <= set(routing.index)


DEGRADED_RUN_CONFIG = {
    "ops": {
        # A shuffled history leaves nothing to learn; with seasonal naive as the only candidate the
        # choice cannot beat the baseline either (and the backtest stays cheap).
        "ml__forecast_backtest": {"config": {"candidates": ["seasonal_naive"], "degrade_shuffle_history": True}},
        "ml__demand_forecast": {"config": {"min_accuracy": 0.5}},
        "ml__churn_scores": {"config": {"degrade_shuffle_labels": True, "min_roc_auc": 0.7}},
        "ml__ticket_routing": {"config": {"degrade_shuffle_labels": True}},
    }
}


def test_degraded_models_are_blocked_and_previous_versions_keep_serving(models_platform, first_run):
    before = {family: serving(models_platform, family) for family in FAMILIES}
    selection = dg.AssetSelection.keys(FORECAST_BACKTEST_KEY, DEMAND_FORECAST_KEY, INVENTORY_EVALUATION_KEY,
                                       INVENTORY_RECOMMENDATIONS_KEY, CHURN_SCORES_KEY, TICKET_ROUTING_KEY)
    result = models_platform.materialize(selection, run_config=DEGRADED_RUN_CONFIG)

    gates = check_results(result)
    assert gates == {DEMAND_FORECAST_KEY.to_user_string(): False, CHURN_SCORES_KEY.to_user_string(): False,
                     TICKET_ROUTING_KEY.to_user_string(): False}  # inventory: blocked, never ran
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert INVENTORY_RECOMMENDATIONS_KEY not in materialized  # held back by the failed forecast gate
    assert {DEMAND_FORECAST_KEY, CHURN_SCORES_KEY, TICKET_ROUTING_KEY} <= materialized

    after = {family: serving(models_platform, family) for family in FAMILIES}
    assert after == before
    metrics = models_platform.query("SELECT * FROM ml.model_metrics")
    for family in (FORECAST, CHURN, ROUTING):
        versions = metrics[metrics["family"] == family].groupby("version").first()
        failed = versions[~versions["gate_passed"]]
        assert len(failed) == 1 and not failed["promoted"].iloc[0]
        assert failed["serving_version"].iloc[0] == before[family]
        assert failed.index[0] in registry(models_platform).list_versions(family)  # kept for inspection
    # Predictions still come from the previous versions, unchanged.
    forecast = models_platform.query("SELECT * FROM ml.demand_forecast")
    pd.testing.assert_frame_equal(
        forecast.sort_values(["series_id", "ds"]).reset_index(drop=True),
        first_run.tables["demand_forecast"].sort_values(["series_id", "ds"]).reset_index(drop=True))
    assert set(models_platform.query("SELECT model_version FROM ml.churn_scores")["model_version"]) == {before[CHURN]}
    assert set(models_platform.query("SELECT model_version FROM ml.ticket_routing")["model_version"]) == {before[ROUTING]}
    churn_auc = metrics[(metrics["family"] == CHURN) & ~metrics["gate_passed"] & (metrics["metric"] == "roc_auc")]
    assert churn_auc["value"].iloc[0] < 0.7  # trained on shuffled labels, scored on the true ones


def test_forecast_partition_run_replaces_only_its_category(models_platform, first_run):
    categories = sorted(first_run.tables["forecast_model_selection"]["forecast_partition"].unique())
    assert mf.TOTAL_PARTITION in categories
    assert sorted(models_platform.instance.get_dynamic_partitions(FORECAST_PARTITIONS.name)) == categories
    before = models_platform.query("SELECT forecast_partition, series_id, backtest_run_id FROM ml.forecast_model_selection")
    target = next(c for c in categories if c != mf.TOTAL_PARTITION)
    result = models_platform.materialize(
        dg.AssetSelection.keys(FORECAST_BACKTEST_KEY), partition_key=target,
        run_config={"ops": {"ml__forecast_backtest": {"config": {"candidates": ["seasonal_naive"]}}}})
    assert result.success
    after = models_platform.query("SELECT forecast_partition, series_id, backtest_run_id FROM ml.forecast_model_selection")
    assert sorted(after["series_id"]) == sorted(before["series_id"])
    changed = after.merge(before, on=["forecast_partition", "series_id"], suffixes=("", "_before"))
    changed = changed[changed["backtest_run_id"] != changed["backtest_run_id_before"]]
    assert set(changed["forecast_partition"]) == {target}
    assert set(changed["series_id"]) == set(after.loc[after["forecast_partition"] == target, "series_id"])
    assert set(after.loc[after["forecast_partition"] == target, "backtest_run_id"]) == {result.run_id}
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == FORECAST_BACKTEST_KEY]
    assert [e.partition for e in events] == [target]

