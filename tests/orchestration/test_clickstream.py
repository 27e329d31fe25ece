"""Clickstream loading: idempotent per file, safe with truncated/duplicated input, and every bad
line quarantined with file name, line number and reason."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from ingestion_fixtures import T0, event, file_name, lines_of
from orchestration.ingest import clickstream
from orchestration.ingest.clickstream import load_landing
from orchestration.ingest.reprocess import reprocess_clickstream


def load(wh, sources_config, load_id: str = "test-load"):
    return load_landing(wh, sources_config.clickstream, load_id)


def events(wh):
    return wh.read_sql("SELECT * FROM raw.clickstream_events ORDER BY source_file, source_line")


def quarantined(wh):
    return wh.read_sql(
        "SELECT * FROM audit.quarantine WHERE source = 'clickstream' ORDER BY file_name, line_number"
    )


def test_load_is_idempotent_and_converts_timestamps(wh, sources_config, landing):
    batch = [event("session_start"), event("page_view"), event("checkout", T0 + timedelta(seconds=5))]
    landing.write(file_name(T0, 1), lines_of(batch))

    first = load(wh, sources_config)
    assert (first.files_loaded, first.events_loaded, first.raw_row_count) == (1, 3, 3)
    loaded = events(wh)
    assert list(loaded["event_id"]) == [e["event_id"] for e in batch]
    # "+08:00" instants stored as naive platform-local time; properties kept as JSON text
    assert loaded["occurred_at"].iloc[2].to_pydatetime() == T0 + timedelta(seconds=5)
    assert orjson.loads(loaded["properties"].iloc[2]) == {"order_id": 1, "amount": "108.10"}
    assert list(loaded["source_line"]) == [1, 2, 3]

    # Same folder again: nothing new. The same content under a new name: no duplicates either.
    assert load(wh, sources_config).files_unchanged == 1
    landing.write(file_name(T0, 2), lines_of(batch))
    second = load(wh, sources_config)
    assert (second.files_loaded, second.events_loaded, second.duplicates_skipped) == (1, 0, 3)
    assert len(events(wh)) == 3
    files = wh.read_sql("SELECT * FROM audit.loaded_files ORDER BY file_name")
    assert list(files["file_name"]) == [file_name(T0, 1), file_name(T0, 2)]
    assert list(files["lines"]) == [3, 3]
    assert files["sha256"].str.len().eq(64).all()


def test_offset_other_than_platform_time_is_converted(wh, sources_config, landing):
    landing.write(file_name(T0), lines_of([event(occurred_at="2026-11-20T02:00:00.000+00:00")]))
    load(wh, sources_config)
    assert events(wh)["occurred_at"].iloc[0].to_pydatetime() == datetime(2026, 11, 20, 10, 0, 0)


def test_truncated_then_completed_file_is_reloaded_without_duplicates(wh, sources_config, landing):
    batch = [event() for _ in range(5)]
    complete = lines_of(batch)
    cut = complete.index(batch[3]["event_id"].encode()) + 5  # mid-way through line 4
    path = landing.write(file_name(T0), complete[:cut])

    first = load(wh, sources_config)
    assert first.events_loaded == 3
    assert first.lines_quarantined == 1  # the cut line is not silently dropped
    cut_line = quarantined(wh).iloc[0]
    assert (cut_line["file_name"], cut_line["line_number"]) == (path.name, 4)
    assert cut_line["reason"].startswith("invalid JSON")

    landing.write(path.name, complete)  # the collector finishes the file
    second = load(wh, sources_config)
    assert (second.files_reloaded, second.events_loaded, second.duplicates_skipped) == (1, 2, 3)
    assert sorted(events(wh)["event_id"]) == sorted(e["event_id"] for e in batch)
    # The quarantined fragment is closed: its line loaded fine from the completed file.
    assert quarantined(wh).iloc[0]["resolution"] == "superseded"


@pytest.mark.parametrize("dedup", ["database", "in_memory"])
def test_duplicate_event_ids_within_and_across_files(wh, sources_config, landing, monkeypatch, dedup):
    # Few files are deduplicated by the database, a backfill of many by an in-memory id set.
    monkeypatch.setattr(clickstream, "IN_MEMORY_DEDUP_MIN_FILES", 100 if dedup == "database" else 0)
    first = event()
    landing.write(file_name(T0, 0), lines_of([first]))
    load(wh, sources_config)
    a, b = event(), event()
    landing.write(file_name(T0, 1), lines_of([a, b, a]))
    landing.write(file_name(T0, 2), lines_of([b, event(), first]))
    result = load(wh, sources_config)
    assert (result.events_loaded, result.duplicates_skipped) == (3, 2)
    loaded = events(wh)
    assert loaded["event_id"].is_unique and len(loaded) == 4


def test_bad_lines_are_quarantined_with_file_line_and_reason(wh, sources_config, landing):
    good = event()
    future = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None) + timedelta(days=1)
    bad_lines = [
        b"{not json",
        orjson.dumps([1, 2, 3]),
        orjson.dumps({k: v for k, v in event().items() if k != "session_id"}),
        orjson.dumps(event(customer_id="42")),
        orjson.dumps(event("teleport")),
        orjson.dumps(event(occurred=future)),
        orjson.dumps(event(occurred=T0 - timedelta(days=8))),
        orjson.dumps(event(occurred_at="2026-11-20 10:00:00")),
        orjson.dumps(event(device="smart_fridge")),
    ]
    path = landing.write(file_name(T0), lines_of([good, *bad_lines]))
    result = load(wh, sources_config)

    assert result.events_loaded == 1
    assert list(events(wh)["event_id"]) == [good["event_id"]]
    rows = quarantined(wh)
    assert list(rows["line_number"]) == list(range(2, 11))
    assert set(rows["file_name"]) == {path.name}
    reasons = list(rows["reason"])
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1] == "not a JSON object but list"
    assert reasons[2] == "missing required field session_id"
    assert reasons[3] == "field customer_id: expected integer, got str"
    assert reasons[4] == "unknown event_name 'teleport'"
    assert "is in the future" in reasons[5]
    assert "older than the 7-day late-arrival window" in reasons[6]
    assert "not an ISO-8601 timestamp with offset" in reasons[7]
    assert reasons[8] == "unknown device 'smart_fridge'"
    assert list(rows["raw_payload"]) == [line.decode() for line in bad_lines]
    assert result.rejection_reasons == {
        "invalid_json": 2, "missing_field": 1, "wrong_type": 2, "unknown_value": 2, "out_of_window": 2,
    }

    # Loading again records nothing twice.
    os.utime(path, None)
    load(wh, sources_config)
    assert len(quarantined(wh)) == len(bad_lines)


def test_late_events_within_the_window_are_loaded(wh, sources_config, landing):
    late = event(occurred=T0 - timedelta(days=6, hours=23))
    landing.write(file_name(T0), lines_of([late]))
    assert load(wh, sources_config).events_loaded == 1


def test_in_flight_temp_files_are_ignored(wh, sources_config, landing):
    (landing.path / f".{file_name(T0)}.tmp").write_bytes(lines_of([event()]))
    result = load(wh, sources_config)
    assert (result.files_seen, result.events_loaded) == (0, 0)


def test_reprocess_after_configuration_fix(wh, sources_config, landing):
    share = event("share")
    landing.write(file_name(T0), lines_of([event(), share]))
    load(wh, sources_config)
    assert len(events(wh)) == 1

    config = sources_config.clickstream
    names = config.fields["event_name"]
    fixed = replace(config, fields={
        **config.fields, "event_name": replace(names, allowed=names.allowed | {"share"}),
    })
    outcome = reprocess_clickstream(wh, fixed, "reprocess")
    assert (outcome.reprocessed, outcome.still_open) == (1, 0)
    assert share["event_id"] in set(events(wh)["event_id"])
    assert quarantined(wh).iloc[0]["resolution"] == "reprocessed"
    # Idempotent: nothing left to do, nothing doubled.
    assert reprocess_clickstream(wh, fixed, "again").reprocessed == 0
    assert len(events(wh)) == 2
