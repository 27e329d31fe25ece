"""Validate a warehouse table: read its batch, run its suite, store the results.

`warehouse` is anything with `read_sql(sql, params) -> DataFrame` and `session()` (a context
manager yielding one transaction with `execute`/`fetchall`, "?" placeholders) -- the interface of
the pipeline's warehouse resource (orchestration/warehouse.py) on DuckDB and PostgreSQL alike.

Only the columns the expectations look at are read (a wide table's text columns stay in the
database); the schema expectation is checked against the full column list from
information_schema.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from quality.quarantine import observe_quarantine
from quality.results import (
    AUDIT_SCHEMA,
    DQ_RESULTS,
    Session,
    existing_tables,
    previous_row_count,
    write_results,
)
from quality.runner import ResultRow, ValidationInputs, local_now, run_suite
from quality.specs import SuiteSpec


class Warehouse(Protocol):
    def read_sql(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame: ...

    def session(self) -> AbstractContextManager[Session]: ...


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def read_columns(warehouse: Warehouse, schema: str, table: str, columns: Sequence[str]) -> pd.DataFrame:
    """The given columns of schema.table (identifiers quoted; they come from suite files)."""
    select = ", ".join(quote(c) for c in columns) or "1 AS _row"
    frame = warehouse.read_sql(f"SELECT {select} FROM {quote(schema)}.{quote(table)}")  # nosec B608 - quoted identifiers from suite config, no values
    return frame if columns else frame.iloc[:, 0:0]


def parent_keys(warehouse: Warehouse, schema: str, table: str, column: str) -> list[Any]:
    """Distinct non-null keys of a referenced table."""
    frame = warehouse.read_sql(
        f"SELECT DISTINCT {quote(column)} AS k FROM {quote(schema)}.{quote(table)} "  # nosec B608 - quoted identifiers
        f"WHERE {quote(column)} IS NOT NULL"
    )
    return frame["k"].tolist()


def gather_inputs(
    warehouse: Warehouse, suite: SuiteSpec, run_id: str, now: datetime | None,
    tables: Mapping[tuple[str, str], Sequence[str]],
) -> ValidationInputs:
    """Runtime inputs of a suite; `tables` = existing tables -> columns (one catalog query)."""
    inputs = ValidationInputs(run_id=run_id, now=now,
                              table_columns=list(tables[(suite.schema, suite.table)]))
    for schema, table, column in suite.references():
        # A missing parent table/column has no keys: every child value is then an orphan.
        exists = column in tables.get((schema, table), ())
        inputs.parent_keys[f"{schema}.{table}.{column}"] = (
            parent_keys(warehouse, schema, table, column) if exists else [])
    audit_tables = {table for schema, table in tables if schema == AUDIT_SCHEMA}
    if any(spec.kind == "row_count_change" for spec in suite.expectations):
        inputs.previous_row_count = previous_row_count(
            warehouse, suite.name, "row_count_change", run_id, exists=DQ_RESULTS in audit_tables)
    if suite.source and any(spec.kind == "quarantine" for spec in suite.expectations):
        inputs.quarantine = observe_quarantine(warehouse, suite.source, suite.table, audit_tables)
    return inputs


def missing_table_rows(suite: SuiteSpec, run_id: str) -> list[ResultRow]:
    """Every expectation fails when the table itself is missing (the schema check says why)."""
    now = local_now()
    return [
        ResultRow(
            suite=suite.name, expectation=spec.name, expectation_type="table_exists",
            column_name=spec.column, asset=suite.asset, run_id=run_id, success=False,
            severity=spec.severity, observed_value=f"table {suite.asset} does not exist",
            element_count=0, unexpected_count=None, checked_at=now,
        )
        for spec in suite.expectations
    ]


def validate_table(
    warehouse: Warehouse, suite: SuiteSpec, run_id: str, *, now: datetime | None = None,
    write: bool = True,
) -> list[ResultRow]:
    """Run `suite` on its table and (by default) append the results to audit.dq_results."""
    schemas = sorted({suite.schema, AUDIT_SCHEMA, *(ref[0] for ref in suite.references())})
    tables = existing_tables(warehouse, schemas)
    columns = tables.get((suite.schema, suite.table))
    if not columns:
        rows = missing_table_rows(suite, run_id)
    else:
        wanted = [c for c in suite.columns_read() if c in columns]
        frame = read_columns(warehouse, suite.schema, suite.table, wanted)
        rows = run_suite(suite, frame, gather_inputs(warehouse, suite, run_id, now, tables))
    if write:
        with warehouse.session() as session:
            write_results(session, rows)
    return rows
