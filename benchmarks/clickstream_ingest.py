"""Benchmark: load a clickstream backfill (default 2M events in daily files) into a fresh warehouse.

    .venv/bin/python benchmarks/clickstream_ingest.py [--events 2000000] [--files 730] [--warehouse duckdb]

Target: 2M+ events in well under a minute on DuckDB on a 2-core machine (an idle one: wall time
on a busy machine is dominated by contention, so CPU time is printed too).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def write_files(landing: Path, events: int, files: int) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    per_file = events // files
    start = datetime(2024, 11, 25)
    for index in range(files):
        day = start + timedelta(days=index)
        lines = []
        for i in range(per_file):
            at = day + timedelta(seconds=i * 86400 // per_file)
            lines.append(orjson.dumps({
                "event_id": str(uuid.uuid4()), "event_name": "page_view",
                "occurred_at": at.isoformat(timespec="milliseconds") + "+08:00", "customer_id": i,
                "anonymous_id": f"a{i}", "session_id": f"s{i}", "device": "web", "page": "/home",
                "properties": {"path": "/home"}, "schema_version": 1,
            }))
        (landing / f"events_{day:%Y%m%dT%H%M%S}_{index:06d}.jsonl").write_bytes(b"\n".join(lines) + b"\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--files", type=int, default=730)
    parser.add_argument("--warehouse", choices=("duckdb", "postgres"), default="duckdb")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        os.environ.update(ZHISHU_DATA_DIR=str(data), ZHISHU_WAREHOUSE=args.warehouse, DBT_TARGET=args.warehouse,
                          ZHISHU_CLICKSTREAM_DIR=str(data / "clickstream"))
        write_files(data / "clickstream" / "landing", args.events, args.files)

        from orchestration.ingest.clickstream import load_landing
        from orchestration.ingest.source_config import load_sources_config
        from orchestration.resources import build_warehouse

        warehouse = build_warehouse()
        wall, cpu = time.monotonic(), time.process_time()
        result = load_landing(warehouse, load_sources_config().clickstream, "benchmark")
        wall, cpu = time.monotonic() - wall, time.process_time() - cpu
        print(f"{result.events_loaded:,} events from {result.files_loaded} files into {args.warehouse}: "
              f"{wall:.1f} s wall, {cpu:.1f} s CPU, {result.events_loaded / wall:,.0f} events/s")
        again = time.monotonic()
        load_landing(warehouse, load_sources_config().clickstream, "benchmark-rerun")
        print(f"re-run with nothing new: {time.monotonic() - again:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
