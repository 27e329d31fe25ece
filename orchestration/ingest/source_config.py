"""Typed view of orchestration/sources.yaml: what to ingest and which rows break the contract.

The file is validated strictly (unknown keys, unknown parent tables, missing keys are errors) so a
typo in the configuration fails loudly at load time instead of silently skipping a rule.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestration.environment import get_environment

_TEMPLATE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
FIELD_TYPES = ("string", "integer", "timestamp", "object")
BACKOFFS = ("exponential", "linear")


class SourceConfigError(ValueError):
    """sources.yaml is malformed; the message names the file and the offending key."""


def render_template(text: str, variables: Mapping[str, str] | None = None) -> str:
    """Replace ${VAR} / ${VAR:-default}; an unset variable without default is an error."""
    if variables is None:
        variables = template_variables()

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = variables.get(name)
        if value is None or value == "":
            if default is None:
                raise SourceConfigError(f"environment variable {name} is not set (used in {text!r})")
            return default
        return value

    return _TEMPLATE.sub(substitute, text)


def template_variables() -> dict[str, str]:
    """The process environment, with the ZHISHU_* paths defaulted the way the pipeline resolves them."""
    return {**get_environment().as_env_vars(), **os.environ}


@dataclass(frozen=True)
class RetryConfig:
    max_retries: int = 3
    delay_seconds: float = 5.0
    backoff: str = "exponential"


@dataclass(frozen=True)
class TableConfig:
    name: str  # raw table name (= source table name unless source_table is set)
    source_table: str
    primary_key: str
    cursor_column: str
    required_columns: tuple[str, ...]
    non_negative: tuple[str, ...] = ()
    allowed_values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    foreign_keys: Mapping[str, str] = field(default_factory=dict)  # column -> parent table


@dataclass(frozen=True)
class OltpConfig:
    name: str
    url: str  # template; rendered only when connecting so secrets stay out of Dagster's UI
    schema: str | None
    batch_size: int
    lookback_seconds: int
    retry: RetryConfig
    tables: Mapping[str, TableConfig]


@dataclass(frozen=True)
class FieldRule:
    name: str
    type: str
    required: bool
    allowed: frozenset[str] | None = None


@dataclass(frozen=True)
class ClickstreamConfig:
    name: str
    landing_dir: str  # template
    file_glob: str
    table: str
    late_arrival_days: int
    future_tolerance_minutes: int
    timezone: str
    fields: Mapping[str, FieldRule]

    def resolved_landing_dir(self) -> Path:
        return Path(render_template(self.landing_dir)).expanduser()


@dataclass(frozen=True)
class SourcesConfig:
    path: Path
    oltp: OltpConfig
    clickstream: ClickstreamConfig


def _keys(where: str, data: Mapping[str, Any], allowed: set[str], required: set[str]) -> None:
    if not isinstance(data, Mapping):
        raise SourceConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    unknown = set(data) - allowed
    if unknown:
        raise SourceConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed {sorted(allowed)}")
    missing = required - set(data)
    if missing:
        raise SourceConfigError(f"{where}: missing key(s) {sorted(missing)}")


def _table(where: str, name: str, raw: Mapping[str, Any], default_cursor: str) -> TableConfig:
    _keys(
        where,
        raw,
        {"primary_key", "cursor_column", "required_columns", "non_negative", "allowed_values",
         "foreign_keys", "source_table"},
        {"primary_key"},
    )
    primary_key = str(raw["primary_key"])
    cursor = str(raw.get("cursor_column") or default_cursor)
    required = [str(c) for c in raw.get("required_columns") or []]
    # The key and the cursor are required whatever the list says: without them nothing can load.
    for column in (primary_key, cursor):
        if column not in required:
            required.insert(0, column)
    allowed = {
        str(col): frozenset(str(v) for v in values)
        for col, values in (raw.get("allowed_values") or {}).items()
    }
    return TableConfig(
        name=name,
        source_table=str(raw.get("source_table") or name),
        primary_key=primary_key,
        cursor_column=cursor,
        required_columns=tuple(required),
        non_negative=tuple(str(c) for c in raw.get("non_negative") or []),
        allowed_values=allowed,
        foreign_keys={str(k): str(v) for k, v in (raw.get("foreign_keys") or {}).items()},
    )


def _oltp(where: str, raw: Mapping[str, Any]) -> OltpConfig:
    _keys(
        where,
        raw,
        {"name", "url", "schema", "cursor_column", "lookback_seconds", "batch_size", "retry", "tables"},
        {"url", "tables"},
    )
    retry_raw = raw.get("retry") or {}
    _keys(f"{where}.retry", retry_raw, {"max_retries", "delay_seconds", "backoff"}, set())
    retry = RetryConfig(
        max_retries=int(retry_raw.get("max_retries", 3)),
        delay_seconds=float(retry_raw.get("delay_seconds", 5)),
        backoff=str(retry_raw.get("backoff", "exponential")),
    )
    if retry.backoff not in BACKOFFS:
        raise SourceConfigError(f"{where}.retry.backoff: {retry.backoff!r} not in {BACKOFFS}")
    cursor = str(raw.get("cursor_column") or "updated_at")
    tables = {
        str(name): _table(f"{where}.tables.{name}", str(name), spec or {}, cursor)
        for name, spec in (raw.get("tables") or {}).items()
    }
    if not tables:
        raise SourceConfigError(f"{where}.tables: no tables configured")
    for table in tables.values():
        for column, parent in table.foreign_keys.items():
            if parent not in tables:
                raise SourceConfigError(
                    f"{where}.tables.{table.name}.foreign_keys.{column}: parent table {parent!r} "
                    "is not a configured table"
                )
    batch_size = int(raw.get("batch_size") or 50_000)
    if batch_size <= 0:
        raise SourceConfigError(f"{where}.batch_size must be positive")
    return OltpConfig(
        name=str(raw.get("name") or "oltp"),
        url=str(raw["url"]),
        schema=raw.get("schema") or None,
        batch_size=batch_size,
        lookback_seconds=int(raw.get("lookback_seconds") or 0),
        retry=retry,
        tables=tables,
    )


def _clickstream(where: str, raw: Mapping[str, Any]) -> ClickstreamConfig:
    _keys(
        where,
        raw,
        {"name", "landing_dir", "file_glob", "table", "late_arrival_days",
         "future_tolerance_minutes", "timezone", "fields"},
        {"landing_dir", "fields"},
    )
    fields: dict[str, FieldRule] = {}
    for name, spec in (raw.get("fields") or {}).items():
        _keys(f"{where}.fields.{name}", spec, {"type", "required", "allowed"}, {"type"})
        if spec["type"] not in FIELD_TYPES:
            raise SourceConfigError(f"{where}.fields.{name}.type: {spec['type']!r} not in {FIELD_TYPES}")
        allowed = spec.get("allowed")
        fields[str(name)] = FieldRule(
            name=str(name),
            type=str(spec["type"]),
            required=bool(spec.get("required", False)),
            allowed=frozenset(str(v) for v in allowed) if allowed is not None else None,
        )
    for needed in ("event_id", "occurred_at"):
        if needed not in fields:
            raise SourceConfigError(f"{where}.fields: {needed} must be configured (dedup key / event time)")
    return ClickstreamConfig(
        name=str(raw.get("name") or "clickstream"),
        landing_dir=str(raw["landing_dir"]),
        file_glob=str(raw.get("file_glob") or "*.jsonl"),
        table=str(raw.get("table") or "clickstream_events"),
        late_arrival_days=int(raw.get("late_arrival_days", 7)),
        future_tolerance_minutes=int(raw.get("future_tolerance_minutes", 5)),
        timezone=str(raw.get("timezone") or "Asia/Shanghai"),
        fields=fields,
    )


def load_sources_config(path: Path | str | None = None) -> SourcesConfig:
    """Parse and validate sources.yaml (default: $ZHISHU_SOURCES_CONFIG or orchestration/sources.yaml)."""
    path = Path(path) if path else get_environment().sources_config
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourceConfigError(f"sources configuration {path} does not exist") from exc
    where = str(path)
    _keys(where, raw, {"oltp", "clickstream"}, {"oltp", "clickstream"})
    return SourcesConfig(
        path=path,
        oltp=_oltp(f"{where}: oltp", raw["oltp"]),
        clickstream=_clickstream(f"{where}: clickstream", raw["clickstream"]),
    )
