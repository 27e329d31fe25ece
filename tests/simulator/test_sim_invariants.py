"""Coherence of the generated OLTP data, checked with SQL over the small SQLite run."""

from __future__ import annotations

import pytest

from simulator import schema

from sim_testkit import END_DATE, Generated


def violations(run: Generated, sql: str, limit: int = 5) -> list[tuple]:
    with run.connect() as conn:
        return conn.execute(f"SELECT * FROM ({sql}) LIMIT {limit}").fetchall()


def test_every_table_has_rows(small_run: Generated):
    empty = [name for name in schema.metadata.tables if small_run.count(name) == 0]
    assert not empty, f"empty tables at scale {small_run.scale}: {empty}"


@pytest.mark.parametrize("table, column, values", [
    ("marketing_touches", "channel_code", schema.MARKETING_CHANNELS),
    ("campaigns", "channel_code", schema.MARKETING_CHANNELS),
    ("marketing_spend", "channel_code", schema.MARKETING_CHANNELS),
    ("support_tickets", "channel", schema.SUPPORT_CHANNELS),
    ("support_tickets", "queue", schema.TICKET_QUEUES),
    ("support_tickets", "priority", schema.TICKET_PRIORITIES),
    ("subscription_plans", "billing_mode", schema.BILLING_MODES),
    ("orders", "sales_channel", schema.SALES_CHANNELS),
    ("payments", "payment_status", schema.PAYMENT_STATUSES),
    ("partners", "tier", schema.PARTNER_TIERS),
    ("partners", "partner_type", schema.PARTNER_TYPES),
    ("commission_rules", "rule_type", schema.COMMISSION_RULE_TYPES),
    ("experiments", "design", schema.EXPERIMENT_DESIGNS),
    ("product_feedback", "topic", schema.FEEDBACK_TOPICS),
    ("product_feedback", "source", schema.FEEDBACK_SOURCES),
    ("marketing_touches", "touch_type", schema.TOUCH_TYPES),
    ("inventory_movements", "movement_type", schema.INVENTORY_MOVEMENT_TYPES),
])
def test_enumerations_fully_present_and_valid(small_run: Generated, table: str, column: str, values: tuple):
    with small_run.connect() as conn:
        present = {r[0] for r in conn.execute(f"SELECT DISTINCT {column} FROM {table}")}
    assert present == set(values), f"{table}.{column}: missing {set(values) - present}, unexpected {present - set(values)}"


@pytest.mark.parametrize("table, column, allowed", [
    ("orders", "order_status", schema.ORDER_STATUSES),
    ("support_tickets", "ticket_status", schema.TICKET_STATUSES),
    ("subscriptions", "subscription_status", schema.SUBSCRIPTION_STATUSES),
    ("subscription_changes", "change_type", schema.SUBSCRIPTION_CHANGE_TYPES),
    ("invoices", "invoice_status", schema.INVOICE_STATUSES),
    ("payments", "payment_method", schema.PAYMENT_METHODS),
    ("partner_referrals", "referral_status", schema.REFERRAL_STATUSES),
])
def test_status_values_are_known(small_run: Generated, table: str, column: str, allowed: tuple):
    with small_run.connect() as conn:
        present = {r[0] for r in conn.execute(f"SELECT DISTINCT {column} FROM {table}")}
    assert present <= set(allowed), f"{table}.{column} has unknown values {present - set(allowed)}"


def test_billing_modes_and_trials_in_use(small_run: Generated):
    with small_run.connect() as conn:
        modes = {r[0] for r in conn.execute(
            "SELECT DISTINCT p.billing_mode FROM subscriptions s JOIN subscription_plans p USING (plan_id)")}
        trials = conn.execute("SELECT COUNT(*) FROM subscriptions WHERE trial_ends_at IS NOT NULL").fetchone()[0]
    assert modes == set(schema.BILLING_MODES)
    assert trials > 0


