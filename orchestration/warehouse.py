"""The warehouse as a Dagster resource: DuckDB (default, a file) or PostgreSQL, one small interface.

Everything ingestion needs is a *session* = one transaction: create/extend tables, stage an Arrow
table, upsert it by primary key, insert only new keys, and update audit rows, all committed
together or not at all. That is what makes a killed load lose nothing and leave nothing partial.

Both dialects share the SQL (DELETE ... USING + INSERT ... SELECT, NOT EXISTS anti-joins); they
differ only in how an Arrow table reaches the database: DuckDB scans it in place, PostgreSQL
receives it through COPY of CSV text (exact decimals, no float round trip).

SQL is assembled from identifiers that come from code or sources.yaml and always pass through
`quote()`; values are bound as parameters. That is why the f-string statements carry `# nosec B608`.

DuckDB allows a single writing process per file and dbt runs as a separate process, so the DuckDB
resource opens its connection only for the duration of one session/read and retries while another
process holds the lock; Dagster's `warehouse_writer` pool keeps our own writers from overlapping.
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from dagster import ConfigurableResource
from pydantic import Field

from orchestration.ingest.columns import PLATFORM_TZ, ColumnSpec

_stage_counter = itertools.count()


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def qualified(schema: str, table: str) -> str:
    return f"{quote(schema)}.{quote(table)}"


def column_spec_from_arrow(name: str, arrow_type: pa.DataType) -> ColumnSpec:
    """Column type for a DataFrame/Arrow column written by other domains (ml, analysis...)."""
    if pa.types.is_boolean(arrow_type):
        return ColumnSpec(name, "boolean")
    if pa.types.is_int64(arrow_type) or pa.types.is_uint32(arrow_type) or pa.types.is_uint64(arrow_type):
        return ColumnSpec(name, "bigint")
    if pa.types.is_int32(arrow_type) or pa.types.is_uint16(arrow_type):
        return ColumnSpec(name, "integer")
    if pa.types.is_integer(arrow_type):
        return ColumnSpec(name, "smallint")
    if pa.types.is_floating(arrow_type):
        return ColumnSpec(name, "double")
    if pa.types.is_decimal(arrow_type):
        return ColumnSpec(name, "decimal", arrow_type.precision, arrow_type.scale)
    if pa.types.is_timestamp(arrow_type):
        return ColumnSpec(name, "timestamp")
    if pa.types.is_date(arrow_type):
        return ColumnSpec(name, "date")
    if pa.types.is_time(arrow_type):
        return ColumnSpec(name, "time")
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return ColumnSpec(name, "blob")
    return ColumnSpec(name, "varchar")


def _normalise_arrow(table: pa.Table) -> pa.Table:
    """Tz-aware timestamps -> naive platform-local; nested/other types -> text."""
    import pyarrow.compute as pc

    columns = []
    for name, column in zip(table.column_names, table.columns):
        t = column.type
        if pa.types.is_timestamp(t) and t.tz is not None:
            # Same instant viewed in platform time, then the wall-clock value without zone.
            in_platform_tz = column.cast(pa.timestamp(t.unit, tz=PLATFORM_TZ.key))
            column = pc.local_timestamp(in_platform_tz).cast(pa.timestamp("us"))
        elif pa.types.is_timestamp(t) and t.unit != "us":
            column = column.cast(pa.timestamp("us"))
        elif pa.types.is_dictionary(t):
            column = column.cast(t.value_type)
        elif pa.types.is_large_string(t):
            column = column.cast(pa.string())
        elif pa.types.is_null(t):
            column = column.cast(pa.string())
        elif pa.types.is_nested(t):
            column = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


class WarehouseSession:
    """One open transaction on the warehouse. Dialect subclasses implement staging only."""

    # SQL passed to execute/fetchall uses "?" placeholders on every dialect.
    dialect: str = ""

    # -- dialect hooks ------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        raise NotImplementedError

    def execute_count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT/UPDATE/DELETE and return how many rows it affected."""
        raise NotImplementedError

    def stage_arrow(self, table: pa.Table) -> str:
        """Make `table` queryable under the returned name until `unstage`."""
        raise NotImplementedError

    def unstage(self, name: str) -> None:
        raise NotImplementedError

    def type_sql(self, spec: ColumnSpec) -> str:
        raise NotImplementedError

    def _primary_key_clause(self, primary_key: Sequence[str]) -> str:
        return ""

    # -- shared operations --------------------------------------------------------------------
    def ensure_schema(self, schema: str) -> None:
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")

    def table_columns(self, schema: str, table: str) -> dict[str, str]:
        """Existing columns (name -> type as the database reports it); empty if no such table."""
        rows = self.fetchall(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            (schema, table),
        )
        return {str(name): str(data_type) for name, data_type in rows}

    def create_table(
        self, schema: str, table: str, columns: Sequence[ColumnSpec], primary_key: Sequence[str] = ()
    ) -> None:
        body = ", ".join(f"{quote(c.name)} {self.type_sql(c)}" for c in columns)
        self.execute(
            f"CREATE TABLE IF NOT EXISTS {qualified(schema, table)} ({body}"
            f"{self._primary_key_clause(primary_key)})"
        )

    def add_columns(self, schema: str, table: str, columns: Sequence[ColumnSpec]) -> None:
        for column in columns:
            self.execute(
                f"ALTER TABLE {qualified(schema, table)} ADD COLUMN {quote(column.name)} "
                f"{self.type_sql(column)}"
            )

    def drop_table(self, schema: str, table: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {qualified(schema, table)}")

    def count(self, schema: str, table: str) -> int:
        return int(self.fetchall(f"SELECT count(*) FROM {qualified(schema, table)}")[0][0])  # nosec B608

    def insert(self, schema: str, table: str, data: pa.Table) -> int:
        if data.num_rows == 0:
            return 0
        stage = self.stage_arrow(data)
        try:
            cols = ", ".join(quote(c) for c in data.column_names)
            self.execute(f"INSERT INTO {qualified(schema, table)} ({cols}) SELECT {cols} FROM {stage}")  # nosec B608
        finally:
            self.unstage(stage)
        return data.num_rows

    def insert_row(self, schema: str, table: str, row: dict[str, Any]) -> None:
        """Insert one row given as a dict (cheaper than staging an Arrow table for it)."""
        cols = ", ".join(quote(c) for c in row)
        marks = ", ".join("?" for _ in row)
        self.execute(f"INSERT INTO {qualified(schema, table)} ({cols}) VALUES ({marks})", list(row.values()))  # nosec B608

    def upsert(self, schema: str, table: str, data: pa.Table, key: Sequence[str]) -> int:
        """Replace rows whose key is in `data`, insert the rest. `data` must have unique keys."""
        if data.num_rows == 0:
            return 0
        target = qualified(schema, table)
        stage = self.stage_arrow(data)
        try:
            match = " AND ".join(f"{target}.{quote(k)} = s.{quote(k)}" for k in key)
            self.execute(f"DELETE FROM {target} USING {stage} AS s WHERE {match}")  # nosec B608
            cols = ", ".join(quote(c) for c in data.column_names)
            self.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage}")  # nosec B608
        finally:
            self.unstage(stage)
        return data.num_rows

    def insert_new(self, schema: str, table: str, data: pa.Table, key: Sequence[str]) -> int:
        """Insert only rows whose key is not yet in the table (idempotent appends)."""
        if data.num_rows == 0:
            return 0
        target = qualified(schema, table)
        stage = self.stage_arrow(data)
        try:
            cols = ", ".join(quote(c) for c in data.column_names)
            match = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in key)
            return self.execute_count(
                f"INSERT INTO {target} ({cols}) SELECT {', '.join('s.' + quote(c) for c in data.column_names)} "  # nosec B608
                f"FROM {stage} AS s WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {match})"
            )
        finally:
            self.unstage(stage)

    def column_values(self, schema: str, table: str, column: str) -> list[Any]:
        """Every value of one column (e.g. all keys, to deduplicate a large backfill in memory)."""
        return [row[0] for row in self.fetchall(f"SELECT {quote(column)} FROM {qualified(schema, table)}")]  # nosec B608

    def existing_keys(self, schema: str, table: str, column: str, values: Sequence[Any]) -> set:
        """Which of `values` exist in schema.table.column (used for foreign-key checks)."""
        if not values or not self.table_columns(schema, table):
            return set()
        stage = self.stage_arrow(pa.table({"v": pa.array(list(values))}))
        try:
            rows = self.fetchall(
                f"SELECT DISTINCT t.{quote(column)} FROM {qualified(schema, table)} AS t "  # nosec B608
                f"JOIN {stage} AS s ON t.{quote(column)} = s.v"
            )
        finally:
            self.unstage(stage)
        return {row[0] for row in rows}

    def replace_table(self, schema: str, table: str, data: pa.Table) -> int:
        """Drop and recreate schema.table with `data` (inside the session's transaction)."""
        data = _normalise_arrow(data)
        specs = [column_spec_from_arrow(n, t) for n, t in zip(data.column_names, data.schema.types)]
        self.ensure_schema(schema)
        self.drop_table(schema, table)
        self.create_table(schema, table, specs)
        return self.insert(schema, table, data)

    def append_table(self, schema: str, table: str, data: pa.Table) -> int:
        data = _normalise_arrow(data)
        specs = [column_spec_from_arrow(n, t) for n, t in zip(data.column_names, data.schema.types)]
        self.ensure_schema(schema)
        self.create_table(schema, table, specs)
        existing = self.table_columns(schema, table)
        self.add_columns(schema, table, [s for s in specs if s.name not in existing])
        return self.insert(schema, table, data)


