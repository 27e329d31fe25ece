"""Subscriptions, their MRR change history, invoices and invoice payments.

Every MRR change is one `subscription_changes` row whose old_mrr equals the previous row's new_mrr,
and `subscriptions.mrr_amount` equals the last new_mrr, so an MRR bridge built from the changes
reconciles exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.catalog import Catalog
from simulator.customers import Population
from simulator.lifecycle import RETRY_OFFSETS_H, Lifecycle
from simulator.util import DAY_S, SECOND, pct_of
from simulator.world import World

UPGRADE_RATE = 0.035      # per customer-month
DOWNGRADE_RATE = 0.012
SEAT_CHANGE_RATE = 0.08   # per_seat plans
FIRST_ATTEMPT_FAILURE = 0.002
RETRY_SUCCESS = 0.7
PAYMENT_METHODS = np.array(["alipay", "wechat_pay", "card", "bank_transfer"])
PAYMENT_METHOD_SHARE = np.array([0.40, 0.35, 0.18, 0.07])
FAILURE_REASON_SHARE = {"insufficient_funds": 0.38, "card_expired": 0.17, "bank_declined": 0.25,
                        "network_timeout": 0.15, "fraud_suspected": 0.05}


@dataclass
class Billing:
    payment_method: np.ndarray   # preferred method per customer
    subscription_status: np.ndarray


def month_offset(origin: dt.date, anchor: dt.date, months: int) -> int:
    """Day offset from `origin` of the anchor's day-of-month (capped at 28) `months` later.

    Same rule as lifecycle.add_months, in plain Python for the per-invoice loop.
    """
    total = anchor.month - 1 + months
    day = dt.date(anchor.year + total // 12, total % 12 + 1, min(anchor.day, 28))
    return (day - origin).days


def _ladder(catalog: Catalog) -> dict[str, list[int]]:
    ladder = {}
    for mode in np.unique(catalog.plan_mode):
        idx = np.flatnonzero(catalog.plan_mode == mode)
        ladder[mode] = idx[np.argsort(catalog.plan_price[idx])[::-1] if mode == "usage_based" else np.argsort(catalog.plan_price[idx])].tolist()
    return ladder


def _mrr(catalog: Catalog, plan: int, seats: int) -> int:
    mode, price = catalog.plan_mode[plan], int(catalog.plan_price[plan])
    if mode == "annual":
        return (price + 6) // 12
    if mode in ("per_seat", "usage_based"):
        return price * seats
    return price


def build_subscriptions(world: World, pop: Population, life: Lifecycle, catalog: Catalog) -> Billing:
    rng = world.rng("subscriptions")
    n = pop.n
    end = int((world.end_s - world.start_s) / SECOND)

    NONE = np.iinfo(np.int64).min

    def sec(ts: np.ndarray) -> np.ndarray:
        """Seconds since the history start; NONE for NaT."""
        ts = ts.astype("datetime64[s]")
        filled = np.where(np.isnat(ts), world.start_s, ts)
        return np.where(np.isnat(ts), NONE, ((filled - world.start_s) // SECOND).astype(np.int64))

    signed = sec(pop.signed_up_at)
    trial_end = sec(life.trial_end)
    paid_start = sec(life.paid_start)
    churn = sec(life.churn_at)
    react = sec(life.reactivated_at)
    ladder = _ladder(catalog)
    plan_mode = catalog.plan_mode

    changes: list[tuple] = []   # (sub_idx, type, old_plan, new_plan, old_mrr, new_mrr, t)
    segments: list[tuple] = []  # billing segments: (sub_idx, anchor_day, first_s, last_s_exclusive)
    plan_events: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]  # (t, plan, seats)
    final_plan = life.plan_idx.copy()
    final_seats = life.seats.copy()
    final_mrr = np.zeros(n, dtype=np.int64)
    updated = signed.copy()
    for i in range(n):
        plan, seats, mrr = int(life.plan_idx[i]), int(life.seats[i]), 0
        t_last = int(signed[i])
        if trial_end[i] != NONE:
            changes.append((i, "trial_start", None, plan, 0, 0, int(signed[i])))
        if paid_start[i] == NONE or paid_start[i] >= end:  # still trialing, or the trial expired
            plan_events[i].append((int(signed[i]), plan, seats))
            continue
        t0 = int(paid_start[i])
        mrr = _mrr(catalog, plan, seats)
        changes.append((i, "new", None, plan, 0, mrr, t0))
        plan_events[i].append((t0, plan, seats))
        stop = int(churn[i]) if churn[i] != NONE else end
        # expansion / contraction at Poisson times over the paid life, plus the planted pre-churn downgrade
        months_alive = max(0.0, (stop - t0) / (30 * DAY_S))
        mode = plan_mode[plan]
        rate = (SEAT_CHANGE_RATE if mode == "per_seat" else UPGRADE_RATE + DOWNGRADE_RATE) * months_alive
        k = int(rng.poisson(rate))
        times = [(int(t), False) for t in rng.integers(t0 + DAY_S, max(stop - 20 * DAY_S, t0 + DAY_S + 1), size=k)]
        if life.driver_downgrade[i]:
            times.append((int(churn[i]) - int(rng.integers(15, 51)) * DAY_S, True))
        for t, forced_down in sorted(times):
            if t <= t0 or t >= stop or t >= end:
                continue
            steps = ladder[mode]
            pos = steps.index(plan)
            new_plan, new_seats = plan, seats
            if mode == "per_seat" and (forced_down or rng.random() < 0.6):
                delta = -int(rng.integers(1, 4)) if (forced_down or rng.random() < 0.3) else int(rng.integers(1, 6))
                new_seats = max(1, seats + delta)
                kind = "seat_change"
            elif mode == "usage_based" and not forced_down and rng.random() < 0.5:
                new_seats = max(100, seats + 100 * int(rng.integers(-3, 6)))  # commitment change
                kind = "upgrade"
            elif forced_down or rng.random() < DOWNGRADE_RATE / (UPGRADE_RATE + DOWNGRADE_RATE):
                if pos > 0:
                    new_plan, kind = steps[pos - 1], "downgrade"
                elif mode == "usage_based" and seats > 100:
                    new_seats, kind = seats - 100, "downgrade"
                else:
                    continue
            elif pos < len(steps) - 1:
                new_plan, kind = steps[pos + 1], "upgrade"
            else:
                continue
            new_mrr = _mrr(catalog, new_plan, new_seats)
            if new_mrr == mrr:
                continue
            if kind != "seat_change":  # named by the MRR direction (usage tiers trade price per unit)
                kind = "upgrade" if new_mrr > mrr else "downgrade"
            changes.append((i, kind, plan, new_plan, mrr, new_mrr, t))
            plan, seats, mrr = new_plan, new_seats, new_mrr
            plan_events[i].append((t, plan, seats))
            t_last = t
        anchor_day = t0 // DAY_S
        if churn[i] != NONE and churn[i] < end:
            segments.append((i, anchor_day, t0, int(churn[i])))
            changes.append((i, "cancel", plan, plan, mrr, 0, int(churn[i])))
            mrr, t_last = 0, int(churn[i])
            if react[i] != NONE and react[i] < end:
                mrr = _mrr(catalog, plan, seats)
                changes.append((i, "reactivate", plan, plan, 0, mrr, int(react[i])))
                segments.append((i, int(react[i]) // DAY_S, int(react[i]), end))
                t_last = int(react[i])
        else:
            segments.append((i, anchor_day, t0, end))
        final_plan[i], final_seats[i], final_mrr[i] = plan, seats, mrr
        updated[i] = max(t_last, t0)

    change_frame = pd.DataFrame(changes, columns=["sub_idx", "change_type", "old_plan", "new_plan", "old_mrr_amount",
                                                  "new_mrr_amount", "t"])
    change_frame = change_frame.sort_values(["t", "sub_idx"], kind="stable").reset_index(drop=True)
    invoices, payments, past_due = _invoices(world, rng, pop, life, catalog, segments, plan_events, end)

    # subscription rows
    status = np.full(n, "active", dtype=object)
    trialing = (trial_end != NONE) & (trial_end >= end)
    status[trialing] = "trialing"
    expired = (life.churn_type == "trial_expired")
    status[expired] = "expired"
    cancelled = life.churned & (life.churn_type != "trial_expired") & ((react == NONE) | (react >= end))
    status[cancelled] = "cancelled"
    status[past_due & (status == "active")] = "past_due"
    last_invoice_change = invoices.groupby("sub_idx")["_touched_s"].max().reindex(range(n)).fillna(NONE).to_numpy(np.int64)
    updated = np.maximum(updated, np.where(status == "past_due", last_invoice_change, updated))
    updated = np.where(expired, trial_end, updated)
    sub_id = pop.customer_id.copy()  # one subscription per customer: same id space
    def to_ts(seconds) -> np.ndarray:
        return world.start_s + np.asarray(seconds, dtype=np.int64) * SECOND

    cancelled_at = np.where(cancelled, life.churn_at, np.datetime64("NaT"))
    world.add("subscriptions", pd.DataFrame({
        "subscription_id": sub_id, "customer_id": pop.customer_id, "plan_id": catalog.plan_id[final_plan],
        "subscription_status": status, "seats": final_seats, "mrr_amount": final_mrr,
        "started_at": pop.signed_up_at, "trial_ends_at": life.trial_end, "cancelled_at": cancelled_at,
        "created_at": pop.signed_up_at, "updated_at": np.maximum(to_ts(updated), pop.signed_up_at),
    }))
    world.add("subscription_changes", pd.DataFrame({
        "change_id": np.arange(1, len(change_frame) + 1),
        "subscription_id": sub_id[change_frame["sub_idx"].to_numpy()],
        "customer_id": pop.customer_id[change_frame["sub_idx"].to_numpy()],
        "change_type": change_frame["change_type"],
        "old_plan_id": pd.array([None if p is None or pd.isna(p) else int(catalog.plan_id[int(p)]) for p in change_frame["old_plan"]], dtype="Int64"),
        "new_plan_id": pd.array([int(catalog.plan_id[int(p)]) for p in change_frame["new_plan"]], dtype="Int64"),
        "old_mrr_amount": change_frame["old_mrr_amount"].astype(np.int64),
        "new_mrr_amount": change_frame["new_mrr_amount"].astype(np.int64),
        "effective_at": to_ts(change_frame["t"]), "created_at": to_ts(change_frame["t"]), "updated_at": to_ts(change_frame["t"]),
    }))
    inv_ids = invoices["invoice_id"].to_numpy()
    world.add("invoices", invoices.drop(columns=["sub_idx", "_touched_s"]))
    world.tables["_invoice_payments"] = payments
    method = PAYMENT_METHODS[rng.choice(len(PAYMENT_METHODS), size=n, p=PAYMENT_METHOD_SHARE)]
    world.truth.billing.update({
        "subscription_status_counts": pd.Series(status).value_counts().sort_index().to_dict(),
        "change_type_counts": change_frame["change_type"].value_counts().sort_index().to_dict(),
        "mrr_rules": {"monthly": "list_price", "annual": "round_half_up(list_price / 12)",
                      "per_seat": "list_price x seats", "usage_based": "list_price x committed units (stored in subscriptions.seats)"},
        "usage_based_invoices": "subtotal = list_price x max(committed units, actual usage units)",
        "invoices": len(inv_ids),
    })
    return Billing(payment_method=method, subscription_status=status)


def _invoices(world: World, rng: np.random.Generator, pop: Population, life: Lifecycle, catalog: Catalog,
              segments: list[tuple], plan_events: list[list[tuple]], end: int):
    """Monthly (annual: yearly) invoices per billing segment, plus their payment attempts."""
    start = world.calendar.start
    origin = start.astype(dt.date)
    rows = []
    for sub_idx, anchor_day, first_s, last_s in segments:
        mode = catalog.plan_mode[plan_events[sub_idx][0][1]]
        step = 12 if mode == "annual" else 1
        events = plan_events[sub_idx]
        anchor = origin + dt.timedelta(days=int(anchor_day))
        k = 0
        day = anchor_day
        while True:
            # first invoice of a segment: right after the (re)start, never before it
            issue_s = max(day * DAY_S + 2 * 3600 + int(rng.integers(0, 3600)), first_s + 300)
            next_day = month_offset(origin, anchor, (k + 1) * step)
            if issue_s >= last_s or issue_s >= end:
                break
            if issue_s >= first_s - DAY_S:
                plan, seats = next((p, s) for t, p, s in reversed(events) if t <= max(issue_s, events[0][0]))
                rows.append((sub_idx, day, next_day - 1, plan, seats, issue_s))
            k += 1
            day = next_day
    inv = pd.DataFrame(rows, columns=["sub_idx", "period_start", "period_end", "plan", "seats", "issue_s"])
    inv = inv.sort_values(["issue_s", "sub_idx"], kind="stable").reset_index(drop=True)  # ids follow issue time
    n_inv = len(inv)
    plan = inv["plan"].to_numpy()
    seats = inv["seats"].to_numpy()
    price = catalog.plan_price[plan]
    mode = catalog.plan_mode[plan]
    usage = np.maximum(seats, (seats * np.exp(rng.normal(0.1, 0.35, size=n_inv))).astype(np.int64))
    subtotal = np.where(np.isin(mode, ["per_seat"]), price * seats,
                        np.where(mode == "usage_based", price * usage, price)).astype(np.int64)
    first_of_sub = ~inv["sub_idx"].duplicated().to_numpy()
    referred = pop.partner_id[inv["sub_idx"].to_numpy()] > 0
    disc_bp = np.where(first_of_sub & referred & (rng.random(n_inv) < 0.5), 2000,
                       np.where(rng.random(n_inv) < 0.05, 1000, 0))
    discount = pct_of(subtotal, disc_bp)
    due = subtotal - discount

    # payment attempts ------------------------------------------------------------------------
    sub_idx = inv["sub_idx"].to_numpy()
    issue_s = inv["issue_s"].to_numpy()
    churn_s = np.where(np.isnat(life.churn_at), np.iinfo(np.int64).max,
                       ((np.where(np.isnat(life.churn_at), world.start_s, life.churn_at) - world.start_s) / SECOND).astype(np.int64))
    inv_churn = churn_s[sub_idx]
    involuntary_final = (life.churn_type[sub_idx] == "involuntary") & (inv["period_start"].to_numpy() == life.involuntary_invoice_day[sub_idx])
    # a recovered failure for 'payment trouble' churners: the last invoice 5-60 days before churn
    in_window = (issue_s < inv_churn - 5 * DAY_S) & (issue_s > inv_churn - 60 * DAY_S) & ~involuntary_final
    trouble = np.zeros(n_inv, bool)
    cand = life.driver_payment_trouble[sub_idx] & in_window
    last_cand = pd.Series(np.flatnonzero(cand)).groupby(sub_idx[cand]).max().to_numpy() if cand.any() else np.array([], dtype=int)
    trouble[last_cand] = True
    # voluntary churners sometimes cancel right after an invoice is issued: void it
    void = (life.churn_type[sub_idx] == "voluntary") & (issue_s > inv_churn - 2 * DAY_S) & (rng.random(n_inv) < 0.5)

    fail_first = involuntary_final | trouble | (rng.random(n_inv) < FIRST_ATTEMPT_FAILURE)
    fail_first &= ~void
    pay_rows = []
    status = np.where(void, "void", "paid").astype(object)
    paid_s = np.full(n_inv, -1, dtype=np.int64)
    touched = issue_s.copy()
    past_due = np.zeros(len(pop.customer_id), bool)
    attempt_delay = rng.integers(60, 900, size=n_inv)  # auto-charge a few minutes after issue
    reasons = np.array(list(FAILURE_REASON_SHARE))
    reason_p = np.array(list(FAILURE_REASON_SHARE.values()))
    for j in np.flatnonzero(~void):
        t1 = issue_s[j] + attempt_delay[j]
        if t1 >= end:
            status[j] = "open"
            continue
        if not fail_first[j]:
            pay_rows.append((j, 1, t1, "succeeded", None))
            paid_s[j] = touched[j] = t1
            continue
        for attempt, offset_h in enumerate(RETRY_OFFSETS_H, start=1):
            t = t1 + offset_h * 3600
            if t >= end:
                status[j] = "open"
                past_due[sub_idx[j]] = True
                break
            if involuntary_final[j]:
                ok = False
            elif trouble[j]:
                ok = attempt == 2
            else:
                ok = attempt > 1 and (attempt == len(RETRY_OFFSETS_H) or rng.random() < RETRY_SUCCESS)
            reason = None if ok else str(reasons[rng.choice(len(reasons), p=reason_p)])
            if involuntary_final[j] and not ok:
                reason = str(rng.choice(["insufficient_funds", "card_expired", "bank_declined"]))
            pay_rows.append((j, attempt, t, "succeeded" if ok else "failed", reason))
            touched[j] = t
            if ok:
                paid_s[j] = t
                break
        else:
            status[j] = "uncollectible"
            touched[j] = min(t1 + RETRY_OFFSETS_H[-1] * 3600 + 3600, end - 1)
    invoices = pd.DataFrame({
        "invoice_id": np.arange(1, n_inv + 1),
        "sub_idx": sub_idx,
        "subscription_id": pop.customer_id[sub_idx],
        "customer_id": pop.customer_id[sub_idx],
        "period_start": start + inv["period_start"].to_numpy(),
        "period_end": start + inv["period_end"].to_numpy(),
        "subtotal_amount": subtotal, "discount_amount": discount, "amount_due": due,
        "invoice_status": status,
        "issued_at": world.start_s + issue_s * SECOND,
        "paid_at": np.where(paid_s >= 0, world.start_s + np.maximum(paid_s, 0) * SECOND, np.datetime64("NaT")),
        "created_at": world.start_s + issue_s * SECOND,
        "updated_at": world.start_s + touched * SECOND,
        "_touched_s": touched,
    })
    pay = pd.DataFrame(pay_rows, columns=["inv_idx", "attempt_number", "t", "payment_status", "failure_reason"])
    pay["invoice_id"] = invoices["invoice_id"].to_numpy()[pay["inv_idx"].to_numpy()]
    pay["sub_idx"] = sub_idx[pay["inv_idx"].to_numpy()]
    pay["amount"] = due[pay["inv_idx"].to_numpy()]
    pay["attempted_at"] = world.start_s + pay["t"].to_numpy() * SECOND
    world.truth.billing.update({
        "invoice_first_attempt_failure_rate_planted": FIRST_ATTEMPT_FAILURE,
        "invoice_retry_schedule_hours": list(RETRY_OFFSETS_H),
        "invoice_retry_success_probability": RETRY_SUCCESS,
        "failure_reason_share": FAILURE_REASON_SHARE,
        "invoice_status_counts": pd.Series(status).value_counts().sort_index().to_dict(),
    })
    return invoices, pay, past_due
