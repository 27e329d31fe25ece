"""Quarantined input as a data-quality metric.

Ingestion (orchestration/ingest/) keeps rows and lines that break the contract in audit.quarantine
(source, load_id, table_name, reason, raw_payload, quarantined_at, reprocessed_at, resolution)
and records each table's latest load in audit.load_state (OLTP) / audit.loaded_files (clickstream).
This module only reads those tables: how many rows the latest load of a table set aside, how many
are still open (not yet reprocessed), and why.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from typing import Any

import pandas as pd

from quality.results import AUDIT_SCHEMA, Reader, table_exists
from quality.runner import QuarantineObservation

QUARANTINE = "quarantine"
LOAD_STATE = "load_state"
LOADED_FILES = "loaded_files"

# Reasons carry the offending value ("broken foreign key customer_id=7: no customers..."): the
# category is the text before the first value-like character.
_VALUE_START = re.compile(r"[:=0-9'\"(]")


def reason_category(reason: str) -> str:
    head = _VALUE_START.split(reason or "", maxsplit=1)[0].strip()
    return head[:80] or "other"


def _latest_load_id(reader: Reader, source: str, table: str, exists) -> str | None:
    if exists(LOAD_STATE):
        frame = reader.read_sql(
            f"SELECT last_load_id FROM {AUDIT_SCHEMA}.{LOAD_STATE} "  # nosec B608 - constant identifiers
            "WHERE source = ? AND table_name = ?",
            (source, table),
        )
        if len(frame) and frame.iloc[0, 0] is not None:
            return str(frame.iloc[0, 0])
    if source == "clickstream" and exists(LOADED_FILES):
        frame = reader.read_sql(
            f"SELECT load_id FROM {AUDIT_SCHEMA}.{LOADED_FILES} "  # nosec B608 - constant identifiers
            "ORDER BY loaded_at DESC LIMIT 1"
        )
        if len(frame):
            return str(frame.iloc[0, 0])
    return None


def observe_quarantine(
    reader: Reader, source: str, table: str, audit_tables: Collection[str] | None = None
) -> QuarantineObservation:
    """Quarantined rows of `table`'s latest load, and all still-open ones with their reasons.

    `audit_tables`: names of the tables that exist in the audit schema, if already known."""
    def exists(name: str) -> bool:
        if audit_tables is not None:
            return name in audit_tables
        return table_exists(reader, AUDIT_SCHEMA, name)

    load_id = _latest_load_id(reader, source, table, exists)
    if not exists(QUARANTINE):
        return QuarantineObservation(load_id=load_id, quarantined_in_load=0, open_total=0)
    frame = reader.read_sql(
        f"SELECT load_id, reason, reprocessed_at FROM {AUDIT_SCHEMA}.{QUARANTINE} "  # nosec B608 - constant identifiers
        "WHERE source = ? AND table_name = ?",
        (source, table),
    )
    in_load = int((frame["load_id"] == load_id).sum()) if load_id is not None else 0
    still_open = frame[frame["reprocessed_at"].isna()]
    reasons = Counter(reason_category(str(r)) for r in still_open["reason"])
    return QuarantineObservation(
        load_id=load_id, quarantined_in_load=in_load, open_total=len(still_open),
        reasons=dict(reasons.most_common(5)),
    )


def quarantine_counts(reader: Reader) -> pd.DataFrame:
    """Quarantined rows per source, table and load (with how many are still open) -- the
    data-quality metric the BI layer charts next to dq_results."""
    columns = ["source", "table_name", "load_id", "quarantined", "still_open", "first_at", "last_at"]
    if not table_exists(reader, AUDIT_SCHEMA, QUARANTINE):
        return pd.DataFrame(columns=columns)
    frame: Any = reader.read_sql(
        "SELECT source, table_name, load_id, count(*) AS quarantined, "
        "sum(CASE WHEN reprocessed_at IS NULL THEN 1 ELSE 0 END) AS still_open, "
        "min(quarantined_at) AS first_at, max(quarantined_at) AS last_at "
        f"FROM {AUDIT_SCHEMA}.{QUARANTINE} "  # nosec B608 - constant identifiers
        "GROUP BY source, table_name, load_id ORDER BY max(quarantined_at), source, table_name"
    )
    frame["quarantined"] = frame["quarantined"].astype(int)
    frame["still_open"] = frame["still_open"].astype(int)
    return frame[columns]
