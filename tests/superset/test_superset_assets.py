"""The Superset assets as code, checked against the dbt manifest (no Superset server needed)."""

from __future__ import annotations

import copy
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml
from superset_testlib import REPO, SUPERSET_PYTHON
from zhishu_bi import bundle, dashboards, datasets, ids, render, settings, sync


def _serving_nodes(manifest: dict) -> dict[str, dict]:
    out = {}
    for node in list(manifest["nodes"].values()) + list(manifest.get("sources", {}).values()):
        if node.get("resource_type") in ("model", "source") and node.get("schema") in settings.SERVING_SCHEMAS:
            out[node.get("alias") or node.get("identifier") or node["name"]] = node
    return out


def _is_pii(col: dict) -> bool:
    meta = {**(col.get("meta") or {}), **((col.get("config") or {}).get("meta") or {})}
    return bool(meta.get("pii") or meta.get("contains_pii")) or col["name"] in datasets.PII_COLUMNS


def _committed_datasets() -> dict[str, dict]:
    return render.index_from_texts(sync.read_tree([render.DATASETS_PREFIX]))


def test_every_dataset_matches_a_dbt_relation_column_for_column(dbt_manifest):
    nodes = _serving_nodes(dbt_manifest)
    committed = _committed_datasets()
    assert committed, "no generated datasets in superset/assets/datasets"
    for table, cfg in committed.items():
        node = nodes.get(table)
        assert node is not None, f"dataset {table} has no dbt model/source in {settings.SERVING_SCHEMAS}"
        assert cfg["schema"] == node["schema"], f"{table}: schema {cfg['schema']} != dbt {node['schema']}"
        dbt_cols = {name: col.get("data_type") for name, col in node["columns"].items()
                    if not _is_pii(col)}
        ds_cols = {c["column_name"]: c for c in cfg["columns"]}
        assert set(ds_cols) == set(dbt_cols), (
            f"{table}: columns differ from the dbt YAML: missing {sorted(set(dbt_cols) - set(ds_cols))}, "
            f"extra {sorted(set(ds_cols) - set(dbt_cols))}")
        for name, col in ds_cols.items():
            assert col["is_dttm"] == datasets._is_temporal(dbt_cols[name]), f"{table}.{name}: temporal flag"
        if cfg["main_dttm_col"]:
            assert ds_cols[cfg["main_dttm_col"]]["is_dttm"], f"{table}: main_dttm_col is not temporal"


def test_every_documented_mart_is_a_dataset(dbt_manifest):
    committed = _committed_datasets()
    for table, node in _serving_nodes(dbt_manifest).items():
        if node["schema"] == "marts" and node["columns"] and table not in datasets.SKIP_MODELS:
            assert table in committed, f"mart {table} has no Superset dataset: run superset/generate_datasets.py"


def test_committed_assets_are_what_the_manifest_and_specs_generate(dbt_manifest):
    """Drift check: regenerating from the current manifest and specs changes nothing."""
    datasets_now = render.dataset_texts(dbt_manifest)
    committed = sync.read_tree([render.DATASETS_PREFIX])
    stale = sorted(set(committed) ^ set(datasets_now)) + sorted(
        rel for rel in datasets_now if rel in committed and committed[rel] != datasets_now[rel])
    assert not stale, f"datasets out of date (run superset/generate_datasets.py): {stale[:10]}"
    generated, _ = render.dashboard_texts(render.index_from_texts(committed))
    committed_rest = sync.read_tree(["charts/", "dashboards/", "access.yaml"])
    stale = sorted(set(committed_rest) ^ set(generated)) + sorted(
        rel for rel in generated if rel in committed_rest and committed_rest[rel] != generated[rel])
    assert not stale, f"charts/dashboards out of date (run superset/build_dashboards.py): {stale[:10]}"


