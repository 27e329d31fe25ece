"""Re-process quarantined input after a fix (in the source data or in sources.yaml).

OLTP: the current source rows for the quarantined primary keys are extracted again and run
through the normal validation + upsert path; rows that now pass are loaded and their quarantine
entries closed ('reprocessed'); keys that no longer exist in the source are closed as
'gone_from_source'; rows still failing stay open (with their reason).

Clickstream: the stored lines are validated again under the current configuration; lines that
now pass are inserted (deduplicated by event_id) and closed.

    python -m orchestration.ingest.reprocess [--source oltp|clickstream|all] [--table NAME ...]
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from orchestration.ingest import audit
from orchestration.ingest.clickstream import events_to_arrow, revalidate_lines, sync_raw_table
from orchestration.ingest.oltp import load_table
from orchestration.ingest.source_config import ClickstreamConfig, OltpConfig, SourcesConfig
from orchestration.warehouse import WarehouseResource


@dataclass
class ReprocessOutcome:
    source: str
    table: str
    open_before: int = 0
    reprocessed: int = 0
    gone_from_source: int = 0
    still_open: int = 0
    details: list[str] = field(default_factory=list)


def _open_rows(warehouse: WarehouseResource, source: str, table: str | None = None) -> list[tuple]:
    with warehouse.session() as session:
        audit.ensure_audit_tables(session)
        sql = (
            f"SELECT quarantine_id, table_name, primary_key, file_name, line_number, raw_payload "  # nosec B608
            f"FROM {audit.AUDIT}.{audit.QUARANTINE} WHERE source = ? AND reprocessed_at IS NULL"
        )
        params: list = [source]
        if table:
            sql += " AND table_name = ?"
            params.append(table)
        return session.fetchall(sql + " ORDER BY quarantined_at, quarantine_id", params)


def _count_open(warehouse: WarehouseResource, source: str, table: str) -> int:
    return len(_open_rows(warehouse, source, table))


def _typed_key(value: str):
    try:
        return int(value)
    except ValueError:
        return value


def reprocess_oltp(
    warehouse: WarehouseResource,
    engine: Engine,
    oltp: OltpConfig,
    load_id: str,
    tables: Sequence[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[ReprocessOutcome]:
    log = log or (lambda message: None)
    rows = _open_rows(warehouse, oltp.name)
    by_table: dict[str, set[str]] = {}
    for _, table_name, primary_key, *_ in rows:
        if tables and table_name not in tables:
            continue
        keys = by_table.setdefault(table_name, set())
        if primary_key is not None:
            keys.add(primary_key)
    outcomes = []
    for table_name, keys in sorted(by_table.items()):
        outcome = ReprocessOutcome(source=oltp.name, table=table_name)
        outcome.open_before = _count_open(warehouse, oltp.name, table_name)
        if table_name not in oltp.tables:
            outcome.details.append(f"{table_name} is no longer a configured table; left open")
            outcome.still_open = outcome.open_before
            outcomes.append(outcome)
            continue
        if keys:
            result = load_table(
                warehouse, engine, oltp, oltp.tables[table_name], load_id,
                only_keys=sorted((_typed_key(k) for k in keys), key=str), log=log,
            )
            loaded = set(result.loaded_keys)
            outcome.reprocessed = result.quarantine_resolved
            not_loaded = sorted(k for k in keys if k not in loaded)
            gone = _missing_in_source(engine, oltp, table_name, not_loaded) if not_loaded else []
            if gone:
                with warehouse.session() as session:
                    outcome.gone_from_source = audit.resolve_quarantine(
                        session, source=oltp.name, table_name=table_name,
                        resolution="gone_from_source", primary_keys=gone,
                    )
        outcome.still_open = _count_open(warehouse, oltp.name, table_name)
        log(f"{table_name}: {outcome.reprocessed} reprocessed, {outcome.gone_from_source} gone "
            f"from source, {outcome.still_open} still quarantined")
        outcomes.append(outcome)
    return outcomes


def _missing_in_source(engine: Engine, oltp: OltpConfig, table_name: str, keys: list[str]) -> list[str]:
    import sqlalchemy as sa

    config = oltp.tables[table_name]
    pk = sa.column(config.primary_key)
    table = sa.table(config.source_table, pk, schema=oltp.schema)
    with engine.connect() as connection:
        present = {
            str(r[0])
            for r in connection.execute(sa.select(pk).where(pk.in_([_typed_key(k) for k in keys])))
        }
    return [k for k in keys if k not in present]


def reprocess_clickstream(
    warehouse: WarehouseResource,
    config: ClickstreamConfig,
    load_id: str,
    log: Callable[[str], None] | None = None,
) -> ReprocessOutcome:
    log = log or (lambda message: None)
    outcome = ReprocessOutcome(source=config.name, table=config.table)
    rows = _open_rows(warehouse, config.name, config.table)
    outcome.open_before = len(rows)
    tz = ZoneInfo(config.timezone)
    events, fixed_ids = revalidate_lines(
        config, [(r[0], r[3], r[4], r[5]) for r in rows], datetime.now(tz).replace(tzinfo=None)
    )
    id_index = list(config.fields).index("event_id")
    unique: dict[str, tuple] = {}
    for event in events:
        unique.setdefault(event[id_index], event)
    if fixed_ids:
        with warehouse.session() as session:
            sync_raw_table(session, config)
            session.insert_new(
                audit.RAW, config.table, events_to_arrow(config, list(unique.values()), load_id),
                ["event_id"],
            )
            outcome.reprocessed = audit.resolve_quarantine(
                session, source=config.name, table_name=config.table, resolution="reprocessed",
                quarantine_ids=fixed_ids,
            )
    outcome.still_open = outcome.open_before - outcome.reprocessed
    log(f"clickstream: {outcome.reprocessed} line(s) reprocessed, {outcome.still_open} still quarantined")
    return outcome


def reprocess_all(
    warehouse: WarehouseResource,
    engine_factory: Callable[[], Engine],
    sources: SourcesConfig,
    load_id: str,
    *,
    which: str = "all",
    tables: Sequence[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[ReprocessOutcome]:
    outcomes: list[ReprocessOutcome] = []
    if which in ("all", "oltp"):
        outcomes += reprocess_oltp(warehouse, engine_factory(), sources.oltp, load_id, tables, log)
    if which in ("all", "clickstream"):
        outcomes.append(reprocess_clickstream(warehouse, sources.clickstream, load_id, log))
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    from orchestration.environment import get_environment
    from orchestration.ingest.oltp import create_source_engine
    from orchestration.ingest.source_config import load_sources_config
    from orchestration.resources import build_warehouse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=("all", "oltp", "clickstream"), default="all")
    parser.add_argument("--table", action="append", help="OLTP table(s) to reprocess (default: all)")
    args = parser.parse_args(argv)
    env = get_environment()
    sources = load_sources_config(env.sources_config)
    outcomes = reprocess_all(
        build_warehouse(env), lambda: create_source_engine(sources.oltp.url), sources,
        f"reprocess-{uuid.uuid4().hex[:12]}", which=args.source, tables=args.table, log=print,
    )
    still_open = sum(o.still_open for o in outcomes)
    print(f"done: {sum(o.reprocessed for o in outcomes)} reprocessed, {still_open} still quarantined")
    return 0


if __name__ == "__main__":
    sys.exit(main())
