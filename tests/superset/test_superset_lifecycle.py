"""What happens after a pipeline build while Superset keeps running: a republished serving copy is
read at once (no restart, no lock), the cache warm-up serves it, and a new mart column appears."""

from __future__ import annotations

import copy
import json
import os
import shutil

import duckdb
import pytest
from superset_testlib import SUPERSET_DIR

pytestmark = pytest.mark.superset


def _orders_chart(dashboards) -> dict:
    ops = next(d for d in dashboards if d["slug"] == "operations-center")
    return next(c for c in ops["charts"] if c["slice_name"].startswith("订单数"))


def _latest(session, base, chart_id, force: bool) -> tuple[float, bool]:
    body = session.get(f"{base}/api/v1/chart/{chart_id}/data/", params={"force": str(force).lower()}, timeout=120).json()
    result = body["result"][0]
    latest = max(result["data"], key=lambda r: r["ordered_on"])
    return latest["orders"], bool(result.get("is_cached"))


def _expected_latest(path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT COUNT(*) FILTER (WHERE NOT is_cancelled) FROM marts.fct_orders "
                           "WHERE ordered_on = (SELECT MAX(ordered_on) FROM marts.fct_orders)").fetchone()[0]


def test_republished_serving_copy_is_read_without_restart(superset_server, admin_api, dashboards, tmp_path):
    base, serving = superset_server.base_url, superset_server.serving_path
    chart = _orders_chart(dashboards)
    before, _ = _latest(admin_api, base, chart["id"], force=True)
    assert before == _expected_latest(serving)
    original = tmp_path / "original.duckdb"
    shutil.copyfile(serving, original)

    # What the pipeline does after a build: write a complete new file next to it, then os.replace.
    staged = serving.with_name(f".{serving.name}.staged")
    shutil.copyfile(serving, staged)
    with duckdb.connect(str(staged)) as con:
        # one order of the latest day flips its cancelled flag (the day keeps its rows: still the latest)
        order_id, was_cancelled = con.execute(
            "SELECT order_id, is_cancelled FROM marts.fct_orders "
            "WHERE ordered_on = (SELECT MAX(ordered_on) FROM marts.fct_orders) ORDER BY order_id LIMIT 1").fetchone()
        con.execute("UPDATE marts.fct_orders SET is_cancelled = NOT is_cancelled WHERE order_id = ?", [order_id])
        con.execute("CHECKPOINT")
    os.replace(staged, serving)
    try:
        expected = _expected_latest(serving)
        assert expected == before + (1 if was_cancelled else -1)
        after, _ = _latest(admin_api, base, chart["id"], force=True)
        assert after == expected, "Superset must read the republished file on its next query"

        superset_server.manage("warm-cache")
        warmed, cached = _latest(admin_api, base, chart["id"], force=False)
        assert cached and warmed == expected, "warm-cache must leave the new number in the cache"
    finally:
        os.replace(original, serving)
        _latest(admin_api, base, chart["id"], force=True)


def _chart_ids(session, base) -> set[tuple[str, int]]:
    out = set()
    for dash in session.get(f"{base}/api/v1/dashboard/", params={"q": "(page_size:100)"}, timeout=30).json()["result"]:
        for chart in session.get(f"{base}/api/v1/dashboard/{dash['id']}/charts", timeout=30).json()["result"]:
            out.add((dash["slug"], chart["id"]))
    return out


def test_new_mart_column_reaches_superset_and_reimport_is_idempotent(superset_server, admin_api, dbt_manifest,
                                                                      tmp_path):
    base = superset_server.base_url
    ids_before = _chart_ids(admin_api, base)
    manifest = copy.deepcopy(dbt_manifest)
    node = next(n for n in manifest["nodes"].values() if n.get("name") == "fct_daily_kpis")
    node["columns"]["late_new_kpi"] = {"name": "late_new_kpi", "description": "Added by a rebuild.",
                                       "data_type": "bigint", "meta": {}}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))

    def columns() -> set[str]:
        q = "(filters:!((col:table_name,opr:eq,value:fct_daily_kpis)))"
        ds = admin_api.get(f"{base}/api/v1/dataset/", params={"q": q}, timeout=30).json()["result"][0]
        detail = admin_api.get(f"{base}/api/v1/dataset/{ds['id']}", timeout=30).json()["result"]
        return {c["column_name"] for c in detail["columns"]}

    assert "late_new_kpi" not in columns()
    superset_server.manage("import", "--manifest", str(path))
    assert "late_new_kpi" in columns()
    superset_server.manage("import")  # back to the committed assets: the column is synced away again
    assert "late_new_kpi" not in columns()
    # both imports updated in place: same dashboards, same chart ids, one dataset per generated file
    assert _chart_ids(admin_api, base) == ids_before
    count = admin_api.get(f"{base}/api/v1/dataset/", params={"q": "(page_size:1)"}, timeout=30).json()["count"]
    assert count == len(list((SUPERSET_DIR / "assets" / "datasets").rglob("*.yaml")))