def test_governed_metrics_become_saved_metrics(dbt_manifest):
    """Every simple/ratio/derived dbt metric on a single mart is a saved metric of that mart's dataset."""
    committed = _committed_datasets()
    saved = {m["metric_name"]: table for table, cfg in committed.items() for m in cfg["metrics"]}
    mappable = [m for m in dbt_manifest["metrics"].values()
                if m["type"] in ("simple", "ratio") and not m.get("filter")]
    assert len(mappable) >= 20
    missing = [m["name"] for m in mappable if m["name"] not in saved]
    assert not missing, f"governed metrics without a saved metric: {missing}"
    for m in mappable:
        ds = committed[saved[m["name"]]]
        metric = next(x for x in ds["metrics"] if x["metric_name"] == m["name"])
        assert metric["verbose_name"], f"{m['name']}: no label"
        assert metric["description"], f"{m['name']}: no description"


def test_new_mart_column_appears_with_a_stable_uuid(dbt_manifest):
    manifest = copy.deepcopy(dbt_manifest)
    node = next(n for n in manifest["nodes"].values() if n.get("name") == "fct_daily_kpis")
    node["columns"]["late_new_kpi"] = {"name": "late_new_kpi", "description": "A KPI added after the fact.",
                                       "data_type": "bigint", "meta": {"label_zh": "新指标"}}
    before = yaml.safe_load(render.dataset_texts(dbt_manifest)[f"{render.DATASETS_PREFIX}fct_daily_kpis.yaml"])
    after = yaml.safe_load(render.dataset_texts(manifest)[f"{render.DATASETS_PREFIX}fct_daily_kpis.yaml"])
    added = next(c for c in after["columns"] if c["column_name"] == "late_new_kpi")
    assert added["description"] == "A KPI added after the fact."
    assert added["verbose_name"] == "新指标"
    assert added["type"] == "BIGINT"
    assert after["uuid"] == before["uuid"] == str(uuid.uuid5(ids.NAMESPACE, "dataset:fct_daily_kpis"))


def _tiny_manifest() -> dict:
    """A hand-made manifest: one mart, a semantic model and metrics of every mappable kind."""
    uid = "model.zhishu.fct_x"
    return {
        "nodes": {uid: {
            "unique_id": uid, "resource_type": "model", "name": "fct_x", "alias": "fct_x", "schema": "marts",
            "description": "x", "config": {"materialized": "table", "meta": {"label_zh": "X"}},
            "columns": {c: {"name": c, "data_type": t, "description": c} for c, t in
                        [("day", "date"), ("amount", "numeric(12,2)"), ("status", "text"), ("is_paid", "boolean"),
                         ("order_id", "bigint")]},
        }},
        "sources": {},
        "semantic_models": {"semantic_model.zhishu.x": {
            "name": "x", "depends_on": {"nodes": [uid]}, "node_relation": {"alias": "fct_x"},
            "dimensions": [{"name": "order_status", "expr": "status"}],
            "entities": [],
            "measures": [
                {"name": "revenue", "agg": "sum", "expr": "amount"},
                {"name": "orders", "agg": "count_distinct", "expr": "order_id"},
                {"name": "paid_orders", "agg": "sum_boolean", "expr": "is_paid"},
                {"name": "p90_amount", "agg": "percentile", "expr": "amount", "agg_params": {"percentile": 0.9}},
            ],
        }},
        "metrics": {
            f"metric.zhishu.{name}": {"name": name, "type": kind, "label": f"{name} 标签", "description": name,
                                      "type_params": tp, "filter": flt, "config": {"meta": {}}}
            for name, kind, tp, flt in [
                ("revenue", "simple", {"measure": {"name": "revenue"}}, None),
                ("orders", "simple", {"measure": {"name": "orders"}}, None),
                ("paid", "simple", {"measure": {"name": "paid_orders"}}, None),
                ("p90", "simple", {"measure": {"name": "p90_amount"}}, None),
                ("delivered_revenue", "simple", {"measure": {"name": "revenue"}},
                 {"where_filters": [{"where_sql_template": "{{ Dimension('x__order_status') }} = 'delivered'"}]}),
                ("aov", "ratio", {"numerator": {"name": "revenue"}, "denominator": {"name": "orders"}}, None),
                ("paid_share", "derived", {"expr": "paid / orders", "metrics": [{"name": "paid"}, {"name": "orders"}]}, None),
                ("growth", "derived", {"expr": "revenue - lag_rev", "metrics": [
                    {"name": "revenue"}, {"name": "revenue", "alias": "lag_rev", "offset_window": "1 month"}]}, None),
                ("weekly", "cumulative", {"measure": {"name": "orders"}}, None),
            ]
        },
    }


