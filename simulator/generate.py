"""One full generation run: every domain in dependency order, then the database, files and truth."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from simulator import clickstream as cs
from simulator import experiments, schema
from simulator.catalog import build_catalog
from simulator.config import GenerateConfig
from simulator.customers import build_customers
from simulator.feedback import build_nps, build_product_feedback
from simulator.ground_truth import GroundTruth
from simulator.lifecycle import draw_lifecycle, record_churn_truth
from simulator.marketing import build_campaigns_and_spend, plan_campaigns, simulate_touches
from simulator.orders import demand_model, order_rate_matrix, pick_outage_day, simulate_orders
from simulator.partners import build_partners, build_referrals
from simulator.promotions import build_promotions
from simulator.subscriptions import build_subscriptions
from simulator.support import build_tickets
from simulator.util import hex_ids, uuid4_strings
from simulator.world import World
from simulator.writer import Writer

GENERATOR_VERSION = 1


def stderr_progress(started: float) -> Callable[[str], None]:
    def report(message: str) -> None:
        print(f"[simulator {time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)
    return report


def generate(config: GenerateConfig, progress: Callable[[str], None] | None = None) -> GroundTruth:
    progress = progress or stderr_progress(time.perf_counter())
    paths = config.paths
    progress(f"generating seed={config.seed} scale={config.scale} history {config.start} .. {config.end} (exclusive) "
             f"into {paths.source_url} and {paths.landing_dir}")
    world = World(config)

    catalog = build_catalog(world)
    partners = build_partners(world)
    coupons = build_promotions(world)
    campaigns = plan_campaigns(world)
    progress(f"reference data: {len(catalog.product_id)} products, {len(partners.partner_id)} partners, "
             f"{len(coupons.coupon_id)} coupons, {len(campaigns.campaign_id)} campaigns")
    pop = build_customers(world, partners, campaigns)
    life = draw_lifecycle(world, pop, catalog)
    record_churn_truth(world, pop, life)
    progress(f"customers: {pop.n:,} ({int(life.churned.sum()):,} churn within the history)")
    billing = build_subscriptions(world, pop, life, catalog)
    progress(f"subscriptions: {len(world.tables['subscription_changes']):,} MRR changes, {len(world.tables['invoices']):,} invoices")
    clicks, uplift = simulate_touches(world, campaigns, life.activity, pop.customer_id)
    progress(f"marketing: {len(world.tables['marketing_touches']):,} touches")

    sessions = cs.draw_browse_sessions(world, pop, life.activity)
    assignments, effect = experiments.assign(world, sessions.column("customer_idx"), sessions.column("start_ms"), pop.n)
    progress(f"experiments: {len(assignments.customer_idx):,} assignments in {len(experiments.EXPERIMENTS)} experiments")

    demand = demand_model(world, catalog)
    outage_day = pick_outage_day(world)
    rate, _ = order_rate_matrix(world, pop, life.activity, demand, uplift, effect, outage_day)
    del uplift, effect
    book = simulate_orders(world, pop, catalog, coupons, rate, demand, outage_day, billing.payment_method)
    progress(f"orders: {len(book.orders):,} orders, {len(book.items):,} items, "
             f"{len(world.tables['inventory_movements']):,} inventory movements")
    experiments.build_tables(world, assignments, pop.customer_id)
    experiments.record_truth(world, assignments, rate, book.orders)
    del rate

    build_tickets(world, pop, life, catalog, book.orders, book.items)
    build_nps(world, pop, life)
    build_product_feedback(world, pop, life, catalog)
    progress(f"support: {len(world.tables['support_tickets']):,} tickets, {len(world.tables['csat_responses']):,} CSAT, "
             f"{len(world.tables['nps_responses']):,} NPS, {len(world.tables['product_feedback']):,} feedback")
    build_referrals(world, world.tables["customers"], book.first_paid_at)
    build_campaigns_and_spend(world)
    _build_payments(world, pop, book, billing)

    # --- clickstream ---------------------------------------------------------------------------
    pages = cs.PageBook(catalog.product_id, catalog.categories)
    parts = cs.EventParts()
    session_of_order = cs.add_order_sessions(world, sessions, parts, pages, book.orders, book.items, pop)
    cs.add_signup_sessions(world, sessions, parts, pages, pop, world.tables["customers"]["acquisition_channel"].to_numpy())
    cs.add_click_sessions(world, sessions, parts, pages, pop, clicks.customer_idx, clicks.clicked_at, clicks.channel,
                          catalog.popularity)
    cs.add_anonymous_sessions(world, sessions, parts, pages, catalog.popularity)
    cart_sessions = cs.plan_abandoned_carts(world, sessions, session_of_order[session_of_order >= 0], life.activity)
    exposure_ms = assignments.assigned_at
    cs.add_browse_events(world, sessions, parts, pages, assignments.session_idx, assignments.experiment_idx,
                         assignments.variant_idx, exposure_ms, cart_sessions, catalog.popularity)
    events = cs.assemble(world, sessions, parts)
    n_sessions = len(sessions.column("kind"))
    session_ids = uuid4_strings(world.rng("session_ids"), n_sessions)
    customer_of_session = sessions.column("customer_idx")
    anonymous_ids = hex_ids(world.rng("anonymous_ids"), n_sessions, "a_", 12)
    known = customer_of_session >= 0
    anonymous_ids[known] = pop.anonymous_id[customer_of_session[known]]
    orders = book.orders.drop(columns="customer_idx")
    has_session = session_of_order >= 0
    orders.loc[has_session, "session_id"] = session_ids[session_of_order[has_session]]
    world.add("orders", orders)
    world.truth.funnel = {
        "steps": ["session_start", "page_view", "add_to_cart", "checkout"],
        "planted_drop": {"step": "add_to_cart -> checkout", "device": "mini_program",
                         "description": "sessions with an add_to_cart on the mini program reach checkout far less often"},
        "by_device": cs.funnel_truth(events, sessions),
        "definition": "session level: share of sessions with >= 1 add_to_cart event that also contain a checkout event",
    }
    progress(f"clickstream: {len(events.t_ms):,} events in {n_sessions:,} sessions; writing files")
    files = cs.write_landing_files(world, events, sessions, session_ids, anonymous_ids, pages, pop.customer_id,
                                   paths.landing_dir, progress)

    # --- database and truth ----------------------------------------------------------------------
    tables = {name: frame for name, frame in world.tables.items() if not name.startswith("_")}
    missing = set(schema.metadata.tables) - set(tables)
    if missing:
        raise RuntimeError(f"generation produced no rows for tables {sorted(missing)}")
    empty = sorted(name for name, frame in tables.items() if frame.empty)
    if empty:
        raise RuntimeError(f"generated tables are empty: {empty}")
    world.truth.meta.update({
        "generator_version": GENERATOR_VERSION, "seed": config.seed, "scale": config.scale,
        "history_start": str(config.start), "history_end_exclusive": str(config.end),
        "timezone": "Asia/Shanghai (OLTP timestamps are naive local time)",
        "row_counts": {name: len(frame) for name, frame in sorted(tables.items())},
        "clickstream_events": files["events"], "clickstream_files": files["files"],
        "money_unit_note": "amounts in this file are CNY unless a key says cents",
    })
    writer = Writer(paths.source_url, progress)
    try:
        writer.reset_schema()
        writer.write_all(tables)
    finally:
        writer.close()
    world.truth.write(paths.ground_truth_path)
    progress(f"done: ground truth at {paths.ground_truth_path}")
    return world.truth


def _build_payments(world: World, pop, book, billing) -> None:
    inv = world.tables.pop("_invoice_payments")
    sub_idx = inv["sub_idx"].to_numpy()
    invoice_payments = pd.DataFrame({
        "customer_id": pop.customer_id[sub_idx], "order_id": 0, "invoice_id": inv["invoice_id"].to_numpy(),
        "amount": inv["amount"].to_numpy(), "payment_method": billing.payment_method[sub_idx],
        "payment_status": inv["payment_status"].to_numpy(), "failure_reason": inv["failure_reason"].to_numpy(),
        "attempt_number": inv["attempt_number"].to_numpy(), "attempted_at": inv["attempted_at"].to_numpy(),
    })
    order_payments = book.payments.assign(invoice_id=0)[list(invoice_payments.columns)]
    pay = pd.concat([order_payments, invoice_payments], ignore_index=True)
    pay = pay.sort_values(["attempted_at", "order_id", "invoice_id", "attempt_number"], kind="stable").reset_index(drop=True)
    pay.insert(0, "payment_id", np.arange(1, len(pay) + 1))
    pay["currency"] = "CNY"
    pay["order_id"] = pd.array(pay["order_id"].to_numpy(), dtype="Int64")
    pay["invoice_id"] = pd.array(pay["invoice_id"].to_numpy(), dtype="Int64")
    pay.loc[pay["order_id"] == 0, "order_id"] = pd.NA
    pay.loc[pay["invoice_id"] == 0, "invoice_id"] = pd.NA
    pay["failure_reason"] = pay["failure_reason"].where(pay["payment_status"] == "failed", None)
    pay["created_at"] = pay["attempted_at"]
    pay["updated_at"] = pay["attempted_at"]
    world.add("payments", pay)
    first = pay["attempt_number"] == 1
    ok = pay["payment_status"] == "succeeded"
    failed_first = pay[first & ~ok]
    key = np.where(pay["order_id"].notna(), "o" + pay["order_id"].astype(str), "i" + pay["invoice_id"].astype(str))
    recovered = pd.Series(ok.to_numpy()).groupby(key).any()
    failed_keys = set(key[(first & ~ok).to_numpy()])
    world.truth.billing.update({
        "payment_first_attempt_success_rate": round(float(ok[first].mean()), 5),
        "payment_success_rate_all_attempts": round(float(ok.mean()), 5),
        "retry_recovery_rate": round(float(recovered[list(failed_keys)].mean()), 4) if failed_keys else None,
        "failed_first_attempts": int(len(failed_first)),
        "failure_reasons": pay.loc[~ok, "failure_reason"].value_counts().sort_index().to_dict(),
        "billing_modes": list(schema.BILLING_MODES),
        "free_trial_plans": world.tables["subscription_plans"].loc[world.tables["subscription_plans"]["trial_days"] > 0, "plan_code"].tolist(),
    })
