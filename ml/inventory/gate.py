"""Quality gate for the inventory policy replay: more turnover at an equal or better fill rate."""

from __future__ import annotations

from ml.registry import GateResult, check

MIN_TURNOVER_UPLIFT = 0.15


def inventory_gate(summary: dict, min_turnover_uplift: float = MIN_TURNOVER_UPLIFT) -> GateResult:
    """``summary`` from :func:`ml.inventory.replay_comparison`."""
    policy, naive = summary.get("sq_policy", {}), summary.get("naive", {})
    checks = {
        "turnover_uplift": check(summary.get("turnover_uplift"), ">=", min_turnover_uplift),
        "fill_rate_vs_naive": check(policy.get("fill_rate"), ">=", naive.get("fill_rate", float("nan"))),
    }
    return GateResult.from_checks("inventory", checks)