def test_order_amounts_reconcile(small_run: Generated):
    line_mismatch = violations(small_run, """
        SELECT order_item_id FROM order_items
        WHERE ROUND(quantity * unit_price - discount_amount, 2) != ROUND(line_amount, 2)""")
    assert not line_mismatch, f"line_amount != qty*price - discount for items {line_mismatch}"
    items_mismatch = violations(small_run, """
        SELECT o.order_id, o.items_amount, SUM(i.line_amount) AS lines FROM orders o JOIN order_items i USING (order_id)
        GROUP BY o.order_id, o.items_amount HAVING ABS(o.items_amount - SUM(i.line_amount)) > 0.001""")
    assert not items_mismatch, f"items_amount != sum(line_amount): {items_mismatch}"
    total_mismatch = violations(small_run, """
        SELECT order_id FROM orders
        WHERE ABS(total_amount - (items_amount - coupon_discount_amount + shipping_amount)) > 0.001""")
    assert not total_mismatch, f"total != items - coupon + shipping: {total_mismatch}"
    without_items = violations(small_run, "SELECT order_id FROM orders WHERE order_id NOT IN (SELECT order_id FROM order_items)")
    assert not without_items


def test_coupon_redemptions_match_orders(small_run: Generated):
    mismatch = violations(small_run, """
        SELECT o.order_id FROM orders o LEFT JOIN coupon_redemptions r ON r.order_id = o.order_id
        WHERE (o.coupon_id IS NULL) != (r.redemption_id IS NULL)
           OR (o.coupon_id IS NOT NULL AND (r.coupon_id != o.coupon_id
               OR ABS(r.discount_amount - o.coupon_discount_amount) > 0.001 OR r.customer_id != o.customer_id))""")
    assert not mismatch, f"redemptions disagree with orders: {mismatch}"
    assert small_run.count("coupon_redemptions") > 0


def test_order_payments_cover_totals(small_run: Generated):
    unpaid = violations(small_run, """
        SELECT o.order_id, o.order_status, o.total_amount, COALESCE(SUM(p.amount), 0) AS paid
        FROM orders o LEFT JOIN payments p ON p.order_id = o.order_id AND p.payment_status = 'succeeded'
        WHERE o.order_status NOT IN ('pending', 'cancelled')
        GROUP BY 1, 2, 3 HAVING ABS(o.total_amount - COALESCE(SUM(p.amount), 0)) > 0.001""")
    assert not unpaid, f"succeeded payments do not equal the order total: {unpaid}"
    paid_but_cancelled = violations(small_run, """
        SELECT o.order_id FROM orders o JOIN payments p ON p.order_id = o.order_id
        WHERE o.order_status IN ('pending', 'cancelled') AND p.payment_status = 'succeeded'""")
    assert not paid_but_cancelled
    reasons = violations(small_run, """
        SELECT payment_id FROM payments
        WHERE (payment_status = 'failed') != (failure_reason IS NOT NULL) OR (order_id IS NULL) = (invoice_id IS NULL)""")
    assert not reasons, f"failure_reason / payment target inconsistent: {reasons}"


def test_payment_success_rates(small_run: Generated):
    with small_run.connect() as conn:
        first, overall = conn.execute("""
            SELECT AVG(CASE WHEN payment_status = 'succeeded' THEN 1.0 ELSE 0 END) FILTER (WHERE attempt_number = 1),
                   AVG(CASE WHEN payment_status = 'succeeded' THEN 1.0 ELSE 0 END) FROM payments""").fetchone()
        retried = conn.execute("SELECT COUNT(*) FROM payments WHERE attempt_number > 1 AND payment_status = 'succeeded'").fetchone()[0]
    assert 0.985 < first < 0.999, first
    assert overall > 0.98, overall
    assert retried > 0, "retries should recover some failed payments"


