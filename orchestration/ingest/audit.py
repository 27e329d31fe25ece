"""The `audit` schema: load watermarks, loaded clickstream files, and quarantined bad input.

These tables are written in the same transaction as the data they describe, so the warehouse
never claims a load that is not there (or holds data whose watermark was not advanced).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from orchestration.ingest.columns import PLATFORM_TZ, ColumnSpec
from orchestration.warehouse import WarehouseSession

AUDIT = "audit"
RAW = "raw"
LOAD_STATE = "load_state"
LOADED_FILES = "loaded_files"
QUARANTINE = "quarantine"

# Raw tables carry the source columns plus where each row came from.
LINEAGE_COLUMNS = (ColumnSpec("_loaded_at", "timestamp"), ColumnSpec("_load_id", "varchar"))

LOAD_STATE_COLUMNS = (
    ColumnSpec("source", "varchar"),
    ColumnSpec("table_name", "varchar"),
    ColumnSpec("cursor_column", "varchar"),
    ColumnSpec("watermark", "varchar"),  # ISO timestamp or integer, as text: cursor types differ
    ColumnSpec("last_load_id", "varchar"),
    ColumnSpec("rows_read", "bigint"),
    ColumnSpec("rows_upserted", "bigint"),
    ColumnSpec("rows_quarantined", "bigint"),
    ColumnSpec("updated_at", "timestamp"),
)
LOADED_FILES_COLUMNS = (
    ColumnSpec("file_name", "varchar"),
    ColumnSpec("size_bytes", "bigint"),
    ColumnSpec("mtime_ns", "bigint"),
    ColumnSpec("sha256", "varchar"),
    ColumnSpec("lines", "bigint"),
    ColumnSpec("events_loaded", "bigint"),
    ColumnSpec("duplicates_skipped", "bigint"),
    ColumnSpec("lines_quarantined", "bigint"),
    ColumnSpec("load_id", "varchar"),
    ColumnSpec("loaded_at", "timestamp"),
)
QUARANTINE_COLUMNS = (
    ColumnSpec("quarantine_id", "varchar"),  # hash of what was rejected: re-rejecting is idempotent
    ColumnSpec("source", "varchar"),  # oltp | clickstream
    ColumnSpec("load_id", "varchar"),
    ColumnSpec("table_name", "varchar"),
    ColumnSpec("primary_key", "varchar"),  # OLTP primary key value / clickstream event_id if readable
    ColumnSpec("file_name", "varchar"),
    ColumnSpec("line_number", "bigint"),
    ColumnSpec("reason", "varchar"),
    ColumnSpec("raw_payload", "varchar"),  # the row as JSON / the clickstream line verbatim
    ColumnSpec("quarantined_at", "timestamp"),
    ColumnSpec("reprocessed_at", "timestamp"),
    ColumnSpec("resolution", "varchar"),  # loaded | superseded | gone_from_source, once reprocessed
)


def local_now() -> datetime:
    """Naive platform-local time, the warehouse's timestamp convention."""
    return datetime.now(PLATFORM_TZ).replace(tzinfo=None)


def ensure_audit_tables(session: WarehouseSession) -> None:
    session.ensure_schema(AUDIT)
    session.create_table(AUDIT, LOAD_STATE, LOAD_STATE_COLUMNS, ["source", "table_name"])
    session.create_table(AUDIT, LOADED_FILES, LOADED_FILES_COLUMNS, ["file_name"])
    session.create_table(AUDIT, QUARANTINE, QUARANTINE_COLUMNS, ["quarantine_id"])


def arrow_rows(columns: Sequence[ColumnSpec], rows: Sequence[dict[str, Any]]) -> pa.Table:
    return pa.table(
        {c.name: pa.array([r.get(c.name) for r in rows], c.arrow_type()) for c in columns}
    )


def json_default(value: Any) -> Any:
    # Decimal and other exact types are kept as text, so the payload shows what the source held.
    return str(value)


