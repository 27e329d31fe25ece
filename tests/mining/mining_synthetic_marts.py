"""Small synthetic versions of the marts the shipped recipes read (only the columns they use).

Shapes follow dbt_project/models/**.yml; money columns are numeric(18,2) in the warehouse."""

from __future__ import annotations

import numpy as np
import pandas as pd

MONEY_COLUMNS = {
    "marts.fct_orders": ["net_revenue_amount"],
    "marts.fct_customer_rfm": ["monetary"],
    "marts.fct_daily_kpis": ["gmv_amount"],
}
START, END = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31")


def synthetic_marts(seed: int = 0, customers: int = 400) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, customers + 1)
    signed_up = START + pd.to_timedelta(rng.integers(0, 270 * 24, customers), unit="h")
    channel = rng.choice(["search", "social", "referral", "organic"], customers)
    dim_customer = pd.DataFrame(
        {
            "customer_id": ids,
            "signed_up_at": signed_up,
            "acquisition_channel": channel,
            "region": rng.choice(["east", "north", "south"], customers),
            "is_partner_referred": rng.random(customers) < 0.2,
            "is_activated_within_30d": rng.random(customers) < np.where(channel == "referral", 0.7, 0.3),
        }
    )
    products = pd.DataFrame({"product_id": np.arange(101, 141), "category": np.array(["tea", "cups", "snacks", "gifts", "books", "care"])[np.arange(40) % 6]})

    orders, lines = [], []
    order_id = 0
    for cid, signup in zip(ids, signed_up):
        for _ in range(int(rng.poisson(3))):
            order_id += 1
            at = signup + pd.Timedelta(hours=int(rng.integers(1, max(2, int((END - signup) / pd.Timedelta(hours=1))))))
            cancelled = bool(rng.random() < 0.05)
            items = rng.choice(products["product_id"], size=int(rng.integers(1, 4)), replace=False)
            if np.any((items - 101) % 6 == 0) and rng.random() < 0.7:  # tea (any) sells with cups (product 102)
                items = np.unique(np.r_[items, 102])
            for p in items:
                lines.append((order_id, cid, int(p), at, int(rng.integers(1, 3)), cancelled))
            orders.append((order_id, cid, at, round(float(rng.gamma(2, 60)), 2), cancelled))
    fct_orders = pd.DataFrame(orders, columns=["order_id", "customer_id", "ordered_at", "net_revenue_amount", "is_cancelled"])
    int_order_lines = pd.DataFrame(lines, columns=["order_id", "customer_id", "product_id", "ordered_at", "quantity", "is_cancelled"])

    kept = fct_orders[~fct_orders["is_cancelled"]]
    g = kept.groupby("customer_id")
    rfm = pd.DataFrame({"customer_id": ids}).merge(
        pd.DataFrame(
            {
                "recency_days": (END - g["ordered_at"].max()).dt.days,
                "frequency": g.size(),
                "monetary": g["net_revenue_amount"].sum().round(2),
            }
        ).reset_index(),
        how="left",
    )
    rfm["frequency"] = rfm["frequency"].fillna(0).astype("int64")

    activity = []
    for cid, signup in zip(ids, signed_up):
        for d in rng.choice(int((END - signup).days) + 1, size=min(int(rng.poisson(8)), int((END - signup).days) + 1), replace=False):
            activity.append((cid, (signup.normalize() + pd.Timedelta(days=int(d))).date(), int(rng.integers(1, 4)), True))
    fct_activity = pd.DataFrame(activity, columns=["customer_id", "activity_date", "sessions", "is_active"])

    days = pd.date_range(START, END, freq="D")
    weekly = np.array([1.0, 0.95, 0.97, 1.0, 1.1, 1.35, 1.3])[days.weekday]
    n = len(days)
    daily = pd.DataFrame(
        {
            "date_day": days.date,
            "sessions": np.round(900 * weekly * rng.normal(1, 0.05, n)).astype(int),
            "orders_placed": np.round(120 * weekly * rng.normal(1, 0.06, n) * np.where(np.arange(n) >= 200, 1.3, 1.0)).astype(int),
            "gmv_amount": np.round(120 * weekly * 150 * rng.normal(1, 0.06, n), 2),
            "new_signups": rng.poisson(30, n),
            "payments_failed": rng.poisson(4, n),
            "tickets_created": rng.poisson(12, n),
        }
    )

    events = []
    for s in range(1500):
        device = rng.choice(["ios", "android", "web"])
        t = START + pd.Timedelta(minutes=int(rng.integers(0, 364 * 24 * 60)))
        for step, p in (("session_start", 1.0), ("page_view", 0.9), ("add_to_cart", 0.4), ("checkout", 0.5)):
            if rng.random() >= p:
                break
            t = t + pd.Timedelta(minutes=int(rng.integers(0, 20)))
            events.append((f"s-{s}", step, t, device))
    fct_events = pd.DataFrame(events, columns=["session_id", "event_name", "occurred_at", "device"])

    return {
        "marts.dim_customer": dim_customer,
        "marts.dim_product": products,
        "marts.fct_orders": fct_orders,
        "intermediate.int_order_lines": int_order_lines,
        "marts.fct_customer_rfm": rfm,
        "marts.fct_customer_daily_activity": fct_activity,
        "marts.fct_daily_kpis": daily,
        "marts.fct_events": fct_events,
    }
