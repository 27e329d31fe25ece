"""Run time of every mining algorithm at a realistic size (default 20k customers, ~150k orders).

    .venv/bin/python benchmarks/mining_runtime.py [--customers 20000] [--orders-per-customer 7.5]

Synthetic data only (no warehouse needed); prints one line per algorithm with its input rows and
seconds as measured by ml.mining.timed — the same number the Dagster asset reports as metadata.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.mining import ALGORITHMS, timed  # noqa: E402


def make_data(customers: int, orders_per_customer: float, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    start, end = pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")
    span_h = int((end - start) / pd.Timedelta(hours=1))
    signup = start + pd.to_timedelta(rng.integers(0, int(span_h * 0.8), customers), unit="h")
    # Heterogeneous purchase rates (gamma) so frequency has the usual long tail.
    rate = rng.gamma(0.8, orders_per_customer / 0.8, customers)
    n_orders = np.maximum(1, rng.poisson(rate))
    cust = np.repeat(np.arange(1, customers + 1), n_orders)
    s = signup[cust - 1]
    offset = rng.random(len(cust)) * ((end - s) / pd.Timedelta(hours=1)).to_numpy()
    ordered_at = s + pd.to_timedelta(offset.astype(int), unit="h")
    orders = pd.DataFrame({"order_id": np.arange(1, len(cust) + 1), "customer_id": cust, "ordered_at": ordered_at})
    orders["net_revenue_amount"] = np.round(rng.gamma(2.0, 60.0, len(orders)), 2)
    # Order lines: 1–4 products of 400, each customer leaning to one of 40 product families.
    family = rng.integers(0, 40, customers)
    n_lines = rng.integers(1, 5, len(orders))
    line_order = np.repeat(orders["order_id"].to_numpy(), n_lines)
    line_cust = np.repeat(orders["customer_id"].to_numpy(), n_lines)
    fam_pick = rng.random(len(line_order)) < 0.5
    product = np.where(fam_pick, family[line_cust - 1] * 10 + rng.integers(0, 10, len(line_order)), rng.zipf(1.3, len(line_order)) % 400)
    lines = pd.DataFrame(
        {"order_id": line_order, "customer_id": line_cust, "product_id": product + 1000,
         "category": (product // 25).astype(str), "ordered_at": np.repeat(orders["ordered_at"].to_numpy(), n_lines),
         "quantity": rng.integers(1, 4, len(line_order))}
    )
    g = orders.groupby("customer_id")
    features = pd.DataFrame(
        {"recency_days": (end - g["ordered_at"].max()).dt.days, "log_orders": np.log1p(g.size()),
         "log_revenue": np.log1p(g["net_revenue_amount"].sum()), "tenure_days": (end - pd.Series(signup, index=range(1, customers + 1))).dt.days,
         "sessions": rng.poisson(20, customers)}
    ).rename_axis("customer_id").reset_index()
    features["converted"] = rng.random(customers) < np.where((features["tenure_days"] < 300) & (features["sessions"] > 22), 0.6, 0.1)
    days = pd.date_range(start, end, freq="D")
    weekly = np.array([1.0, 0.95, 0.97, 1.0, 1.1, 1.35, 1.3])[days.weekday]
    kpis = pd.DataFrame({"date_day": days})
    for name, level in (("sessions", 9000), ("orders_placed", 200), ("gmv_amount", 30000), ("new_signups", 30), ("payments_failed", 6), ("tickets_created", 40)):
        kpis[name] = level * weekly * rng.normal(1, 0.05, len(days))
    activity = pd.DataFrame({"customer_id": cust, "signed_up_at": s, "activity_date": ordered_at.normalize()})
    # Funnel events: ~60k sessions.
    n_sessions = 60_000
    device = rng.choice(["ios", "android", "web", "mini_program"], n_sessions)
    t0 = start + pd.to_timedelta(rng.integers(0, span_h * 60, n_sessions), unit="min")
    ev = []
    reach = np.ones(n_sessions, dtype=bool)
    t = t0
    for step, p in (("session_start", 1.0), ("page_view", 0.9), ("add_to_cart", 0.35), ("checkout", 0.5)):
        reach &= rng.random(n_sessions) < p
        t = t + pd.to_timedelta(rng.integers(0, 600, n_sessions), unit="s")
        ev.append(pd.DataFrame({"session_id": np.flatnonzero(reach), "event_name": step, "occurred_at": t[reach], "device": device[reach]}))
    events = pd.concat(ev, ignore_index=True)
    return {"orders": orders, "lines": lines, "features": features, "kpis": kpis, "activity": activity, "events": events}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--orders-per-customer", type=float, default=7.5)
    args = parser.parse_args()
    data, build_s = timed(make_data, args.customers, args.orders_per_customer)
    print(f"data: {len(data['features']):,} customers, {len(data['orders']):,} orders, {len(data['lines']):,} lines, "
          f"{len(data['events']):,} events (built in {build_s:.1f}s)")
    feats = ["recency_days", "log_orders", "log_revenue", "tenure_days", "sessions"]
    runs = [
        ("rfm", "orders", {"customer_id": "customer_id", "order_date": "ordered_at", "monetary": "net_revenue_amount"}, {}),
        ("kmeans", "features", {"id": "customer_id", "features": feats}, {}),
        ("hdbscan", "features", {"id": "customer_id", "features": feats}, {"min_cluster_size": 200}),
        ("gaussian_mixture", "features", {"id": "customer_id", "features": feats}, {}),
        ("agglomerative", "features", {"id": "customer_id", "features": feats}, {}),
        ("association_rules", "lines", {"basket": "order_id", "item": "category"}, {"min_support": 0.005}),
        ("association_rules", "lines", {"basket": "order_id", "item": "product_id"}, {"min_support": 0.0005}),
        ("isolation_forest", "kpis", {"date": "date_day", "kpis": ["sessions", "orders_placed", "gmv_amount", "new_signups", "payments_failed", "tickets_created"]}, {}),
        ("stl_changepoints", "kpis", {"date": "date_day", "value": "orders_placed"}, {}),
        ("pca", "features", {"id": "customer_id", "features": feats}, {}),
        ("decision_tree_rules", "features", {"target": "converted", "features": ["tenure_days", "sessions", "log_orders"]}, {}),
        ("clv_bgnbd", "orders", {"customer_id": "customer_id", "order_date": "ordered_at", "monetary": "net_revenue_amount"}, {}),
        ("cohort_retention", "activity", {"customer_id": "customer_id", "signup_date": "signed_up_at", "activity_date": "activity_date"}, {}),
        ("funnel", "events", {"user_id": "session_id", "step": "event_name", "timestamp": "occurred_at", "segment": "device"}, {"steps": ["session_start", "page_view", "add_to_cart", "checkout"]}),
        ("item_cf", "lines", {"customer_id": "customer_id", "item": "product_id", "timestamp": "ordered_at", "weight": "quantity"}, {}),
    ]
    total = cpu_total = 0.0
    # Wall-clock is what the asset reports; CPU seconds show the cost without other load on the box.
    print(f"{'algorithm':<24}{'input':<10}{'rows':>10}{'wall s':>9}{'cpu s':>8}  outputs")
    for name, source, columns, params in runs:
        frame = data[source]
        cpu0 = time.process_time()
        result, seconds = timed(ALGORITHMS[name], frame, columns, params)
        cpu = time.process_time() - cpu0
        total += seconds
        cpu_total += cpu
        sizes = ", ".join(f"{k}={len(v):,}" for k, v in result.items())
        label = name if name != "association_rules" else f"assoc_rules/{columns['item']}"
        print(f"{label:<24}{source:<10}{len(frame):>10,}{seconds:>9.2f}{cpu:>8.2f}  {sizes}", flush=True)
    print(f"total wall {total:.1f}s, cpu {cpu_total:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
