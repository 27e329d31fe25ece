"""Live mode: keep the sources moving in real time so freshness can be shown and measured.

Every tick (default 2 s) this appends about `rate` x tick clickstream events in a new landing file
(temporary name, then rename), inserts new orders with items, payments and stock movements, new
support tickets and experiment assignments, and updates earlier rows in place (orders move
pending -> paid -> shipped -> delivered, tickets open -> pending -> resolved) with a fresh
`updated_at`. Ids continue after the existing maximum. Timestamps are the real wall-clock time in
Asia/Shanghai (naive in the database, "+08:00" in events). Stops on SIGINT/SIGTERM or --duration.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from sqlalchemy import create_engine, event, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from simulator import schema
from simulator.clickstream import write_atomic
from simulator.config import OutputPaths, local_now_naive
from simulator.support import EN_NOUNS, SLA_HOURS
from simulator.texts import FEATURES, PAGES, REFERRERS, TICKET_TEMPLATES, WAREHOUSES

ORDERS_PER_EVENT = 1 / 25      # one order per ~25 behaviour events
TICKETS_PER_EVENT = 1 / 400
EVENTS_PER_SESSION = 6
LIVE_CUSTOMER_STATUSES = ("active", "trialing", "past_due")
SHIP_AFTER_S, DELIVER_AFTER_S = 20, 60          # compressed fulfilment so progress is visible
RESPOND_AFTER_S, RESOLVE_AFTER_S = 15, 60
FILE_PATTERN = re.compile(r"^events_\d{8}T\d{6}_(\d+)\.jsonl$")


@dataclass
class LiveConfig:
    paths: OutputPaths
    rate: float = 50.0
    duration: float | None = None
    seed: int | None = None
    tick: float = 2.0


def _cents(value: Decimal) -> int:
    return int((Decimal(value) * 100).to_integral_value())


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


@dataclass
class LiveSession:
    session_id: str
    customer_id: int | None
    anonymous_id: str
    device: str
    remaining: int
    started: bool = False


@dataclass
class LiveState:
    """What the live writer needs to know about the database, loaded once and kept current."""

    next_id: dict[str, int]
    products: list[tuple[int, int, str]]              # (product_id, price cents, category)
    customers: list[tuple[int, int]]                 # (customer_id, warehouse_id)
    stock: dict[tuple[int, int], int]
    running_experiments: list[tuple[int, str, list[tuple[int, str, float]]]]
    assigned: set[tuple[int, int]]                   # (experiment_id, customer_id)
    open_orders: list[tuple[int, str, dt.datetime]]  # (order_id, status, last change)
    open_tickets: list[tuple[int, str, dt.datetime, str]]  # (ticket_id, status, last change, queue)
    team_by_queue: dict[str, list[int]]
    file_seq: int
    sessions: list[LiveSession] = field(default_factory=list)

    def take_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value


def _engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # readers (ingestion) keep working while we write
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()
    return engine


def load_state(conn: Connection, paths: OutputPaths) -> LiveState:
    t = schema.metadata.tables
    tables = ["orders", "order_items", "payments", "inventory_movements", "support_tickets", "experiment_assignments"]
    next_id = {}
    for name in tables:
        pk = t[name].c[schema.PRIMARY_KEYS[name]]
        next_id[name] = int(conn.execute(select(func.coalesce(func.max(pk), 0))).scalar()) + 1
    products = [(int(r.product_id), _cents(r.unit_price), r.category) for r in conn.execute(
        select(t["products"].c.product_id, t["products"].c.unit_price, t["products"].c.category).where(t["products"].c.is_active))]
    warehouses = {r.warehouse_code: int(r.warehouse_id) for r in conn.execute(select(t["warehouses"].c.warehouse_code, t["warehouses"].c.warehouse_id))}
    region_wh = {region: warehouses[code] for code, *_rest, regions in WAREHOUSES for region in regions if code in warehouses}
    default_wh = min(warehouses.values()) if warehouses else None
    c, s = t["customers"], t["subscriptions"]
    customers = [(int(r.customer_id), region_wh.get(r.region, default_wh)) for r in conn.execute(
        select(c.c.customer_id, c.c.region).join(s, s.c.customer_id == c.c.customer_id)
        .where(s.c.subscription_status.in_(LIVE_CUSTOMER_STATUSES)).order_by(c.c.customer_id))]
    if not products or not customers or default_wh is None:
        raise SystemExit(f"live mode needs generated data in {paths.source_url}: run `python -m simulator generate` first")
    m = t["inventory_movements"]
    stock = {(int(r.product_id), int(r.warehouse_id)): int(r.qty) for r in conn.execute(
        select(m.c.product_id, m.c.warehouse_id, func.sum(m.c.quantity).label("qty")).group_by(m.c.product_id, m.c.warehouse_id))}
    e, v, a = t["experiments"], t["experiment_variants"], t["experiment_assignments"]
    running = []
    for exp in conn.execute(select(e.c.experiment_id, e.c.experiment_key).where(e.c.experiment_status == "running").order_by(e.c.experiment_id)):
        variants = [(int(r.variant_id), r.variant_key, float(r.traffic_weight)) for r in conn.execute(
            select(v.c.variant_id, v.c.variant_key, v.c.traffic_weight).where(v.c.experiment_id == exp.experiment_id).order_by(v.c.variant_id))]
        running.append((int(exp.experiment_id), exp.experiment_key, variants))
    running_ids = [r[0] for r in running]
    assigned = {(int(r.experiment_id), int(r.customer_id)) for r in conn.execute(
        select(a.c.experiment_id, a.c.customer_id).where(a.c.experiment_id.in_(running_ids)))} if running_ids else set()
    o = t["orders"]
    open_orders = [(int(r.order_id), r.order_status, r.updated_at) for r in conn.execute(
        select(o.c.order_id, o.c.order_status, o.c.updated_at).where(o.c.order_status.in_(("pending", "paid", "shipped"))))]
    st = t["support_tickets"]
    open_tickets = [(int(r.ticket_id), r.ticket_status, r.updated_at, r.queue) for r in conn.execute(
        select(st.c.ticket_id, st.c.ticket_status, st.c.updated_at, st.c.queue).where(st.c.ticket_status.in_(("open", "pending", "reopened"))))]
    teams: dict[str, list[int]] = {}
    for r in conn.execute(select(t["support_teams"].c.team_id, t["support_teams"].c.primary_queue).order_by(t["support_teams"].c.team_id)):
        teams.setdefault(r.primary_queue, []).append(int(r.team_id))
    seqs = [int(mt.group(1)) for p in paths.landing_dir.glob("events_*.jsonl") if (mt := FILE_PATTERN.match(p.name))]
    return LiveState(next_id=next_id, products=products, customers=customers, stock=stock, running_experiments=running,
                     assigned=assigned, open_orders=open_orders, open_tickets=open_tickets, team_by_queue=teams,
                     file_seq=max(seqs, default=0) + 1)


class LiveWriter:
    def __init__(self, config: LiveConfig):
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        self.engine = _engine(config.paths.source_url)
        with self.engine.connect() as conn:
            self.state = load_state(conn, config.paths)
        config.paths.landing_dir.mkdir(parents=True, exist_ok=True)
        self.t = schema.metadata.tables
        self.totals = {"events": 0, "files": 0, "orders": 0, "tickets": 0, "updates": 0, "assignments": 0}
        self.unpaid: dict[int, tuple[int, int, dict, int]] = {}  # pending live orders awaiting payment
        self._clock = iter(())

    # --- one tick ------------------------------------------------------------------------------
    def tick(self, since: dt.datetime, now: dt.datetime) -> None:
        span = max((now - since).total_seconds(), 0.001)
        n_events = int(self.rng.poisson(self.config.rate * span))
        events: list[dict] = []
        # one sorted list of instants in (since, now], handed out in generation order, so events keep
        # their order within a session and nothing is stamped in the future
        offsets = np.sort(1 - self.rng.random(n_events + 64)) * span
        self._clock = iter([since + dt.timedelta(seconds=float(x)) for x in offsets])
        with self.engine.begin() as conn:
            self._progress_orders(conn, now)
            self._progress_tickets(conn, now)
            for _ in range(int(self.rng.poisson(self.config.rate * span * ORDERS_PER_EVENT))):
                self._new_order(conn, since, now, events)
            for _ in range(int(self.rng.poisson(self.config.rate * span * TICKETS_PER_EVENT))):
                self._new_ticket(conn, now)
            while len(events) < n_events:
                self._browse_event(conn, since, now, events)
        if events:
            events.sort(key=lambda ev: ev["occurred_at"])
            seq = self.state.file_seq
            self.state.file_seq += 1
            stamp = now.strftime("%Y%m%dT%H%M%S")
            write_atomic(self.config.paths.landing_dir / f"events_{stamp}_{seq:06d}.jsonl",
                         "".join(json.dumps(ev, ensure_ascii=False) + "\n" for ev in events))
            self.totals["events"] += len(events)
            self.totals["files"] += 1

    def _stamp(self, since: dt.datetime, now: dt.datetime) -> dt.datetime:
        """The next instant of this tick's clock (millisecond precision, never after `now`)."""
        when = next(self._clock, now)
        return min(when.replace(microsecond=when.microsecond // 1000 * 1000), now)

    def _event(self, session: LiveSession, name: str, when: dt.datetime, page: str | None, props: dict,
               customer_id: int | None = None) -> dict:
        return {"event_id": str(uuid.UUID(bytes=self.rng.bytes(16), version=4)), "event_name": name,
                "occurred_at": when.isoformat(timespec="milliseconds") + "+08:00",
                "customer_id": session.customer_id if customer_id is None else customer_id,
                "anonymous_id": session.anonymous_id, "session_id": session.session_id, "device": session.device,
                "page": page, "properties": props, "schema_version": 1}

    def _open_session(self, customer_id: int | None, device: str | None = None) -> LiveSession:
        session = LiveSession(session_id=str(uuid.UUID(bytes=self.rng.bytes(16), version=4)), customer_id=customer_id,
                              anonymous_id=f"a_{self.rng.integers(0, 2**47):012x}",
                              device=device or str(self.rng.choice(["ios", "android", "web", "mini_program"])),
                              remaining=1 + int(self.rng.poisson(EVENTS_PER_SESSION)))
        return session

    def _browse_event(self, conn: Connection, since: dt.datetime, now: dt.datetime, events: list[dict]) -> None:
        state = self.state
        if not state.sessions or self.rng.random() < 1 / EVENTS_PER_SESSION:
            known = self.rng.random() < 0.85
            cust = state.customers[int(self.rng.integers(len(state.customers)))][0] if known else None
            state.sessions.append(self._open_session(cust))
        idx = int(self.rng.integers(len(state.sessions)))
        session = state.sessions[idx]
        when = self._stamp(since, now)
        if not session.started:
            session.started = True
            events.append(self._event(session, "session_start", when, "/", {
                "referrer": REFERRERS[int(self.rng.integers(len(REFERRERS)))], "utm_channel": None}))
            self._maybe_expose(conn, session, when, events)
        else:
            roll = self.rng.random()
            if roll < 0.6:
                path = PAGES[int(self.rng.integers(len(PAGES)))]
                events.append(self._event(session, "page_view", when, path, {"path": path}))
            elif roll < 0.85 and session.customer_id is not None:
                feature = FEATURES[int(self.rng.integers(len(FEATURES)))]
                events.append(self._event(session, "feature_use", when, f"/app/{feature}", {"feature": feature}))
            else:
                product_id = state.products[int(self.rng.integers(len(state.products)))][0]
                events.append(self._event(session, "add_to_cart", when, f"/product/{product_id}",
                                          {"product_id": product_id, "quantity": 1}))
        session.remaining -= 1
        if session.remaining <= 0:
            state.sessions.pop(idx)

    def _maybe_expose(self, conn: Connection, session: LiveSession, when: dt.datetime, events: list[dict]) -> None:
        if session.customer_id is None:
            return
        for exp_id, exp_key, variants in self.state.running_experiments:
            if (exp_id, session.customer_id) in self.state.assigned or self.rng.random() > 0.7:
                continue
            weights = np.array([w for _, _, w in variants])
            variant_id, variant_key, _ = variants[int(self.rng.choice(len(variants), p=weights / weights.sum()))]
            assigned_at = when
            conn.execute(insert(self.t["experiment_assignments"]), [{
                "assignment_id": self.state.take_id("experiment_assignments"), "experiment_id": exp_id,
                "variant_id": variant_id, "customer_id": session.customer_id, "assigned_at": assigned_at,
                "created_at": assigned_at, "updated_at": assigned_at}])
            self.state.assigned.add((exp_id, session.customer_id))
            events.append(self._event(session, "experiment_exposure", when, "/home",
                                      {"experiment_key": exp_key, "variant_key": variant_key}))
            self.totals["assignments"] += 1

    def _new_order(self, conn: Connection, since: dt.datetime, now: dt.datetime, events: list[dict]) -> None:
        state, rng, t = self.state, self.rng, self.t
        customer_id, warehouse_id = state.customers[int(rng.integers(len(state.customers)))]
        lines = {}
        for _ in range(1 + int(rng.poisson(1.2))):
            product_id, price, _cat = state.products[int(rng.integers(len(state.products)))]
            qty = 1 + int(rng.poisson(0.5))
            if state.stock.get((product_id, warehouse_id), 0) - lines.get(product_id, (0, 0))[0] >= qty:
                lines[product_id] = (lines.get(product_id, (0, price))[0] + qty, price)
        if not lines:
            return  # everything asked for is out of stock: demand lost
        channel = str(rng.choice(["app", "app", "web", "mini_program", "offline_store"], p=[0.3, 0.25, 0.17, 0.18, 0.1]))
        device = {"app": str(rng.choice(["ios", "android"])), "web": "web", "mini_program": "mini_program"}.get(channel)
        order_id = state.take_id("orders")
        ordered_at = self._stamp(since, now)
        items_cents = sum(q * p for q, p in lines.values())
        shipping = 0 if channel == "offline_store" or items_cents >= 9_900 else 800
        total = items_cents + shipping
        pending = channel != "offline_store" and rng.random() < 0.3
        status = "pending" if pending else ("delivered" if channel == "offline_store" else "paid")
        session = self._open_session(customer_id, device) if device else None
        conn.execute(insert(t["orders"]), [{
            "order_id": order_id, "customer_id": customer_id, "warehouse_id": warehouse_id, "sales_channel": channel,
            "session_id": session.session_id if session else None, "order_status": status, "ordered_at": ordered_at,
            "paid_at": None if pending else ordered_at, "delivered_at": ordered_at if channel == "offline_store" else None,
            "coupon_id": None, "items_amount": _money(items_cents), "coupon_discount_amount": _money(0),
            "shipping_amount": _money(shipping), "total_amount": _money(total), "refund_amount": _money(0),
            "created_at": ordered_at, "updated_at": ordered_at}])
        conn.execute(insert(t["order_items"]), [{
            "order_item_id": state.take_id("order_items"), "order_id": order_id, "product_id": pid, "quantity": q,
            "unit_price": _money(p), "discount_amount": _money(0), "line_amount": _money(q * p), "returned_quantity": 0,
            "created_at": ordered_at, "updated_at": ordered_at} for pid, (q, p) in sorted(lines.items())])
        if not pending:
            self._pay(conn, order_id, customer_id, total, ordered_at, lines, warehouse_id)
        if session:
            session.started = True
            events.append(self._event(session, "session_start", ordered_at, "/", {"referrer": "direct", "utm_channel": None}))
            for pid, (q, _p) in sorted(lines.items()):
                events.append(self._event(session, "add_to_cart", ordered_at, f"/product/{pid}", {"product_id": pid, "quantity": q}))
            events.append(self._event(session, "checkout", ordered_at, "/checkout",
                                      {"order_id": order_id, "amount": str(_money(total))}))
        state.open_orders.append((order_id, status, ordered_at))
        if pending:
            self.unpaid[order_id] = (customer_id, total, lines, warehouse_id)
        self.totals["orders"] += 1

    def _pay(self, conn: Connection, order_id: int, customer_id: int, total: int, when: dt.datetime,
             lines: dict, warehouse_id: int) -> None:
        t, state = self.t, self.state
        method = str(self.rng.choice(["alipay", "wechat_pay", "card"]))
        attempts = [("failed", "network_timeout")] if self.rng.random() < 0.007 else []
        attempts.append(("succeeded", None))
        conn.execute(insert(t["payments"]), [{
            "payment_id": state.take_id("payments"), "customer_id": customer_id, "order_id": order_id, "invoice_id": None,
            "amount": _money(total), "currency": "CNY", "payment_method": method, "payment_status": status,
            "failure_reason": reason, "attempt_number": n, "attempted_at": when, "created_at": when, "updated_at": when}
            for n, (status, reason) in enumerate(attempts, start=1)])
        movements = []
        for pid, (q, _p) in sorted(lines.items()):
            state.stock[(pid, warehouse_id)] = state.stock.get((pid, warehouse_id), 0) - q
            movements.append({"movement_id": state.take_id("inventory_movements"), "product_id": pid,
                              "warehouse_id": warehouse_id, "movement_type": "sale", "quantity": -q, "order_id": order_id,
                              "moved_at": when, "created_at": when, "updated_at": when})
        conn.execute(insert(t["inventory_movements"]), movements)

    def _progress_orders(self, conn: Connection, now: dt.datetime) -> None:
        o = self.t["orders"]
        still_open = []
        now_s = now.replace(microsecond=0)
        for order_id, status, changed in self.state.open_orders:
            age = (now - changed).total_seconds()
            new_status, values = status, {}
            if status == "pending" and age > 5:
                details = self.unpaid.pop(order_id, None)
                customer_id, total, lines, warehouse_id = details or (None, 0, {}, None)
                if details and all(self.state.stock.get((pid, warehouse_id), 0) >= q for pid, (q, _p) in lines.items()):
                    self._pay(conn, order_id, customer_id, total, now_s, lines, warehouse_id)
                    new_status, values = "paid", {"paid_at": now_s}
                else:  # never paid (or the stock is gone): the order times out
                    new_status = "cancelled"
            elif status == "paid" and age > SHIP_AFTER_S:
                new_status = "shipped"
            elif status == "shipped" and age > DELIVER_AFTER_S:
                new_status, values = "delivered", {"delivered_at": now_s}
            if new_status != status:
                conn.execute(update(o).where(o.c.order_id == order_id).values(order_status=new_status, updated_at=now_s, **values))
                self.totals["updates"] += 1
                if new_status in ("paid", "shipped"):
                    still_open.append((order_id, new_status, now))
            else:
                still_open.append((order_id, status, changed))
        self.state.open_orders = still_open

    def _new_ticket(self, conn: Connection, now: dt.datetime) -> None:
        rng, state = self.rng, self.state
        customer_id, _wh = state.customers[int(rng.integers(len(state.customers)))]
        queue = str(rng.choice(list(TICKET_TEMPLATES)))
        category = str(rng.choice(list(TICKET_TEMPLATES[queue])))
        language = "en" if rng.random() < 0.3 else "zh"
        subjects, bodies = TICKET_TEMPLATES[queue][category][language]
        _product, _price, category_name = state.products[int(rng.integers(len(state.products)))]
        noun = EN_NOUNS[category_name][int(rng.integers(len(EN_NOUNS[category_name])))] if language == "en" else "商品"
        slots = {"order": f"#{state.next_id['orders'] - 1}", "product": noun,
                 "amount": "99.00", "days": 3, "plan": "Pro", "error": "E1001", "city": "Shanghai"}
        priority = str(rng.choice(list(SLA_HOURS), p=[0.2, 0.55, 0.2, 0.05]))
        ticket_id = state.take_id("support_tickets")
        opened = now.replace(microsecond=0)
        conn.execute(insert(self.t["support_tickets"]), [{
            "ticket_id": ticket_id, "customer_id": customer_id, "order_id": None,
            "channel": str(rng.choice(schema.SUPPORT_CHANNELS)), "queue": queue, "category": category,
            "priority": priority, "language": language,
            "subject": subjects[int(rng.integers(len(subjects)))].format(**slots),
            "body": bodies[int(rng.integers(len(bodies)))].format(**slots), "assigned_team_id": None,
            "ticket_status": "open", "reopen_count": 0, "sla_hours": SLA_HOURS[priority], "opened_at": opened,
            "first_response_at": None, "resolved_at": None, "created_at": opened, "updated_at": opened}])
        state.open_tickets.append((ticket_id, "open", now, queue))
        self.totals["tickets"] += 1

    def _progress_tickets(self, conn: Connection, now: dt.datetime) -> None:
        st = self.t["support_tickets"]
        still_open = []
        now_s = now.replace(microsecond=0)
        for ticket_id, status, changed, queue in self.state.open_tickets:
            age = (now - changed).total_seconds()
            if status == "open" and age > RESPOND_AFTER_S:
                teams = self.state.team_by_queue.get(queue) or [None]
                conn.execute(update(st).where(st.c.ticket_id == ticket_id).values(
                    ticket_status="pending", first_response_at=now_s, assigned_team_id=teams[int(self.rng.integers(len(teams)))],
                    updated_at=now_s))
                still_open.append((ticket_id, "pending", now, queue))
                self.totals["updates"] += 1
            elif status in ("pending", "reopened") and age > RESOLVE_AFTER_S:
                conn.execute(update(st).where(st.c.ticket_id == ticket_id).values(
                    ticket_status="resolved", resolved_at=now_s, updated_at=now_s))
                self.totals["updates"] += 1
            else:
                still_open.append((ticket_id, status, changed, queue))
        self.state.open_tickets = still_open


def run_live(config: LiveConfig) -> int:
    stop = {"flag": False}

    def _stop(signum, _frame):
        stop["flag"] = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    writer = LiveWriter(config)
    started = time.monotonic()
    print(f"[simulator live] appending ~{config.rate:g} events/s to {config.paths.landing_dir} and {config.paths.source_url}"
          f" (Ctrl-C to stop)", file=sys.stderr, flush=True)
    last = local_now_naive()
    try:
        while not stop["flag"]:
            next_tick = time.monotonic() + config.tick
            while not stop["flag"] and time.monotonic() < next_tick:
                if config.duration is not None and time.monotonic() - started >= config.duration:
                    stop["flag"] = True
                    break
                time.sleep(min(0.1, max(next_tick - time.monotonic(), 0)))
            now = local_now_naive()
            writer.tick(last, now)
            last = now
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        writer.engine.dispose()
    totals = ", ".join(f"{k}={v}" for k, v in writer.totals.items())
    print(f"[simulator live] stopped after {time.monotonic() - started:.1f}s: {totals}", file=sys.stderr, flush=True)
    return 0
