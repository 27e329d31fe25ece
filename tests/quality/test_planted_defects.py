"""Each kind of expectation catches its planted defect -- and only that one -- on the real suites.

Clean frames (conftest `frames`) pass every expectation; each test plants one defect and checks
exactly which expectations fail, with which severity, and what observed_value says.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pandas as pd
import pytest

from quality_fixtures import NOW
from quality.runner import ValidationInputs, run_suite, summarize


def run(suite, frame: pd.DataFrame, **inputs):
    parent_keys = inputs.pop("parent_keys", None)
    if parent_keys is None:  # by default every referenced parent has keys 1..1000
        parent_keys = {".".join(ref): list(range(1, 1000)) for ref in suite.references()}
    return run_suite(suite, frame, ValidationInputs(run_id="test-run", now=NOW, parent_keys=parent_keys, **inputs))


def failed(rows) -> dict[str, tuple[str, str]]:
    return {r.expectation: (r.severity, r.observed_value) for r in rows if not r.success}


@pytest.mark.parametrize("suite_name, frame_name", [
    ("raw.orders", "orders"), ("raw.customers", "customers"), ("raw.commission_rule_tiers", "commission_rule_tiers"),
    ("raw.commission_rules", "commission_rules"), ("raw.clickstream_events", "clickstream_events"),
])
def test_clean_rows_meet_every_expectation(suites, frames, suite_name, frame_name):
    rows = run(suites[suite_name], getattr(frames, frame_name)())
    assert failed(rows) == {}
    assert {r.expectation for r in rows} == {s.name for s in suites[suite_name].expectations if s.kind != "quarantine"}


def test_null_key(suites, frames):
    orders = frames.orders()
    orders.loc[1, "order_id"] = None
    assert failed(run(suites["raw.orders"], orders)).keys() == {"not_null(order_id)"}


def test_duplicate_key(suites, frames):
    orders = frames.orders()
    orders.loc[2, "order_id"] = orders.loc[0, "order_id"]
    problems = failed(run(suites["raw.orders"], orders))
    assert problems.keys() == {"unique(order_id)"}
    severity, observed = problems["unique(order_id)"]
    assert severity == "error" and observed.startswith("2 of 4 rows unexpected") and "101" in observed


def test_unknown_enum_value(suites, frames):
    orders = frames.orders()
    orders.loc[3, "order_status"] = "lost_in_space"
    problems = failed(run(suites["raw.orders"], orders))
    assert problems.keys() == {"accepted_values(order_status)"}
    assert "lost_in_space" in problems["accepted_values(order_status)"][1]


def test_negative_amount(suites, frames):
    orders = frames.orders()
    orders.loc[0, "refund_amount"] = Decimal("-0.01")
    problems = failed(run(suites["raw.orders"], orders))
    assert problems == {"between(refund_amount >= 0)": ("error", "1 of 4 rows unexpected (25.00%); e.g. -0.01 (x1)")}


def test_rate_above_one(suites, frames):
    tiers = frames.commission_rule_tiers()
    tiers.loc[1, "rate"] = Decimal("1.5000")
    assert failed(run(suites["raw.commission_rule_tiers"], tiers)).keys() == {"between(0 <= rate <= 1)"}


def test_stale_data_is_a_warning(suites, frames):
    orders = frames.orders()
    orders["_loaded_at"] = NOW - timedelta(days=3)
    rows = run(suites["raw.orders"], orders)
    problems = failed(rows)
    assert problems.keys() == {"freshness(_loaded_at)"}
    severity, observed = problems["freshness(_loaded_at)"]
    assert severity == "warning" and "72.0 h old (at most 36 h allowed)" in observed
    assert summarize(rows).passed  # warnings do not fail the suite


def test_row_count_drop_against_the_previous_load_is_a_warning(suites, frames):
    suite = suites["raw.orders"]  # allows a 10 % drop
    assert failed(run(suite, frames.orders(4), previous_row_count=4)) == {}
    assert failed(run(suite, frames.orders(4), previous_row_count=2)) == {}  # growth is fine
    problems = failed(run(suite, frames.orders(4), previous_row_count=5))  # -20 %
    assert problems.keys() == {"row_count_change"}
    assert problems["row_count_change"] == (
        "warning", "4 rows, previous 5 (-20.0%; at most -10% allowed, i.e. >= 5)")
    row = next(r for r in run(suite, frames.orders(4)) if r.expectation == "row_count_change")
    assert row.success and row.observed_value == "4 rows; no previous observation"


def test_broken_foreign_key(suites, frames):
    orders = frames.orders()
    orders.loc[2, "customer_id"] = 999
    parents = {"raw.customers.customer_id": [1, 2, 3], "raw.warehouses.warehouse_id": [1],
               "raw.coupons.coupon_id": [7]}
    problems = failed(run(suites["raw.orders"], orders, parent_keys=parents))
    assert problems == {"foreign_key(customer_id -> raw.customers.customer_id)": (
        "warning", "1 of 4 rows reference no raw.customers.customer_id (25.00%); e.g. 999 (x1)")}
    # A null foreign key (no coupon) is not an orphan.
    assert orders["coupon_id"].isna().sum() == 3


def test_broken_foreign_key_in_a_mart_is_an_error(suites):
    suite = suites["marts.fct_orders"]
    frame = pd.DataFrame({"order_id": [1, 2], "customer_id": [1, 5], "warehouse_id": [1, 1]})
    rows = run(suite, frame, parent_keys={"marts.dim_customer.customer_id": [1],
                                         "marts.dim_warehouse.warehouse_id": [1]})
    fk = next(r for r in rows if r.expectation.startswith("foreign_key(customer_id"))
    assert not fk.success and fk.severity == "error" and fk.unexpected_count == 1


def test_missing_and_additional_columns(suites, frames):
    orders = frames.orders().drop(columns=["order_status"]).assign(new_source_column=1)
    problems = failed(run(suites["raw.orders"], orders))
    # The schema expectation names the missing column; the ones reading it say it is missing.
    assert problems["columns"] == ("error", "missing columns: order_status; additional columns: new_source_column")
    assert problems["accepted_values(order_status)"] == ("error", "column order_status is missing")
    assert problems["not_null(order_status)"] == ("error", "column order_status is missing")
    assert len(problems) == 3  # an additional column alone is allowed in raw (schema drift)


def test_event_from_the_future(suites, frames):
    events = frames.clickstream_events()
    events.loc[0, "occurred_at"] = NOW + timedelta(hours=2)
    problems = failed(run(suites["raw.clickstream_events"], events))
    assert problems.keys() == {"not_in_future(occurred_at)"} and problems["not_in_future(occurred_at)"][0] == "error"


def test_unhashed_pii_in_the_customer_dimension(suites):
    suite = suites["marts.dim_customer"]
    digest = "a" * 64
    frame = pd.DataFrame({"customer_id": [1, 2], "acquisition_channel": ["wechat"] * 2,
                          "signup_date": [NOW.date()] * 2, "email_hash": [digest, "li.wei@qq.com"],
                          "phone_hash": [digest] * 2, "full_name_hash": [digest] * 2})
    problems = failed(run(suite, frame, parent_keys={"marts.dim_partner.partner_id": []}))
    assert "matches_regex(email_hash)" in problems and problems["matches_regex(email_hash)"][0] == "error"


def test_pii_columns_are_never_quoted_in_results(suites, frames):
    customers = frames.customers()
    customers.loc[0, "acquisition_channel"] = "carrier_pigeon"
    rows = run(suites["raw.customers"], customers)
    assert "carrier_pigeon" in failed(rows)["accepted_values(acquisition_channel)"][1]
    assert not any("@example.com" in r.observed_value or "13800000" in r.observed_value for r in rows)


def test_result_rows_carry_every_dq_results_field(suites, frames):
    rows = run(suites["raw.orders"], frames.orders())
    for row in rows:
        assert row.suite == "raw.orders" and row.asset == "raw.orders" and row.run_id == "test-run"
        assert row.severity in ("error", "warning") and row.element_count == 4 and row.observed_value
        assert row.expectation_type.startswith("expect_")
    unique = next(r for r in rows if r.expectation == "unique(order_id)")
    assert (unique.expectation_type, unique.column_name, unique.unexpected_count) == (
        "expect_column_values_to_be_unique", "order_id", 0)
