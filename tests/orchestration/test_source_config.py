"""sources.yaml describes the simulator's contract faithfully and rejects malformed configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import Float, Numeric

from orchestration.environment import DEFAULT_SOURCES_CONFIG
from orchestration.ingest.source_config import SourceConfigError, load_sources_config, render_template
from simulator import schema


@pytest.fixture(scope="module")
def config():
    return load_sources_config(DEFAULT_SOURCES_CONFIG)


def test_every_source_table_is_configured_with_its_key_and_columns(config):
    assert set(config.oltp.tables) == set(schema.metadata.tables)
    for name, table in schema.metadata.tables.items():
        configured = config.oltp.tables[name]
        assert configured.primary_key == schema.PRIMARY_KEYS[name]
        assert configured.cursor_column == "updated_at"
        assert set(configured.required_columns) == {c.name for c in table.columns}, name
        fks = {c.name: next(iter(c.foreign_keys)).column.table.name for c in table.columns if c.foreign_keys}
        assert dict(configured.foreign_keys) == fks, name
        money = {c.name for c in table.columns if isinstance(c.type, Numeric) and not isinstance(c.type, Float)}
        assert set(configured.non_negative) == money, name


def test_enumerations_match_the_schema_constants(config):
    tables = config.oltp.tables
    expected = {
        ("orders", "order_status"): schema.ORDER_STATUSES,
        ("orders", "sales_channel"): schema.SALES_CHANNELS,
        ("support_tickets", "channel"): schema.SUPPORT_CHANNELS,
        ("support_tickets", "ticket_status"): schema.TICKET_STATUSES,
        ("support_tickets", "queue"): schema.TICKET_QUEUES,
        ("support_tickets", "priority"): schema.TICKET_PRIORITIES,
        ("subscription_plans", "billing_mode"): schema.BILLING_MODES,
        ("subscriptions", "subscription_status"): schema.SUBSCRIPTION_STATUSES,
        ("subscription_changes", "change_type"): schema.SUBSCRIPTION_CHANGE_TYPES,
        ("invoices", "invoice_status"): schema.INVOICE_STATUSES,
        ("payments", "payment_status"): schema.PAYMENT_STATUSES,
        ("payments", "payment_method"): schema.PAYMENT_METHODS,
        ("payments", "failure_reason"): schema.PAYMENT_FAILURE_REASONS,
        ("inventory_movements", "movement_type"): schema.INVENTORY_MOVEMENT_TYPES,
        ("partners", "tier"): schema.PARTNER_TIERS,
        ("partners", "partner_type"): schema.PARTNER_TYPES,
        ("commission_rules", "rule_type"): schema.COMMISSION_RULE_TYPES,
        ("partner_referrals", "referral_status"): schema.REFERRAL_STATUSES,
        ("product_feedback", "source"): schema.FEEDBACK_SOURCES,
        ("product_feedback", "topic"): schema.FEEDBACK_TOPICS,
        ("experiments", "design"): schema.EXPERIMENT_DESIGNS,
        ("marketing_touches", "touch_type"): schema.TOUCH_TYPES,
        ("marketing_touches", "channel_code"): schema.MARKETING_CHANNELS,
        ("marketing_channels", "channel_code"): schema.MARKETING_CHANNELS,
        ("customers", "acquisition_channel"): (*schema.MARKETING_CHANNELS, "organic"),
    }
    for (table, column), values in expected.items():
        assert tables[table].allowed_values[column] == frozenset(values), (table, column)
    assert config.clickstream.fields["event_name"].allowed == frozenset(schema.CLICKSTREAM_EVENT_NAMES)


def test_templates_read_the_environment(monkeypatch):
    monkeypatch.setenv("SRC_PASSWORD", "pw")
    assert render_template("postgresql://u:${SRC_PASSWORD}@h/db") == "postgresql://u:pw@h/db"
    assert render_template("${NOT_SET_ANYWHERE:-fallback}") == "fallback"
    with pytest.raises(SourceConfigError, match="NOT_SET_ANYWHERE is not set"):
        render_template("${NOT_SET_ANYWHERE}")


def _write(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load(DEFAULT_SOURCES_CONFIG.read_text())
    mutate(raw)
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["oltp"]["tables"]["orders"].update(primary_keys="order_id"), "unknown key"),
        (lambda c: c["oltp"]["tables"]["orders"].pop("primary_key"), "missing key"),
        (lambda c: c["oltp"]["tables"]["orders"]["foreign_keys"].update(customer_id="clients"),
         "parent table 'clients' is not a configured table"),
        (lambda c: c["clickstream"]["fields"]["page"].update(type="text"), "not in"),
    ],
)
def test_malformed_configuration_is_rejected(tmp_path, mutate, message):
    with pytest.raises(SourceConfigError, match=message):
        load_sources_config(_write(tmp_path, mutate))


def test_adding_a_table_is_a_configuration_change(tmp_path):
    path = _write(tmp_path, lambda c: c["oltp"]["tables"].update(
        loyalty_points={"primary_key": "points_id", "non_negative": ["balance"]}
    ))
    table = load_sources_config(path).oltp.tables["loyalty_points"]
    assert table.required_columns == ("updated_at", "points_id")