def test_invoices_reconcile(small_run: Generated):
    bad = violations(small_run, """
        SELECT invoice_id FROM invoices WHERE ABS(amount_due - (subtotal_amount - discount_amount)) > 0.001
           OR period_end < period_start""")
    assert not bad, f"amount_due != subtotal - discount: {bad}"
    paid_mismatch = violations(small_run, """
        SELECT i.invoice_id FROM invoices i
        LEFT JOIN payments p ON p.invoice_id = i.invoice_id AND p.payment_status = 'succeeded'
        GROUP BY i.invoice_id, i.invoice_status, i.amount_due
        HAVING (i.invoice_status = 'paid') != (COUNT(p.payment_id) = 1)
            OR (i.invoice_status = 'paid' AND ABS(SUM(p.amount) - i.amount_due) > 0.001)""")
    assert not paid_mismatch, f"paid invoices need exactly one succeeded payment of amount_due: {paid_mismatch}"


def test_mrr_history_is_consistent(small_run: Generated):
    with small_run.connect() as conn:
        changes = conn.execute("""
            SELECT subscription_id, old_mrr_amount, new_mrr_amount FROM subscription_changes
            ORDER BY subscription_id, effective_at, change_id""").fetchall()
        current = dict(conn.execute("SELECT subscription_id, mrr_amount FROM subscriptions").fetchall())
    last: dict[int, float] = {}
    broken = []
    for sub, old, new in changes:
        if abs(old - last.get(sub, 0.0)) > 0.001:
            broken.append((sub, last.get(sub, 0.0), old))
        last[sub] = new
    assert not broken[:5], f"old_mrr != previous new_mrr (subscription, previous new, old): {broken[:5]}"
    wrong = [(s, mrr, last.get(s, 0.0)) for s, mrr in current.items() if abs(mrr - last.get(s, 0.0)) > 0.001]
    assert not wrong[:5], f"subscriptions.mrr_amount != last new_mrr: {wrong[:5]}"
    with small_run.connect() as conn:
        inactive_with_mrr = conn.execute("""SELECT COUNT(*) FROM subscriptions
            WHERE subscription_status IN ('cancelled', 'expired', 'trialing') AND mrr_amount != 0""").fetchone()[0]
    assert inactive_with_mrr == 0


def test_stock_never_negative_and_stockouts_replenished(small_run: Generated):
    negative = violations(small_run, """
        SELECT product_id, warehouse_id, moved_at, stock FROM (
            SELECT product_id, warehouse_id, moved_at,
                   SUM(quantity) OVER (PARTITION BY product_id, warehouse_id ORDER BY moved_at, movement_id) AS stock
            FROM inventory_movements) WHERE stock < 0""")
    assert not negative, f"stock below zero: {negative}"
    bad_links = violations(small_run, """
        SELECT movement_id FROM inventory_movements
        WHERE (movement_type IN ('sale', 'return')) != (order_id IS NOT NULL)
           OR (movement_type = 'sale' AND quantity >= 0) OR (movement_type IN ('receipt', 'return') AND quantity <= 0)""")
    assert not bad_links
    unmatched_sales = violations(small_run, """
        SELECT i.order_id, i.product_id FROM order_items i JOIN orders o USING (order_id)
        LEFT JOIN inventory_movements m ON m.order_id = i.order_id AND m.product_id = i.product_id AND m.movement_type = 'sale'
        WHERE o.paid_at IS NOT NULL AND (m.movement_id IS NULL OR -m.quantity != i.quantity)""")
    assert not unmatched_sales, f"paid order lines without a matching sale movement: {unmatched_sales}"


def test_updated_at_not_before_created_at_and_nothing_after_the_end(small_run: Generated):
    end = f"{END_DATE.isoformat()} 00:00:00"
    with small_run.connect() as conn:
        for name in schema.metadata.tables:
            bad = conn.execute(f"SELECT COUNT(*) FROM {name} WHERE updated_at < created_at").fetchone()[0]
            assert bad == 0, f"{name}: {bad} rows with updated_at < created_at"
            late = conn.execute(f"SELECT COUNT(*) FROM {name} WHERE updated_at >= ?", (end,)).fetchone()[0]
            assert late == 0, f"{name}: {late} rows touched after the end of history"


