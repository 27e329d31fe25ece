"""Online experiments: definitions, exposure-triggered assignment, planted effects and their truth.

A customer is assigned (and an `experiment_exposure` event emitted) at their first browsing session
inside the experiment window, with probability `traffic`. From the assignment day to the window end
the customer's order rate is multiplied by (1 + lift) of their variant, so:
  * revenue per user (sum of order totals from assignment to window end) has a true relative lift
    equal to the variant's lift (order values do not depend on the variant);
  * conversion (>= 1 order in that span) has the true relative lift computed from every assigned
    customer's expected order count B: mean(1 - exp(-(1 + lift) B)) / mean(1 - exp(-B)) - 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator import schema
from simulator.util import SECOND
from simulator.world import World


@dataclass(frozen=True)
class Variant:
    key: str
    weight: float
    lift: float                  # relative change of the order rate
    factors: dict | None = None  # factorial designs


@dataclass(frozen=True)
class ExperimentSpec:
    key: str
    name: str
    hypothesis: str
    design: str
    primary_metric: str
    start: float                 # fraction of the history (>0) or days before the end (<0)
    days: int | None             # None = still running at the end of the history
    traffic: float
    variants: tuple[Variant, ...]
    status: str = "concluded"


EXPERIMENTS = (
    ExperimentSpec("checkout_one_page", "One-page checkout", "Collapsing checkout into one page raises conversion.",
                   "ab", "conversion", 0.12, 35, 0.8,
                   (Variant("control", 0.5, 0.0), Variant("one_page", 0.5, 0.15))),
    ExperimentSpec("aa_platform_check", "A/A platform check", "Two identical arms: the platform must show no difference.",
                   "aa", "conversion", 0.20, 28, 0.8,
                   (Variant("a", 0.5, 0.0), Variant("b", 0.5, 0.0))),
    ExperimentSpec("banner_layout_x_badge", "Banner layout x discount badge (2x2)",
                   "Layout B and a discount badge each help a little, and much more together.",
                   "factorial", "conversion", 0.27, 56, 1.0,
                   (Variant("layout_a_badge_off", 0.25, 0.0, {"layout": "a", "badge": "off"}),
                    Variant("layout_b_badge_off", 0.25, 0.08, {"layout": "b", "badge": "off"}),
                    Variant("layout_a_badge_on", 0.25, 0.08, {"layout": "a", "badge": "on"}),
                    Variant("layout_b_badge_on", 0.25, 0.55, {"layout": "b", "badge": "on"}))),
    ExperimentSpec("pricing_page_abn", "Pricing page variants", "Leading with annual plans lifts revenue per user.",
                   "abn", "revenue_per_user", 0.40, 35, 0.9,
                   (Variant("control", 0.25, 0.0), Variant("annual_first", 0.25, 0.12),
                    Variant("social_proof", 0.25, 0.0), Variant("urgency_banner", 0.25, -0.10))),
    ExperimentSpec("push_send_time", "Push notification send time", "Evening pushes convert better than morning pushes.",
                   "ab", "conversion", 0.50, 28, 0.8,
                   (Variant("morning", 0.5, 0.0), Variant("evening", 0.5, 0.0)), status="stopped"),
    ExperimentSpec("free_shipping_threshold", "Free-shipping threshold", "A lower free-shipping threshold raises revenue per user.",
                   "abn", "revenue_per_user", 0.60, 35, 0.9,
                   (Variant("threshold_99", 0.4, 0.0), Variant("threshold_79", 0.3, 0.18), Variant("threshold_59", 0.3, 0.08))),
    ExperimentSpec("recommendations_v2", "Recommendation model v2", "The new recommender raises revenue per user.",
                   "ab", "revenue_per_user", 0.70, 35, 0.8,
                   (Variant("model_v1", 0.5, 0.0), Variant("model_v2", 0.5, 0.12))),
    ExperimentSpec("onboarding_checklist", "Onboarding checklist", "A checklist on the home page raises conversion.",
                   "ab", "conversion", -24, None, 0.8,
                   (Variant("control", 0.5, 0.0), Variant("checklist", 0.5, 0.15)), status="running"),
    ExperimentSpec("search_ranking_ltr", "Learning-to-rank search", "A learned ranker does not change conversion (guardrail test).",
                   "ab", "conversion", -14, None, 0.8,
                   (Variant("bm25", 0.5, 0.0), Variant("ltr", 0.5, 0.0)), status="running"),
)
EXPOSURE_PAGES = {"checkout_one_page": "/checkout", "pricing_page_abn": "/pricing", "free_shipping_threshold": "/cart",
                  "search_ranking_ltr": "/search", "recommendations_v2": "/home"}
ORDER_SURVIVAL = 0.985  # share of orders that are not cancelled (used for expected conversion levels)


@dataclass
class Assignments:
    """One row per assigned customer across all experiments."""

    experiment_idx: np.ndarray
    variant_idx: np.ndarray      # index within the experiment's variants
    customer_idx: np.ndarray
    session_idx: np.ndarray      # browse session carrying the exposure
    assigned_at: np.ndarray      # datetime64[ms]
    first_day: np.ndarray        # experiment window first day
    end_day: np.ndarray          # exclusive


def window(world: World, spec: ExperimentSpec) -> tuple[int, int]:
    first = int(spec.start * world.n_days) if spec.start > 0 else world.n_days + int(spec.start)
    last = world.n_days if spec.days is None else min(first + spec.days, world.n_days)
    return first, last


def assign(world: World, sess_customer: np.ndarray, sess_start_ms: np.ndarray, n_customers: int) -> tuple[Assignments, np.ndarray]:
    """Assign customers at their first in-window browse session; returns the order-rate multiplier matrix."""
    rng = world.rng("experiments")
    day_ms = 86_400_000
    sess_day = sess_start_ms // day_ms
    parts = []
    effect = np.ones((n_customers, world.n_days), dtype=np.float32)
    for e, spec in enumerate(EXPERIMENTS):
        first, end = window(world, spec)
        in_win = np.flatnonzero((sess_customer >= 0) & (sess_day >= first) & (sess_day < end)
                                & (sess_start_ms < world.n_days * day_ms - 60_000))
        # sessions are sorted by start, so the first occurrence per customer is the first session
        cust, first_pos = np.unique(sess_customer[in_win], return_index=True)
        sess = in_win[first_pos]
        take = rng.random(len(cust)) < spec.traffic
        cust, sess = cust[take], sess[take]
        weights = np.array([v.weight for v in spec.variants])
        variant = rng.choice(len(spec.variants), size=len(cust), p=weights / weights.sum())
        # every variant gets at least one customer, even at tiny scales
        for v in range(len(spec.variants)):
            if len(cust) > len(spec.variants) and not np.any(variant == v):
                variant[v] = v
        assigned_ms = sess_start_ms[sess] + rng.integers(2_000, 30_000, size=len(cust))
        a_day = assigned_ms // day_ms
        lifts = np.array([v.lift for v in spec.variants], dtype=np.float32)
        span = end - a_day
        rows = np.repeat(cust, span)
        days = np.repeat(a_day, span) + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
        effect[rows, days] *= np.repeat(1 + lifts[variant], span)
        parts.append(pd.DataFrame({"experiment_idx": e, "variant_idx": variant, "customer_idx": cust, "session_idx": sess,
                                   "assigned_ms": assigned_ms, "first_day": first, "end_day": end}))
    frame = pd.concat(parts, ignore_index=True)
    assignments = Assignments(
        experiment_idx=frame["experiment_idx"].to_numpy(), variant_idx=frame["variant_idx"].to_numpy(),
        customer_idx=frame["customer_idx"].to_numpy(), session_idx=frame["session_idx"].to_numpy(),
        assigned_at=frame["assigned_ms"].to_numpy(), first_day=frame["first_day"].to_numpy(),
        end_day=frame["end_day"].to_numpy())
    return assignments, effect


def build_tables(world: World, assignments: Assignments, customer_id: np.ndarray) -> None:
    rng = world.rng("experiment_tables")
    exp_rows, var_rows = [], []
    variant_ids = {}
    for e, spec in enumerate(EXPERIMENTS):
        first, end = window(world, spec)
        starts_at = world.at(first, 9 * 3600)
        ends_at = None if spec.days is None else world.at(end, 0)
        created = starts_at - int(rng.integers(2, 10)) * 86_400 * SECOND
        exp_rows.append(dict(experiment_id=e + 1, experiment_key=spec.key, experiment_name=spec.name,
                             hypothesis=spec.hypothesis, design=spec.design, primary_metric=spec.primary_metric,
                             starts_at=starts_at, ends_at=ends_at, experiment_status=spec.status,
                             created_at=created, updated_at=starts_at if ends_at is None else world.cap(ends_at)))
        for v, variant in enumerate(spec.variants):
            variant_ids[(e, v)] = len(var_rows) + 1
            var_rows.append(dict(variant_id=len(var_rows) + 1, experiment_id=e + 1, variant_key=variant.key,
                                 is_control=v == 0, traffic_weight=int(round(variant.weight * 10_000)),
                                 factor_levels=None if variant.factors is None else json.dumps(variant.factors, sort_keys=True),
                                 created_at=created, updated_at=created))
    exps = pd.DataFrame(exp_rows)
    exps["ends_at"] = pd.to_datetime(exps["ends_at"])
    world.add("experiments", exps)
    world.add("experiment_variants", pd.DataFrame(var_rows))
    assigned_at = (world.start_s.astype("datetime64[ms]") + assignments.assigned_at * np.timedelta64(1, "ms")).astype("datetime64[s]")
    frame = pd.DataFrame({
        "experiment_id": assignments.experiment_idx + 1,
        "variant_id": [variant_ids[(e, v)] for e, v in zip(assignments.experiment_idx, assignments.variant_idx)],
        "customer_id": customer_id[assignments.customer_idx],
        "assigned_at": assigned_at,
    }).sort_values(["assigned_at", "experiment_id", "customer_id"], kind="stable").reset_index(drop=True)
    frame.insert(0, "assignment_id", np.arange(1, len(frame) + 1))
    frame["created_at"] = frame["assigned_at"]
    frame["updated_at"] = frame["assigned_at"]
    world.add("experiment_assignments", frame)


def record_truth(world: World, assignments: Assignments, order_rate: np.ndarray, orders: pd.DataFrame) -> None:
    """Planted effects plus what the realised data shows, per experiment and variant."""
    day_ms = 86_400_000
    out = []
    order_cust = orders["customer_idx"].to_numpy()
    order_ms = ((orders["ordered_at"].to_numpy().astype("datetime64[ms]") - world.start_s.astype("datetime64[ms]"))
                / np.timedelta64(1, "ms")).astype(np.int64)
    order_total = orders["total_amount"].to_numpy()
    valid = (orders["order_status"] != "cancelled").to_numpy()
    by_customer = pd.DataFrame({"c": order_cust[valid], "t": order_ms[valid], "amt": order_total[valid]}).sort_values(["c", "t"])
    c_sorted = by_customer["c"].to_numpy()
    t_sorted = by_customer["t"].to_numpy()
    amt_cum = np.concatenate([[0], np.cumsum(by_customer["amt"].to_numpy())])

    # (customer, time) keys sorted ascending: window sums become two binary searches
    shift = np.int64(2) ** 38
    keys = c_sorted.astype(np.int64) * shift + t_sorted

    def window_sum(cust, t_from, t_to):
        """Number and value (cents) of valid orders per customer with ordered_at in [t_from, t_to)."""
        lo = np.searchsorted(keys, cust.astype(np.int64) * shift + t_from, side="left")
        hi = np.searchsorted(keys, cust.astype(np.int64) * shift + t_to, side="left")
        return hi - lo, amt_cum[hi] - amt_cum[lo]

    for e, spec in enumerate(EXPERIMENTS):
        sel = assignments.experiment_idx == e
        cust = assignments.customer_idx[sel]
        variant = assignments.variant_idx[sel]
        first, end = window(world, spec)
        a_ms = assignments.assigned_at[sel]
        a_day = a_ms // day_ms
        lifts = np.array([v.lift for v in spec.variants])
        # expected orders without this experiment's own effect, from assignment to the window end
        base = np.zeros(len(cust))
        for d in range(first, end):
            live = a_day <= d
            if not live.any():
                continue
            rate = order_rate[cust[live], d] / (1 + lifts[variant[live]])
            weight = np.where(a_day[live] == d, 0.5, 1.0)
            base[live] += rate * weight * ORDER_SURVIVAL
        control_conv = np.mean(1 - np.exp(-base))
        n_orders, revenue = window_sum(cust, a_ms, np.full(len(cust), end * day_ms))
        _, pre28_rev = window_sum(cust, a_ms - 28 * day_ms, a_ms)
        pre90_n, pre90_rev = window_sum(cust, a_ms - 90 * day_ms, a_ms)
        variants = []
        for v, spec_v in enumerate(spec.variants):
            conv_v = np.mean(1 - np.exp(-(1 + spec_v.lift) * base))
            mine = variant == v
            variants.append({
                "variant_key": spec_v.key, "is_control": v == 0, "traffic_weight": spec_v.weight,
                "factor_levels": spec_v.factors,
                "planted_order_rate_lift": spec_v.lift,
                "true_relative_lift_revenue_per_user": spec_v.lift,
                "true_relative_lift_conversion": round(float(conv_v / control_conv - 1), 6) if control_conv > 0 else 0.0,
                "expected_conversion_rate": round(float(conv_v), 6),
                "assigned_customers": int(mine.sum()),
                "realised_conversion_rate": round(float(np.mean(n_orders[mine] > 0)), 6) if mine.any() else None,
                "realised_revenue_per_user": round(float(np.mean(revenue[mine]) / 100), 4) if mine.any() else None,
            })
        def corr(x, y):
            return round(float(np.corrcoef(x, y)[0, 1]), 4) if len(x) > 2 and x.std() > 0 and y.std() > 0 else None

        entry = {
            "experiment_key": spec.key, "design": spec.design, "primary_metric": spec.primary_metric,
            "metric_definitions": {
                "conversion": "customer has >= 1 non-cancelled order with ordered_at in [assigned_at, window_end)",
                "revenue_per_user": "sum of total_amount of those orders (CNY), zero when none",
            },
            "status": spec.status, "window_start": world.at(first, 9 * 3600), "window_end": world.at(end, 0),
            "traffic": spec.traffic, "variants": variants,
            "is_null_experiment": all(v.lift == 0 for v in spec.variants),
            "pre_period_covariate": ("the customer's non-cancelled order total_amount (revenue) or order count in the "
                                     "28 or 90 days before assigned_at; persistent customer propensity makes it predictive"),
            "pre_period_correlation": {
                "revenue_28d_vs_revenue": corr(pre28_rev, revenue), "revenue_90d_vs_revenue": corr(pre90_rev, revenue),
                "orders_90d_vs_converted": corr(pre90_n.astype(float), (n_orders > 0).astype(float)),
            },
        }
        if spec.design == "factorial":
            lift = {tuple(sorted(v.factors.items())): v.lift for v in spec.variants}
            convs = {tuple(sorted(v.factors.items())): vt["true_relative_lift_conversion"] for v, vt in zip(spec.variants, variants)}
            cells = list(lift)  # (a,off) control, (b,off), (a,on), (b,on)
            entry["interaction"] = {
                "factors": {"layout": ["a", "b"], "badge": ["off", "on"]},
                "definition": "lift(b,on) - lift(b,off) - lift(a,on) relative to the (a,off) control mean",
                "revenue_per_user": round(lift[cells[3]] - lift[cells[1]] - lift[cells[2]], 6),
                "conversion": round(convs[cells[3]] - convs[cells[1]] - convs[cells[2]], 6),
                "main_effect_layout_revenue_per_user": lift[cells[1]],
                "main_effect_badge_revenue_per_user": lift[cells[2]],
            }
        out.append(entry)
    world.truth.experiments = out


assert {s.design for s in EXPERIMENTS} == set(schema.EXPERIMENT_DESIGNS)
