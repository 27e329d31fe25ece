"""The clickstream sensor launches the fast path only when landing files appear or change, and
never piles up runs; the fast-path job covers the clickstream load and the dbt models on events."""

from __future__ import annotations

import json
import os
import uuid

import dagster as dg
import pytest

from ingestion_fixtures import T0, event, file_name, lines_of


@pytest.fixture
def schedules(dbt_manifest, tmp_data_dir):
    from orchestration import schedules

    return schedules


def evaluate(schedules, instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = schedules.clickstream_landing_sensor(context)
    return result, context.cursor


def test_sensor_requests_a_run_only_for_new_or_changed_files(schedules, landing):
    instance = dg.DagsterInstance.ephemeral()
    result, cursor = evaluate(schedules, instance)
    assert isinstance(result, dg.SkipReason) and "empty" in result.skip_message

    path = landing.write(file_name(T0, 1), lines_of([event()]))
    result, cursor = evaluate(schedules, instance, cursor)
    assert isinstance(result, dg.RunRequest)
    assert json.loads(cursor)["files"] == 1
    first_key = result.run_key

    result, cursor = evaluate(schedules, instance, cursor)
    assert isinstance(result, dg.SkipReason) and "no new or changed files" in result.skip_message

    # A file growing (e.g. completed after truncation) counts as a change ...
    path.write_bytes(lines_of([event(), event()]))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    result, cursor = evaluate(schedules, instance, cursor)
    assert isinstance(result, dg.RunRequest) and result.run_key != first_key

    # ... and in-flight temp files are not.
    (landing.path / f".{file_name(T0, 2)}.tmp").write_bytes(b"partial")
    result, cursor = evaluate(schedules, instance, cursor)
    assert isinstance(result, dg.SkipReason)


def test_sensor_waits_while_a_fast_path_run_is_queued(schedules, landing):
    instance = dg.DagsterInstance.ephemeral()
    landing.write(file_name(T0, 1), lines_of([event()]))
    instance.add_run(dg.DagsterRun(
        job_name=schedules.clickstream_fast_path.name, run_id=str(uuid.uuid4()),
        status=dg.DagsterRunStatus.NOT_STARTED,
    ))
    result, cursor = evaluate(schedules, instance)
    assert isinstance(result, dg.SkipReason) and "already queued" in result.skip_message
    assert cursor is None  # not advanced: the next tick looks again


def test_sensor_and_schedule_are_wired(schedules):
    sensor = schedules.clickstream_landing_sensor
    assert sensor.minimum_interval_seconds == 30
    assert sensor.job_name == "clickstream_fast_path"
    schedule = schedules.daily_refresh_schedule
    assert schedule.job_name == "daily_refresh"
    assert schedule.execution_timezone == "Asia/Shanghai"
