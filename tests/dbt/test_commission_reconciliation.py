"""Every partner's commission, recomputed in Python Decimal from the staging tables, equals the ledger.

The rules are implemented here a second time, straight from the commission_rules comments in
simulator/schema.py (and the ground truth's commission_rule_semantics), without reading any
intermediate model: referred customer = customers.partner_id; revenue = total_amount of paid,
not-cancelled orders dated by ordered_at; periods are calendar months; only events inside a rule's
validity [valid_from, valid_to] count; amounts are rounded half-up to cents once per rule x month.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
FAR_FUTURE = dt.date(9999, 12, 31)


def month_of(value: dt.date | dt.datetime) -> dt.date:
    return dt.date(value.year, value.month, 1)


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    """Calendar month arithmetic with end-of-month clamping (as timestamp + interval 'n months')."""
    total = value.month - 1 + months
    year, month = value.year + total // 12, total % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def months_between(first: dt.date, last: dt.date):
    month = first
    while month <= last:
        yield month
        month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def expected_ledger(warehouse) -> dict[tuple[int, dt.date], tuple[int, Decimal]]:
    """(rule_id, month) -> (partner_id, commission) for every month of every rule's validity in the data."""
    customers = {cid: (pid, signed) for cid, pid, signed in warehouse.query(
        "select customer_id, partner_id, signed_up_at from staging.stg_oltp__customers")}
    paid_orders = warehouse.query("""
        select order_id, customer_id, ordered_at, total_amount from staging.stg_oltp__orders
        where paid_at is not null and order_status <> 'cancelled'""")
    invoice_payments = warehouse.query("""
        select customer_id, attempted_at, amount from staging.stg_oltp__payments
        where payment_status = 'succeeded' and invoice_id is not null""")
    rules = warehouse.query("""
        select rule_id, partner_id, rule_type, rate, bounty_amount, recurring_months, valid_from, valid_to
        from staging.stg_oltp__commission_rules""")
    tiers = defaultdict(list)
    for rule_id, minimum, rate in warehouse.query(
            "select rule_id, min_revenue_amount, rate from staging.stg_oltp__commission_rule_tiers"):
        tiers[rule_id].append((Decimal(minimum), Decimal(rate)))

    first_order: dict[int, tuple[dt.datetime, int]] = {}
    revenue_by_partner = defaultdict(list)      # partner -> [(ordered_at, amount)]
    first_orders_by_partner = defaultdict(list)  # partner -> [ordered_at]
    for order_id, customer_id, ordered_at, amount in paid_orders:
        key = (ordered_at, order_id)
        if customer_id not in first_order or key < first_order[customer_id]:
            first_order[customer_id] = key
        partner_id = customers[customer_id][0]
        if partner_id is not None:
            revenue_by_partner[partner_id].append((ordered_at, Decimal(amount)))
    for customer_id, (ordered_at, _order_id) in first_order.items():
        partner_id = customers[customer_id][0]
        if partner_id is not None:
            first_orders_by_partner[partner_id].append(ordered_at)
    payments_by_partner = defaultdict(list)  # partner -> [(attempted_at, amount, signed_up_at)]
    for customer_id, attempted_at, amount in invoice_payments:
        partner_id, signed_up_at = customers[customer_id]
        if partner_id is not None:
            payments_by_partner[partner_id].append((attempted_at, Decimal(amount), signed_up_at))

    event_months = [month_of(t) for t, _ in (o[2:4] for o in paid_orders)]
    event_months += [month_of(p[1]) for p in invoice_payments if customers[p[0]][0] is not None]
    first_month, last_month = min(event_months), max(event_months)

    ledger = {}
    for rule_id, partner_id, rule_type, rate, bounty, recurring_months, valid_from, valid_to in rules:
        valid_until = valid_to or FAR_FUTURE

        def in_period(moment, month):
            return month_of(moment) == month and valid_from <= moment.date() <= valid_until

        start = max(month_of(valid_from), first_month)
        end = min(month_of(valid_until), last_month)
        for month in months_between(start, end):
            if rule_type in ("percentage", "tiered"):
                base = sum((a for t, a in revenue_by_partner[partner_id] if in_period(t, month)), Decimal(0))
                if rule_type == "percentage":
                    applied = Decimal(rate)
                else:
                    qualifying = [(m, r) for m, r in tiers[rule_id] if m <= base]
                    applied = max(qualifying)[1] if qualifying else Decimal(0)
                commission = (base * applied).quantize(CENT, rounding=ROUND_HALF_UP)
            elif rule_type == "flat_bounty":
                new_customers = sum(1 for t in first_orders_by_partner[partner_id] if in_period(t, month))
                commission = (Decimal(bounty) * new_customers).quantize(CENT, rounding=ROUND_HALF_UP)
            elif rule_type == "recurring":
                base = sum((a for t, a, signed in payments_by_partner[partner_id]
                            if in_period(t, month) and t < add_months(signed, recurring_months)), Decimal(0))
                commission = (base * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)
            else:
                raise AssertionError(f"rule {rule_id}: unknown rule_type {rule_type!r}")
            ledger[(rule_id, month)] = (partner_id, commission)
    return ledger


def test_commission_ledger_matches_python_decimal_recomputation(warehouse):
    expected = expected_ledger(warehouse)
    actual = {(rule_id, month): (partner_id, Decimal(amount)) for rule_id, month, partner_id, amount in warehouse.query(
        "select rule_id, period_month, partner_id, commission_amount from marts.fct_commission_ledger")}
    assert len(expected) > 0
    assert set(actual) == set(expected), "the ledger must hold exactly one row per rule and month of validity"

    by_partner_period_expected: dict[tuple[int, dt.date], Decimal] = defaultdict(Decimal)
    by_partner_period_actual: dict[tuple[int, dt.date], Decimal] = defaultdict(Decimal)
    for (rule_id, month), (partner_id, amount) in expected.items():
        by_partner_period_expected[(partner_id, month)] += amount
    for (rule_id, month), (partner_id, amount) in actual.items():
        by_partner_period_actual[(partner_id, month)] += amount
    differences = {
        key: by_partner_period_actual[key] - by_partner_period_expected[key]
        for key in by_partner_period_expected.keys() | by_partner_period_actual.keys()
        if by_partner_period_actual[key] - by_partner_period_expected[key] != Decimal("0.00")
    }
    assert differences == {}, f"{len(differences)} partner-periods differ, e.g. {sorted(differences.items())[:5]}"
    # The check must be able to fail on something: commissions were actually earned.
    assert sum(by_partner_period_expected.values()) > 0
    rule_types = {row[0] for row in warehouse.query(
        "select distinct rule_type from marts.fct_commission_ledger where commission_amount > 0")}
    assert rule_types == {"percentage", "tiered", "flat_bounty", "recurring"}
