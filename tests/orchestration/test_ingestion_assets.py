"""The Dagster ingestion assets: load metadata, schema drift, and an unreachable source (retries
with backoff, a clear failure, and a later run that catches up)."""

from __future__ import annotations

from dataclasses import replace

import dagster as dg
import pytest

from ingestion_fixtures import Source, seed_basic
from orchestration.ingest.source_config import RetryConfig
from orchestration.ingestion import build_clickstream_asset, build_oltp_asset
from orchestration.resources import build_resources


def materialize(assets, **kwargs):
    return dg.materialize(assets, resources=build_resources(include_dbt=False), raise_on_error=False, **kwargs)


def oltp_assets(sources_config, *tables, retry: RetryConfig | None = None):
    oltp = sources_config.oltp if retry is None else replace(sources_config.oltp, retry=retry)
    return [build_oltp_asset(oltp, oltp.tables[t]) for t in tables]


def metadata_of(result, *path):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(list(path))]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_materialization_reports_the_load(source, warehouse_kind, sources_config, landing):
    seed_basic(source, customers=3, orders=4)
    result = materialize(oltp_assets(sources_config, "partners", "warehouses", "customers", "orders")
                         + [build_clickstream_asset(sources_config.clickstream)])
    assert result.success
    meta = metadata_of(result, "raw", "orders")
    assert meta["rows_read"] == meta["rows_upserted"] == meta["dagster/row_count"] == 4
    assert meta["rows_quarantined"] == 0
    assert meta["watermark_before"] == "(first load)"
    assert meta["watermark_after"].startswith("2026-11-20T10:04")
    assert meta["schema_drift"] == "none"
    assert meta["duration_seconds"] >= 0
    assert metadata_of(result, "raw", "clickstream_events")["files_seen"] == 0


def test_schema_drift_new_column_is_carried_missing_column_stops_only_that_table(source, warehouse_kind, sources_config):
    seed_basic(source, customers=3, orders=4)
    assets = oltp_assets(sources_config, "partners", "warehouses", "customers", "orders")
    assert materialize(assets).success

    source.execute("ALTER TABLE orders ADD COLUMN gift_message TEXT")
    source.execute("UPDATE orders SET gift_message = '生日快乐', updated_at = '2026-11-21 09:00:00.000000' WHERE order_id = 2")
    result = materialize(assets)
    assert result.success
    meta = metadata_of(result, "raw", "orders")
    assert "gift_message" in meta["schema_drift"]
    warehouse = build_resources(include_dbt=False)["warehouse"]
    rows = warehouse.read_sql("SELECT order_id, gift_message FROM raw.orders ORDER BY order_id")
    assert rows.set_index("order_id").loc[2, "gift_message"] == "生日快乐"

    source.execute("ALTER TABLE orders DROP COLUMN order_status")
    source.execute("UPDATE customers SET city = 'Beijing', updated_at = '2026-11-22 09:00:00.000000' WHERE customer_id = 1")
    result = materialize(assets)
    assert not result.success
    [failure] = result.get_step_failure_events()
    assert failure.step_key == "raw__orders"
    message = failure.event_specific_data.error.message
    assert "missing required column(s) order_status" in message
    assert "retry" not in [e.event_type_value for e in result.all_events if e.step_key == "raw__orders"]
    # The other tables kept loading.
    assert warehouse.read_sql("SELECT city FROM raw.customers WHERE customer_id = 1")["city"].iloc[0] == "Beijing"
    assert {e.asset_key.path[-1] for e in result.get_asset_materialization_events()} == {
        "partners", "warehouses", "customers",
    }


def test_unreachable_source_is_retried_then_fails_clearly_and_a_later_run_catches_up(tmp_data_dir, sources_config):
    # No source database yet: the configured SQLite file does not exist.
    assets = oltp_assets(sources_config, "warehouses", retry=RetryConfig(max_retries=2, delay_seconds=0.05))
    result = materialize(assets)
    assert not result.success
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 2
    [failure] = result.get_step_failure_events()
    # Dagster reports "Exceeded max_retries"; our explanation is the failure's description.
    message = failure.event_specific_data.user_failure_data.description
    assert "unreachable (attempt 3 of 3)" in message and "does not exist" in message

    source = Source(f"sqlite:///{tmp_data_dir / 'source' / 'oltp.sqlite'}")
    seed_basic(source, customers=1, orders=0)
    result = materialize(assets)
    assert result.success
    assert metadata_of(result, "raw", "warehouses")["dagster/row_count"] == source.count("warehouses")


@pytest.mark.postgres
def test_unreachable_postgres_source_is_reported_without_password(tmp_data_dir, sources_config, monkeypatch, pg_server):
    monkeypatch.setenv("ZHISHU_SOURCE_URL", "postgresql+psycopg2://reader:s3cret@127.0.0.1:1/nowhere")
    assets = oltp_assets(sources_config, "warehouses", retry=RetryConfig(max_retries=1, delay_seconds=0.05))
    result = materialize(assets)
    [failure] = result.get_step_failure_events()
    message = failure.event_specific_data.user_failure_data.description
    assert "unreachable" in message and "127.0.0.1:1" in message
    assert "s3cret" not in message


def test_reprocess_job_loads_fixed_rows(source, warehouse_kind, sources_config):
    from orchestration.ingestion import build_reprocess_job

    seed_basic(source, customers=2, orders=2)
    source.update("orders", 2, refund_amount=-3)
    assets = oltp_assets(sources_config, "partners", "warehouses", "customers", "orders")
    result = materialize(assets)
    assert metadata_of(result, "raw", "orders")["rows_quarantined"] == 1

    source.update("orders", 2, refund_amount=0)  # fixed in place, updated_at untouched
    job = build_reprocess_job(sources_config)
    run = job.execute_in_process(
        resources=build_resources(include_dbt=False),
        run_config={"ops": {"reprocess_quarantined_rows": {"config": {"source": "oltp", "tables": ["orders"]}}}},
    )
    assert run.success
    [observation] = [e.asset_observation_data.asset_observation for e in run.all_events
                     if e.event_type_value == "ASSET_OBSERVATION"]
    assert observation.metadata["reprocessed"].value == 1
    assert observation.metadata["still_quarantined"].value == 0
    warehouse = build_resources(include_dbt=False)["warehouse"]
    assert sorted(warehouse.read_sql("SELECT order_id FROM raw.orders")["order_id"]) == [1, 2]
