"""Every clickstream line follows the documented format and agrees with the OLTP data."""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal

from simulator import schema

from sim_testkit import END_DATE, Generated

FILE_NAME = re.compile(r"^events_\d{8}T\d{6}_\d{6}\.jsonl$")
OCCURRED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
KEYS = {"event_id", "event_name", "occurred_at", "customer_id", "anonymous_id", "session_id", "device", "page",
        "properties", "schema_version"}
PROPERTIES = {
    "page_view": {"path"}, "feature_use": {"feature"}, "add_to_cart": {"product_id", "quantity"},
    "checkout": {"order_id", "amount"}, "experiment_exposure": {"experiment_key", "variant_key"},
    "sign_up": {"acquisition_channel"}, "session_start": {"referrer", "utm_channel"},
}
DEVICES = {"ios", "android", "web", "mini_program"}


def problems_in_line(line: str, where: str) -> list[str]:
    try:
        event = json.loads(line)
    except json.JSONDecodeError as exc:
        return [f"{where}: not JSON ({exc})"]
    out = []
    if set(event) != KEYS:
        out.append(f"{where}: keys {sorted(set(event) ^ KEYS)} differ")
        return out
    name = event["event_name"]
    if name not in schema.CLICKSTREAM_EVENT_NAMES:
        out.append(f"{where}: unknown event_name {name!r}")
    if not UUID4.match(event["event_id"]):
        out.append(f"{where}: event_id {event['event_id']!r} is not a UUID4")
    if not OCCURRED_AT.match(event["occurred_at"]):
        out.append(f"{where}: occurred_at {event['occurred_at']!r}")
    if not (event["customer_id"] is None or isinstance(event["customer_id"], int)):
        out.append(f"{where}: customer_id {event['customer_id']!r}")
    if not (isinstance(event["anonymous_id"], str) and isinstance(event["session_id"], str) and event["session_id"]):
        out.append(f"{where}: anonymous_id/session_id")
    if event["device"] not in DEVICES:
        out.append(f"{where}: device {event['device']!r}")
    if not (event["page"] is None or isinstance(event["page"], str)):
        out.append(f"{where}: page {event['page']!r}")
    if event["schema_version"] != 1:
        out.append(f"{where}: schema_version")
    props = event["properties"]
    if not isinstance(props, dict) or set(props) != PROPERTIES.get(name, set()):
        out.append(f"{where}: properties {props!r} for {name}")
    elif name == "checkout" and not (isinstance(props["amount"], str) and Decimal(props["amount"]).as_tuple().exponent == -2):
        out.append(f"{where}: checkout amount {props['amount']!r} must be a decimal string")
    elif name == "add_to_cart" and not (isinstance(props["product_id"], int) and props["quantity"] >= 1):
        out.append(f"{where}: add_to_cart {props!r}")
    elif name == "session_start" and props["utm_channel"] not in (None, *schema.MARKETING_CHANNELS):
        out.append(f"{where}: utm_channel {props['utm_channel']!r}")
    return out


def read_events(run: Generated) -> list[dict]:
    return [json.loads(line) for path in sorted(run.landing.iterdir()) for line in path.open(encoding="utf-8")]


def test_files_are_named_and_split_as_documented(small_run: Generated):
    names = [p.name for p in small_run.landing.iterdir()]
    assert names, "no clickstream files"
    assert not [n for n in names if not FILE_NAME.match(n)], "unexpected (or temporary) files in the landing folder"
    sizes = [sum(1 for _ in (small_run.landing / n).open()) for n in names]
    assert max(sizes) <= 50_000
    assert len(names) >= 700, "about one file per day of history"


def test_every_line_is_valid(small_run: Generated):
    problems = []
    for path in sorted(small_run.landing.iterdir()):
        for number, line in enumerate(path.open(encoding="utf-8"), start=1):
            problems.extend(problems_in_line(line, f"{path.name}:{number}"))
            if len(problems) > 10:
                break
    assert not problems, "\n".join(problems[:10])


def test_events_agree_with_the_database(small_run: Generated):
    events = read_events(small_run)
    counts = Counter(e["event_name"] for e in events)
    assert set(counts) == set(schema.CLICKSTREAM_EVENT_NAMES), counts
    assert len({e["event_id"] for e in events}) == len(events), "event ids must be unique"
    assert max(e["occurred_at"] for e in events) < f"{END_DATE.isoformat()}T00:00:00"
    with small_run.connect() as conn:
        totals = {oid: f"{total:.2f}" for oid, total in conn.execute("SELECT order_id, total_amount FROM orders")}
        sessions = dict(conn.execute("SELECT order_id, session_id FROM orders WHERE session_id IS NOT NULL").fetchall())
        assignments = conn.execute("SELECT COUNT(*) FROM experiment_assignments").fetchone()[0]
        online = conn.execute("SELECT COUNT(*) FROM orders WHERE sales_channel != 'offline_store'").fetchone()[0]
        signups = conn.execute("SELECT COUNT(*) FROM customers WHERE signed_up_at >= (SELECT MIN(ordered_at) FROM orders)").fetchone()[0]
    checkouts = [e for e in events if e["event_name"] == "checkout"]
    assert len(checkouts) == online == len(sessions)
    for e in checkouts:
        order_id = e["properties"]["order_id"]
        assert totals[order_id] == e["properties"]["amount"], f"checkout amount differs for order {order_id}"
        assert sessions[order_id] == e["session_id"]
    assert counts["experiment_exposure"] == assignments
    assert abs(counts["sign_up"] - signups) <= 2
    signup_sessions = {e["session_id"] for e in events if e["event_name"] == "sign_up"}
    anonymous_then_known = [e for e in events if e["session_id"] in signup_sessions and e["event_name"] != "sign_up"]
    assert anonymous_then_known and all(e["customer_id"] is None for e in anonymous_then_known)