def test_semantic_layer_translation_to_sql():
    ds = datasets.load_datasets(_tiny_manifest())[0]
    sql = {m.name: m.expression for m in ds.metrics}
    assert sql["revenue"] == "SUM(amount)"
    assert sql["orders"] == "COUNT(DISTINCT order_id)"
    assert sql["paid"] == "SUM(CASE WHEN is_paid THEN 1 ELSE 0 END)"
    assert sql["p90"] == "percentile_cont(0.9) WITHIN GROUP (ORDER BY amount)"
    assert sql["delivered_revenue"] == "SUM(CASE WHEN (status = 'delivered') THEN amount END)"
    assert sql["aov"] == "CAST(SUM(amount) AS DOUBLE PRECISION) / NULLIF(COUNT(DISTINCT order_id), 0)"
    assert sql["paid_share"] == ("CAST(SUM(CASE WHEN is_paid THEN 1 ELSE 0 END) AS DOUBLE PRECISION) / "
                                 "CAST(COUNT(DISTINCT order_id) AS DOUBLE PRECISION)")
    # offsets (need a time spine) and cumulative windows cannot be one aggregate: left out, not faked
    assert "growth" not in sql and "weekly" not in sql
    assert {m.name: m.verbose_name for m in ds.metrics}["aov"] == "aov 标签"


def test_spec_errors_name_file_chart_and_column(tmp_path):
    committed = _committed_datasets()
    spec = {"key": "broken", "title": "坏 Broken",
            "filters": [{"key": "d", "type": "time"}, {"key": "c", "type": "select", "dataset": "fct_orders",
                                                        "column": "sales_channel"}],
            "rows": [{"charts": [{"key": "bad", "viz": "line", "dataset": "fct_orders",
                                  "metrics": ["orders"], "groupby": ["no_such_column"]}]}]}
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(dashboards.SpecError, match=r"broken\.yaml.*'bad'.*no_such_column.*fct_orders"):
        dashboards.build_all(committed, tmp_path)
    spec["rows"][0]["charts"][0].update(groupby=[], metrics=["no_such_metric"])
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(dashboards.SpecError, match=r"metric 'no_such_metric' is not a saved metric of fct_orders"):
        dashboards.build_all(committed, tmp_path)


def _built() -> dashboards.Built:
    return dashboards.build_all(_committed_datasets())


def test_dashboards_are_bilingual_and_filterable():
    built = _built()
    assert len(built.dashboards) >= 8
    for name, dash in built.dashboards.items():
        title = dash["dashboard_title"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in title) and any(ch.isascii() and ch.isalpha() for ch in title), \
            f"{name}: title {title!r} is not bilingual"
        kinds = {f["filterType"] for f in dash["metadata"]["native_filter_configuration"]}
        assert {"filter_time", "filter_select"} <= kinds, f"{name}: needs date-range and dimension filters"


