"""Replay held-back daily demand through two reorder policies and compare them.

* **(s, Q) policy** (this package): at the end of every day, if the inventory position
  (on hand + on order) is at or below the reorder point ``s``, order multiples of ``Q``.
* **naive policy** (the practice it replaces): every ``review_days`` days, order ``multiple`` x
  the units *sold* in the previous ``review_days`` days (the first order uses the sales history
  before the replay starts).

Both start from the same on-hand stock with nothing on order, orders arrive after the lead
time (available for the arrival day's demand), and unmet demand is lost (no backorders), which
is what makes sales-based reordering under-order after stock-outs.

Metrics per policy: ``fill_rate`` = units sold / units demanded; ``turnover`` = units sold /
average end-of-day on-hand units over the replay (annualised as ``annual_turnover``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass
class ReplayResult:
    policy: str
    days: int
    units_demanded: float
    units_sold: float
    fill_rate: float
    average_on_hand: float
    turnover: float
    annual_turnover: float
    stockout_days: int
    orders_placed: int

    def to_dict(self) -> dict:
        return asdict(self)


def _result(policy: str, demand: np.ndarray, sold: np.ndarray, on_hand_end: np.ndarray, orders: int) -> ReplayResult:
    days = demand.size
    average = float(on_hand_end.mean()) if days else 0.0
    units_sold = float(sold.sum())
    turnover = units_sold / average if average > 0 else float("nan")
    return ReplayResult(
        policy=policy,
        days=days,
        units_demanded=float(demand.sum()),
        units_sold=units_sold,
        fill_rate=units_sold / float(demand.sum()) if demand.sum() > 0 else float("nan"),
        average_on_hand=average,
        turnover=turnover,
        annual_turnover=turnover * 365.0 / days if days else float("nan"),
        stockout_days=int(((demand - sold) > 1e-9).sum()),
        orders_placed=orders,
    )


def _simulate(demand: np.ndarray, initial_on_hand: float, lead_time_days: float, decide,
              opening_order: float = 0.0) -> tuple[np.ndarray, np.ndarray, int]:
    """Shared day loop; ``decide(day, on_hand, on_order, sold)`` returns the order quantity.

    An order placed at the end of day ``t`` is usable from day ``t + lead``; ``opening_order`` is
    an order placed at the end of the day before the replay.
    """
    days = demand.size
    lead = max(int(round(lead_time_days)), 1)
    arrivals = np.zeros(days + lead + 1)
    arrivals[lead - 1] += opening_order
    sold = np.zeros(days)
    on_hand_end = np.zeros(days)
    on_hand, on_order, orders = float(initial_on_hand), float(opening_order), int(opening_order > 0)
    for day in range(days):
        on_hand += arrivals[day]
        on_order -= arrivals[day]
        sold[day] = min(on_hand, demand[day])
        on_hand -= sold[day]
        on_hand_end[day] = on_hand
        quantity = decide(day, on_hand, on_order, sold)
        if quantity > 0:
            orders += 1
            on_order += quantity
            arrivals[day + lead] += quantity
    return sold, on_hand_end, orders


def simulate_sq_policy(
    demand, reorder_point: float, order_qty: float, lead_time_days: float, initial_on_hand: float
) -> ReplayResult:
    demand = np.asarray(demand, dtype=float)
    if order_qty <= 0:
        raise ValueError("order_qty must be positive")

    def decide(day, on_hand, on_order, sold):
        position = on_hand + on_order
        if position > reorder_point:
            return 0.0
        return (np.floor((reorder_point - position) / order_qty) + 1) * order_qty

    sold, on_hand_end, orders = _simulate(demand, initial_on_hand, lead_time_days, decide)
    return _result("sq_policy", demand, sold, on_hand_end, orders)


def simulate_naive_policy(
    demand,
    history_sales,
    lead_time_days: float,
    initial_on_hand: float,
    review_days: int = 30,
    multiple: float = 1.0,
) -> ReplayResult:
    """``history_sales``: daily units sold before the replay (its last ``review_days`` are used)."""
    demand = np.asarray(demand, dtype=float)
    opening_order = multiple * float(np.asarray(history_sales, dtype=float)[-review_days:].sum())

    def decide(day, on_hand, on_order, sold):
        # Reviews at the end of days review_days-1, 2*review_days-1, ... (plus the opening order).
        if (day + 1) % review_days:
            return 0.0
        return multiple * float(sold[day + 1 - review_days : day + 1].sum())

    sold, on_hand_end, orders = _simulate(demand, initial_on_hand, lead_time_days, decide, opening_order)
    return _result("naive", demand, sold, on_hand_end, orders)


def compare_policies(
    demand,
    history_sales,
    *,
    reorder_point: float,
    order_qty: float,
    lead_time_days: float,
    initial_on_hand: float | None = None,
    review_days: int = 30,
    naive_multiple: float = 1.0,
) -> dict[str, ReplayResult]:
    """Replay one product x warehouse under both policies from the same opening stock.

    ``initial_on_hand`` defaults to the reorder point (lead-time demand + safety stock): a stock
    level that is reasonable for both policies and does not favour either.
    """
    start = reorder_point if initial_on_hand is None else initial_on_hand
    return {
        "sq_policy": simulate_sq_policy(demand, reorder_point, order_qty, lead_time_days, start),
        "naive": simulate_naive_policy(demand, history_sales, lead_time_days, start, review_days, naive_multiple),
    }


def replay_comparison(
    demand: pd.DataFrame,
    history: pd.DataFrame,
    policy: pd.DataFrame,
    *,
    key_cols=("series_id",),
    review_days: int = 30,
    naive_multiple: float = 1.0,
) -> tuple[pd.DataFrame, dict]:
    """Replay many products x warehouses; returns (per-key results, pooled summary).

    * ``demand``: held-back daily demand, columns ``key_cols`` + ``ds`` + ``y``;
    * ``history``: daily sales before the replay, same columns (last ``review_days`` per key used);
    * ``policy``: output of :func:`ml.inventory.compute_policy` with ``key_cols``,
      ``reorder_point``, ``eoq``, ``lead_time_days`` and optionally ``initial_on_hand``.

    The summary pools units over all keys: fill rate = total sold / total demanded, turnover =
    total sold / total average on-hand, and ``turnover_uplift`` = policy / naive − 1.
    """
    keys = list(key_cols)
    demand_groups = {k if isinstance(k, tuple) else (k,): g.sort_values("ds")["y"].to_numpy(float)
                     for k, g in demand.groupby(keys)}
    history_groups = {k if isinstance(k, tuple) else (k,): g.sort_values("ds")["y"].to_numpy(float)
                      for k, g in history.groupby(keys)}
    rows = []
    for _, item in policy.iterrows():
        key = tuple(item[c] for c in keys)
        if key not in demand_groups or item["eoq"] <= 0:
            continue
        initial = item.get("initial_on_hand")
        initial = float(initial) if initial is not None and pd.notna(initial) else None
        results = compare_policies(
            demand_groups[key], history_groups.get(key, np.zeros(review_days)),
            reorder_point=float(item["reorder_point"]), order_qty=float(item["eoq"]),
            lead_time_days=float(item["lead_time_days"]), initial_on_hand=initial,
            review_days=review_days, naive_multiple=naive_multiple,
        )
        for result in results.values():
            rows.append({**dict(zip(keys, key, strict=True)), **result.to_dict()})
    table = pd.DataFrame(rows)
    summary: dict = {}
    if not table.empty:
        for name, group in table.groupby("policy"):
            sold, demanded = group["units_sold"].sum(), group["units_demanded"].sum()
            average = group["average_on_hand"].sum()
            days = group["days"].max()
            summary[name] = {
                "fill_rate": sold / demanded if demanded else float("nan"),
                "turnover": sold / average if average else float("nan"),
                "annual_turnover": sold / average * 365.0 / days if average and days else float("nan"),
                "units_sold": float(sold),
                "units_demanded": float(demanded),
                "average_on_hand": float(average),
                "stockout_days": int(group["stockout_days"].sum()),
            }
        policy_s, naive_s = summary["sq_policy"], summary["naive"]
        summary["turnover_uplift"] = policy_s["turnover"] / naive_s["turnover"] - 1
        summary["fill_rate_delta"] = policy_s["fill_rate"] - naive_s["fill_rate"]
        summary["n_items"] = int(table[keys].drop_duplicates().shape[0])
    return table, summary
