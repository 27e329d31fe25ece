"""Churn training/scoring snapshots from event-level tables, as of a list of cut-off dates.

Inputs (pandas DataFrames; timestamps naive local time; extra columns are ignored):

``customers`` (marts.dim_customer)
    customer_id, signed_up_at, acquisition_channel, plan_code, billing_mode, churned_at (NaT if
    never churned). The mart names current_plan_code / current_plan_tier / current_plan_id and
    current_billing_mode are accepted for plan_code and billing_mode. ``subscription_status`` is
    deliberately *not* used: it is the current state and would leak the label into past snapshots.
``activity`` (marts.fct_customer_daily_activity)
    customer_id, activity_date, events, sessions, orders, revenue (or revenue_amount); one row per
    customer x day, days with no events/sessions/orders do not count as active
``payments`` (optional, marts.fct_payments)
    customer_id, attempted_at, payment_status ('succeeded' | 'failed')
``tickets`` (optional, marts.fct_tickets)
    customer_id, opened_at, csat_score (1..5, NaN when not rated), sla_breached or is_sla_breached
    (bool)
``touches`` (optional, marketing_touches)
    customer_id, touched_at, touch_type ('send' | 'open' | 'click')
``subscriptions`` (optional, marts.fct_subscriptions)
    customer_id, plan_code, billing_mode, started_at, cancelled_at. When given, plan and billing
    mode are taken *as of the cut-off* (latest subscription started before it); otherwise the
    current plan from ``customers`` is used, which can leak plan changes made after the cut-off.

A snapshot row describes a customer who is live at the cut-off (signed up before it and not
churned before it) using only events strictly before the cut-off. Label ``churned_30d`` = 1 if
``churned_at`` falls in [cut-off, cut-off + horizon); it is NaN when that window extends beyond
``observed_until`` (the data end), so the latest snapshots can be scored but not trained on.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

LABEL_COL, CUTOFF_COL, ID_COL = "churned_30d", "cutoff_date", "customer_id"

REQUIRED_COLUMNS = {
    "customers": ["customer_id", "signed_up_at", "acquisition_channel", "plan_code", "billing_mode", "churned_at"],
    "activity": ["customer_id", "activity_date", "events", "sessions", "orders", "revenue"],
    "payments": ["customer_id", "attempted_at", "payment_status"],
    "tickets": ["customer_id", "opened_at", "csat_score", "sla_breached"],
    "touches": ["customer_id", "touched_at", "touch_type"],
    "subscriptions": ["customer_id", "plan_code", "billing_mode", "started_at", "cancelled_at"],
}


# Mart column names accepted in place of the documented ones (first match wins).
COLUMN_ALIASES = {
    "customers": {"plan_code": ["current_plan_code", "current_plan_tier", "current_plan_id"],
                  "billing_mode": ["current_billing_mode"]},
    "activity": {"revenue": ["revenue_amount"]},
    "tickets": {"sla_breached": ["is_sla_breached"]},
}


def _require(name: str, df: pd.DataFrame | None) -> pd.DataFrame | None:
    if df is None:
        return None
    renames = {}
    for column, aliases in COLUMN_ALIASES.get(name, {}).items():
        alias = next((a for a in aliases if a in df.columns), None)
        if column not in df.columns and alias is not None:
            renames[alias] = column
    df = df.rename(columns=renames) if renames else df
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in df.columns]
    if missing:
        raise ValueError(f"{name} table lacks columns {missing} (needs {REQUIRED_COLUMNS[name]})")
    return df


def _timestamps(df: pd.DataFrame, column: str) -> pd.Series:
    values = df[column]
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return pd.to_datetime(values, format="mixed")  # dates with and without a time part


def _window(df: pd.DataFrame, time_col: str, cutoff: pd.Timestamp, days: int, start_days: int = 0) -> pd.DataFrame:
    """Rows with cutoff - days <= t < cutoff - start_days."""
    times = df[time_col]
    return df[(times >= cutoff - pd.Timedelta(days=days)) & (times < cutoff - pd.Timedelta(days=start_days))]


def _activity_features(activity: pd.DataFrame, cutoff: pd.Timestamp, index: pd.Index) -> pd.DataFrame:
    past = activity[activity["activity_date"] < cutoff]
    active = past[(past["events"] > 0) | (past["sessions"] > 0) | (past["orders"] > 0)]
    feats = pd.DataFrame(index=index)
    last_active = active.groupby("customer_id")["activity_date"].max()
    feats["days_since_last_activity"] = (cutoff - last_active).dt.days
    for days in (7, 30, 90):
        feats[f"active_days_{days}"] = _window(active, "activity_date", cutoff, days).groupby("customer_id").size()
    def totals(window: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        return window.groupby("customer_id")[columns].sum()

    last30 = totals(_window(past, "activity_date", cutoff, 30), ["events", "sessions", "orders", "revenue"])
    last90 = totals(_window(past, "activity_date", cutoff, 90), ["events", "orders", "revenue"])
    prev30 = totals(_window(past, "activity_date", cutoff, 60, start_days=30), ["events", "sessions"])
    for column in last30:
        feats[f"{column}_30"] = last30[column]
    for column in last90:
        feats[f"{column}_90"] = last90[column]
    feats = feats.fillna({c: 0 for c in feats.columns if c != "days_since_last_activity"})
    prev_events = prev30["events"].reindex(index).fillna(0)
    prev_sessions = prev30["sessions"].reindex(index).fillna(0)
    # Trend in (-1, 1): negative when the last 30 days were quieter than the 30 days before.
    feats["events_trend"] = (feats["events_30"] - prev_events) / (feats["events_30"] + prev_events + 1)
    feats["sessions_trend"] = (feats["sessions_30"] - prev_sessions) / (feats["sessions_30"] + prev_sessions + 1)
    return feats


def _payment_features(payments: pd.DataFrame, cutoff: pd.Timestamp, index: pd.Index) -> pd.DataFrame:
    feats = pd.DataFrame(index=index)
    failed = payments["payment_status"].astype(str).str.lower() == "failed"
    for days in (30, 90):
        window = _window(payments.assign(_failed=failed), "attempted_at", cutoff, days)
        feats[f"payment_failures_{days}"] = window.groupby("customer_id")["_failed"].sum()
        if days == 90:
            feats["payment_attempts_90"] = window.groupby("customer_id").size()
    feats = feats.fillna(0)
    feats["payment_failure_rate_90"] = feats["payment_failures_90"] / feats["payment_attempts_90"].where(
        feats["payment_attempts_90"] > 0)
    return feats


def _ticket_features(tickets: pd.DataFrame, cutoff: pd.Timestamp, index: pd.Index) -> pd.DataFrame:
    feats = pd.DataFrame(index=index)
    feats["tickets_30"] = _window(tickets, "opened_at", cutoff, 30).groupby("customer_id").size()
    last90 = _window(tickets, "opened_at", cutoff, 90)
    grouped = last90.groupby("customer_id")
    feats["tickets_90"] = grouped.size()
    feats["sla_breaches_90"] = grouped["sla_breached"].sum()
    feats["low_csat_90"] = last90.assign(_low=last90["csat_score"] <= 2).groupby("customer_id")["_low"].sum()
    feats = feats.fillna(0)
    # CSAT stays NaN for customers who rated nothing: "no rating" differs from "average rating".
    feats["csat_mean_90"] = grouped["csat_score"].mean()
    feats["csat_min_90"] = grouped["csat_score"].min()
    return feats


def _touch_features(touches: pd.DataFrame, cutoff: pd.Timestamp, index: pd.Index) -> pd.DataFrame:
    feats = pd.DataFrame(index=index)
    kind = touches["touch_type"].astype(str).str.lower()
    for days in (30, 90):
        window = _window(touches.assign(_kind=kind), "touched_at", cutoff, days)
        counts = window.groupby(["customer_id", "_kind"]).size().unstack(fill_value=0)
        for touch_type in ("send", "open", "click"):
            feats[f"touch_{touch_type}s_{days}"] = counts[touch_type] if touch_type in counts else 0
    feats = feats.fillna(0)
    feats["touch_open_rate_90"] = feats["touch_opens_90"] / feats["touch_sends_90"].where(feats["touch_sends_90"] > 0)
    feats["touch_click_rate_90"] = feats["touch_clicks_90"] / feats["touch_sends_90"].where(feats["touch_sends_90"] > 0)
    return feats


def _plan_as_of(subscriptions: pd.DataFrame, cutoff: pd.Timestamp, index: pd.Index) -> pd.DataFrame:
    started = subscriptions[subscriptions["started_at"] < cutoff].sort_values("started_at")
    latest = started.groupby("customer_id").last()
    plan = pd.DataFrame(index=index)
    plan["plan_code"] = latest["plan_code"]
    plan["billing_mode"] = latest["billing_mode"]
    live = started[started["cancelled_at"].isna() | (started["cancelled_at"] >= cutoff)]
    plan["live_subscriptions"] = live.groupby("customer_id").size()
    plan["live_subscriptions"] = plan["live_subscriptions"].fillna(0)
    return plan


def build_snapshots(
    cutoffs: Iterable,
    customers: pd.DataFrame,
    activity: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    touches: pd.DataFrame | None = None,
    subscriptions: pd.DataFrame | None = None,
    *,
    horizon_days: int = 30,
    observed_until=None,
) -> pd.DataFrame:
    """One row per live customer per cut-off: features, ``cutoff_date`` and ``churned_30d``.

    ``observed_until`` (exclusive) defaults to the day after the latest activity date.
    """
    customers = _require("customers", customers).copy()
    activity = _require("activity", activity).copy()
    payments, tickets, touches = (_require(n, d) for n, d in (("payments", payments), ("tickets", tickets),
                                                               ("touches", touches)))
    subscriptions = _require("subscriptions", subscriptions)
    customers["signed_up_at"] = _timestamps(customers, "signed_up_at")
    customers["churned_at"] = _timestamps(customers, "churned_at")
    activity["activity_date"] = _timestamps(activity, "activity_date")
    for column in ("events", "sessions", "orders", "revenue"):
        activity[column] = pd.to_numeric(activity[column], errors="coerce").astype(float).fillna(0.0)
    if payments is not None:
        payments = payments.assign(attempted_at=_timestamps(payments, "attempted_at"))
    if tickets is not None:
        tickets = tickets.assign(
            opened_at=_timestamps(tickets, "opened_at"),
            csat_score=pd.to_numeric(tickets["csat_score"], errors="coerce"),
            sla_breached=tickets["sla_breached"].fillna(False).astype(bool).astype(int),
        )
    if touches is not None:
        touches = touches.assign(touched_at=_timestamps(touches, "touched_at"))
    if subscriptions is not None:
        subscriptions = subscriptions.assign(started_at=_timestamps(subscriptions, "started_at"),
                                             cancelled_at=_timestamps(subscriptions, "cancelled_at"))
    if observed_until is None:
        observed_until = activity["activity_date"].max().normalize() + pd.Timedelta(days=1)
    observed_until = pd.Timestamp(observed_until)

    snapshots = []
    for cutoff in sorted(pd.Timestamp(c) for c in cutoffs):
        live = customers[(customers["signed_up_at"] < cutoff)
                         & (customers["churned_at"].isna() | (customers["churned_at"] >= cutoff))]
        index = pd.Index(live["customer_id"].unique(), name="customer_id")
        base = live.drop_duplicates("customer_id").set_index("customer_id")
        frame = pd.DataFrame(index=index)
        frame["tenure_days"] = (cutoff - base["signed_up_at"]).dt.days
        frame["acquisition_channel"] = base["acquisition_channel"]
        if subscriptions is not None:
            frame = frame.join(_plan_as_of(subscriptions, cutoff, index))
        else:
            frame["plan_code"] = base["plan_code"]
            frame["billing_mode"] = base["billing_mode"]
        frame = frame.join(_activity_features(activity, cutoff, index))
        # Never active before the cut-off: recency is the whole tenure.
        frame["days_since_last_activity"] = frame["days_since_last_activity"].fillna(frame["tenure_days"])
        if payments is not None:
            frame = frame.join(_payment_features(payments, cutoff, index))
        if tickets is not None:
            frame = frame.join(_ticket_features(tickets, cutoff, index))
        if touches is not None:
            frame = frame.join(_touch_features(touches, cutoff, index))
        churned = base["churned_at"]
        label = ((churned >= cutoff) & (churned < cutoff + pd.Timedelta(days=horizon_days))).astype(float)
        complete = cutoff + pd.Timedelta(days=horizon_days) <= observed_until
        frame[LABEL_COL] = label if complete else np.nan
        frame.insert(0, CUTOFF_COL, cutoff)
        snapshots.append(frame.reset_index())
    if not snapshots:
        raise ValueError("no cut-off dates given")
    return pd.concat(snapshots, ignore_index=True)