def payload_json(row: dict[str, Any]) -> str:
    return orjson.dumps(row, default=json_default, option=orjson.OPT_NON_STR_KEYS).decode()


@dataclass
class QuarantineRecord:
    source: str
    table_name: str
    reason: str
    raw_payload: str
    primary_key: str | None = None
    file_name: str | None = None
    line_number: int | None = None

    def quarantine_id(self) -> str:
        # Same rejected content at the same place -> same id, so an inclusive watermark re-read
        # or a reloaded file never stores the same problem twice.
        digest = hashlib.sha256()
        for part in (self.source, self.table_name, self.primary_key, self.file_name,
                     self.line_number, self.raw_payload):
            digest.update(repr(part).encode())
            digest.update(b"\x00")
        return digest.hexdigest()[:32]


def write_quarantine(
    session: WarehouseSession, records: Sequence[QuarantineRecord], load_id: str
) -> int:
    """Store rejected input; returns how many were new (already-known rejections are skipped)."""
    if not records:
        return 0
    now = local_now()
    unique: dict[str, dict[str, Any]] = {}
    for record in records:
        unique.setdefault(
            record.quarantine_id(),
            {
                "quarantine_id": record.quarantine_id(),
                "source": record.source,
                "load_id": load_id,
                "table_name": record.table_name,
                "primary_key": record.primary_key,
                "file_name": record.file_name,
                "line_number": record.line_number,
                "reason": record.reason,
                "raw_payload": record.raw_payload,
                "quarantined_at": now,
                "reprocessed_at": None,
                "resolution": None,
            },
        )
    data = arrow_rows(QUARANTINE_COLUMNS, list(unique.values()))
    return session.insert_new(AUDIT, QUARANTINE, data, ["quarantine_id"])


def resolve_quarantine(
    session: WarehouseSession,
    *,
    source: str,
    table_name: str,
    resolution: str,
    primary_keys: Sequence[str] | None = None,
    quarantine_ids: Sequence[str] | None = None,
    file_name: str | None = None,
    line_numbers: Sequence[int] | None = None,
) -> int:
    """Close open quarantine rows matched by primary key, by id, or by file + line number."""
    if primary_keys:
        column, values = "primary_key", pa.array([str(v) for v in primary_keys], pa.string())
    elif quarantine_ids:
        column, values = "quarantine_id", pa.array(list(quarantine_ids), pa.string())
    elif file_name is not None and line_numbers:
        column, values = "line_number", pa.array(list(line_numbers), pa.int64())
    else:
        return 0
    where = "source = ? AND table_name = ? AND reprocessed_at IS NULL"
    params: list[Any] = [source, table_name]
    if file_name is not None:
        where += " AND file_name = ?"
        params.append(file_name)
    name = session.stage_arrow(pa.table({"v": values}))
    try:
        where += f" AND {column} IN (SELECT v FROM {name})"  # nosec B608
        count = session.fetchall(f"SELECT count(*) FROM {AUDIT}.{QUARANTINE} WHERE {where}", params)[0][0]  # nosec B608
        if count:
            session.execute(
                f"UPDATE {AUDIT}.{QUARANTINE} SET reprocessed_at = ?, resolution = ? WHERE {where}",  # nosec B608
                [local_now(), resolution, *params],
            )
    finally:
        session.unstage(name)
    return int(count)


def read_watermark(session: WarehouseSession, source: str, table_name: str) -> str | None:
    rows = session.fetchall(
        f"SELECT watermark FROM {AUDIT}.{LOAD_STATE} WHERE source = ? AND table_name = ?",  # nosec B608
        (source, table_name),
    )
    return rows[0][0] if rows else None


def write_load_state(session: WarehouseSession, **row: Any) -> None:
    row.setdefault("updated_at", local_now())
    session.upsert(AUDIT, LOAD_STATE, arrow_rows(LOAD_STATE_COLUMNS, [row]), ["source", "table_name"])
