"""The ground-truth file is complete and agrees with the generated data."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from simulator import schema
from simulator.ground_truth import SECTIONS

from sim_testkit import END_DATE, Generated


@pytest.fixture(scope="module")
def truth(small_run: Generated) -> dict:
    return json.loads(small_run.ground_truth.read_text(encoding="utf-8"))


def test_every_section_present_and_filled(truth: dict):
    assert set(truth) == set(SECTIONS)
    empty = [name for name in SECTIONS if not truth[name]]
    assert not empty, f"empty ground-truth sections: {empty}"
    assert truth["meta"]["seed"] == 42 and truth["meta"]["history_end_exclusive"] == END_DATE.isoformat()


def test_row_counts_match_the_database(truth: dict, small_run: Generated):
    for table in schema.metadata.tables:
        assert truth["meta"]["row_counts"][table] == small_run.count(table), table
    lines = sum(1 for p in small_run.landing.iterdir() for _ in p.open())
    assert truth["meta"]["clickstream_events"] == lines


def test_experiments_cover_designs_and_null_effects(truth: dict, small_run: Generated):
    experiments = truth["experiments"]
    assert len(experiments) >= 8
    assert {e["design"] for e in experiments} == set(schema.EXPERIMENT_DESIGNS)
    aa = [e for e in experiments if e["design"] == "aa"]
    assert aa and all(v["true_relative_lift_conversion"] == 0 and v["true_relative_lift_revenue_per_user"] == 0
                      for e in aa for v in e["variants"])
    assert sum(e["is_null_experiment"] and e["design"] != "aa" for e in experiments) >= 1
    assert any(len(e["variants"]) >= 3 for e in experiments if e["design"] == "abn")
    factorial = next(e for e in experiments if e["design"] == "factorial")
    assert len(factorial["variants"]) == 4 and abs(factorial["interaction"]["revenue_per_user"]) > 0.1
    assert factorial["interaction"]["conversion"] > 0
    for e in experiments:
        for v in e["variants"]:
            assert {"true_relative_lift_conversion", "true_relative_lift_revenue_per_user", "assigned_customers"} <= set(v)
        assert e["pre_period_correlation"]["revenue_90d_vs_revenue"] is None or e["pre_period_correlation"]["revenue_90d_vs_revenue"] > 0
    with small_run.connect() as conn:
        assigned = dict(conn.execute("""SELECT e.experiment_key, COUNT(*) FROM experiment_assignments a
                                        JOIN experiments e USING (experiment_id) GROUP BY 1""").fetchall())
    for e in experiments:
        assert assigned.get(e["experiment_key"], 0) == sum(v["assigned_customers"] for v in e["variants"])


def test_seasonality_events_and_expected_units(truth: dict):
    season = truth["seasonality"]
    names = {e["name"] for e in season["events"]}
    assert {"618", "double_11", "spring_festival"} <= names
    assert len(season["dates"]) == 730
    for category, series in season["expected_daily_units"].items():
        assert len(series) == 730
        d11 = season["dates"].index("2026-11-11")
        normal = season["dates"].index("2026-10-14")  # a Wednesday a month earlier
        assert series[d11] > 2.5 * series[normal], category
    assert 6 <= len(season["expected_daily_units"]) <= 8


def test_churn_truth_matches_subscriptions(truth: dict, small_run: Generated):
    customers = truth["churn"]["customers"]
    assert customers and truth["churn"]["churned_customers"] == len(customers)
    drivers = {d for c in customers for d in c["drivers"]}
    assert {"declining_activity", "payment_failure", "poor_support", "trial_not_converted"} <= drivers
    with small_run.connect() as conn:
        status = dict(conn.execute("SELECT customer_id, subscription_status FROM subscriptions").fetchall())
        cancelled_at = dict(conn.execute("SELECT customer_id, cancelled_at FROM subscriptions WHERE cancelled_at IS NOT NULL").fetchall())
    for c in customers:
        if c["churn_type"] == "trial_expired":
            assert status[c["customer_id"]] == "expired"
        elif c["reactivated_at"] is None:
            assert status[c["customer_id"]] == "cancelled"
            assert cancelled_at[c["customer_id"]].startswith(c["churned_at"])
        else:
            assert status[c["customer_id"]] in ("active", "past_due")


def test_support_baskets_funnel_anomaly_marketing(truth: dict, small_run: Generated):
    support = truth["support"]
    assert set(support["categories_by_queue"]) == set(schema.TICKET_QUEUES)
    assert 0.02 <= support["ambiguous_share"] <= 0.07
    assert 0.03 <= support["realised_sla_breach_rate_resolved"] <= 0.2
    assert len(truth["baskets"]) >= 3 and all(b["lift"] > 3 for b in truth["baskets"])
    funnel = truth["funnel"]["by_device"]
    assert funnel["mini_program"]["realised_checkout_rate_given_cart"] < 0.6 * funnel["ios"]["realised_checkout_rate_given_cart"]
    anomaly = truth["anomalies"][0]
    assert anomaly["expected_orders_on_day"] < 0.3 * anomaly["expected_orders_without_outage"]
    assert anomaly["orders_on_day"] < anomaly["orders_same_weekday_previous_4_weeks_mean"]
    dt.date.fromisoformat(anomaly["date"])
    assert set(truth["marketing"]["channel_params"]) == set(schema.MARKETING_CHANNELS)
    assert set(truth["billing"]["billing_modes"]) == set(schema.BILLING_MODES) and truth["billing"]["free_trial_plans"]
    assert truth["feedback"]["realised_share_first_response_within_24h"] > 0.8
    quarters = truth["feedback"]["realised_nps_by_quarter"]
    first, last = list(quarters.values())[0], list(quarters.values())[-1]
    assert last > first, "NPS should trend upwards"