def test_operations_center_has_20_kpis_and_refreshes_every_30s():
    built = _built()
    ops = built.dashboards["operations_center.yaml"]
    assert ops["metadata"]["refresh_frequency"] == 30
    kpis = [c for n, c in built.charts.items() if n.startswith("operations_center__")
            and c["viz_type"] in ("big_number", "big_number_total")]
    assert len(kpis) >= 20
    # auto-refresh must read fresh data: chart caches expire before the next refresh
    assert all(c["cache_timeout"] is not None and c["cache_timeout"] < 30 for n, c in built.charts.items()
               if n.startswith("operations_center__"))
    governed = [c for c in kpis if isinstance(c["params"]["metric"], str)]
    assert len(governed) >= 20, "at least 20 KPI tiles must use governed (dbt semantic layer) metrics"


def test_partner_portal_is_the_only_dashboard_partners_can_open():
    built = _built()
    opened = [uid for uid, roles in built.access["dashboards"].items() if "partner" in roles]
    assert len(opened) == 1
    portal = next(d for d in built.dashboards.values() if d["uuid"] == opened[0])
    assert built.access["partner_datasets"], "the portal must name its partner-scoped datasets"
    committed = _committed_datasets()
    by_uuid = {cfg["uuid"]: cfg for cfg in committed.values()}
    for ds_uuid in built.access["partner_datasets"]:
        assert "partner_id" in {c["column_name"] for c in by_uuid[ds_uuid]["columns"]}
    assert portal["slug"] == "partner-portal"


def test_bundle_links_and_warehouse_uri(monkeypatch, tmp_path):
    monkeypatch.setenv("ZHISHU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZHISHU_WAREHOUSE", "duckdb")
    monkeypatch.delenv("SUPERSET_WAREHOUSE_URI", raising=False)
    monkeypatch.delenv("ZHISHU_SERVING_DUCKDB_PATH", raising=False)
    contents = bundle.bundle_contents(bundle.asset_texts())
    db = yaml.safe_load(contents["databases/zhishu_warehouse.yaml"])
    assert db["sqlalchemy_uri"] == f"duckdb:///{tmp_path}/warehouse/zhishu_serving.duckdb"
    assert db["extra"]["engine_params"]["connect_args"]["read_only"] is True
    assert "access.yaml" not in contents  # our sidecar never goes to Superset
    monkeypatch.setenv("ZHISHU_WAREHOUSE", "postgres")
    monkeypatch.setenv("SUPERSET_WAREHOUSE_PASSWORD", "s3cret-for-test")
    monkeypatch.setenv("PGDATABASE", "zhishu_wh")
    db = yaml.safe_load(bundle.bundle_contents(bundle.asset_texts())["databases/zhishu_warehouse.yaml"])
    assert db["sqlalchemy_uri"].startswith("postgresql+psycopg2://zhishu_superset_ro:XXXXXXXXXX@")
    assert db["sqlalchemy_uri"].endswith("/zhishu_wh") and db["password"] == "s3cret-for-test"
    monkeypatch.setenv("ZHISHU_WAREHOUSE", "oracle")
    with pytest.raises(SystemExit, match="ZHISHU_WAREHOUSE='oracle' is not supported"):
        bundle.warehouse_connection()


def test_committed_files_hold_no_connection_secret():
    text = (settings.ASSETS_DIR / "databases" / "zhishu_warehouse.yaml").read_text()
    cfg = yaml.safe_load(text)
    assert "password" not in cfg and "://" not in cfg["sqlalchemy_uri"]


@pytest.mark.superset
def test_config_refuses_to_start_without_secret_key(tmp_path):
    if not SUPERSET_PYTHON.exists():
        pytest.skip("Superset venv missing")
    env = {k: v for k, v in os.environ.items() if k != "SUPERSET_SECRET_KEY"}
    env["ZHISHU_DATA_DIR"] = str(tmp_path)
    code = f"import runpy; runpy.run_path({str(REPO / 'superset' / 'superset_config.py')!r})"
    proc = subprocess.run([str(SUPERSET_PYTHON), "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "SUPERSET_SECRET_KEY is not set" in proc.stderr
    env["SUPERSET_SECRET_KEY"] = "short"
    proc = subprocess.run([str(SUPERSET_PYTHON), "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "shorter than 32" in proc.stderr
