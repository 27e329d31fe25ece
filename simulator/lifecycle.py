"""Customer lifecycle: plan choice, free trials, churn (with its behavioural precursors), win-back.

Every customer holds one subscription. Churn is drawn from a monthly hazard that depends on plan,
tenure, engagement and satisfaction; each churner then gets *drivers* whose traces are planted in
the weeks before the churn date: activity declines (all), failed payments (involuntary churn and
"payment trouble"), badly handled support tickets ("poor support") and a downgrade. Churned
customers go silent; a few are won back later. The per-customer activity matrix built here scales
every behavioural rate (sessions, orders, e-mail opens).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator import schema
from simulator.catalog import Catalog
from simulator.customers import Population
from simulator.util import SECOND, ensure_each
from simulator.world import World

MODE_SHARE = {"monthly": 0.45, "annual": 0.20, "usage_based": 0.15, "per_seat": 0.20}
TIER_SHARE = {"basic": 0.55, "pro": 0.35, "enterprise": 0.10}
MONTHLY_HAZARD = {"monthly": 0.040, "annual": 0.012, "usage_based": 0.030, "per_seat": 0.025}
TIER_HAZARD = {"basic": 1.25, "pro": 1.0, "enterprise": 0.7}
REACTIVATION_SHARE = 0.06
DIP_SHARE = 0.10          # non-churn noise: temporary activity dips (holidays, busy season)
DIP_LEVEL = 0.5
INVOLUNTARY_SHARE = 0.15  # of churners on monthly-billed plans
RETRY_OFFSETS_H = (0, 72, 168)  # invoice payment attempts after the first charge (hours)


def add_months(days: np.ndarray, months: np.ndarray | int, start: np.datetime64) -> np.ndarray:
    """Day offsets of the same day-of-month (capped at 28) `months` later."""
    dates = start + np.asarray(days)
    month = dates.astype("datetime64[M]")
    dom = np.minimum((dates - month.astype("datetime64[D]")).astype(int) + 1, 28)
    out = (month + np.asarray(months)).astype("datetime64[D]") + (dom - 1)
    return (out - start).astype(np.int64)


def hazard_tenure_factor(months: np.ndarray) -> np.ndarray:
    return np.where(months < 3, 1.6, np.where(months < 12, 1.0, 0.75))


@dataclass
class Lifecycle:
    plan_idx: np.ndarray            # initial plan (index into catalog plan arrays)
    seats: np.ndarray               # seats (per_seat) / committed units (usage_based) / 1
    trial_end: np.ndarray           # datetime64[s], NaT when the plan has no trial
    converted: np.ndarray           # trial converted (True when no trial)
    paid_start: np.ndarray          # datetime64[s] of the first paid moment (NaT if never)
    churn_at: np.ndarray            # datetime64[s], NaT = not churned within the history
    churn_type: np.ndarray          # "", "trial_expired", "voluntary", "involuntary"
    reactivated_at: np.ndarray      # datetime64[s] or NaT
    decline_start: np.ndarray       # datetime64[s] or NaT
    driver_poor_support: np.ndarray
    driver_payment_trouble: np.ndarray
    driver_downgrade: np.ndarray
    noise_poor_ticket: np.ndarray   # non-churn noise: one badly handled ticket at a random time
    involuntary_invoice_day: np.ndarray  # day the finally-unpaid invoice was issued (-1 if none)
    activity: np.ndarray            # (customer x day) float32: activity level, 0 when not a live customer

    @property
    def churned(self) -> np.ndarray:
        return ~np.isnat(self.churn_at)


def plan_mrr(catalog: Catalog, plan_idx: np.ndarray, seats: np.ndarray) -> np.ndarray:
    """Monthly recurring revenue in cents for a plan and seat/commitment count."""
    price = catalog.plan_price[plan_idx]
    mode = catalog.plan_mode[plan_idx]
    return np.where(mode == "annual", (price + 6) // 12,
                    np.where(np.isin(mode, ["per_seat", "usage_based"]), price * seats, price)).astype(np.int64)


def draw_lifecycle(world: World, pop: Population, catalog: Catalog) -> Lifecycle:
    rng = world.rng("lifecycle")
    n, n_days = pop.n, world.n_days

    # --- plan choice -----------------------------------------------------------------------------
    mode = rng.choice(list(MODE_SHARE), size=n, p=list(MODE_SHARE.values()))
    plan_idx = np.empty(n, dtype=np.int64)
    for m in MODE_SHARE:
        candidates = np.flatnonzero(catalog.plan_mode == m)
        w = np.array([TIER_SHARE[catalog.plan_tier[c]] for c in candidates])
        sel = mode == m
        plan_idx[sel] = candidates[rng.choice(len(candidates), size=int(sel.sum()), p=w / w.sum())]
    in_window = (pop.signup_day >= 0) & (pop.signup_day < n_days - 90)
    plan_idx = ensure_each(rng, plan_idx, range(len(catalog.plan_id)), in_window)
    plan_mode = catalog.plan_mode[plan_idx]
    seats = np.ones(n, dtype=np.int64)
    seat_plan = plan_mode == "per_seat"
    seats[seat_plan] = 2 + rng.geometric(0.12, size=int(seat_plan.sum()))
    usage_plan = plan_mode == "usage_based"
    seats[usage_plan] = 100 * rng.integers(2, 31, size=int(usage_plan.sum()))  # committed units / month

    # --- trials --------------------------------------------------------------------------------
    trial_days = catalog.plan_trial[plan_idx]
    has_trial = trial_days > 0
    trial_end = np.where(has_trial, pop.signed_up_at + trial_days * 86_400 * SECOND, np.datetime64("NaT"))
    p_convert = 1 / (1 + np.exp(-(0.9 + 1.5 * np.log(pop.engagement))))
    converted = ~has_trial | (rng.random(n) < p_convert) | (world.day_of(trial_end) < 1)  # the initial base survived its trial
    paid_start = np.where(has_trial, trial_end, pop.signed_up_at).astype("datetime64[s]")
    paid_start = np.where(converted, paid_start, np.datetime64("NaT"))
    paid_start_day = np.where(converted, world.day_of(np.where(converted, paid_start, pop.signed_up_at)), n_days)

    # --- paid churn from a monthly hazard --------------------------------------------------------
    n_months = int(np.ceil((n_days + 400) / 30)) + 1
    months = np.arange(n_months)
    month_start = paid_start_day[:, None] + 30 * months[None, :]
    tier = catalog.plan_tier[plan_idx]
    base = np.array([MONTHLY_HAZARD[m] for m in plan_mode]) * np.array([TIER_HAZARD[t] for t in tier])
    person = np.clip(pop.engagement ** -0.8, 0.4, 3.0) * np.exp(-0.4 * pop.satisfaction)
    hazard = base[:, None] * person[:, None] * hazard_tenure_factor(months)[None, :]
    offset = rng.integers(0, 30, size=(n, n_months))
    candidate_day = month_start + offset
    event = (rng.random((n, n_months)) < 1 - np.exp(-hazard)) & (candidate_day >= 1) & (candidate_day < n_days) \
        & (candidate_day > paid_start_day[:, None] + 7)
    first = np.where(event.any(axis=1), event.argmax(axis=1), -1)
    churn_day = np.where(first >= 0, candidate_day[np.arange(n), np.maximum(first, 0)], -1)
    paid_churn = (first >= 0) & converted

    # involuntary churn follows the failed renewal of a monthly-billed invoice
    monthly_billed = plan_mode != "annual"
    involuntary = paid_churn & monthly_billed & (rng.random(n) < INVOLUNTARY_SHARE)
    invoice_day = np.full(n, -1, dtype=np.int64)
    if involuntary.any():
        idx = np.flatnonzero(involuntary)
        # last billing date at least 8 days before the drawn churn day
        k = np.maximum(((churn_day[idx] - 8 - paid_start_day[idx]) // 31), 1)
        cand = add_months(paid_start_day[idx], k, world.calendar.start)
        later = add_months(paid_start_day[idx], k + 1, world.calendar.start)
        cand = np.where(later <= churn_day[idx] - 8, later, cand)
        invoice_day[idx] = cand
        valid = (cand >= 1) & (cand + 8 < n_days) & (cand > paid_start_day[idx])
        involuntary[idx[~valid]] = False
        invoice_day[idx[~valid]] = -1
    churn_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    vol = paid_churn & ~involuntary
    churn_at[vol] = world.at(churn_day[vol], rng.integers(8 * 3600, 23 * 3600, size=int(vol.sum())))
    inv_idx = np.flatnonzero(involuntary)
    # invoices are issued between 02:00 and 03:00 and charged minutes later; cancellation follows the last retry
    churn_at[inv_idx] = world.at(invoice_day[inv_idx], 2 * 3600 + (RETRY_OFFSETS_H[-1] + 2) * 3600)
    trial_churn = has_trial & ~converted & (world.day_of(trial_end) < n_days)
    churn_at[trial_churn] = trial_end[trial_churn]
    churn_type = np.full(n, "", dtype=object)
    churn_type[vol] = "voluntary"
    churn_type[involuntary] = "involuntary"
    churn_type[trial_churn] = "trial_expired"
    churned = ~np.isnat(churn_at)
    churn_d = np.where(churned, world.day_of(np.where(churned, churn_at, world.start_s)), n_days + 10_000)

    # --- drivers -----------------------------------------------------------------------------------
    paid = churn_type != "trial_expired"
    u = rng.random((4, n))
    driver_poor_support = churned & paid & (u[0] < np.where(involuntary, 0.10, 0.35))
    driver_payment_trouble = churned & paid & (u[1] < np.where(involuntary, 0.3, 0.08))
    downgradable = (tier != "basic") | (plan_mode == "per_seat")
    driver_downgrade = churned & vol & downgradable & (u[2] < 0.25)
    noise_poor_ticket = ~churned & (u[3] < 0.05)

    # --- win-back ----------------------------------------------------------------------------------
    react_day = churn_d + rng.integers(30, 151, size=n)
    reactivated = vol & (rng.random(n) < REACTIVATION_SHARE) & (react_day < n_days)
    reactivated_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    reactivated_at[reactivated] = world.at(react_day[reactivated], rng.integers(9 * 3600, 22 * 3600, size=int(reactivated.sum())))

    # --- activity matrix ---------------------------------------------------------------------------
    days = np.arange(n_days, dtype=np.int32)[None, :]
    first_live = np.maximum(pop.signup_day + 1, 0)[:, None]
    alive = (days >= first_live) & ((days < churn_d[:, None]) | (reactivated[:, None] & (days >= react_day[:, None])))
    activity = alive.astype(np.float32)
    # decline before churn: linear from 1 down to a floor over L days
    decline_len = np.where(involuntary, rng.integers(30, 61, size=n), rng.integers(50, 91, size=n))
    floor = np.where(involuntary, rng.uniform(0.3, 0.55, size=n), rng.uniform(0.0, 0.2, size=n)).astype(np.float32)
    paid_churned = churned & paid
    start_decline = churn_d - decline_len
    t = (days - start_decline[:, None]).astype(np.float32) / decline_len[:, None]
    in_decline = paid_churned[:, None] & (t >= 0) & (t < 1)
    # concave: most of the drop happens early, so the decline is visible weeks before the churn date
    activity = np.where(in_decline, activity * (1 - (1 - floor[:, None]) * np.sqrt(np.clip(t, 0, 1))), activity)
    # trials that will not convert: lukewarm from the start and fading
    trial_len = np.maximum(trial_days, 1)[:, None]
    tt = (days - pop.signup_day[:, None]).astype(np.float32) / trial_len
    in_trial = trial_churn[:, None] & (tt >= 0) & (tt < 1)
    activity = np.where(in_trial, activity * (0.6 - 0.45 * tt), activity)
    # noise: temporary dips that do not lead to churn
    dip = rng.random(n) < DIP_SHARE
    dip_start = rng.integers(0, n_days, size=n)
    dip_len = rng.integers(21, 43, size=n)
    in_dip = dip[:, None] & (days >= dip_start[:, None]) & (days < (dip_start + dip_len)[:, None])
    activity = np.where(in_dip, activity * np.float32(DIP_LEVEL), activity).astype(np.float32)

    decline_start = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    decline_start[paid_churned] = world.at(start_decline[paid_churned])

    world.truth.churn.update({
        "definition": ("A customer churns when their subscription is cancelled (subscription_status 'cancelled', "
                       "cancelled_at) or their free trial ends without conversion (status 'expired', trial_ends_at). "
                       "Churned customers produce no sessions, orders or tickets afterwards unless reactivated."),
        "monthly_hazard_by_billing_mode": MONTHLY_HAZARD,
        "hazard_multiplier_by_tier": TIER_HAZARD,
        "hazard_multiplier_by_tenure_months": {"0-2": 1.6, "3-11": 1.0, "12+": 0.75},
        "hazard_person_factor": "clip(engagement^-0.8, 0.4, 3) * exp(-0.4 * satisfaction); engagement is visible as the customer's usual session rate",
        "precursors": {
            "declining_activity": "all paid churners: sessions, orders and e-mail opens fall to 0-20% (involuntary: 30-55%) of normal over the 50-90 (30-60) days before churn, along 1 - (1 - floor) * sqrt(elapsed share)",
            "payment_failure": "involuntary churners: the renewal invoice fails on 3 attempts (charge at issue, +3d, +7d) and the subscription is cancelled right after the last attempt (about issue + 7 days); 'payment_trouble' adds a failed-then-recovered payment in the 60 days before churn",
            "poor_support": "1-2 tickets in the 60 days before churn with slow handling and CSAT 1-2",
            "downgrade": "a downgrade (lower tier or fewer seats) 15-50 days before churn",
            "trial_expired": "trial users who do not convert show low, fading activity during the trial",
        },
        "noise": {"activity_dip_share": DIP_SHARE, "dip_level": DIP_LEVEL,
                  "non_churner_poor_ticket_share": 0.05, "reactivation_share_of_voluntary": REACTIVATION_SHARE},
    })
    return Lifecycle(
        plan_idx=plan_idx, seats=seats, trial_end=trial_end.astype("datetime64[s]"), converted=converted,
        paid_start=paid_start, churn_at=churn_at, churn_type=churn_type, reactivated_at=reactivated_at,
        decline_start=decline_start, driver_poor_support=driver_poor_support,
        driver_payment_trouble=driver_payment_trouble, driver_downgrade=driver_downgrade,
        noise_poor_ticket=noise_poor_ticket, involuntary_invoice_day=invoice_day, activity=activity,
    )


def record_churn_truth(world: World, pop: Population, life: Lifecycle) -> None:
    churned = np.flatnonzero(life.churned)
    customers = []
    for i in churned:
        drivers = []
        if life.churn_type[i] == "trial_expired":
            drivers.append("trial_not_converted")
        else:
            drivers.append("declining_activity")
            if life.churn_type[i] == "involuntary":
                drivers.append("payment_failure")
            if life.driver_payment_trouble[i]:
                drivers.append("payment_trouble")
            if life.driver_poor_support[i]:
                drivers.append("poor_support")
            if life.driver_downgrade[i]:
                drivers.append("downgrade")
        customers.append({
            "customer_id": int(pop.customer_id[i]),
            "churned_at": life.churn_at[i],
            "churn_type": life.churn_type[i],
            "drivers": drivers,
            "decline_started_at": None if np.isnat(life.decline_start[i]) else life.decline_start[i],
            "reactivated_at": None if np.isnat(life.reactivated_at[i]) else life.reactivated_at[i],
        })
    types, counts = np.unique(life.churn_type[churned].astype(str), return_counts=True)
    world.truth.churn.update({
        "churned_customers": len(churned),
        "churned_by_type": dict(zip(types.tolist(), counts.tolist())),
        "customers": customers,
    })


assert set(MODE_SHARE) == set(schema.BILLING_MODES)
