"""The code location loads without errors, every dbt source is an ingestion asset, writers share
one pool, and the environment switch refuses anything it does not know."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from orchestration.environment import ConfigurationError, get_environment


@pytest.fixture(scope="module")
def loaded(dbt_manifest):
    from orchestration import definitions

    dg.Definitions.validate_loadable(definitions.defs)
    return definitions.defs


def _asset_graph(defs: dg.Definitions):
    return defs.resolve_asset_graph()


def test_every_dbt_source_is_an_ingestion_asset(loaded, dbt_manifest):
    from orchestration.dbt import dbt_translator
    from orchestration.ingest.source_config import load_sources_config

    manifest = json.loads(dbt_manifest.read_text())
    sources = load_sources_config()
    ingestion_keys = {dg.AssetKey(["raw", t]) for t in sources.oltp.tables} | {
        dg.AssetKey(["raw", sources.clickstream.table])
    }
    source_keys = {dbt_translator.get_asset_key(node) for node in manifest["sources"].values()}
    assert source_keys, "the dbt project declares no sources"
    assert source_keys <= ingestion_keys, f"dbt sources without an ingestion asset: {source_keys - ingestion_keys}"

    graph = _asset_graph(loaded)
    materializable = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    assert ingestion_keys <= materializable
    # The staging model of each source really depends on the ingestion asset.
    staged = {
        parent
        for key in graph.get_all_asset_keys()
        if key.path[0] == "staging"
        for parent in graph.get(key).parent_keys
    }
    assert source_keys <= staged


def test_groups_pools_and_jobs(loaded):
    graph = _asset_graph(loaded)
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups[dg.AssetKey(["raw", "orders"])] == "raw_oltp"
    assert groups[dg.AssetKey(["raw", "clickstream_events"])] == "raw_clickstream"
    assert groups[dg.AssetKey(["staging", "stg_oltp__orders"])] == "staging"
    assert groups[dg.AssetKey(["serving", "duckdb_serving_copy"])] == "serving"

    # Every asset of this code location writes the warehouse, so all share the single-writer pool.
    writers = [a for a in loaded.assets if isinstance(a, dg.AssetsDefinition)]
    pools = {assets_def.node_def.name: assets_def.node_def.pool for assets_def in writers}
    assert set(pools.values()) == {"warehouse_writer"}, (
        f"assets touching the warehouse must use pool='warehouse_writer' "
        f"(orchestration.ingestion.WAREHOUSE_WRITER_POOL): {pools}"
    )

    for name in ("daily_refresh", "clickstream_fast_path", "reprocess_quarantine"):
        assert loaded.resolve_job_def(name) is not None
    fast = loaded.resolve_job_def("clickstream_fast_path")
    fast_keys = fast.asset_layer.selected_asset_keys
    assert dg.AssetKey(["raw", "clickstream_events"]) in fast_keys
    assert dg.AssetKey(["staging", "stg_clickstream__events"]) in fast_keys
    assert dg.AssetKey(["raw", "orders"]) not in fast_keys
    assert dg.AssetKey(["staging", "stg_oltp__orders"]) not in fast_keys
    daily = loaded.resolve_job_def("daily_refresh").asset_layer.selected_asset_keys
    assert daily >= fast_keys | {dg.AssetKey(["raw", "orders"])}


def test_dbt_tests_are_asset_checks(loaded):
    graph = _asset_graph(loaded)
    checks = graph.asset_check_keys
    assert any(c.asset_key == dg.AssetKey(["marts", "fct_orders"]) for c in checks)


def test_unknown_warehouse_is_an_error(monkeypatch):
    monkeypatch.setenv("ZHISHU_WAREHOUSE", "oracle")
    with pytest.raises(ConfigurationError, match="ZHISHU_WAREHOUSE='oracle' is not supported"):
        get_environment()


def test_postgres_needs_its_connection_variables(monkeypatch):
    monkeypatch.setenv("ZHISHU_WAREHOUSE", "postgres")
    monkeypatch.delenv("DBT_TARGET", raising=False)
    for name in ("PGHOST", "PGUSER", "PGDATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGUSER", "analyst")
    with pytest.raises(ConfigurationError, match="PGHOST, PGDATABASE"):
        get_environment()


def test_dbt_target_must_agree_with_the_warehouse(monkeypatch):
    monkeypatch.setenv("ZHISHU_WAREHOUSE", "duckdb")
    monkeypatch.setenv("DBT_TARGET", "postgres")
    with pytest.raises(ConfigurationError, match="contradicts"):
        get_environment()


def test_defaults_follow_the_data_dir(tmp_data_dir, monkeypatch):
    for name in ("ZHISHU_DUCKDB_PATH", "ZHISHU_SOURCE_URL", "ZHISHU_CLICKSTREAM_DIR"):
        monkeypatch.delenv(name)
    env = get_environment()
    assert env.warehouse == env.dbt_target == "duckdb"
    assert env.duckdb_path == tmp_data_dir / "warehouse" / "zhishu.duckdb"
    assert env.serving_duckdb_path == tmp_data_dir / "warehouse" / "zhishu_serving.duckdb"
    assert env.source_url == f"sqlite:///{tmp_data_dir / 'source' / 'oltp.sqlite'}"
    assert env.clickstream_dir == tmp_data_dir / "source" / "clickstream"
