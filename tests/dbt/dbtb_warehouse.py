"""Test-side warehouse plumbing for the dbt tests: raw tables, loading, running dbt and MetricFlow.

Until ingestion runs inside the tests, the raw schema is built here directly from
simulator.schema.metadata (same table and column names + _loaded_at/_load_id, like ingestion) and
filled from a simulator SQLite output. PostgreSQL gets a byte-identical copy through CSV COPY.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import psycopg2
from psycopg2 import sql as pgsql
from sqlalchemy.dialects import postgresql

from simulator.schema import metadata

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
VENV_BIN = Path(sys.executable).parent
RAW_EXTRA_COLUMNS = ["_loaded_at timestamp", "_load_id varchar(64)"]


def raw_table_ddl(table) -> str:
    """CREATE TABLE raw.<t> with the source's columns (PostgreSQL types, also valid on DuckDB)."""
    dialect = postgresql.dialect()
    columns = [f'"{c.name}" {c.type.compile(dialect=dialect)}' for c in table.columns]
    return f"create table raw.{table.name} ({', '.join(columns + RAW_EXTRA_COLUMNS)})"


def load_sqlite_into_duckdb(sqlite_path: Path, duckdb_path: Path, load_id: str = "test-load") -> dict[str, int]:
    """Create raw.* in a DuckDB file and copy every source table from the simulator's SQLite file."""
    counts: dict[str, int] = {}
    con = duckdb.connect(str(duckdb_path))
    try:
        con.execute("create schema if not exists raw")
        src = sqlite3.connect(str(sqlite_path))
        try:
            for table in metadata.sorted_tables:
                con.execute(f"drop table if exists raw.{table.name}")
                con.execute(raw_table_ddl(table))
                names = [c.name for c in table.columns]
                cursor = src.execute(f"select {', '.join(names)} from {table.name}")
                rows = cursor.fetchall()
                counts[table.name] = len(rows)
                if not rows:
                    continue
                frame = pd.DataFrame([list(r) for r in rows], columns=names, dtype=object)
                # SQLite keeps money as text or float; render as text so the cast to NUMERIC is exact.
                for column in table.columns:
                    if column.type.python_type.__name__ == "Decimal":
                        scale = column.type.scale
                        frame[column.name] = frame[column.name].map(
                            lambda v, s=scale: None if v is None else (f"{v:.{s}f}" if isinstance(v, float) else str(v))
                        )
                    elif column.type.python_type.__name__ == "bool":
                        frame[column.name] = frame[column.name].map(lambda v: None if v is None else bool(v))
                    else:
                        frame[column.name] = frame[column.name].map(lambda v: None if v is None else str(v))
                con.register("incoming", frame)
                select_list = ", ".join(
                    f"cast(incoming.\"{c.name}\" as {c.type.compile(dialect=postgresql.dialect())})" for c in table.columns
                )
                con.execute(
                    f"insert into raw.{table.name} select {select_list}, current_timestamp::timestamp, '{load_id}' from incoming"
                )
                con.unregister("incoming")
        finally:
            src.close()
    finally:
        con.close()
    return counts


CLICKSTREAM_COLUMNS = [
    ("event_id", "varchar(64)"), ("event_name", "varchar(40)"), ("occurred_at", "timestamp"),
    ("customer_id", "bigint"), ("anonymous_id", "varchar(64)"), ("session_id", "varchar(64)"),
    ("device", "varchar(20)"), ("page", "varchar(200)"), ("properties", "text"),
    ("schema_version", "integer"), ("source_file", "varchar(200)"),
]


def clickstream_ddl() -> str:
    columns = [f"{name} {kind}" for name, kind in CLICKSTREAM_COLUMNS]
    return f"create table raw.clickstream_events ({', '.join(columns + RAW_EXTRA_COLUMNS)})"


def load_clickstream_into_duckdb(landing_dir: Path | None, duckdb_path: Path, load_id: str = "test-load") -> int:
    """raw.clickstream_events from the landing folder's JSONL files (offset dropped: naive local time)."""
    con = duckdb.connect(str(duckdb_path))
    try:
        con.execute("create schema if not exists raw")
        con.execute("drop table if exists raw.clickstream_events")
        con.execute(clickstream_ddl())
        records = []
        files = sorted(p for p in Path(landing_dir).glob("*.jsonl") if not p.name.startswith(".")) if landing_dir else []
        for path in files:
            with open(path) as handle:
                for line in handle:
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    records.append((
                        event["event_id"], event["event_name"], event["occurred_at"][:23].replace("T", " "),
                        event.get("customer_id"), event.get("anonymous_id"), event.get("session_id"),
                        event.get("device"), event.get("page"), json.dumps(event.get("properties") or {}),
                        event.get("schema_version"), path.name,
                    ))
        if records:
            frame = pd.DataFrame(records, columns=[name for name, _ in CLICKSTREAM_COLUMNS], dtype=object)
            con.register("incoming", frame)
            select_list = ", ".join(f"cast(incoming.{name} as {kind})" for name, kind in CLICKSTREAM_COLUMNS)
            con.execute(
                f"insert into raw.clickstream_events select {select_list}, current_timestamp::timestamp, "
                f"'{load_id}' from incoming"
            )
            con.unregister("incoming")
        return len(records)
    finally:
        con.close()


