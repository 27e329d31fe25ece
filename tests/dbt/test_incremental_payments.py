"""fct_payments is incremental (append-mostly): a second run picks up new and re-versioned attempts."""

from __future__ import annotations

import shutil

import duckdb

import dbtb_warehouse as wh
from dbtb_warehouse import Warehouse


def test_incremental_run_appends_new_attempts_and_replaces_updated_ones(duckdb_warehouse, tmp_path):
    db_path = tmp_path / "zhishu.duckdb"  # same file name: same DuckDB catalog name as the original
    shutil.copyfile(duckdb_warehouse.duckdb_path, db_path)
    project = wh.copy_project(tmp_path / "dbt_project")
    env = dict(duckdb_warehouse.env, ZHISHU_DUCKDB_PATH=str(db_path))
    warehouse = Warehouse("duckdb", project, env, duckdb_path=db_path)

    con = duckdb.connect(str(db_path))
    try:
        before = con.execute("select count(*) from marts.fct_payments").fetchone()[0]
        failed_id, = con.execute(
            "select min(payment_id) from raw.payments where payment_status = 'failed'").fetchone()
        assert failed_id is not None, "the simulated data should contain a failed payment"
        watermark = con.execute("select max(updated_at) from raw.payments").fetchone()[0]
        # A later version of a failed attempt (the source corrected it in place, so its updated_at
        # moves past everything loaded) and a brand-new retry, as the next ingestion would land them.
        con.execute("""
            insert into raw.payments
            select * replace ('succeeded' as payment_status, null as failure_reason,
                              ? + interval 1 hour as updated_at, 'second-load' as _load_id)
            from raw.payments where payment_id = ?""", [watermark, failed_id])
        new_id = con.execute("select max(payment_id) + 1 from raw.payments").fetchone()[0]
        con.execute("""
            insert into raw.payments
            select * replace (? as payment_id, attempt_number + 1 as attempt_number,
                              ? + interval 2 hour as updated_at, 'second-load' as _load_id)
            from raw.payments where payment_id = ? and _load_id <> 'second-load'""", [new_id, watermark, failed_id])
    finally:
        con.close()

    result = warehouse.dbt("run", "--select", "fct_payments")
    assert "incremental" in result.stdout.lower()

    rows = warehouse.query(
        "select payment_id, payment_status, failure_reason, is_success from marts.fct_payments where payment_id in (?, ?)",
        (failed_id, new_id))
    assert len(rows) == 2, rows
    assert sorted(rows)[0] == (failed_id, "succeeded", None, True)
    assert sorted(rows)[1][0] == new_id and sorted(rows)[1][1] == "failed" and sorted(rows)[1][3] is False
    after, distinct_ids, staged = warehouse.query("""
        select count(*), count(distinct payment_id), (select count(*) from staging.stg_oltp__payments)
        from marts.fct_payments""")[0]
    assert after == distinct_ids == staged == before + 1
