"""Suites run on real warehouse tables -- DuckDB and PostgreSQL -- and land in audit.dq_results.

Tables are written through the pipeline's own warehouse resource; parent keys for referential
integrity, the previous row count and quarantine counts are read back from the database.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pandas as pd

from quality_fixtures import NOW
from quality.quarantine import quarantine_counts
from quality.results import COLUMN_NAMES
from quality.runner import summarize
from quality.validation import validate_table


def seed(wh, frames, orders: pd.DataFrame | None = None) -> None:
    wh.write_dataframe(frames.customers(), "raw", "customers")
    wh.write_dataframe(frames.warehouses(), "raw", "warehouses")
    wh.write_dataframe(frames.coupons(), "raw", "coupons")
    wh.write_dataframe(frames.orders() if orders is None else orders, "raw", "orders")


def dq_results(wh, run_id: str) -> pd.DataFrame:
    return wh.read_sql("SELECT * FROM audit.dq_results WHERE run_id = ? ORDER BY expectation", (run_id,))


def test_defects_in_a_table_are_found_and_every_result_is_stored(wh, suites, frames):
    orders = frames.orders()
    orders.loc[0, "total_amount"] = Decimal("-5.00")  # error
    orders.loc[1, "customer_id"] = 999  # orphan across sources: warning in raw
    seed(wh, frames, orders)

    rows = validate_table(wh, suites["raw.orders"], "run-1", now=NOW)
    outcome = summarize(rows)
    assert {r.expectation for r in outcome.errors} == {"between(total_amount >= 0)"}
    assert {r.expectation for r in outcome.warnings} == {"foreign_key(customer_id -> raw.customers.customer_id)"}

    stored = dq_results(wh, "run-1")
    assert list(stored.columns) == list(COLUMN_NAMES)
    assert len(stored) == len(rows) == len(suites["raw.orders"].expectations)
    negative = stored[stored["expectation"] == "between(total_amount >= 0)"].iloc[0]
    assert negative["suite"] == "raw.orders" and negative["asset"] == "raw.orders"
    assert not bool(negative["success"]) and negative["severity"] == "error"
    assert negative["expectation_type"] == "expect_column_values_to_be_between"
    assert negative["column_name"] == "total_amount"
    assert (int(negative["element_count"]), int(negative["unexpected_count"])) == (4, 1)
    assert "-5.00" in negative["observed_value"]
    assert isinstance(pd.Timestamp(negative["checked_at"]).to_pydatetime(), datetime)
    assert stored["success"].astype(bool).sum() == len(rows) - 2


def test_a_drop_in_row_count_since_the_previous_run_warns(wh, suites, frames):
    suite = suites["raw.orders"]
    seed(wh, frames, frames.orders(10))
    first = {r.expectation: r for r in validate_table(wh, suite, "run-1", now=NOW)}
    assert first["row_count_change"].success
    assert first["row_count_change"].observed_value == "10 rows; no previous observation"

    wh.write_dataframe(frames.orders(8), "raw", "orders")  # 20 % fewer rows than last time
    second = {r.expectation: r for r in validate_table(wh, suite, "run-2", now=NOW)}
    assert not second["row_count_change"].success and second["row_count_change"].severity == "warning"
    assert second["row_count_change"].observed_value.startswith("8 rows, previous 10 (-20.0%")
    # Re-validating within the same run compares with the previous run, not with itself.
    again = {r.expectation: r for r in validate_table(wh, suite, "run-2", now=NOW)}
    assert "previous 10" in again["row_count_change"].observed_value


def test_quarantined_rows_of_the_latest_load_are_a_warning_metric(wh, suites, frames):
    from orchestration.ingest import audit

    seed(wh, frames)
    records = [
        audit.QuarantineRecord("oltp", "orders", "negative amount in total_amount: -1.00", '{"order_id": 900}', "900"),
        audit.QuarantineRecord("oltp", "orders", "unknown value 'lost' in order_status", '{"order_id": 901}', "901"),
        audit.QuarantineRecord("oltp", "customers", "primary key customer_id is null", "{}", None),
    ]
    with wh.session() as session:
        audit.ensure_audit_tables(session)
        audit.write_quarantine(session, records[:1], "load-1")
        audit.write_quarantine(session, records[1:], "load-2")
        audit.write_load_state(session, source="oltp", table_name="orders", cursor_column="updated_at",
                               watermark="2026-11-25T10:00:00", last_load_id="load-2", rows_read=5,
                               rows_upserted=4, rows_quarantined=1)

    rows = {r.expectation: r for r in validate_table(wh, suites["raw.orders"], "run-1", now=NOW)}
    quarantine = rows["quarantine"]
    assert not quarantine.success and quarantine.severity == "warning"
    assert quarantine.unexpected_count == 1  # in the latest load (load-2)
    assert quarantine.observed_value == (
        "1 rows quarantined in load load-2; 2 open in audit.quarantine "
        "(negative amount in total_amount: 1, unknown value: 1)")

    counts = quarantine_counts(wh)
    by_load = {(r.table_name, r.load_id): (r.quarantined, r.still_open) for r in counts.itertuples()}
    assert by_load == {("orders", "load-1"): (1, 1), ("orders", "load-2"): (1, 1), ("customers", "load-2"): (1, 1)}

    with wh.session() as session:  # reprocessed after a fix: no longer open
        audit.resolve_quarantine(session, source="oltp", table_name="orders", resolution="loaded",
                                 primary_keys=["900", "901"])
    rows = {r.expectation: r for r in validate_table(wh, suites["raw.orders"], "run-2", now=NOW)}
    assert rows["quarantine"].success and "0 open" in rows["quarantine"].observed_value


def test_a_missing_table_fails_every_expectation(wh, suites):
    rows = validate_table(wh, suites["marts.fct_orders"], "run-1", now=NOW)
    assert rows and all(not r.success for r in rows)
    assert rows[0].observed_value == "table marts.fct_orders does not exist"
    assert not summarize(rows).passed


def test_mart_schema_must_match_the_dbt_contract_exactly(wh, suites):
    suite = suites["marts.fct_mrr_bridge"]
    columns = list(suite.expectation("columns").params["required"])
    frame = pd.DataFrame([{c: Decimal("0.00") for c in columns}])
    frame["month_start"] = pd.Timestamp("2026-11-01").date()
    frame["customer_churn_rate"] = 0.0
    frame["net_revenue_retention"] = 1.0
    wh.write_dataframe(frame.drop(columns=["arpu"]).assign(debug_flag=True), "marts", "fct_mrr_bridge")
    failed = {r.expectation: r.observed_value for r in validate_table(wh, suite, "run-1", now=NOW) if not r.success}
    assert failed["columns"] == "missing columns: arpu; unexpected columns: debug_flag"
    assert failed["between(arpu >= 0)"] == "column arpu is missing"


def test_results_are_appended_run_after_run(wh, suites, frames):
    """The results table is created once and every later run adds its rows (history for BI)."""
    seed(wh, frames)
    for run in ("a", "b", "c"):
        validate_table(wh, suites["raw.orders"], run, now=NOW)
    counts = wh.read_sql("SELECT run_id, count(*) AS n FROM audit.dq_results GROUP BY run_id ORDER BY run_id")
    assert counts["n"].tolist() == [len(suites["raw.orders"].expectations)] * 3
