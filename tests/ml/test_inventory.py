"""Inventory policy formulas and the replay against the naive reorder rule."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from ml.inventory import (
    compare_policies,
    compute_policy,
    demand_stats_from_forecast,
    inventory_gate,
    replay_comparison,
    sigma_from_interval,
    simulate_naive_policy,
    simulate_sq_policy,
)


def test_policy_formulas_by_hand():
    items = pd.DataFrame([{
        "product_id": 1, "warehouse_id": 7, "mean_daily_demand": 20.0, "sigma_daily": 5.0, "lead_time_days": 9,
        "ordering_cost": 100.0, "unit_cost": 40.0, "holding_rate": 0.25, "on_hand": 150, "on_order": 20,
    }])
    row = compute_policy(items, service_level=0.95).iloc[0]
    z = norm.ppf(0.95)
    assert row["safety_stock"] == np.ceil(z * 5.0 * 3.0)  # z * sigma * sqrt(9)
    assert row["reorder_point"] == np.ceil(20 * 9 + row["safety_stock"])
    assert row["eoq"] == np.ceil(np.sqrt(2 * 20 * 365 * 100.0 / (40.0 * 0.25)))
    assert row["inventory_position"] == 170
    # 170 <= s = 205: one EOQ lifts the position above s
    assert row["recommended_order_qty"] == row["eoq"] and row["needs_order"]
    assert row["product_id"] == 1 and row["warehouse_id"] == 7  # keys pass through


def test_recommended_order_uses_multiples_and_lead_time_variability():
    items = pd.DataFrame([
        {"mean_daily_demand": 10.0, "sigma_daily": 0.0, "lead_time_days": 4, "ordering_cost": 1.0,
         "holding_cost_per_unit_year": 73.0, "on_hand": 0, "backorders": 5},
        {"mean_daily_demand": 10.0, "sigma_daily": 0.0, "lead_time_days": 4, "ordering_cost": 1.0,
         "holding_cost_per_unit_year": 73.0, "on_hand": 100},
        {"mean_daily_demand": 10.0, "sigma_daily": 2.0, "lead_time_days": 4, "ordering_cost": 1.0,
         "holding_cost_per_unit_year": 73.0, "on_hand": 100, "lead_time_std_days": 1.0},
    ])
    out = compute_policy(items, service_level=0.9)
    assert out["eoq"].tolist()[0] == 10.0  # sqrt(2 * 3650 * 1 / 73)
    # position -5, s = 40: (40 - -5) / 10 -> 5 full lots reach 45 > 40
    assert out["recommended_order_qty"].iloc[0] == 50.0
    assert out["recommended_order_qty"].iloc[1] == 0.0 and not out["needs_order"].iloc[1]
    # sigma_LT = sqrt(4 * 2^2 + 10^2 * 1^2)
    assert out["safety_stock"].iloc[2] == np.ceil(norm.ppf(0.9) * np.sqrt(16 + 100))


def test_policy_rejects_missing_columns_and_bad_service_level():
    with pytest.raises(ValueError, match="lead_time_days"):
        compute_policy(pd.DataFrame([{"mean_daily_demand": 1.0}]))
    items = pd.DataFrame([{"mean_daily_demand": 1.0, "sigma_daily": 1.0, "lead_time_days": 1, "ordering_cost": 1.0,
                           "holding_cost_per_unit_year": 1.0, "on_hand": 0}])
    with pytest.raises(ValueError, match="service_level"):
        compute_policy(items, service_level=1.0)


def test_demand_stats_from_forecast_intervals():
    forecast = pd.DataFrame({
        "series_id": ["a"] * 2, "yhat": [10.0, 14.0],
        "yhat_lower": [10 - 1.2816 * 2, 14 - 1.2816 * 4], "yhat_upper": [10 + 1.2816 * 2, 14 + 1.2816 * 4],
        "interval_level": [80.0, 80.0],
    })
    stats = demand_stats_from_forecast(forecast).iloc[0]
    assert stats["mean_daily_demand"] == pytest.approx(12.0)
    assert stats["sigma_daily"] == pytest.approx(np.sqrt((4 + 16) / 2), rel=1e-3)
    assert sigma_from_interval([0.0], [2 * norm.ppf(0.975)], 95)[0] == pytest.approx(1.0)


def test_replay_accounting_on_deterministic_demand():
    demand = np.full(60, 10.0)
    sq = simulate_sq_policy(demand, reorder_point=30, order_qty=50, lead_time_days=3, initial_on_hand=60)
    assert sq.units_demanded == 600 and sq.fill_rate == 1.0 and sq.stockout_days == 0
    # Deterministic cycle: position hits 30, 50 arrive 3 days later when 0 is left -> never short.
    naive = simulate_naive_policy(demand, history_sales=np.full(30, 10.0), lead_time_days=3, initial_on_hand=30)
    assert naive.fill_rate == 1.0
    assert naive.orders_placed == 3  # opening order + reviews at the end of days 29 and 59
    starved = simulate_naive_policy(demand, history_sales=np.zeros(30), lead_time_days=3, initial_on_hand=30)
    # Opening stock 30 lasts 3 days; the day-29 review re-orders only the 30 units sold (arrive day 32),
    # so sales-based reordering never recovers: 60 of 600 units sold, short on days 3-31 and 35-59.
    assert starved.units_sold == 60 and starved.stockout_days == 29 + 25
    assert sq.turnover == pytest.approx(sq.units_sold / sq.average_on_hand)


def _synthetic_demand(seed: int = 11):
    """Daily negative-binomial demand with a weekly pattern; returns (long frame, item table)."""
    rng = np.random.default_rng(seed)
    weekly = np.array([0.8, 0.9, 1.0, 1.0, 1.1, 1.3, 0.9])
    weekly = weekly / weekly.mean()
    rows, items, dispersion = [], [], 8.0
    for i, mean in enumerate((8.0, 25.0, 60.0, 140.0)):
        lam = mean * weekly[np.arange(60 + 364) % 7]
        demand = rng.negative_binomial(dispersion, dispersion / (dispersion + lam))
        rows.append(pd.DataFrame({"series_id": f"sku{i}", "ds": pd.date_range("2025-01-01", periods=len(lam)),
                                  "y": demand.astype(float), "history": np.arange(len(lam)) < 60}))
        # Known properties: mean and variance of the generating process.
        sigma = np.sqrt(np.mean(lam + lam**2 / dispersion) + np.var(lam))
        items.append({"series_id": f"sku{i}", "mean_daily_demand": mean, "sigma_daily": sigma, "lead_time_days": 7,
                      "ordering_cost": 80.0, "unit_cost": 30.0, "holding_rate": 0.25, "on_hand": 0})
    return pd.concat(rows, ignore_index=True), pd.DataFrame(items)


def test_policy_beats_naive_turnover_at_equal_or_better_fill_rate():
    demand, items = _synthetic_demand()
    policy = compute_policy(items, service_level=0.95)
    table, summary = replay_comparison(demand[~demand.history], demand[demand.history], policy)
    assert summary["n_items"] == 4 and len(table) == 8
    assert summary["sq_policy"]["fill_rate"] >= summary["naive"]["fill_rate"]
    assert summary["turnover_uplift"] >= 0.15
    assert summary["sq_policy"]["fill_rate"] > 0.98
    gate = inventory_gate(summary)
    assert gate.passed, gate.reasons


def test_inventory_gate_fails_when_policy_loses_fill_rate():
    demand, items = _synthetic_demand(seed=5)
    # A policy with no safety stock and tiny lots: high turnover bought with stock-outs.
    starved = compute_policy(items.assign(sigma_daily=0.0, ordering_cost=0.5), service_level=0.5)
    _, summary = replay_comparison(demand[~demand.history], demand[demand.history], starved)
    assert summary["sq_policy"]["fill_rate"] < summary["naive"]["fill_rate"]
    gate = inventory_gate(summary)
    assert not gate.passed and any("fill_rate" in reason for reason in gate.reasons)


def test_compare_policies_starts_both_from_the_same_stock():
    demand = np.random.default_rng(0).poisson(20, 120).astype(float)
    results = compare_policies(demand, np.full(30, 20.0), reorder_point=170, order_qty=300, lead_time_days=7)
    assert results["sq_policy"].units_demanded == results["naive"].units_demanded == demand.sum()
    assert results["sq_policy"].days == results["naive"].days == 120
