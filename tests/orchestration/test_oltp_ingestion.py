"""Incremental OLTP ingestion on DuckDB and PostgreSQL: initial load, idempotent re-runs, updates,
new rows, watermark ties, and interrupted loads that leave nothing partial behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from orchestration.ingest.oltp import create_source_engine, load_table
from ingestion_fixtures import T0, customer, order, seed_basic

REPO_ROOT = Path(__file__).resolve().parents[2]


def load(wh, sources_config, table: str, load_id: str = "test-load"):
    engine = create_source_engine(sources_config.oltp.url)
    return load_table(wh, engine, sources_config.oltp, sources_config.oltp.tables[table], load_id)


def raw(wh, table: str, order_by: str):
    return wh.read_sql(f"SELECT * FROM raw.{table} ORDER BY {order_by}")  # nosec B608 - test SQL, names from the test itself


def watermark(wh, table: str) -> str | None:
    rows = wh.read_sql("SELECT watermark FROM audit.load_state WHERE table_name = ?", [table])
    return rows["watermark"].iloc[0] if len(rows) else None


def test_initial_load_rerun_update_and_new_rows(source, wh, sources_config):
    seed_basic(source, customers=5, orders=8)

    first = load(wh, sources_config, "orders")
    assert (first.rows_read, first.rows_upserted, first.raw_row_count) == (8, 8, 8)
    assert first.watermark_before is None
    assert first.watermark_after == (T0 + timedelta(minutes=8)).isoformat()
    loaded = raw(wh, "orders", "order_id")
    assert list(loaded["order_id"]) == list(range(1, 9))
    # money arrives as exact decimals, not floats
    assert loaded["total_amount"].map(Decimal).sum() == Decimal("108.10") * 8

    # Re-run: the inclusive watermark re-reads the last row; the upsert keeps one copy of it.
    again = load(wh, sources_config, "orders")
    assert again.rows_read == 1
    assert again.raw_row_count == 8
    assert raw(wh, "orders", "order_id")["order_id"].is_unique

    # An update in place replaces the raw row; a new row is appended.
    source.update("orders", 3, order_status="delivered", updated_at=T0 + timedelta(hours=1))
    source.insert("orders", [order(9, customer_id=1, at=T0 + timedelta(hours=2))])
    third = load(wh, sources_config, "orders")
    assert third.rows_read == 3  # the two changes + the boundary row at the old watermark
    after = raw(wh, "orders", "order_id").set_index("order_id")
    assert len(after) == 9
    assert after.loc[3, "order_status"] == "delivered"
    assert after.loc[9, "order_status"] == "paid"
    assert watermark(wh, "orders") == (T0 + timedelta(hours=2)).isoformat()


def test_rows_sharing_the_watermark_timestamp_are_not_skipped(source, wh, sources_config):
    seed_basic(source, customers=2, orders=0)
    source.insert("orders", [order(1, customer_id=1, at=T0)])
    load(wh, sources_config, "orders")
    # Committed later with the same updated_at as the stored watermark: '>' would skip it.
    source.insert("orders", [order(2, customer_id=1, at=T0)])
    load(wh, sources_config, "orders")
    assert sorted(raw(wh, "orders", "order_id")["order_id"]) == [1, 2]


def test_failure_inside_the_transaction_leaves_nothing_partial(source, wh, sources_config, monkeypatch):
    seed_basic(source, customers=5, orders=8)
    load(wh, sources_config, "orders")
    source.update("orders", 2, order_status="cancelled", updated_at=T0 + timedelta(hours=1))
    source.insert("orders", [order(i, customer_id=1, at=T0 + timedelta(hours=1)) for i in range(9, 13)])

    from orchestration.ingest import audit

    real_write_load_state = audit.write_load_state

    def crash_before_commit(session, **row):
        raise RuntimeError("simulated crash after the rows were written, before commit")

    monkeypatch.setattr(audit, "write_load_state", crash_before_commit)
    with pytest.raises(RuntimeError, match="simulated crash"):
        load(wh, sources_config, "orders")
    # Nothing of the failed load is visible: old version of order 2, no new orders, old watermark.
    visible = raw(wh, "orders", "order_id").set_index("order_id")
    assert len(visible) == 8
    assert visible.loc[2, "order_status"] == "paid"
    assert watermark(wh, "orders") == (T0 + timedelta(minutes=8)).isoformat()

    monkeypatch.setattr(audit, "write_load_state", real_write_load_state)
    rerun = load(wh, sources_config, "orders")
    assert rerun.raw_row_count == 12
    assert raw(wh, "orders", "order_id").set_index("order_id").loc[2, "order_status"] == "cancelled"
    assert watermark(wh, "orders") == (T0 + timedelta(hours=1)).isoformat()


KILLED_LOADER = textwrap.dedent(
    """
    import dataclasses, sys, time
    from pathlib import Path
    from orchestration.warehouse import WarehouseSession
    from orchestration.ingest.oltp import create_source_engine, load_table
    from orchestration.ingest.source_config import load_sources_config
    from orchestration.resources import build_warehouse

    real_upsert = WarehouseSession.upsert
    calls = []

    def slow_upsert(self, schema, table, data, key):
        written = real_upsert(self, schema, table, data, key)
        calls.append(written)
        if schema == "raw" and len(calls) == 2:  # second chunk written, transaction still open
            Path(sys.argv[1]).write_text("inside")
            time.sleep(120)
        return written

    WarehouseSession.upsert = slow_upsert
    oltp = dataclasses.replace(load_sources_config().oltp, batch_size=3)  # several chunks, one transaction
    load_table(build_warehouse(), create_source_engine(oltp.url), oltp, oltp.tables["orders"], "killed-load")
    """
)


def test_killed_load_loses_nothing(source, wh, sources_config, tmp_path):
    """SIGKILL in the middle of a multi-chunk load, then a normal re-run."""
    seed_basic(source, customers=5, orders=10)
    marker = tmp_path / "inside-transaction"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen([sys.executable, "-c", KILLED_LOADER, str(marker)], env=env, cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, "loader exited before reaching the transaction"
            assert time.monotonic() < deadline, "loader never reached the transaction"
            time.sleep(0.1)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    with wh.session() as session:
        tables = session.table_columns("raw", "orders")
        count = session.count("raw", "orders") if tables else 0
    assert count == 0, "rows of the killed load are visible"
    assert watermark(wh, "orders") is None

    rerun = load(wh, sources_config, "orders")
    assert rerun.raw_row_count == source.count("orders") == 10


def test_unicode_and_nulls_survive(source, wh, sources_config):
    seed_basic(source, customers=3, orders=0)
    source.update("customers", 2, full_name="张伟 \"quoted\", with comma\nand newline", updated_at=T0)
    load(wh, sources_config, "partners")
    load(wh, sources_config, "customers")
    rows = raw(wh, "customers", "customer_id").set_index("customer_id")
    assert rows.loc[2, "full_name"] == "张伟 \"quoted\", with comma\nand newline"
    assert pd.isna(rows.loc[2, "partner_id"])
    assert rows.loc[1, "partner_id"] == 1


def test_customer_rows_match_source_exactly(source, wh, sources_config):
    seed_basic(source, customers=4, orders=0)
    source.insert("customers", [customer(10, at=T0 + timedelta(days=1), acquisition_channel="organic")])
    load(wh, sources_config, "partners")
    load(wh, sources_config, "customers")
    expected = source.rows("customers")
    got = raw(wh, "customers", "customer_id").drop(columns=["_loaded_at", "_load_id"])
    got = got.astype(object).where(got.notna(), None).to_dict("records")
    for want, have in zip(expected, got, strict=True):
        assert {k: (int(v) if k == "partner_id" and v is not None else v) for k, v in have.items()} == {
            k: v for k, v in want.items()
        }
