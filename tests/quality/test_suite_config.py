"""The suites cover what the issue asks for and agree with the contracts they check."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality.specs import ERROR, SuiteConfigError, dbt_model_columns, load_suites
from simulator import schema as source_schema

KEY_MARTS = ["marts.fct_orders", "marts.fct_daily_kpis", "marts.fct_mrr_bridge",
             "marts.fct_commission_ledger", "marts.fct_tickets", "marts.fct_payments",
             "marts.fct_subscriptions", "marts.fct_events", "marts.dim_customer"]


def test_every_raw_table_the_clickstream_and_the_key_marts_have_a_suite(suites):
    expected = {f"raw.{name}" for name in source_schema.metadata.tables} | {"raw.clickstream_events"}
    assert expected <= set(suites), f"raw tables without a suite: {expected - set(suites)}"
    assert set(KEY_MARTS) <= set(suites)


def test_raw_suites_check_key_schema_not_null_and_foreign_keys_of_the_source(suites):
    for name, table in source_schema.metadata.tables.items():
        suite = suites[f"raw.{name}"]
        names = {spec.name for spec in suite.expectations}
        pk = source_schema.PRIMARY_KEYS[name]
        assert {f"not_null({pk})", f"unique({pk})", "columns", "row_count_change", "quarantine"} <= names, name
        # Exactly the source's NOT NULL columns are expected not null: no valid row is flagged,
        # and no contract column is forgotten.
        not_null = {spec.column for spec in suite.expectations if spec.kind == "not_null"}
        declared = {c.name for c in table.columns if not c.nullable} | {"_loaded_at", "_load_id"}
        assert not_null == declared, name
        # Every declared foreign key is checked against raw.<parent>.
        fks = {(spec.column, spec.params["references"]) for spec in suite.expectations
               if spec.kind == "foreign_key"}
        for column in table.columns:
            for fk in column.foreign_keys:
                assert (column.name, f"raw.{fk.column.table.name}.{fk.column.name}") in fks, (name, column.name)


def test_tables_receiving_rows_daily_are_checked_for_freshness(suites):
    for name in ("orders", "payments", "customers", "support_tickets", "clickstream_events"):
        assert suites[f"raw.{name}"].expectation("freshness(_loaded_at)").params["max_age_hours"] == 36
    # A reference table that rarely changes is not expected to be reloaded daily.
    assert "freshness(_loaded_at)" not in {s.name for s in suites["raw.warehouses"].expectations}


def test_enumerations_match_the_source_constants(suites):
    """Accepted values come from sources.yaml; they must equal the simulator's constants."""
    expected = {
        ("raw.orders", "order_status"): source_schema.ORDER_STATUSES,
        ("raw.orders", "sales_channel"): source_schema.SALES_CHANNELS,
        ("raw.subscription_plans", "billing_mode"): source_schema.BILLING_MODES,
        ("raw.support_tickets", "channel"): source_schema.SUPPORT_CHANNELS,
        ("raw.marketing_touches", "channel_code"): source_schema.MARKETING_CHANNELS,
        ("raw.clickstream_events", "event_name"): source_schema.CLICKSTREAM_EVENT_NAMES,
        ("marts.fct_subscriptions", "billing_mode"): source_schema.BILLING_MODES,
        ("marts.fct_tickets", "ticket_status"): source_schema.TICKET_STATUSES,
    }
    for (suite, column), values in expected.items():
        spec = suites[suite].expectation(f"accepted_values({column})")
        assert sorted(spec.params["values"]) == sorted(values), (suite, column)


def test_amounts_are_non_negative_and_rates_within_0_and_1(suites):
    names = {spec.name for suite in suites.values() for spec in suite.expectations}
    assert "between(total_amount >= 0)" in {s.name for s in suites["raw.orders"].expectations}
    assert "between(0 <= rate <= 1)" in {s.name for s in suites["raw.commission_rule_tiers"].expectations}
    assert "between(0 <= payment_success_rate <= 1)" in names
    assert "between(0 <= customer_churn_rate <= 1)" in names


def test_mart_suites_name_only_columns_of_their_dbt_model(suites):
    for name in KEY_MARTS:
        suite = suites[name]
        model_columns = set(dbt_model_columns(suite.table))
        assert set(suite.columns_read()) <= model_columns, (name, set(suite.columns_read()) - model_columns)
        schema = suite.expectation("columns")
        assert schema.params["exact"] and set(schema.params["required"]) == model_columns


def test_severities(suites):
    orders = suites["raw.orders"]
    assert orders.expectation("unique(order_id)").severity == ERROR
    # Ingestion may load a child whose parent is in the source but not yet in raw: raw FKs warn.
    assert orders.expectation("foreign_key(customer_id -> raw.customers.customer_id)").severity == "warning"
    assert suites["marts.fct_orders"].expectation(
        "foreign_key(customer_id -> marts.dim_customer.customer_id)").severity == ERROR
    assert orders.expectation("row_count_change").severity == "warning"
    assert orders.expectation("freshness(_loaded_at)").severity == "warning"


@pytest.mark.parametrize(
    "body, message",
    [
        ("expectations:\n  - not_nul: [a]\n", "unknown expectation kind 'not_nul'"),
        ("expectations:\n  - between: {column: a, minimum: 0}\n", "unknown key(s) ['minimum']"),
        ("expectations:\n  - accepted_values: {column: a, values_from: oltp.orders.nope}\n", "values_from"),
        ("expectations:\n  - unique: [a]\n    severity: fatal\n", "severity 'fatal'"),
        ("colums: [a]\n", "unknown key(s) ['colums']"),
    ],
)
def test_a_malformed_suite_file_is_an_error_naming_the_file(tmp_path: Path, body: str, message: str):
    suites_dir = tmp_path / "suites"
    suites_dir.mkdir()
    (suites_dir / "raw_oltp.yml").write_text("tables: {}\n")
    (suites_dir / "broken.yml").write_text("table: marts.some_table\n" + body)
    with pytest.raises(SuiteConfigError) as error:
        load_suites(suites_dir)
    assert "broken.yml" in str(error.value) and message in str(error.value)
