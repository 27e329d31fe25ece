"""Incremental extraction of one OLTP table into raw.<table>, by an updated_at watermark.

How a load works (and why it is safe to kill or repeat):
1. Reflect the source table. A missing required column stops this table with a message naming
   it; a new column is added to the raw table (schema drift, reported).
2. In ONE warehouse transaction: read rows with cursor >= stored watermark (inclusive, so rows
   sharing the last timestamp are never skipped), validate them against the contract, upsert
   valid rows by primary key (updated rows replace old versions; re-read rows replace
   themselves, so nothing duplicates), write rejected rows to audit.quarantine, and advance the
   watermark. A crash anywhere rolls all of it back; the next run starts from the old watermark.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from orchestration.ingest import audit
from orchestration.ingest.columns import ColumnSpec, column_spec_from_sqlalchemy
from orchestration.ingest.source_config import OltpConfig, TableConfig, render_template
from orchestration.warehouse import WarehouseResource, WarehouseSession

RAW = audit.RAW
FK_LOOKUP_CHUNK = 500


class SourceUnavailable(RuntimeError):
    """The source database cannot be reached (worth retrying)."""


class SourceContractError(RuntimeError):
    """The source no longer satisfies the configured contract (retrying will not help)."""


@dataclass
class SchemaDrift:
    added_columns: list[str] = field(default_factory=list)  # new in the source, added to raw
    missing_columns: list[str] = field(default_factory=list)  # gone from the source, kept in raw

    def __bool__(self) -> bool:
        return bool(self.added_columns or self.missing_columns)

    def describe(self) -> str:
        parts = []
        if self.added_columns:
            parts.append("new source column(s) added to raw: " + ", ".join(self.added_columns))
        if self.missing_columns:
            parts.append("column(s) no longer in source (kept, loaded as null): "
                         + ", ".join(self.missing_columns))
        return "; ".join(parts) or "none"


@dataclass
class OltpLoadResult:
    table: str
    load_id: str
    rows_read: int = 0
    rows_upserted: int = 0
    rows_quarantined: int = 0  # rejected in this load (new + already known rejections)
    new_quarantine_rows: int = 0
    quarantine_resolved: int = 0
    watermark_before: str | None = None
    watermark_after: str | None = None
    duration_seconds: float = 0.0
    schema_drift: SchemaDrift = field(default_factory=SchemaDrift)
    raw_row_count: int = 0
    rejection_reasons: dict[str, int] = field(default_factory=dict)
    loaded_keys: list[str] = field(default_factory=list, repr=False)


# -- source connection --------------------------------------------------------------------------

def create_source_engine(url_template: str) -> Engine:
    """Engine for the configured source URL. SQLite files are opened read-only and must exist
    (SQLAlchemy would otherwise silently create an empty database and we'd 'load' nothing)."""
    url = make_url(render_template(url_template))
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            raise SourceContractError("an in-memory SQLite source has nothing to ingest")
        path = Path(database).expanduser().resolve()
        if not path.exists():
            raise SourceUnavailable(f"source database file {path} does not exist")
        return sa.create_engine(
            f"sqlite+pysqlite:///file:{path}?mode=ro&uri=true", poolclass=sa.NullPool
        )
    return sa.create_engine(url, poolclass=sa.NullPool, pool_pre_ping=True)


def describe_url(url_template: str) -> str:
    try:
        return make_url(render_template(url_template)).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only used in messages
        return url_template


def _connect(engine: Engine) -> sa.Connection:
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        raise SourceUnavailable(
            f"cannot connect to source {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig!r}"
        ) from exc


def reflect_table(connection: sa.Connection, config: TableConfig, schema: str | None) -> sa.Table:
    try:
        return sa.Table(config.source_table, sa.MetaData(), schema=schema, autoload_with=connection)
    except sa.exc.NoSuchTableError as exc:
        raise SourceContractError(
            f"source table {config.source_table!r} (for raw.{config.name}) does not exist"
        ) from exc
    except sa.exc.DBAPIError as exc:
        raise SourceUnavailable(f"reading source table {config.source_table}: {exc.orig!r}") from exc


def column_specs(table: sa.Table, config: TableConfig) -> list[ColumnSpec]:
    present = {c.name for c in table.columns}
    missing = [c for c in config.required_columns if c not in present]
    if missing:
        raise SourceContractError(
            f"source table {config.source_table!r} is missing required column(s) "
            f"{', '.join(missing)}; raw.{config.name} was not loaded"
        )
    return [column_spec_from_sqlalchemy(c.name, c.type) for c in table.columns]


# -- raw table DDL ------------------------------------------------------------------------------

def sync_raw_table(
    session: WarehouseSession, config: TableConfig, specs: Sequence[ColumnSpec]
) -> SchemaDrift:
    """Create raw.<table> from the reflected types, or add columns the source gained."""
    session.ensure_schema(RAW)
    audit.ensure_audit_tables(session)
    existing = session.table_columns(RAW, config.name)
    if not existing:
        session.create_table(RAW, config.name, [*specs, *audit.LINEAGE_COLUMNS], [config.primary_key])
        return SchemaDrift()
    lineage = {c.name for c in audit.LINEAGE_COLUMNS}
    names = {s.name for s in specs}
    drift = SchemaDrift(
        added_columns=[s.name for s in specs if s.name not in existing],
        missing_columns=[c for c in existing if c not in names and c not in lineage],
    )
    session.add_columns(RAW, config.name, [s for s in specs if s.name in drift.added_columns])
    return drift


# -- validation ---------------------------------------------------------------------------------

class ForeignKeyChecker:
    """Is a referenced key present in raw.<parent> or, failing that, in the source parent?

    Looking in the source too makes the check independent of the order tables load in: a child
    loaded before its parent in the same run is not rejected for a parent that exists.
    """

    def __init__(self, session: WarehouseSession, source: sa.Connection, oltp: OltpConfig):
        self.session, self.source, self.oltp = session, source, oltp
        self.known: dict[str, set] = {}

    def missing(self, parent: str, values: set) -> set:
        parent_config = self.oltp.tables[parent]
        known = self.known.setdefault(parent, set())
        todo = values - known
        if todo:
            found = self.session.existing_keys(RAW, parent, parent_config.primary_key, sorted(todo))
            todo -= found
            known |= found
        if todo:
            pk = sa.column(parent_config.primary_key)
            parent_table = sa.table(parent_config.source_table, pk, schema=self.oltp.schema)
            ordered = sorted(todo)
            for start in range(0, len(ordered), FK_LOOKUP_CHUNK):
                chunk = ordered[start : start + FK_LOOKUP_CHUNK]
                rows = self.source.execute(sa.select(pk).where(pk.in_(chunk))).fetchall()
                found = {int(r[0]) if isinstance(chunk[0], int) else r[0] for r in rows}
                todo -= found
                known |= found
        return todo


def validate_chunk(
    rows: Sequence[Sequence[Any]],
    specs: Sequence[ColumnSpec],
    config: TableConfig,
    duplicate_keys: set,
    fk_checker: ForeignKeyChecker | None,
) -> tuple[pa.Table, dict[int, list[str]]]:
    """Convert a chunk to Arrow and collect contract violations per row index."""
    errors: dict[int, list[str]] = {}
    columns = list(zip(*rows)) if rows else [[] for _ in specs]
    arrays = {spec.name: spec.convert_values(list(values), errors) for spec, values in zip(specs, columns)}
    data = pa.table(arrays)

    keys = data.column(config.primary_key).to_pylist()
    for index, key in enumerate(keys):
        if key is None:
            errors.setdefault(index, []).append(f"primary key {config.primary_key} is null")
        elif key in duplicate_keys:
            errors.setdefault(index, []).append(
                f"duplicate primary key {config.primary_key}={key} in the extracted batch"
            )

    for column in config.non_negative:
        if column not in arrays:
            continue
        negative = pc.fill_null(pc.less(arrays[column], 0), False)
        for index in pc.indices_nonzero(negative).to_pylist():
            errors.setdefault(index, []).append(
                f"negative amount in {column}: {arrays[column][index].as_py()}"
            )

    for column, allowed in config.allowed_values.items():
        if column not in arrays:
            continue
        for index, value in enumerate(arrays[column].to_pylist()):
            if value is not None and value not in allowed:
                errors.setdefault(index, []).append(
                    f"unknown value {value!r} in {column} (allowed: {', '.join(sorted(allowed))})"
                )

    if fk_checker is not None:
        for column, parent in config.foreign_keys.items():
            if column not in arrays:
                continue
            values = arrays[column].to_pylist()
            candidates = {v for i, v in enumerate(values) if v is not None and i not in errors}
            missing = fk_checker.missing(parent, candidates) if candidates else set()
            if missing:
                parent_pk = fk_checker.oltp.tables[parent].primary_key
                for index, value in enumerate(values):
                    if value in missing:
                        errors.setdefault(index, []).append(
                            f"broken foreign key {column}={value}: no {parent}.{parent_pk}={value}"
                        )
    return data, errors


# -- the load -----------------------------------------------------------------------------------

REASON_KINDS = (
    ("duplicate primary key", "duplicate_key"),
    ("primary key", "null_key"),
    ("negative amount", "negative_amount"),
    ("unknown value", "unknown_enum_value"),
    ("broken foreign key", "broken_foreign_key"),
    ("column ", "unreadable_value"),
)


def reason_kind(reason: str) -> str:
    """Short category of a rejection message, for metadata and data-quality metrics."""
    return next((kind for prefix, kind in REASON_KINDS if reason.startswith(prefix)), "other")


def _parse_watermark(value: str | None, spec: ColumnSpec) -> Any:
    if value is None:
        return None
    if spec.kind == "timestamp":
        return datetime.fromisoformat(value)
    if spec.kind in ("bigint", "integer", "smallint"):
        return int(value)
    return value


def _format_watermark(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _duplicate_keys(
    connection: sa.Connection, table: sa.Table, config: TableConfig, scope: Any, key_spec: ColumnSpec
) -> set:
    pk = table.c[config.primary_key]
    query = sa.select(pk).where(scope).group_by(pk).having(sa.func.count() > 1)
    convert = key_spec.converter()
    return {convert(row[0]) for row in connection.execute(query) if row[0] is not None}


def load_table(
    warehouse: WarehouseResource,
    engine: Engine,
    oltp: OltpConfig,
    config: TableConfig,
    load_id: str,
    *,
    only_keys: Sequence[Any] | None = None,
    log: Callable[[str], None] | None = None,
) -> OltpLoadResult:
    """Load one table incrementally, or (only_keys) re-extract specific rows for reprocessing."""
    started = time.monotonic()
    result = OltpLoadResult(table=config.name, load_id=load_id)
    log = log or (lambda message: None)

    # One warehouse connection for the whole table: DDL, the data transaction, the final count.
    with _connect(engine) as source, warehouse.connection() as connection:
        table = reflect_table(source, config, oltp.schema)
        specs = column_specs(table, config)
        spec_by_name = {s.name: s for s in specs}
        with connection.transaction() as session:
            result.schema_drift = sync_raw_table(session, config, specs)
        if result.schema_drift:
            log(f"raw.{config.name} schema drift: {result.schema_drift.describe()}")

        cursor_spec = spec_by_name[config.cursor_column]
        key_spec = spec_by_name[config.primary_key]
        with connection.transaction() as session:
            result.watermark_before = audit.read_watermark(session, oltp.name, config.name)
            if only_keys is not None:
                scope = table.c[config.primary_key].in_(list(only_keys))
            elif result.watermark_before is None:
                scope = sa.true()
            else:
                since = _parse_watermark(result.watermark_before, cursor_spec)
                if isinstance(since, datetime) and oltp.lookback_seconds:
                    since -= timedelta(seconds=oltp.lookback_seconds)
                scope = table.c[config.cursor_column] >= since

            try:
                duplicates = _duplicate_keys(source, table, config, scope, key_spec)
                # NullType: take the driver's raw values; ColumnSpec converts (and reports) them.
                select = sa.select(
                    *[sa.type_coerce(c, sa.types.NullType()).label(c.name) for c in table.columns]
                ).where(scope)
                stream = source.execution_options(yield_per=oltp.batch_size).execute(select)
                fk_checker = ForeignKeyChecker(session, source, oltp)
                open_rejections = _open_quarantine_count(session, oltp.name, config.name)
                max_cursor = None
                for chunk in stream.partitions(oltp.batch_size):
                    max_cursor = _load_chunk(
                        session, chunk, specs, config, oltp, duplicates, fk_checker, load_id,
                        result, max_cursor,
                        resolve_as=(
                            ("reprocessed" if only_keys is not None else "superseded")
                            if open_rejections else None
                        ),
                        collect_keys=only_keys is not None,
                    )
            except sa.exc.DBAPIError as exc:
                if exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError):
                    raise SourceUnavailable(f"reading {config.source_table}: {exc.orig!r}") from exc
                raise

            if only_keys is None:
                # Never move backwards: a lookback re-read may only see rows below the old mark.
                candidates = [max_cursor, _parse_watermark(result.watermark_before, cursor_spec)]
                present = [c for c in candidates if c is not None]
                result.watermark_after = _format_watermark(max(present)) if present else None
                audit.write_load_state(
                    session,
                    source=oltp.name,
                    table_name=config.name,
                    cursor_column=config.cursor_column,
                    watermark=result.watermark_after,
                    last_load_id=load_id,
                    rows_read=result.rows_read,
                    rows_upserted=result.rows_upserted,
                    rows_quarantined=result.rows_quarantined,
                )
            else:
                result.watermark_after = result.watermark_before
        # Committed: only now report the load as done.
        with connection.transaction() as session:
            result.raw_row_count = session.count(RAW, config.name)
    result.duration_seconds = round(time.monotonic() - started, 3)
    return result


def _open_quarantine_count(session: WarehouseSession, source: str, table: str) -> int:
    return int(session.fetchall(
        f"SELECT count(*) FROM {audit.AUDIT}.{audit.QUARANTINE} "  # nosec B608
        "WHERE source = ? AND table_name = ? AND reprocessed_at IS NULL",
        (source, table),
    )[0][0])


def _load_chunk(
    session: WarehouseSession,
    chunk: Sequence[Sequence[Any]],
    specs: Sequence[ColumnSpec],
    config: TableConfig,
    oltp: OltpConfig,
    duplicates: set,
    fk_checker: ForeignKeyChecker,
    load_id: str,
    result: OltpLoadResult,
    max_cursor: Any,
    *,
    resolve_as: str | None,
    collect_keys: bool,
) -> Any:
    data, errors = validate_chunk(chunk, specs, config, duplicates, fk_checker)
    result.rows_read += data.num_rows

    cursor_values = data.column(config.cursor_column)
    chunk_max = pc.max(cursor_values).as_py()
    if chunk_max is not None and (max_cursor is None or chunk_max > max_cursor):
        max_cursor = chunk_max

    if errors:
        names = [s.name for s in specs]
        records = []
        for index, reasons in sorted(errors.items()):
            raw_row = dict(zip(names, chunk[index]))
            key = data.column(config.primary_key)[index].as_py()
            records.append(audit.QuarantineRecord(
                source=oltp.name,
                table_name=config.name,
                primary_key=None if key is None else str(key),
                reason="; ".join(reasons),
                raw_payload=audit.payload_json(raw_row),
            ))
            for reason in reasons:
                kind = reason_kind(reason)
                result.rejection_reasons[kind] = result.rejection_reasons.get(kind, 0) + 1
        result.rows_quarantined += len(records)
        result.new_quarantine_rows += audit.write_quarantine(session, records, load_id)
        keep = pa.array([i not in errors for i in range(data.num_rows)])
        data = data.filter(keep)

    if data.num_rows:
        now = audit.local_now()
        data = data.append_column("_loaded_at", pa.array([now] * data.num_rows, pa.timestamp("us")))
        data = data.append_column("_load_id", pa.array([load_id] * data.num_rows, pa.string()))
        result.rows_upserted += session.upsert(RAW, config.name, data, [config.primary_key])
        if collect_keys or resolve_as:
            keys = [str(k) for k in data.column(config.primary_key).to_pylist()]
        if collect_keys:
            result.loaded_keys.extend(keys)
        if resolve_as:
            # A valid version of a previously rejected row has arrived: that rejection is closed.
            result.quarantine_resolved += audit.resolve_quarantine(
                session, source=oltp.name, table_name=config.name,
                resolution=resolve_as, primary_keys=keys,
            )
    return max_cursor


def iter_table_configs(oltp: OltpConfig, names: Iterable[str] | None = None) -> list[TableConfig]:
    if names is None:
        return list(oltp.tables.values())
    unknown = set(names) - set(oltp.tables)
    if unknown:
        raise KeyError(f"unknown table(s) {sorted(unknown)}; configured: {sorted(oltp.tables)}")
    return [oltp.tables[n] for n in names]
