"""Jobs, the daily schedule, and the clickstream sensor.

- daily_refresh: every asset (ingestion, dbt, serving copy, and whatever later domains add).
- clickstream_fast_path: the clickstream load plus everything dbt derives from events (and the
  serving copy), selected from the asset graph so new event-based marts join automatically.
- clickstream_landing_sensor: polls the landing folder every 30 s and launches the fast path when
  files appeared or changed. Its cursor is a fingerprint of the folder listing; the load itself is
  idempotent, so a spurious run costs time but never duplicates data.
"""

import hashlib
import json

import dagster as dg

from orchestration.dbt import zhishu_dbt_models
from orchestration.ingest.clickstream import list_landing_files
from orchestration.ingest.source_config import load_sources_config
from orchestration.ingestion import CLICKSTREAM_EVENTS_KEY
from orchestration.serving import SERVING_COPY_KEY

PLATFORM_TZ = "Asia/Shanghai"

daily_refresh = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Everything: ingest all sources, dbt build, publish the serving copy, downstream domains.",
)

_clickstream = dg.AssetSelection.assets(CLICKSTREAM_EVENTS_KEY)
clickstream_fast_path_selection = _clickstream | (
    _clickstream.downstream()
    & (dg.AssetSelection.assets(zhishu_dbt_models) | dg.AssetSelection.assets(SERVING_COPY_KEY))
)
clickstream_fast_path = dg.define_asset_job(
    "clickstream_fast_path",
    selection=clickstream_fast_path_selection,
    description="New clickstream files -> raw.clickstream_events -> event-based dbt models.",
)

daily_refresh_schedule = dg.ScheduleDefinition(
    name="daily_refresh_schedule",
    job=daily_refresh,
    cron_schedule="0 2 * * *",
    execution_timezone=PLATFORM_TZ,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

_ACTIVE_RUN_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]


def landing_fingerprint() -> tuple[str, int]:
    files = list_landing_files(load_sources_config().clickstream)
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.name}\x00{f.size}\x00{f.mtime_ns}\n".encode())
    return digest.hexdigest()[:32], len(files)


@dg.sensor(
    name="clickstream_landing_sensor",
    job=clickstream_fast_path,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches clickstream_fast_path when landing files appear or change.",
)
def clickstream_landing_sensor(context: dg.SensorEvaluationContext):
    fingerprint, file_count = landing_fingerprint()
    previous = json.loads(context.cursor) if context.cursor else {}
    if previous.get("fingerprint") == fingerprint:
        return dg.SkipReason(f"no new or changed files ({file_count} in the landing folder)")
    if file_count == 0:
        context.update_cursor(json.dumps({"fingerprint": fingerprint, "files": 0}))
        return dg.SkipReason("landing folder is empty")
    waiting = context.instance.get_runs_count(
        dg.RunsFilter(job_name=clickstream_fast_path.name, statuses=_ACTIVE_RUN_STATUSES)
    )
    if waiting:
        # A queued run lists the folder when it starts, so it will load these files too; not
        # advancing the cursor means we look again next tick instead of piling up runs.
        return dg.SkipReason("a clickstream run is already queued; it will pick up the new files")
    context.update_cursor(json.dumps({"fingerprint": fingerprint, "files": file_count}))
    return dg.RunRequest(
        run_key=f"clickstream-{fingerprint}",
        tags={"zhishu/trigger": "clickstream_landing_sensor"},
    )


defs = dg.Definitions(
    jobs=[daily_refresh, clickstream_fast_path],
    schedules=[daily_refresh_schedule],
    sensors=[clickstream_landing_sensor],
)
