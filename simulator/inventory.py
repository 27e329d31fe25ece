"""Stock per product x warehouse: replenishment policy, lost demand at stock-outs, movement ledger.

Day loop, vectorised over all product-warehouse series. Within a day, receipts arrive at 00:00:00,
sales happen at their payment times (a line is lost when the day's remaining stock cannot cover
it), returns and adjustments are booked at the end of the day. Stock never goes below zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.world import World

LEAD_TIME_MEAN = 4          # days (2 + Poisson(2))
REVIEW_COVER_DAYS = 7       # extra days of demand the reorder point covers beyond the lead time
ORDER_COVER_DAYS = 14       # an order tops the position up to ROP + this many days of demand
SUPPLIER_DELAY_SHARE = 0.05
ADJUSTMENT_SHARE = 0.002    # share of series-days with a stock count correction


@dataclass
class StockResult:
    fulfilled: np.ndarray              # per input line
    receipt_series: np.ndarray
    receipt_day: np.ndarray
    receipt_qty: np.ndarray
    adjustment_series: np.ndarray
    adjustment_day: np.ndarray
    adjustment_qty: np.ndarray
    stockout_series_days: int
    lost_units: int


def simulate_stock(world: World, expected: np.ndarray, line_series: np.ndarray, line_day: np.ndarray,
                   line_time: np.ndarray, line_qty: np.ndarray, return_day: np.ndarray,
                   return_qty: np.ndarray) -> StockResult:
    """`expected` is the planted expected daily demand per series (series x day)."""
    rng = world.rng("inventory")
    n_series, n_days = expected.shape
    horizon = n_days + 60
    # lookahead beyond the history continues the last four weeks' level
    ext = np.concatenate([expected, np.repeat(expected[:, -28:].mean(axis=1, keepdims=True), 60, axis=1)], axis=1)
    cum = np.concatenate([np.zeros((n_series, 1)), np.cumsum(ext, axis=1)], axis=1)

    def window(day: int, length: int) -> np.ndarray:
        return cum[:, min(day + length, horizon)] - cum[:, min(day, horizon)]

    opening = np.ceil(window(0, LEAD_TIME_MEAN + REVIEW_COVER_DAYS + ORDER_COVER_DAYS) * rng.uniform(0.9, 1.4, n_series)).astype(np.int64) + 2
    stock = np.zeros(n_series, dtype=np.int64)
    arrivals = np.zeros((n_series, horizon + 30), dtype=np.int64)
    arrivals[:, 0] = opening
    on_order = opening.copy()
    returns_due = np.zeros((n_series, n_days + 1), dtype=np.int64)

    order = np.lexsort((line_time, line_series, line_day))
    day_sorted = line_day[order]
    bounds = np.searchsorted(day_sorted, np.arange(n_days + 1))
    fulfilled = np.zeros(len(line_day), dtype=bool)
    rec_s, rec_d, rec_q, adj_s, adj_d, adj_q = [], [], [], [], [], []
    stockout_days = 0
    lost_units = 0
    for day in range(n_days):
        arrive = arrivals[:, day]
        got = np.flatnonzero(arrive)
        if len(got):
            stock[got] += arrive[got]
            on_order[got] -= arrive[got]
            rec_s.append(got)
            rec_d.append(np.full(len(got), day))
            rec_q.append(arrive[got])
        idx = order[bounds[day]:bounds[day + 1]]
        if len(idx):
            series = line_series[idx]
            qty = line_qty[idx]
            # running demand per series within the day (lines are sorted by series, then time)
            csum = np.cumsum(qty)
            starts = np.r_[0, np.flatnonzero(np.diff(series)) + 1]
            group_offset = np.repeat(csum[starts] - qty[starts], np.diff(np.r_[starts, len(series)]))
            running = csum - group_offset
            ok = running <= stock[series]
            fulfilled[idx] = ok
            sold = np.bincount(series[ok], weights=qty[ok], minlength=n_series).astype(np.int64)
            stock -= sold
            lost = ~ok
            if lost.any():
                stockout_days += len(np.unique(series[lost]))
                lost_units += int(qty[lost].sum())
            ret = ok & (return_day[idx] < n_days) & (return_qty[idx] > 0)
            np.add.at(returns_due, (series[ret], return_day[idx][ret]), return_qty[idx][ret])
        stock += returns_due[:, day]
        # stock-count corrections at the end of the day, never below zero
        adj = np.flatnonzero(rng.random(n_series) < ADJUSTMENT_SHARE)
        if len(adj):
            delta = rng.integers(1, 4, size=len(adj)) * np.where(rng.random(len(adj)) < 0.65, -1, 1)
            delta = np.maximum(delta, -stock[adj])
            keep = delta != 0
            adj, delta = adj[keep], delta[keep]
            stock[adj] += delta
            adj_s.append(adj)
            adj_d.append(np.full(len(adj), day))
            adj_q.append(delta)
        # replenishment: order when the inventory position falls below the reorder point
        position = stock + on_order
        demand_cover = window(day + 1, LEAD_TIME_MEAN + REVIEW_COVER_DAYS)
        reorder_point = demand_cover + 2 * np.sqrt(demand_cover) + 2
        need = np.flatnonzero(position < reorder_point)
        if len(need):
            qty = np.ceil(reorder_point[need] + window(day + 1, ORDER_COVER_DAYS)[need] - position[need]).astype(np.int64)
            lead = 2 + rng.poisson(2, size=len(need))
            delayed = rng.random(len(need)) < SUPPLIER_DELAY_SHARE
            lead[delayed] += rng.integers(7, 15, size=int(delayed.sum()))
            arrivals[need, day + 1 + lead] += qty
            on_order[need] += qty
    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts).astype(np.int64) if parts else np.array([], dtype=np.int64)

    return StockResult(fulfilled=fulfilled, receipt_series=cat(rec_s), receipt_day=cat(rec_d), receipt_qty=cat(rec_q),
                       adjustment_series=cat(adj_s), adjustment_day=cat(adj_d), adjustment_qty=cat(adj_q),
                       stockout_series_days=stockout_days, lost_units=lost_units)