def test_ticket_and_order_timestamps_are_ordered(small_run: Generated):
    bad = violations(small_run, """
        SELECT ticket_id FROM support_tickets
        WHERE first_response_at < opened_at OR resolved_at < first_response_at
           OR (ticket_status IN ('resolved', 'closed')) != (resolved_at IS NOT NULL)
           OR (ticket_status = 'open') != (first_response_at IS NULL)""")
    assert not bad, f"ticket timeline broken: {bad}"
    bad = violations(small_run, """
        SELECT order_id FROM orders WHERE paid_at < ordered_at OR delivered_at < paid_at
           OR (order_status IN ('paid', 'shipped', 'delivered', 'returned')) != (paid_at IS NOT NULL)
           OR (order_status IN ('delivered', 'returned')) != (delivered_at IS NOT NULL)""")
    assert not bad, f"order timeline broken: {bad}"


def test_referrals_link_to_customers_partner(small_run: Generated):
    mismatch = violations(small_run, """
        SELECT r.referral_id FROM partner_referrals r JOIN customers c USING (customer_id)
        WHERE c.partner_id IS NULL OR c.partner_id != r.partner_id""")
    assert not mismatch, f"referral customer not linked to the referring partner: {mismatch}"
    unreferred = violations(small_run, """
        SELECT customer_id FROM customers WHERE partner_id IS NOT NULL
        AND customer_id NOT IN (SELECT customer_id FROM partner_referrals WHERE customer_id IS NOT NULL)""")
    assert not unreferred
    with small_run.connect() as conn:
        converted = conn.execute("SELECT COUNT(*) FROM partner_referrals WHERE referral_status = 'converted'").fetchone()[0]
        tiers = conn.execute("SELECT MIN(n), MAX(n) FROM (SELECT rule_id, COUNT(*) n FROM commission_rule_tiers GROUP BY rule_id)").fetchone()
        tiered_rules = conn.execute("SELECT COUNT(*) FROM commission_rules WHERE rule_type = 'tiered'").fetchone()[0]
        rules_with_tiers = conn.execute("SELECT COUNT(DISTINCT rule_id) FROM commission_rule_tiers").fetchone()[0]
    assert converted > 0
    assert tiers[0] >= 2 and tiers[1] <= 3
    assert tiered_rules == rules_with_tiers


def test_money_has_two_decimals_and_reads_back_as_decimal(small_run: Generated):
    from decimal import Decimal

    from sqlalchemy import create_engine, select

    with small_run.connect() as conn:
        for table in schema.metadata.tables.values():
            for column in table.columns:
                if column.type.__class__.__name__ == "Numeric" and column.type.scale == 2:
                    bad = conn.execute(f"SELECT COUNT(*) FROM {table.name} WHERE ABS(ROUND({column.name} * 100) - {column.name} * 100) > 1e-6"
                                       ).fetchone()[0]
                    assert bad == 0, f"{table.name}.{column.name} has values with more than two decimals"
    engine = create_engine(f"sqlite:///{small_run.sqlite}")
    with engine.connect() as conn:
        total = conn.execute(select(schema.orders.c.total_amount).limit(1)).scalar()
    engine.dispose()
    assert isinstance(total, Decimal) and total == total.quantize(Decimal("0.01"))


def test_churned_customers_go_silent(small_run: Generated):
    late_orders = violations(small_run, """
        SELECT o.order_id FROM orders o JOIN subscriptions s USING (customer_id)
        WHERE s.subscription_status = 'cancelled' AND o.ordered_at > s.cancelled_at""")
    assert not late_orders, f"orders after cancellation: {late_orders}"
    late_tickets = violations(small_run, """
        SELECT t.ticket_id FROM support_tickets t JOIN subscriptions s USING (customer_id)
        WHERE s.subscription_status = 'cancelled' AND t.opened_at > s.cancelled_at""")
    assert not late_tickets, f"tickets after cancellation: {late_tickets}"