def pg_connect(dbname: str = "postgres"):
    """Connection from the libpq environment variables (callers may pass their own `connect`)."""
    return psycopg2.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5432")),
        user=os.environ.get("PGUSER", "postgres"),
        password=os.environ.get("PGPASSWORD", "") or None,
        dbname=dbname,
        connect_timeout=5,
    )


def create_pg_database(name: str, connect=None) -> None:
    con = (connect or pg_connect)("postgres")
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(pgsql.SQL("drop database if exists {} with (force)").format(pgsql.Identifier(name)))
        cur.execute(pgsql.SQL("create database {}").format(pgsql.Identifier(name)))
    con.close()


def drop_pg_database(name: str, connect=None) -> None:
    con = (connect or pg_connect)("postgres")
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(pgsql.SQL("drop database if exists {} with (force)").format(pgsql.Identifier(name)))
    con.close()


def copy_duckdb_raw_to_postgres(duckdb_path: Path, dbname: str, connect=None) -> None:
    """Recreate raw.* in PostgreSQL database `dbname` with the same rows as the DuckDB raw schema."""
    workdir = Path(tempfile.mkdtemp(prefix="dbtb_copy_"))
    try:
        con = duckdb.connect(str(duckdb_path), read_only=True)
        pg = (connect or pg_connect)(dbname)
        try:
            with pg, pg.cursor() as cur:
                cur.execute("create schema if not exists raw")
                tables = [(t.name, raw_table_ddl(t)) for t in metadata.sorted_tables]
                tables.append(("clickstream_events", clickstream_ddl()))
                for name, ddl in tables:
                    cur.execute(f"drop table if exists raw.{name}")
                    cur.execute(ddl)
                    csv_path = workdir / f"{name}.csv"
                    con.execute(f"copy (select * from raw.{name}) to '{csv_path}' (header, format csv)")
                    with open(csv_path) as handle:
                        cur.copy_expert(f"copy raw.{name} from stdin with (format csv, header true)", handle)
        finally:
            con.close()
            pg.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def copy_project(destination: Path) -> Path:
    """A private copy of dbt_project/ so parallel runs do not share target/ and logs/."""
    shutil.copytree(
        DBT_PROJECT, destination, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml")
    )
    return destination


def dbt_env(target: str, duckdb_path: Path | None = None, pg_database: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["DBT_TARGET"] = target
    env["ZHISHU_WAREHOUSE"] = target
    env.setdefault("ZHISHU_PII_SALT", "test-salt-not-secret")
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    if duckdb_path is not None:
        env["ZHISHU_DUCKDB_PATH"] = str(duckdb_path)
    if pg_database is not None:
        env["PGDATABASE"] = pg_database
    return env


def run_dbt(project_dir: Path, args: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    command = [str(VENV_BIN / "dbt"), *args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    result = subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-20000:]}\n{result.stderr[-5000:]}")
    return result


def run_mf(project_dir: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [str(VENV_BIN / "mf"), *args]
    return subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True)


@dataclass
class Warehouse:
    """A dbt-built warehouse plus what the tests need to query it and to run dbt/mf against it."""

    target: str
    project_dir: Path
    env: dict[str, str]
    duckdb_path: Path | None = None
    pg_database: str | None = None
    pg_server: object | None = None  # the root conftest's PgServer (connect(database))

    def connect(self):
        if self.target == "duckdb":
            return duckdb.connect(str(self.duckdb_path), read_only=True)
        return self.pg_server.connect(self.pg_database)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        con = self.connect()
        try:
            if self.target == "duckdb":
                return con.execute(sql, list(params)).fetchall()
            with con.cursor() as cur:
                cur.execute(sql, params or None)
                return cur.fetchall()
        finally:
            con.close()

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run_dbt(self.project_dir, list(args), self.env, check=check)
