"""The dbt project's own rules, checked on its manifest and on the warehouses it builds.

- every OLTP table has a source (linked to its Dagster ingestion asset) and a staging model whose
  columns are the raw columns, except customer PII which only exists as salted SHA-256 hashes;
- accepted_values tests use exactly the enumerations of simulator/schema.py;
- layering: staging reads sources only, intermediate reads staging/intermediate (+ the calendar),
  marts never read sources and reference other marts only if they are conformed dimensions
  (marts/core) or finer-grained marts of the same domain;
- every mart has an enforced contract with a type and a description for every column;
- the PII hashes are salted SHA-256 of the trimmed, lower-cased value on DuckDB and PostgreSQL,
  and staging refuses to run without a salt.

Uses the session warehouses of tests/dbt/conftest.py.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import schema
from simulator.schema import metadata

DBT = Path(sys.executable).parent / "dbt"
PII_COLUMNS = {"full_name": "full_name_hash", "email": "email_hash", "phone": "phone_hash"}

# column -> the schema.py enumeration its accepted_values test must list
ENUM_COLUMNS = {
    ("customers", "acquisition_channel"): (*schema.MARKETING_CHANNELS, "organic"),
    ("inventory_movements", "movement_type"): schema.INVENTORY_MOVEMENT_TYPES,
    ("orders", "sales_channel"): schema.SALES_CHANNELS,
    ("orders", "order_status"): schema.ORDER_STATUSES,
    ("marketing_channels", "channel_code"): schema.MARKETING_CHANNELS,
    ("campaigns", "channel_code"): schema.MARKETING_CHANNELS,
    ("marketing_touches", "touch_type"): schema.TOUCH_TYPES,
    ("support_tickets", "channel"): schema.SUPPORT_CHANNELS,
    ("support_tickets", "queue"): schema.TICKET_QUEUES,
    ("support_tickets", "priority"): schema.TICKET_PRIORITIES,
    ("support_tickets", "ticket_status"): schema.TICKET_STATUSES,
    ("product_feedback", "source"): schema.FEEDBACK_SOURCES,
    ("product_feedback", "topic"): schema.FEEDBACK_TOPICS,
    ("subscription_plans", "billing_mode"): schema.BILLING_MODES,
    ("subscriptions", "subscription_status"): schema.SUBSCRIPTION_STATUSES,
    ("subscription_changes", "change_type"): schema.SUBSCRIPTION_CHANGE_TYPES,
    ("invoices", "invoice_status"): schema.INVOICE_STATUSES,
    ("payments", "payment_method"): schema.PAYMENT_METHODS,
    ("payments", "payment_status"): schema.PAYMENT_STATUSES,
    ("payments", "failure_reason"): schema.PAYMENT_FAILURE_REASONS,
    ("partners", "partner_type"): schema.PARTNER_TYPES,
    ("partners", "tier"): schema.PARTNER_TIERS,
    ("commission_rules", "rule_type"): schema.COMMISSION_RULE_TYPES,
    ("partner_referrals", "referral_status"): schema.REFERRAL_STATUSES,
    ("experiments", "design"): schema.EXPERIMENT_DESIGNS,
}


def expected_hash(value: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}|{value.strip().lower()}".encode()).hexdigest()


@pytest.fixture(scope="module")
def manifest(duckdb_warehouse) -> dict:
    return json.loads((duckdb_warehouse.project_dir / "target" / "manifest.json").read_text())


def models(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["package_name"] == "zhishu"}


def layer(node: dict) -> str:
    return node["original_file_path"].split("/")[1]  # models/<layer>/...


def test_every_source_table_has_a_linked_source_and_a_staging_model(manifest):
    sources = {(s["source_name"], s["name"]): s for s in manifest["sources"].values()}
    all_models = models(manifest)
    for table in [*metadata.tables, "clickstream_events"]:
        source_name = "clickstream" if table == "clickstream_events" else "oltp"
        source = sources.get((source_name, table))
        assert source is not None, f"no dbt source for raw.{table}"
        assert source["schema"] == "raw"
        assert source["config"]["meta"]["dagster"]["asset_key"] == ["raw", table], f"raw.{table} is not linked to its Dagster asset"
        assert source["loaded_at_field"] == "_loaded_at"
    for table in metadata.tables:
        node = all_models.get(f"stg_oltp__{table}")
        assert node is not None, f"no staging model for {table}"
        assert node["depends_on"]["nodes"] == [f"source.zhishu.oltp.{table}"], f"stg_oltp__{table} must read only its source"
    assert "stg_clickstream__events" in all_models


def test_staging_accepted_values_are_the_schema_enumerations(manifest):
    found = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or meta.get("name") != "accepted_values":
            continue
        model = node["attached_node"].rsplit(".", 1)[-1]
        if model.startswith("stg_oltp__"):
            found[(model.removeprefix("stg_oltp__"), node["column_name"])] = list(meta["kwargs"]["values"])
    for key, values in ENUM_COLUMNS.items():
        assert key in found, f"stg_oltp__{key[0]}.{key[1]} has no accepted_values test"
        assert found[key] == list(values), f"stg_oltp__{key[0]}.{key[1]}: {found[key]} != schema.py {list(values)}"


def test_layering_rules(manifest):
    nodes = models(manifest)
    by_id = {n["unique_id"]: n for n in nodes.values()}
    violations = []
    for name, node in nodes.items():
        kind = layer(node)
        for parent_id in node["depends_on"]["nodes"]:
            if parent_id.startswith("source."):
                if kind != "staging":
                    violations.append(f"{name} ({kind}) reads {parent_id}: only staging reads sources")
                continue
            parent = by_id.get(parent_id)
            if parent is None:
                continue
            parent_kind = layer(parent)
            if kind == "staging":
                violations.append(f"staging model {name} references {parent['name']}: staging reads sources only")
            elif kind == "intermediate" and parent_kind not in ("staging", "intermediate") and parent["name"] != "dim_date":
                violations.append(f"intermediate model {name} references {parent_kind} model {parent['name']}")
            elif kind == "marts" and parent_kind == "marts":
                parent_domain = parent["original_file_path"].split("/")[2]
                if parent_domain not in ("core", node["original_file_path"].split("/")[2]):
                    violations.append(f"mart {name} references {parent_domain} mart {parent['name']}: "
                                      "only marts/core dimensions and same-domain marts may be referenced")
    assert not violations, "layering rules broken (dbt_project/README.md):\n" + "\n".join(violations)


def test_every_mart_has_an_enforced_contract_with_typed_documented_columns(manifest):
    marts = [n for n in models(manifest).values() if layer(n) == "marts"]
    assert len(marts) >= 20
    for node in marts:
        assert node["config"]["materialized"] in ("table", "incremental"), node["name"]
        assert node["config"]["contract"]["enforced"], f"{node['name']} has no enforced contract"
        assert node["description"].strip(), f"{node['name']} has no description"
        for column in node["columns"].values():
            assert column.get("data_type"), f"{node['name']}.{column['name']} has no data_type"
            assert column.get("description", "").strip(), f"{node['name']}.{column['name']} is not documented"


def assert_pii_hashed(warehouse):
    rows = warehouse.query("select customer_id, full_name, email, phone from raw.customers order by customer_id limit 50")
    hashed = dict((r[0], r[1:]) for r in warehouse.query(
        "select customer_id, full_name_hash, email_hash, phone_hash from staging.stg_oltp__customers"))
    salt = warehouse.env["ZHISHU_PII_SALT"]
    assert rows and salt
    for customer_id, name, email, phone in rows:
        assert hashed[customer_id] == (expected_hash(name, salt), expected_hash(email, salt), expected_hash(phone, salt))


def test_staging_keeps_raw_columns_and_only_hashed_pii(duckdb_warehouse):
    columns = {}
    for schema_name, table, column in duckdb_warehouse.query(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema in ('staging', 'intermediate', 'marts') order by ordinal_position"):
        columns.setdefault((schema_name, table), []).append(column)
    for table in metadata.sorted_tables:
        raw = [PII_COLUMNS.get(c.name, c.name) if table.name == "customers" else c.name for c in table.columns]
        assert columns[("staging", f"stg_oltp__{table.name}")] == [*raw, "_loaded_at"]
    for (schema_name, relation), names in columns.items():
        leaked = set(names) & set(PII_COLUMNS)
        assert not leaked, f"{schema_name}.{relation} exposes raw PII columns {leaked}"
    assert_pii_hashed(duckdb_warehouse)


@pytest.mark.postgres
def test_pii_hashes_are_identical_on_postgres(postgres_warehouse):
    assert_pii_hashed(postgres_warehouse)


def test_hash_pii_refuses_to_run_without_a_salt(duckdb_warehouse):
    env = {k: v for k, v in duckdb_warehouse.env.items() if k != "ZHISHU_PII_SALT"}
    result = subprocess.run(
        [str(DBT), "run", "--select", "stg_oltp__customers", "--project-dir", str(duckdb_warehouse.project_dir),
         "--profiles-dir", str(duckdb_warehouse.project_dir)],
        cwd=duckdb_warehouse.project_dir, env=env, capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "ZHISHU_PII_SALT is not set" in result.stdout
