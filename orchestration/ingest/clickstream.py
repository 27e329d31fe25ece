"""Idempotent loading of clickstream landing files into raw.clickstream_events.

- A file is recorded in audit.loaded_files (name, size, mtime, sha256, lines) in the same
  transaction as its events, one transaction per file: a crash mid-file leaves no trace of it
  and the next run loads it again.
- A file whose size/mtime changed since it was loaded (e.g. truncated, then completed) is loaded
  again; events are inserted only if their event_id is new, so nothing doubles.
- Every line is validated; bad lines go to audit.quarantine with file name, line number, reason
  and the line itself. The file's own time (from its name) anchors the late-arrival window, so a
  backfill of old files is not mistaken for late data.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa

from orchestration.ingest import audit
from orchestration.ingest.columns import ColumnSpec
from orchestration.ingest.source_config import ClickstreamConfig
from orchestration.warehouse import WarehouseConnection, WarehouseResource, WarehouseSession

FILE_TIME = re.compile(r"(\d{8}T\d{6})")
FIELD_KINDS = {"string": "varchar", "integer": "bigint", "timestamp": "timestamp", "object": "varchar"}
FILE_COLUMNS = (ColumnSpec("source_file", "varchar"), ColumnSpec("source_line", "bigint"))
IN_MEMORY_DEDUP_MIN_FILES = 20


@dataclass
class LandingFile:
    path: Path
    name: str
    size: int
    mtime_ns: int


@dataclass
class FileLoad:
    file_name: str
    lines: int = 0
    events_valid: int = 0
    events_loaded: int = 0
    duplicates_skipped: int = 0
    lines_quarantined: int = 0


@dataclass
class ClickstreamLoadResult:
    load_id: str
    files_seen: int = 0
    files_loaded: int = 0
    files_reloaded: int = 0
    files_unchanged: int = 0
    events_loaded: int = 0
    duplicates_skipped: int = 0
    lines_quarantined: int = 0
    new_quarantine_rows: int = 0
    quarantine_resolved: int = 0
    rejection_reasons: dict[str, int] = field(default_factory=dict)
    duration_seconds: float = 0.0
    raw_row_count: int = 0
    loaded_files: list[str] = field(default_factory=list)


def raw_columns(config: ClickstreamConfig) -> list[ColumnSpec]:
    return [ColumnSpec(name, FIELD_KINDS[rule.type]) for name, rule in config.fields.items()]


def list_landing_files(config: ClickstreamConfig) -> list[LandingFile]:
    """Published files in the landing folder (dot-prefixed names are still being written)."""
    landing = config.resolved_landing_dir()
    if not landing.is_dir():
        return []
    files = []
    for path in sorted(landing.glob(config.file_glob)):
        if path.name.startswith(".") or not path.is_file():
            continue
        stat = path.stat()
        files.append(LandingFile(path, path.name, stat.st_size, stat.st_mtime_ns))
    return files


def file_reference_time(name: str, mtime_ns: int, tz: ZoneInfo) -> datetime:
    """When the collector wrote the file (platform-local, naive): from its name, else its mtime."""
    match = FILE_TIME.search(name)
    if match:
        try:
            return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S")
        except ValueError:
            pass
    return datetime.fromtimestamp(mtime_ns / 1e9, tz).replace(tzinfo=None)


_STRING, _INTEGER, _TIMESTAMP, _OBJECT = range(4)
_KIND_CODES = {"string": _STRING, "integer": _INTEGER, "timestamp": _TIMESTAMP, "object": _OBJECT}
_PLATFORM_OFFSET_SUFFIX = "+08:00"


class LineValidator:
    """Turns one JSON line into a tuple of typed field values (config order) or a rejection reason.

    This runs for every event (millions per load), hence the flat loop over precomputed rules.
    """

    def __init__(self, config: ClickstreamConfig, reference_time: datetime, now: datetime):
        self.config = config
        self.tz = ZoneInfo(config.timezone)
        self.rules = [
            (rule.name, _KIND_CODES[rule.type], rule.required, rule.allowed)
            for rule in config.fields.values()
        ]
        self.earliest = reference_time - timedelta(days=config.late_arrival_days)
        self.latest = now + timedelta(minutes=config.future_tolerance_minutes)
        self.reference_time = reference_time
        self.occurred_index = list(config.fields).index("occurred_at")
        # The platform's own offset needs no time-zone arithmetic (the common case by far).
        self.local_suffix = _PLATFORM_OFFSET_SUFFIX if config.timezone == "Asia/Shanghai" else None

    def _timestamp(self, value: str) -> datetime:
        if self.local_suffix and value.endswith(self.local_suffix):
            return datetime.fromisoformat(value[:-6])
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("no UTC offset")
        return parsed.astimezone(self.tz).replace(tzinfo=None)

    def validate(self, line: bytes) -> tuple[tuple | None, str | None]:
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return None, f"invalid JSON: {exc}"
        if type(event) is not dict:
            return None, f"not a JSON object but {type(event).__name__}"
        values: list[Any] = []
        problems: list[str] | None = None
        for name, kind, required, allowed in self.rules:
            value = event.get(name)
            if value is None:
                if required:
                    problems = (problems or []) + [f"missing required field {name}"]
                values.append(None)
                continue
            value_type = type(value)
            if kind == _STRING:
                if value_type is not str:
                    problems = (problems or []) + [f"field {name}: expected string, got {value_type.__name__}"]
            elif kind == _INTEGER:
                if value_type is not int:
                    problems = (problems or []) + [f"field {name}: expected integer, got {value_type.__name__}"]
            elif kind == _TIMESTAMP:
                if value_type is not str:
                    problems = (problems or []) + [
                        f"field {name}: expected ISO-8601 string, got {value_type.__name__}"
                    ]
                else:
                    try:
                        value = self._timestamp(value)
                    except ValueError as exc:
                        problems = (problems or []) + [
                            f"field {name}: {value!r} is not an ISO-8601 timestamp with offset ({exc})"
                        ]
            elif value_type is not dict:
                problems = (problems or []) + [f"field {name}: expected object, got {value_type.__name__}"]
            else:
                value = orjson.dumps(value).decode()
            if allowed is not None and value not in allowed and not problems:
                problems = [f"unknown {name} {value!r}"]
            values.append(value)
        if problems:
            return None, "; ".join(problems)
        occurred = values[self.occurred_index]
        if occurred is not None:
            if occurred > self.latest:
                return None, f"occurred_at {occurred.isoformat()} is in the future"
            if occurred < self.earliest:
                return None, (
                    f"occurred_at {occurred.isoformat()} is older than the "
                    f"{self.config.late_arrival_days}-day late-arrival window "
                    f"(file time {self.reference_time.isoformat()})"
                )
        return tuple(values), None


REASON_KINDS = (
    ("invalid JSON", "invalid_json"),
    ("not a JSON object", "invalid_json"),
    ("missing required field", "missing_field"),
    ("field ", "wrong_type"),
    ("unknown ", "unknown_value"),
    ("occurred_at", "out_of_window"),
)


def reason_kind(reason: str) -> str:
    return next((kind for prefix, kind in REASON_KINDS if reason.startswith(prefix)), "other")


def _split_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline after the last event
    return lines


@dataclass
class ParsedFile:
    rows: list[tuple]  # configured fields in order, then source_file, source_line
    rejected: list[audit.QuarantineRecord]
    lines: int

    def line_numbers(self) -> list[int]:
        return [row[-1] for row in self.rows]


def parse_file(
    config: ClickstreamConfig, file_name: str, data: bytes, reference_time: datetime, now: datetime
) -> ParsedFile:
    """Valid events (first occurrence per event_id) with their line numbers, and rejections."""
    validator = LineValidator(config, reference_time, now)
    validate = validator.validate
    id_index = list(config.fields).index("event_id")
    rows: list[tuple] = []
    rejected: list[audit.QuarantineRecord] = []
    seen: set[str] = set()
    lines = _split_lines(data)
    for number, line in enumerate(lines, start=1):
        values, reason = validate(line)
        if values is None:
            if not line.strip():
                continue  # blank lines carry nothing
            rejected.append(audit.QuarantineRecord(
                source=config.name,
                table_name=config.table,
                primary_key=_event_id_of(line),
                file_name=file_name,
                line_number=number,
                reason=reason or "invalid",
                raw_payload=line.decode("utf-8", errors="replace"),
            ))
            continue
        event_id = values[id_index]
        if event_id in seen:
            continue  # same event twice in one file: keep the first
        seen.add(event_id)
        rows.append((*values, file_name, number))
    return ParsedFile(rows, rejected, len(lines))


def _event_id_of(line: bytes) -> str | None:
    try:
        value = orjson.loads(line)
        event_id = value.get("event_id") if isinstance(value, dict) else None
        return event_id if isinstance(event_id, str) else None
    except orjson.JSONDecodeError:
        return None


def events_to_arrow(config: ClickstreamConfig, rows: Sequence[tuple], load_id: str) -> pa.Table:
    columns = [*raw_columns(config), *FILE_COLUMNS]
    values = list(zip(*rows)) if rows else [() for _ in columns]
    arrays = {c.name: pa.array(list(v), c.arrow_type()) for c, v in zip(columns, values)}
    now = audit.local_now()
    arrays["_loaded_at"] = pa.array([now] * len(rows), pa.timestamp("us"))
    arrays["_load_id"] = pa.array([load_id] * len(rows), pa.string())
    return pa.table(arrays)


def sync_raw_table(session: WarehouseSession, config: ClickstreamConfig) -> list[str]:
    """Create raw.clickstream_events, or add columns for newly configured fields."""
    session.ensure_schema(audit.RAW)
    audit.ensure_audit_tables(session)
    specs = [*raw_columns(config), *FILE_COLUMNS, *audit.LINEAGE_COLUMNS]
    existing = session.table_columns(audit.RAW, config.table)
    if not existing:
        session.create_table(audit.RAW, config.table, specs, ["event_id"])
        return []
    added = [s for s in specs if s.name not in existing]
    session.add_columns(audit.RAW, config.table, added)
    return [s.name for s in added]


def _loaded_files(session: WarehouseSession) -> dict[str, tuple[int, int, str]]:
    rows = session.fetchall(
        f"SELECT file_name, size_bytes, mtime_ns, sha256 FROM {audit.AUDIT}.{audit.LOADED_FILES}"  # nosec B608
    )
    return {r[0]: (int(r[1]), int(r[2] or 0), r[3]) for r in rows}


def load_file(
    connection: WarehouseConnection,
    config: ClickstreamConfig,
    landing_file: LandingFile,
    data: bytes,
    sha256: str,
    load_id: str,
    result: ClickstreamLoadResult,
    *,
    reloading: bool,
    known_ids: set[str] | None = None,
) -> FileLoad:
    """Load one file in one transaction. `known_ids`: every event_id already in the table, when
    the caller holds them in memory (large backfills); otherwise the database deduplicates."""
    tz = ZoneInfo(config.timezone)
    now = datetime.now(tz).replace(tzinfo=None)
    reference = file_reference_time(landing_file.name, landing_file.mtime_ns, tz)
    parsed = parse_file(config, landing_file.name, data, reference, now)
    line_count, rejected = parsed.lines, parsed.rejected
    outcome = FileLoad(file_name=landing_file.name, lines=line_count, events_valid=len(parsed.rows),
                       lines_quarantined=len(rejected))
    rows = parsed.rows
    if known_ids is not None:
        id_index = list(config.fields).index("event_id")
        rows = [row for row in rows if row[id_index] not in known_ids]
    events = events_to_arrow(config, rows, load_id)
    with connection.transaction() as session:  # one transaction per file
        if known_ids is None:
            outcome.events_loaded = session.insert_new(audit.RAW, config.table, events, ["event_id"])
        else:
            outcome.events_loaded = session.insert(audit.RAW, config.table, events)
        outcome.duplicates_skipped = len(parsed.rows) - outcome.events_loaded
        result.new_quarantine_rows += audit.write_quarantine(session, rejected, load_id)
        if reloading and parsed.rows:
            # A line rejected on an earlier load of this file (e.g. cut off mid-write) is fine now.
            result.quarantine_resolved += audit.resolve_quarantine(
                session, source=config.name, table_name=config.table, resolution="superseded",
                file_name=landing_file.name, line_numbers=parsed.line_numbers(),
            )
        if reloading:
            session.execute(
                f"DELETE FROM {audit.AUDIT}.{audit.LOADED_FILES} WHERE file_name = ?", [landing_file.name]  # nosec B608
            )
        session.insert_row(audit.AUDIT, audit.LOADED_FILES, {
            "file_name": landing_file.name,
            "size_bytes": len(data),
            "mtime_ns": landing_file.mtime_ns,
            "sha256": sha256,
            "lines": line_count,
            "events_loaded": outcome.events_loaded,
            "duplicates_skipped": outcome.duplicates_skipped,
            "lines_quarantined": outcome.lines_quarantined,
            "load_id": load_id,
            "loaded_at": audit.local_now(),
        })
    if known_ids is not None:  # committed: these ids now exist
        known_ids.update(row[id_index] for row in rows)
    for record in rejected:
        kind = reason_kind(record.reason)
        result.rejection_reasons[kind] = result.rejection_reasons.get(kind, 0) + 1
    return outcome


def load_landing(
    warehouse: WarehouseResource,
    config: ClickstreamConfig,
    load_id: str,
    *,
    log: Callable[[str], None] | None = None,
) -> ClickstreamLoadResult:
    started = time.monotonic()
    log = log or (lambda message: None)
    result = ClickstreamLoadResult(load_id=load_id)
    with warehouse.session() as session:
        added = sync_raw_table(session, config)
        loaded = _loaded_files(session)
    if added:
        log(f"raw.{config.table}: added column(s) for newly configured fields: {', '.join(added)}")

    files = list_landing_files(config)
    changed = [f for f in files if loaded.get(f.name, (None, None))[:2] != (f.size, f.mtime_ns)]
    result.files_seen = len(files)
    result.files_unchanged = len(files) - len(changed)
    with warehouse.connection() as connection:
        known_ids = None
        if len(changed) > IN_MEMORY_DEDUP_MIN_FILES:
            # Many files (a backfill): one read of the existing ids beats one anti-join against
            # the whole table per file. The warehouse_writer pool guarantees no concurrent writer.
            with connection.transaction() as session:
                known_ids = set(session.column_values(audit.RAW, config.table, "event_id"))
        for landing_file in changed:
            _load_if_changed(connection, config, landing_file, loaded, load_id, result, log, known_ids)

    with warehouse.session() as session:
        result.raw_row_count = session.count(audit.RAW, config.table)
    result.duration_seconds = round(time.monotonic() - started, 3)
    return result


def _load_if_changed(
    connection: WarehouseConnection,
    config: ClickstreamConfig,
    landing_file: LandingFile,
    loaded: dict[str, tuple[int, int, str]],
    load_id: str,
    result: ClickstreamLoadResult,
    log: Callable[[str], None],
    known_ids: set[str] | None,
) -> None:
    previous = loaded.get(landing_file.name)
    data = landing_file.path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    if previous and previous[2] == sha256:
        result.files_unchanged += 1  # touched but identical
        return
    outcome = load_file(connection, config, landing_file, data, sha256, load_id, result,
                        reloading=previous is not None, known_ids=known_ids)
    result.files_loaded += 1
    result.files_reloaded += int(previous is not None)
    result.events_loaded += outcome.events_loaded
    result.duplicates_skipped += outcome.duplicates_skipped
    result.lines_quarantined += outcome.lines_quarantined
    result.loaded_files.append(landing_file.name)
    if previous is not None:
        log(f"{landing_file.name} changed since it was loaded "
            f"({previous[0]} -> {landing_file.size} bytes); reloaded, "
            f"{outcome.events_loaded} new event(s), {outcome.duplicates_skipped} already present")


def revalidate_lines(
    config: ClickstreamConfig, rows: Iterable[tuple[str, str, int, str]], now: datetime
) -> tuple[list[tuple], list[str]]:
    """Re-check quarantined lines (id, file, line, payload) under the current configuration."""
    tz = ZoneInfo(config.timezone)
    events, fixed_ids = [], []
    now_ns = int(now.replace(tzinfo=tz).timestamp() * 1e9)
    for quarantine_id, file_name, line_number, payload in rows:
        # The file may be gone; its name still carries its time (else: judge against now).
        reference = file_reference_time(file_name or "", now_ns, tz)
        values, _ = LineValidator(config, reference, now).validate(payload.encode())
        if values is None:
            continue
        events.append((*values, file_name, line_number))
        fixed_ids.append(quarantine_id)
    return events, fixed_ids