class DuckDBSession(WarehouseSession):
    dialect = "duckdb"

    def __init__(self, connection: Any):
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, list(params))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.connection.execute(sql, list(params)).fetchall()

    def execute_count(self, sql: str, params: Sequence[Any] = ()) -> int:
        # DuckDB answers a DML statement with one row holding the affected row count.
        return int(self.connection.execute(sql, list(params)).fetchone()[0])

    def column_values(self, schema: str, table: str, column: str) -> list[Any]:
        return self.connection.sql(f"SELECT {quote(column)} FROM {qualified(schema, table)}").to_arrow_table().column(0).to_pylist()  # nosec B608

    def stage_arrow(self, table: pa.Table) -> str:
        name = f"_zhishu_stage_{next(_stage_counter)}"
        self.connection.register(name, table)
        return quote(name)

    def unstage(self, name: str) -> None:
        self.connection.unregister(name.strip('"'))

    def type_sql(self, spec: ColumnSpec) -> str:
        return {"double": "DOUBLE", "varchar": "VARCHAR", "blob": "BLOB"}.get(spec.kind) or (
            spec.label
        )


def _pyformat(sql: str, params: Sequence[Any]) -> tuple[str, tuple | None]:
    """psycopg2 wants %s placeholders (and %% for a literal %) only when parameters are passed."""
    if not params:
        return sql, None
    return sql.replace("%", "%%").replace("?", "%s"), tuple(params)


