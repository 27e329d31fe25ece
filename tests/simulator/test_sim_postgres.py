"""Generation into PostgreSQL gives the same data as into SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from simulator import schema

from sim_testkit import END_DATE, SMALL_SCALE, Generated, run_cli


@pytest.mark.postgres
def test_generate_into_postgres_matches_sqlite(sim_pg_database: str, small_run: Generated, tmp_path):
    result = run_cli("generate", "--seed", "42", "--scale", str(SMALL_SCALE), "--end-date", END_DATE.isoformat(),
                     "--out", str(tmp_path), "--source-url", sim_pg_database)
    assert result.returncode == 0, result.stderr[-3000:]
    engine = create_engine(sim_pg_database)
    try:
        with engine.connect() as conn:
            for table in schema.metadata.tables:
                assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == small_run.count(table), table
            pg_total = conn.execute(text("SELECT SUM(total_amount) FROM orders")).scalar()
            pg_mrr = conn.execute(text("SELECT SUM(new_mrr_amount - old_mrr_amount) FROM subscription_changes")).scalar()
            broken = conn.execute(text("""SELECT COUNT(*) FROM orders o JOIN (SELECT order_id, SUM(line_amount) s
                                          FROM order_items GROUP BY 1) i USING (order_id) WHERE o.items_amount != i.s""")).scalar()
            # serial sequences were moved past the loaded ids, so plain inserts keep working
            next_id = conn.execute(text("SELECT nextval(pg_get_serial_sequence('orders', 'order_id'))")).scalar()
            max_id = conn.execute(text("SELECT MAX(order_id) FROM orders")).scalar()
    finally:
        engine.dispose()
    with small_run.connect() as conn:
        sqlite_total = conn.execute("SELECT SUM(total_amount) FROM orders").fetchone()[0]
    assert f"{pg_total:.2f}" == f"{sqlite_total:.2f}"
    assert pg_mrr is not None and broken == 0
    assert next_id > max_id
    assert (tmp_path / "ground_truth.json").exists()
