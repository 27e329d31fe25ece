"""The marketing, billing and partner marts reconcile exactly, on DuckDB and on PostgreSQL.

Attribution: for every model, attributed revenue sums to the cent to the revenue of the attributed
orders (and per order). MRR: for every month opening + movements = closing and closing = next
opening, and an independent Decimal replay of subscription_changes gives the same bridge.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal

import pytest

ATTRIBUTION_MODELS = {"first_touch", "last_touch", "linear", "time_decay", "position_based"}
OWNED_SELECTION = [
    "path:models/intermediate/marketing", "path:models/intermediate/billing", "path:models/intermediate/partners",
    "path:models/marts/marketing", "path:models/marts/billing", "path:models/marts/partners",
]


def test_owned_dbt_data_and_unit_tests_pass(warehouse):
    """Key/relationship/identity data tests and the hand-computed unit tests (attribution, MRR, commissions)."""
    result = warehouse.dbt("test", "--select", *OWNED_SELECTION, check=False)
    assert result.returncode == 0, result.stdout[-15000:]
    assert "unit_test" in result.stdout or "fct_attribution::" in result.stdout


def test_attribution_sums_exactly_to_attributed_order_revenue(warehouse):
    # Attributed orders and their revenue, derived from staging independently of the marts:
    # paid, not cancelled, with an open/click by the same customer in the 30 days up to the order.
    expected_orders, expected_revenue = warehouse.query("""
        select count(*), coalesce(sum(o.total_amount), 0)
        from staging.stg_oltp__orders o
        where o.paid_at is not null and o.order_status <> 'cancelled'
          and exists (
              select 1 from staging.stg_oltp__marketing_touches t
              where t.customer_id = o.customer_id and t.touch_type in ('open', 'click')
                and t.touched_at <= o.ordered_at
                and t.touched_at >= o.ordered_at - interval '30 days')
    """)[0]
    assert expected_orders > 0, "the simulated data should contain attributed orders"

    per_model = warehouse.query("""
        select attribution_model, sum(attributed_revenue), count(distinct order_id)
        from marts.fct_attribution group by attribution_model
    """)
    assert {row[0] for row in per_model} == ATTRIBUTION_MODELS
    for model, attributed, orders in per_model:
        assert orders == expected_orders, model
        assert Decimal(attributed) - Decimal(expected_revenue) == Decimal("0.00"), model

    broken_orders = warehouse.query("""
        select order_id, attribution_model, sum(attributed_revenue) - max(order_revenue), sum(attribution_weight)
        from marts.fct_attribution
        group by order_id, attribution_model
        having sum(attributed_revenue) <> max(order_revenue) or abs(sum(attribution_weight) - 1) > 1e-9
    """)
    assert broken_orders == []

    channel_totals = dict(warehouse.query("""
        select attribution_model, sum(attributed_revenue) from marts.fct_attribution_channel group by attribution_model
    """))
    assert {m: Decimal(v) for m, v in channel_totals.items()} == {m: Decimal(expected_revenue) for m in ATTRIBUTION_MODELS}


def test_attribution_channel_and_daily_marts_cover_every_channel(warehouse):
    channels = {row[0] for row in warehouse.query("select channel_code from staging.stg_oltp__marketing_channels")}
    assert len(channels) >= 10
    assert warehouse.query("select count(distinct channel_code) from marts.fct_marketing_channel_daily")[0][0] == len(channels)
    uneven_days = warehouse.query("""
        select activity_date from marts.fct_marketing_channel_daily
        group by activity_date having count(*) <> %d""" % len(channels))
    assert uneven_days == []
    assert warehouse.query("select count(*) from marts.fct_attribution_channel")[0][0] == len(channels) * 5


def _month_after(month: dt.date) -> dt.date:
    return dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def test_mrr_bridge_identity_holds_every_month(warehouse):
    rows = warehouse.query("""
        select month_start, opening_mrr, new_mrr, expansion_mrr, contraction_mrr, churned_mrr,
               reactivation_mrr, closing_mrr, closing_arr
        from marts.fct_mrr_bridge order by month_start
    """)
    assert len(rows) >= 12, "two years of history should give at least a year of MRR months"
    assert Decimal(rows[0][1]) == 0
    for previous, current in zip(rows, rows[1:]):
        assert current[0] == _month_after(previous[0]), "months must be consecutive"
        assert Decimal(current[1]) == Decimal(previous[7]), f"{current[0]}: opening != previous closing"
    for month, opening, new, expansion, contraction, churn, reactivation, closing, arr in rows:
        movements = [Decimal(v) for v in (new, expansion, contraction, churn, reactivation)]
        assert Decimal(opening) + sum(movements) - Decimal(closing) == Decimal("0.00"), month
        assert Decimal(arr) == 12 * Decimal(closing), month
        assert Decimal(contraction) <= 0 and Decimal(churn) <= 0

    # Subscription-level rows add up to the bridge.
    mismatched = warehouse.query("""
        select b.month_start
        from marts.fct_mrr_bridge b
        left join (
            select month_start, sum(opening_mrr) o, sum(new_mrr) n, sum(expansion_mrr) e, sum(contraction_mrr) c,
                   sum(churned_mrr) ch, sum(reactivation_mrr) r, sum(closing_mrr) cl
            from marts.fct_mrr_monthly group by month_start
        ) m on m.month_start = b.month_start
        where coalesce(m.o, 0) <> b.opening_mrr or coalesce(m.n, 0) <> b.new_mrr or coalesce(m.e, 0) <> b.expansion_mrr
           or coalesce(m.c, 0) <> b.contraction_mrr or coalesce(m.ch, 0) <> b.churned_mrr
           or coalesce(m.r, 0) <> b.reactivation_mrr or coalesce(m.cl, 0) <> b.closing_mrr
    """)
    assert mismatched == []


def test_mrr_bridge_matches_an_independent_decimal_replay_of_subscription_changes(warehouse):
    changes = warehouse.query("""
        select subscription_id, change_id, effective_at, new_mrr_amount
        from staging.stg_oltp__subscription_changes order by subscription_id, effective_at, change_id
    """)
    state: dict[int, Decimal] = {}
    peak: dict[int, Decimal] = {}
    movements: dict[dt.date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for subscription_id, _change_id, effective_at, new_mrr in changes:
        before, after = state.get(subscription_id, Decimal(0)), Decimal(new_mrr)
        if after != before:
            if before == 0:
                kind = "reactivation" if peak.get(subscription_id, Decimal(0)) > 0 else "new"
            elif after == 0:
                kind = "churn"
            else:
                kind = "expansion" if after > before else "contraction"
            month = dt.date(effective_at.year, effective_at.month, 1)
            movements[month][kind] += after - before
        peak[subscription_id] = max(peak.get(subscription_id, Decimal(0)), after)
        state[subscription_id] = after

    bridge = warehouse.query("""
        select month_start, opening_mrr, new_mrr, expansion_mrr, contraction_mrr, churned_mrr, reactivation_mrr, closing_mrr
        from marts.fct_mrr_bridge order by month_start
    """)
    running = Decimal(0)
    for month, opening, new, expansion, contraction, churn, reactivation, closing in bridge:
        expected = movements.get(month, {})
        assert Decimal(opening) == running, month
        for kind, actual in (("new", new), ("expansion", expansion), ("contraction", contraction),
                             ("churn", churn), ("reactivation", reactivation)):
            assert Decimal(actual) == expected.get(kind, Decimal(0)), (month, kind)
        running += sum(expected.values(), Decimal(0))
        assert Decimal(closing) == running, month
    assert set(movements) <= {row[0] for row in bridge}, "every month with a movement is in the bridge"
    # The source keeps subscriptions.mrr_amount equal to the latest change: the last closing MRR
    # is the platform's current MRR.
    current_mrr = warehouse.query("select coalesce(sum(mrr_amount), 0) from staging.stg_oltp__subscriptions")[0][0]
    assert Decimal(bridge[-1][7]) == Decimal(current_mrr) == sum(state.values(), Decimal(0))


def test_partner_marts_carry_every_partner_and_the_ledger_totals(warehouse):
    partners, performance, ledger_total, performance_total, monthly_total = warehouse.query("""
        select (select count(*) from staging.stg_oltp__partners),
               (select count(*) from marts.fct_partner_performance),
               (select sum(commission_amount) from marts.fct_commission_ledger),
               (select sum(commission_amount) from marts.fct_partner_performance),
               (select sum(commission_amount) from marts.fct_partner_monthly)
    """)[0]
    assert partners == performance > 0
    assert Decimal(ledger_total) == Decimal(performance_total) == Decimal(monthly_total) > 0
    # Partner-sourced revenue: the same paid orders counted per partner for life and per month.
    lifetime, monthly = warehouse.query("""
        select (select sum(referred_revenue) from marts.fct_partner_performance),
               (select sum(referred_revenue) from marts.fct_partner_monthly)
    """)[0]
    assert Decimal(lifetime) == Decimal(monthly) > 0


def test_marketing_spend_recovers_the_planted_spend_per_channel(warehouse, simulated_source):
    truth_path = simulated_source / "ground_truth.json"
    if not truth_path.exists():
        pytest.fail(f"simulator ground truth missing: {truth_path}")
    truth = json.loads(truth_path.read_text())["marketing"]
    assert truth.get("spend_unit", "").startswith("cents")
    spend = dict(warehouse.query(
        "select channel_code, sum(spend_amount) from marts.fct_marketing_channel_daily group by channel_code"))
    for channel, cents in truth["spend_by_channel"].items():
        assert Decimal(spend[channel]) == Decimal(cents) / 100, channel
