"""audit.dq_results: every validation result, so the BI layer can chart data quality over time.

Works on DuckDB and PostgreSQL through any *session* object with
`execute(sql, params)` / `fetchall(sql, params)` using "?" placeholders -- the interface of
orchestration.warehouse.WarehouseSession (quality/ does not import it: it needs no Dagster).
Identifiers are constants of this module; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from quality.runner import ResultRow

AUDIT_SCHEMA = "audit"
DQ_RESULTS = "dq_results"
DQ_RESULTS_TABLE = f"{AUDIT_SCHEMA}.{DQ_RESULTS}"

# (name, type): types valid on both DuckDB and PostgreSQL.
DQ_RESULTS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("suite", "varchar(200)"),
    ("expectation", "varchar(300)"),
    ("expectation_type", "varchar(100)"),
    ("column_name", "varchar(200)"),
    ("asset", "varchar(200)"),
    ("run_id", "varchar(100)"),
    ("success", "boolean"),
    ("severity", "varchar(10)"),
    ("observed_value", "text"),
    ("element_count", "bigint"),
    ("unexpected_count", "bigint"),
    ("checked_at", "timestamp"),
)
COLUMN_NAMES = tuple(name for name, _ in DQ_RESULTS_COLUMNS)

_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {DQ_RESULTS_TABLE} ("
    + ", ".join(f"{name} {kind}" for name, kind in DQ_RESULTS_COLUMNS)
    + ")"
)
_INSERT = (
    f"INSERT INTO {DQ_RESULTS_TABLE} ({', '.join(COLUMN_NAMES)}) "  # nosec B608 - constant identifiers
    f"VALUES ({', '.join('?' for _ in COLUMN_NAMES)})"
)
_PREVIOUS_COUNT = (
    f"SELECT element_count FROM {DQ_RESULTS_TABLE} "  # nosec B608 - constant identifiers
    "WHERE suite = ? AND expectation = ? AND run_id <> ? AND element_count IS NOT NULL "
    "ORDER BY checked_at DESC LIMIT 1"
)


class Session(Protocol):
    """One open transaction; SQL uses "?" placeholders on every dialect."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]: ...


class Reader(Protocol):
    def read_sql(self, sql: str, params: Sequence[Any] = ()) -> Any: ...  # -> pandas.DataFrame


def table_exists(reader: Reader, schema: str, table: str) -> bool:
    frame = reader.read_sql(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        (schema, table),
    )
    return bool(int(frame.iloc[0, 0]))


def existing_tables(reader: Reader, schemas: Sequence[str]) -> dict[tuple[str, str], list[str]]:
    """(schema, table) -> column names, for every table/view in `schemas`, in one query."""
    placeholders = ", ".join("?" for _ in schemas)
    frame = reader.read_sql(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        f"WHERE table_schema IN ({placeholders}) "  # nosec B608 - placeholders only
        "ORDER BY table_schema, table_name, ordinal_position",
        tuple(schemas),
    )
    tables: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in frame.itertuples(index=False):
        tables.setdefault((str(schema), str(table)), []).append(str(column))
    return tables


def ensure_dq_results(session: Session) -> None:
    session.execute(f"CREATE SCHEMA IF NOT EXISTS {AUDIT_SCHEMA}")
    session.execute(_CREATE)


def write_results(session: Session, rows: Sequence[ResultRow]) -> int:
    """Append result rows to audit.dq_results (creating it if missing); returns rows written."""
    ensure_dq_results(session)
    for row in rows:
        values = row.as_dict()
        session.execute(_INSERT, [values[name] for name in COLUMN_NAMES])
    return len(rows)


def previous_row_count(reader: Reader, suite: str, expectation: str, run_id: str,
                       exists: bool | None = None) -> int | None:
    """Rows the same expectation saw when it last ran in another run (None: never ran)."""
    if not (table_exists(reader, AUDIT_SCHEMA, DQ_RESULTS) if exists is None else exists):
        return None
    frame = reader.read_sql(_PREVIOUS_COUNT, (suite, expectation, run_id))
    return int(frame.iloc[0, 0]) if len(frame) else None
