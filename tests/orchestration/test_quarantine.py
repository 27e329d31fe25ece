"""OLTP rows that break the contract end in audit.quarantine with a reason and their payload; the
valid rows of the same batch still load; quarantined rows can be re-processed after a fix."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import orjson
import sqlalchemy as sa

from ingestion_fixtures import T0, customer, order, seed_basic
from orchestration.ingest.oltp import create_source_engine, load_table
from orchestration.ingest.reprocess import reprocess_oltp
from simulator.schema import metadata


def load(wh, oltp, table: str, load_id: str = "test-load"):
    return load_table(wh, create_source_engine(oltp.url), oltp, oltp.tables[table], load_id)


def quarantine(wh, table: str):
    return wh.read_sql(
        "SELECT * FROM audit.quarantine WHERE table_name = ? ORDER BY primary_key, reason", [table]
    )


def raw_ids(wh, table: str, key: str) -> list[int]:
    return sorted(int(v) for v in wh.read_sql(f"SELECT {key} FROM raw.{table}")[key])  # nosec B608 - test SQL, names from the test itself


def drop_primary_key(source, table: str) -> None:
    """Recreate a source table without its key constraint (as views/legacy tables are)."""
    original = metadata.tables[table]
    with source.engine.begin() as connection:
        rows = [dict(r._mapping) for r in connection.execute(sa.select(original))]
        connection.execute(sa.text(f"DROP TABLE {table}"))
        loose = sa.Table(table, sa.MetaData(), *[sa.Column(c.name, c.type) for c in original.columns])
        loose.create(connection)
        if rows:
            connection.execute(loose.insert(), rows)


def test_each_contract_violation_is_quarantined_and_valid_rows_load(source, wh, sources_config):
    oltp = sources_config.oltp
    seed_basic(source, customers=3, orders=0)
    drop_primary_key(source, "orders")
    source.insert("orders", [
        order(1, customer_id=1),
        order(2, customer_id=1, total_amount=Decimal("-5.00")),            # negative amount
        order(3, customer_id=1, order_status="teleported"),                # unknown enum value
        order(4, customer_id=999),                                        # broken foreign key
        order(5, customer_id=2),                                          # duplicate key ...
        order(5, customer_id=3, order_status="shipped"),                  # ... twice in the batch
        order(6, customer_id=2),
    ])
    source.execute("UPDATE orders SET shipping_amount = 'eight yuan' WHERE order_id = 6")  # unreadable
    source.insert("orders", [order(7, customer_id=3)])

    for table in ("partners", "warehouses", "customers"):
        load(wh, oltp, table)
    result = load(wh, oltp, "orders")

    assert raw_ids(wh, "orders", "order_id") == [1, 7]
    assert result.rows_read == 8
    assert result.rows_quarantined == 6
    assert result.rejection_reasons == {
        "negative_amount": 1, "unknown_enum_value": 1, "broken_foreign_key": 1,
        "duplicate_key": 2, "unreadable_value": 1,
    }
    rows = quarantine(wh, "orders")
    reasons = {(r.primary_key, r.reason.split(":")[0].split(" (")[0]) for r in rows.itertuples()}
    assert ("2", "negative amount in total_amount") in reasons
    assert ("3", "unknown value 'teleported' in order_status") in reasons
    assert ("4", "broken foreign key customer_id=999") in reasons
    assert ("5", "duplicate primary key order_id=5 in the extracted batch") in reasons
    assert ("6", "column shipping_amount") in reasons
    assert set(rows["source"]) == {"oltp"}
    assert set(rows["load_id"]) == {"test-load"}
    assert rows["quarantined_at"].notna().all() and rows["reprocessed_at"].isna().all()
    # The payload is the source row as delivered, so the problem can be inspected and fixed.
    negative = orjson.loads(rows.set_index("primary_key").loc["2", "raw_payload"])
    assert negative["order_id"] == 2 and Decimal(str(negative["total_amount"])) == Decimal("-5.00")

    # The inclusive watermark re-reads the boundary; the same rejection is not stored twice.
    load(wh, oltp, "orders")
    assert len(quarantine(wh, "orders")) == len(rows)


def test_reprocess_after_fixes_in_source_and_in_configuration(source, wh, sources_config, tmp_path):
    oltp = sources_config.oltp
    seed_basic(source, customers=2, orders=0)
    source.insert("orders", [
        order(1, customer_id=1),
        order(2, customer_id=1, total_amount=Decimal("-5.00")),
        order(3, customer_id=1, order_status="teleported"),
        order(4, customer_id=50),
        order(5, customer_id=1, sales_channel="vending_machine"),
    ])
    for table in ("partners", "warehouses", "customers", "orders"):
        load(wh, oltp, table)
    assert raw_ids(wh, "orders", "order_id") == [1]

    # Fixes: the amount is corrected in place (without touching updated_at, as a manual fix
    # might), the missing customer arrives, 'teleported' becomes a valid status; order 5 is not
    # fixed; ...
    source.update("orders", 2, total_amount=Decimal("5.00"))
    source.insert("customers", [customer(50, at=T0 + timedelta(days=1))])
    fixed_statuses = dict(oltp.tables["orders"].allowed_values)
    fixed_statuses["order_status"] = fixed_statuses["order_status"] | {"teleported"}
    fixed_oltp = replace(oltp, tables={
        **oltp.tables, "orders": replace(oltp.tables["orders"], allowed_values=fixed_statuses)
    })

    outcomes = {o.table: o for o in reprocess_oltp(wh, create_source_engine(oltp.url), fixed_oltp, "reprocess-1")}
    assert outcomes["orders"].reprocessed == 3
    assert outcomes["orders"].still_open == 1
    assert raw_ids(wh, "orders", "order_id") == [1, 2, 3, 4]
    fixed = wh.read_sql("SELECT * FROM raw.orders WHERE order_id = 2")
    assert Decimal(fixed["total_amount"].iloc[0]) == Decimal("5.00")
    rows = quarantine(wh, "orders").set_index("primary_key")
    assert set(rows.loc[["2", "3", "4"], "resolution"]) == {"reprocessed"}
    assert rows.loc[["2", "3", "4"], "reprocessed_at"].notna().all()
    assert rows.loc["5", "resolution"] is None and "vending_machine" in rows.loc["5", "reason"]

    # ... until the source corrects it (with a new updated_at): the next incremental load picks
    # the valid version up and closes the rejection as superseded.
    source.update("orders", 5, sales_channel="app", updated_at=T0 + timedelta(days=2))
    load(wh, oltp, "orders")
    assert quarantine(wh, "orders").set_index("primary_key").loc["5", "resolution"] == "superseded"

    # A rejected row deleted from the source is closed as gone.
    source.insert("orders", [order(6, customer_id=1, at=T0 + timedelta(days=3), refund_amount=Decimal("-1"))])
    load(wh, oltp, "orders")
    source.execute("DELETE FROM orders WHERE order_id = 6")
    outcome = reprocess_oltp(wh, create_source_engine(oltp.url), oltp, "reprocess-2")[0]
    assert outcome.gone_from_source == 1
    assert quarantine(wh, "orders").set_index("primary_key").loc["6", "resolution"] == "gone_from_source"
