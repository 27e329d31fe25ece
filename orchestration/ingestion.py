"""Ingestion assets: one per configured OLTP table, one for the clickstream, plus reprocessing.

The assets are generated from orchestration/sources.yaml, so adding a table is a configuration
change. The loading logic lives in orchestration/ingest/ (plain Python, testable without Dagster);
these wrappers add retries, Dagster metadata, and the `warehouse_writer` pool that keeps writers
from overlapping on DuckDB's single-writer file.
"""

import dagster as dg

from orchestration.ingest.clickstream import ClickstreamLoadResult, load_landing
from orchestration.ingest.oltp import (
    OltpLoadResult,
    SourceContractError,
    SourceUnavailable,
    load_table,
)
from orchestration.ingest.reprocess import reprocess_all
from orchestration.ingest.source_config import (
    ClickstreamConfig,
    OltpConfig,
    RetryConfig,
    SourcesConfig,
    TableConfig,
    load_sources_config,
)
from orchestration.resources import OltpSourceResource
from orchestration.warehouse import WarehouseResource

WAREHOUSE_WRITER_POOL = "warehouse_writer"
RAW_OLTP_GROUP = "raw_oltp"
RAW_CLICKSTREAM_GROUP = "raw_clickstream"
CLICKSTREAM_EVENTS_KEY = dg.AssetKey(["raw", "clickstream_events"])


def raw_asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def retry_policy(retry: RetryConfig) -> dg.RetryPolicy:
    return dg.RetryPolicy(
        max_retries=retry.max_retries,
        delay=retry.delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL if retry.backoff == "exponential" else dg.Backoff.LINEAR,
    )


def _oltp_metadata(result: OltpLoadResult, table: TableConfig) -> dict[str, object]:
    return {
        "dagster/row_count": result.raw_row_count,
        "dagster/table_name": f"raw.{table.name}",
        "rows_read": result.rows_read,
        "rows_upserted": result.rows_upserted,
        "rows_quarantined": result.rows_quarantined,
        "new_quarantine_rows": result.new_quarantine_rows,
        "quarantine_resolved": result.quarantine_resolved,
        "rejections_by_reason": dg.MetadataValue.json(result.rejection_reasons),
        "watermark_before": result.watermark_before or "(first load)",
        "watermark_after": result.watermark_after or "(no rows)",
        "duration_seconds": result.duration_seconds,
        "schema_drift": result.schema_drift.describe(),
        "load_id": result.load_id,
    }


def build_oltp_asset(oltp: OltpConfig, table: TableConfig) -> dg.AssetsDefinition:
    @dg.asset(
        name=table.name,
        key_prefix=["raw"],
        group_name=RAW_OLTP_GROUP,
        pool=WAREHOUSE_WRITER_POOL,
        retry_policy=retry_policy(oltp.retry),
        kinds={"python", "sqlalchemy"},
        description=(
            f"Source table `{table.source_table}` upserted into raw.{table.name} by "
            f"{table.primary_key}, incrementally by {table.cursor_column}; rows breaking the "
            "contract go to audit.quarantine."
        ),
        metadata={
            "primary_key": table.primary_key,
            "cursor_column": table.cursor_column,
            "foreign_keys": dg.MetadataValue.json(dict(table.foreign_keys)),
        },
    )
    def _load(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        oltp_source: OltpSourceResource,
    ) -> dg.MaterializeResult:
        try:
            result = load_table(
                warehouse, oltp_source.engine(), oltp, table, context.run_id, log=context.log.info
            )
        except SourceUnavailable as exc:
            attempt, attempts = context.retry_number + 1, oltp.retry.max_retries + 1
            raise dg.Failure(
                description=(
                    f"source {oltp_source.describe()} unreachable (attempt {attempt} of {attempts}): "
                    f"{exc}"
                ),
                allow_retries=True,
            ) from exc
        except SourceContractError as exc:
            # Retrying cannot add a missing column; other tables keep loading.
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        if result.rows_quarantined:
            context.log.warning(
                f"raw.{table.name}: {result.rows_quarantined} row(s) quarantined "
                f"({result.rejection_reasons}); see audit.quarantine"
            )
        return dg.MaterializeResult(metadata=_oltp_metadata(result, table))

    return _load


