"""Inventory optimisation: (s, Q) policy from forecasts, and a replay against a naive reorder rule."""

from ml.inventory.gate import inventory_gate
from ml.inventory.policy import (
    compute_policy,
    demand_stats_from_forecast,
    economic_order_quantity,
    recommended_order,
    safety_stock,
    sigma_from_interval,
)
from ml.inventory.replay import compare_policies, replay_comparison, simulate_naive_policy, simulate_sq_policy

__all__ = [
    "compare_policies",
    "compute_policy",
    "demand_stats_from_forecast",
    "economic_order_quantity",
    "inventory_gate",
    "recommended_order",
    "replay_comparison",
    "safety_stock",
    "sigma_from_interval",
    "simulate_naive_policy",
    "simulate_sq_policy",
]