class PostgresSession(WarehouseSession):
    dialect = "postgres"

    def __init__(self, connection: Any):
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(*_pyformat(sql, params))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(*_pyformat(sql, params))
            return cursor.fetchall()

    def execute_count(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(*_pyformat(sql, params))
            return cursor.rowcount

    def type_sql(self, spec: ColumnSpec) -> str:
        return {
            "double": "DOUBLE PRECISION",
            "varchar": "TEXT",
            "blob": "BYTEA",
            "decimal": f"NUMERIC({spec.precision},{spec.scale})",
        }.get(spec.kind) or spec.label

    def _primary_key_clause(self, primary_key: Sequence[str]) -> str:
        # PostgreSQL keeps the key as a constraint: a safety net behind the upsert logic.
        return f", PRIMARY KEY ({', '.join(quote(k) for k in primary_key)})" if primary_key else ""

    def stage_arrow(self, table: pa.Table) -> str:
        name = f"_zhishu_stage_{next(_stage_counter)}"
        specs = [column_spec_from_arrow(n, t) for n, t in zip(table.column_names, table.schema.types)]
        body = ", ".join(f"{quote(c.name)} {self.type_sql(c)}" for c in specs)
        self.execute(f"CREATE TEMP TABLE {quote(name)} ({body}) ON COMMIT DROP")
        for index, spec in enumerate(specs):
            if spec.kind == "blob":  # bytea in CSV is hex text
                hexed = pa.array(
                    [None if v is None else "\\x" + v.hex() for v in table.column(index).to_pylist()],
                    pa.string(),
                )
                table = table.set_column(index, spec.name, hexed)
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False))
        buffer.seek(0)
        cols = ", ".join(quote(c) for c in table.column_names)
        with self.connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {quote(name)} ({cols}) FROM STDIN WITH (FORMAT csv)", buffer)
        return quote(name)

    def unstage(self, name: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {name}")


class WarehouseResource(ConfigurableResource):
    """Common interface; use DuckDBWarehouse or PostgresWarehouse."""

    @property
    def dialect(self) -> str:
        raise NotImplementedError

    # -- dialect hooks: open a DB-API connection, wrap it, transaction control
    def _connect(self) -> Any:
        raise NotImplementedError

    def _wrap(self, connection: Any) -> WarehouseSession:
        raise NotImplementedError

    def _begin(self, connection: Any) -> None:
        """Start a transaction (psycopg2 starts one implicitly)."""

    @contextmanager
    def connection(self) -> Iterator["WarehouseConnection"]:
        """An open connection for several transactions (e.g. one per clickstream file)."""
        raw = self._connect()
        try:
            yield WarehouseConnection(self, raw)
        finally:
            raw.close()

    @contextmanager
    def session(self) -> Iterator[WarehouseSession]:
        """One transaction: committed when the block exits normally, rolled back otherwise."""
        with self.connection() as connection, connection.transaction() as session:
            yield session

    def describe(self) -> str:
        """Where the data goes, for logs and metadata (never includes a password)."""
        raise NotImplementedError

    def ensure_schema(self, schema: str) -> None:
        with self.session() as session:
            session.ensure_schema(schema)

    def read_sql(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        raise NotImplementedError

    def write_dataframe(
        self, df: pd.DataFrame, schema: str, table: str, mode: str = "replace"
    ) -> int:
        """Write a DataFrame as schema.table ('replace' or 'append'), atomically."""
        if mode not in ("replace", "append"):
            raise ValueError(f"mode must be 'replace' or 'append', not {mode!r}")
        data = pa.Table.from_pandas(df, preserve_index=False)
        with self.session() as session:
            if mode == "replace":
                return session.replace_table(schema, table, data)
            return session.append_table(schema, table, data)


class WarehouseConnection:
    """An open warehouse connection; each `transaction()` commits or rolls back on its own."""

    def __init__(self, warehouse: WarehouseResource, raw: Any):
        self.warehouse, self.raw = warehouse, raw

    @contextmanager
    def transaction(self) -> Iterator[WarehouseSession]:
        self.warehouse._begin(self.raw)
        try:
            yield self.warehouse._wrap(self.raw)
        except BaseException:
            self.raw.rollback()
            raise
        self.raw.commit()


class DuckDBWarehouse(WarehouseResource):
    """A DuckDB file; the connection exists only while a session or read is running."""

    path: str = Field(description="DuckDB database file")
    lock_timeout_seconds: float = Field(
        default=300.0,
        description="How long to wait while another process (e.g. dbt) holds DuckDB's write lock",
    )

    @property
    def dialect(self) -> str:
        return "duckdb"

    def describe(self) -> str:
        return f"duckdb:{self.path}"

    def _connect(self) -> Any:
        import duckdb

        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_seconds
        delay = 0.2
        while True:
            try:
                return duckdb.connect(self.path)
            except duckdb.IOException as exc:
                # Another process holds the single-writer lock; it is released within a run.
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _wrap(self, connection: Any) -> WarehouseSession:
        return DuckDBSession(connection)

    def _begin(self, connection: Any) -> None:
        connection.execute("BEGIN TRANSACTION")

    def read_sql(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        connection = self._connect()
        try:
            # Through Arrow, DECIMAL stays Decimal (DuckDB's own .df() would turn money into floats).
            relation = connection.sql(sql, params=list(params) or None)
            return relation.to_arrow_table().to_pandas()
        finally:
            connection.close()

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file (before copying the file)."""
        connection = self._connect()
        try:
            connection.execute("CHECKPOINT")
        finally:
            connection.close()


class PostgresWarehouse(WarehouseResource):
    """A PostgreSQL database; the password comes from PGPASSWORD via libpq, never from config."""

    host: str
    port: int = 5432
    user: str
    database: str
    connect_timeout_seconds: int = 10

    @property
    def dialect(self) -> str:
        return "postgres"

    def describe(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def _connect(self) -> Any:
        import psycopg2

        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=self.database,
            connect_timeout=self.connect_timeout_seconds,
            application_name="zhishu",
        )

    def _wrap(self, connection: Any) -> WarehouseSession:
        return PostgresSession(connection)

    def read_sql(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        import sqlalchemy as sa

        engine = sa.create_engine("postgresql+psycopg2://", creator=self._connect, poolclass=sa.NullPool)
        try:
            with engine.connect() as connection:
                query, args = _pyformat(sql, params)
                # coerce_float=False: NUMERIC stays Decimal on the money path.
                return pd.read_sql(query, connection, params=args, coerce_float=False)
        finally:
            engine.dispose()