def _clickstream_metadata(result: ClickstreamLoadResult, config: ClickstreamConfig) -> dict[str, object]:
    return {
        "dagster/row_count": result.raw_row_count,
        "dagster/table_name": f"raw.{config.table}",
        "files_seen": result.files_seen,
        "files_loaded": result.files_loaded,
        "files_reloaded": result.files_reloaded,
        "files_unchanged": result.files_unchanged,
        "events_loaded": result.events_loaded,
        "duplicates_skipped": result.duplicates_skipped,
        "lines_quarantined": result.lines_quarantined,
        "new_quarantine_rows": result.new_quarantine_rows,
        "quarantine_resolved": result.quarantine_resolved,
        "rejections_by_reason": dg.MetadataValue.json(result.rejection_reasons),
        "duration_seconds": result.duration_seconds,
        "load_id": result.load_id,
    }


def build_clickstream_asset(config: ClickstreamConfig) -> dg.AssetsDefinition:
    @dg.asset(
        key=CLICKSTREAM_EVENTS_KEY,
        group_name=RAW_CLICKSTREAM_GROUP,
        pool=WAREHOUSE_WRITER_POOL,
        kinds={"python", "json"},
        description=(
            "New or changed clickstream landing files appended to raw.clickstream_events "
            "(deduplicated by event_id, one transaction per file; bad lines quarantined)."
        ),
    )
    def clickstream_events(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        result = load_landing(warehouse, config, context.run_id, log=context.log.info)
        if result.lines_quarantined:
            context.log.warning(
                f"{result.lines_quarantined} clickstream line(s) quarantined "
                f"({result.rejection_reasons}); see audit.quarantine"
            )
        return dg.MaterializeResult(metadata=_clickstream_metadata(result, config))

    return clickstream_events


class ReprocessConfig(dg.Config):
    source: str = "all"  # all | oltp | clickstream
    tables: list[str] = []  # OLTP tables; empty = every table with open quarantine rows


def build_reprocess_job(sources: SourcesConfig) -> dg.JobDefinition:
    @dg.op(pool=WAREHOUSE_WRITER_POOL)
    def reprocess_quarantined_rows(
        context: dg.OpExecutionContext,
        config: ReprocessConfig,
        warehouse: WarehouseResource,
        oltp_source: OltpSourceResource,
    ) -> None:
        outcomes = reprocess_all(
            warehouse, oltp_source.engine, sources, context.run_id,
            which=config.source, tables=config.tables or None, log=context.log.info,
        )
        context.log_event(dg.AssetObservation(
            asset_key=dg.AssetKey(["audit", "quarantine"]),
            metadata={
                "reprocessed": sum(o.reprocessed for o in outcomes),
                "gone_from_source": sum(o.gone_from_source for o in outcomes),
                "still_quarantined": sum(o.still_open for o in outcomes),
                "by_table": dg.MetadataValue.json(
                    {f"{o.source}.{o.table}": [o.reprocessed, o.still_open] for o in outcomes}
                ),
            },
        ))

    @dg.job(
        name="reprocess_quarantine",
        description="Re-validate quarantined rows/lines after a fix and load those that now pass.",
    )
    def reprocess_quarantine() -> None:
        reprocess_quarantined_rows()

    return reprocess_quarantine


def build_ingestion_defs(sources: SourcesConfig | None = None) -> dg.Definitions:
    sources = sources or load_sources_config()
    return dg.Definitions(
        assets=[
            *(build_oltp_asset(sources.oltp, table) for table in sources.oltp.tables.values()),
            build_clickstream_asset(sources.clickstream),
        ],
        jobs=[build_reprocess_job(sources)],
    )


defs = build_ingestion_defs()

__all__ = ["defs", "build_ingestion_defs", "CLICKSTREAM_EVENTS_KEY", "raw_asset_key"]
