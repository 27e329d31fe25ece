"""Superset over HTTP: imported assets, chart data, roles, row-level security, anonymous access."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
import requests
import yaml
from superset_testlib import SUPERSET_DIR

pytestmark = pytest.mark.superset


def _committed(kind: str) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((SUPERSET_DIR / "assets" / kind).glob("*.yaml"))]


def _chart_data(session: requests.Session, base: str, chart_id: int, force: bool = True) -> dict:
    resp = session.get(f"{base}/api/v1/chart/{chart_id}/data/", params={"force": str(force).lower()}, timeout=120)
    assert resp.status_code == 200, f"chart {chart_id}: HTTP {resp.status_code} {resp.text[:500]}"
    return resp.json()


def _warehouse(server) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(server.serving_path), read_only=True)


def test_health_and_startup_time(superset_server):
    assert requests.get(f"{superset_server.base_url}/health", timeout=10).text == "OK"
    # Recorded for the CI log; init + import + start must stay well inside a test session's budget.
    assert sum(superset_server.startup_seconds.values()) < 240, superset_server.startup_seconds


def test_every_dashboard_is_imported_with_its_charts(dashboards):
    expected = {d["slug"]: d for d in _committed("dashboards")}
    got = {d["slug"]: d for d in dashboards}
    assert set(got) == set(expected), f"missing {set(expected) - set(got)}, unexpected {set(got) - set(expected)}"
    charts_by_dashboard: dict[str, int] = {}
    for chart in _committed("charts"):
        key = next(d["slug"] for d in expected.values()
                   if any(n.get("meta", {}).get("uuid") == chart["uuid"] for n in d["position"].values()
                          if isinstance(n, dict)))
        charts_by_dashboard[key] = charts_by_dashboard.get(key, 0) + 1
    for slug, dash in got.items():
        assert dash["dashboard_title"] == expected[slug]["dashboard_title"]
        assert len(dash["charts"]) == charts_by_dashboard[slug], f"{slug}: chart count"
        assert dash["published"]


def test_every_chart_returns_rows_without_error(superset_server, admin_api, dashboards):
    failures = []
    for dash in dashboards:
        for chart in dash["charts"]:
            body = _chart_data(admin_api, superset_server.base_url, chart["id"])
            for query in body["result"]:
                if query.get("error") or not query.get("rowcount"):
                    failures.append(f"{dash['slug']} / {chart['slice_name']}: rows={query.get('rowcount')} "
                                    f"error={query.get('error')}")
    assert not failures, "\n".join(failures)


def test_ops_kpi_matches_the_warehouse(superset_server, admin_api, dashboards):
    """Superset's number is the warehouse's number: orders (not cancelled) on the latest day, from DuckDB."""
    ops = next(d for d in dashboards if d["slug"] == "operations-center")
    chart = next(c for c in ops["charts"] if c["slice_name"].startswith("订单数"))
    rows = _chart_data(admin_api, superset_server.base_url, chart["id"])["result"][0]["data"]
    latest = max(rows, key=lambda r: r["ordered_on"])
    with _warehouse(superset_server) as con:
        day, expected = con.execute(
            "SELECT ordered_on, COUNT(*) FILTER (WHERE NOT is_cancelled) FROM marts.fct_orders "
            "WHERE ordered_on = (SELECT MAX(ordered_on) FROM marts.fct_orders) GROUP BY 1").fetchone()
    assert latest["orders"] == expected, f"latest day {day}: Superset {latest['orders']} vs warehouse {expected}"


def test_anonymous_access_is_refused(superset_server, dashboards):
    base = superset_server.base_url
    anon = requests.Session()
    assert anon.get(f"{base}/api/v1/dashboard/", timeout=30).status_code == 401
    chart_id = dashboards[0]["charts"][0]["id"]
    assert anon.get(f"{base}/api/v1/chart/{chart_id}/data/", timeout=30).status_code == 401
    assert anon.post(f"{base}/api/v1/chart/data", json={}, timeout=30).status_code in (400, 401)
    for page in ("/superset/dashboard/operations-center/", "/dashboard/list/", "/sqllab/", "/superset/welcome/"):
        resp = anon.get(f"{base}{page}", timeout=30, allow_redirects=False)
        assert resp.status_code in (302, 401), f"{page}: {resp.status_code}"
        if resp.status_code == 302:
            assert "/login" in resp.headers["Location"], f"{page} redirects to {resp.headers['Location']}"
    bad = requests.post(f"{base}/api/v1/security/login", timeout=30,
                        json={"username": "admin", "password": "admin", "provider": "db"})
    assert bad.status_code == 401, "the admin password must never be 'admin'"


def _sqllab(server, session: requests.Session, sql: str) -> requests.Response:
    server.with_csrf(session)
    db_id = session.get(f"{server.base_url}/api/v1/database/", timeout=30).json()
    database_id = db_id["result"][0]["id"] if db_id.get("result") else 1
    return session.post(f"{server.base_url}/api/v1/sqllab/execute/", timeout=60,
                        json={"database_id": database_id, "sql": sql, "schema": "marts", "runAsync": False})


@pytest.fixture(scope="module")
def partner_ids(superset_server) -> tuple[int, int]:
    with _warehouse(superset_server) as con:
        rows = con.execute(
            "SELECT partner_id FROM marts.fct_partner_monthly GROUP BY 1 "
            "HAVING SUM(referred_revenue) > 0 ORDER BY SUM(referred_revenue) DESC LIMIT 2").fetchall()
    assert len(rows) == 2, "the warehouse needs two partners with revenue"
    return rows[0][0], rows[1][0]


def test_partner_sees_only_its_own_rows_and_no_sql_lab(superset_server, admin_api, dashboards, partner_ids):
    base = superset_server.base_url
    mine, _ = partner_ids
    creds = superset_server.new_user("provision-partner", "--partner-id", str(mine))
    assert creds["password"] and creds["password"] != "admin"
    partner = superset_server.login(creds["username"], creds["password"])

    listed = partner.get(f"{base}/api/v1/dashboard/", params={"q": "(page_size:100)"}, timeout=30).json()["result"]
    assert [d["slug"] for d in listed] == ["partner-portal"], "partners may open the partner portal only"
    internal = next(d for d in dashboards if d["slug"] == "partners")
    assert partner.get(f"{base}/api/v1/dashboard/{internal['id']}", timeout=30).status_code in (403, 404)

    portal = next(d for d in dashboards if d["slug"] == "partner-portal")
    seen_partner_ids: set = set()
    for chart in portal["charts"]:
        mine_rows = _chart_data(partner, base, chart["id"])["result"][0]["data"]
        all_rows = _chart_data(admin_api, base, chart["id"])["result"][0]["data"]
        assert mine_rows, f"{chart['slice_name']}: partner {mine} sees nothing"
        if "partner_id" in mine_rows[0]:
            ids = {r["partner_id"] for r in mine_rows}
            assert ids == {mine}, f"{chart['slice_name']}: partner {mine} sees partners {ids}"
            assert len({r["partner_id"] for r in all_rows}) > 1, "admin sees every partner"
            seen_partner_ids |= ids
    assert seen_partner_ids == {mine}

    # The revenue KPI equals the warehouse total for this partner alone, month by month, over the
    # chart's window ("Last 12 months : tomorrow").
    kpi = next(c for c in portal["charts"] if c["slice_name"].startswith("推荐收入"))
    series = _chart_data(partner, base, kpi["id"])["result"][0]["data"]
    got = {_as_date(r["month_start"]): round(r["partner_sourced_revenue"], 2) for r in series}
    with _warehouse(superset_server) as con:
        expected = {m: round(float(v), 2) for m, v in con.execute(
            "SELECT CAST(date_trunc('month', month_start) AS DATE), SUM(referred_revenue) "
            "FROM marts.fct_partner_monthly WHERE partner_id = ? AND month_start >= ? AND month_start < ? "
            "GROUP BY 1", [mine, _months_ago(12), dt.date.today() + dt.timedelta(days=1)]).fetchall()}
    assert got == expected, f"partner {mine}: Superset {got} vs warehouse {expected}"

    resp = _sqllab(superset_server, partner, "SELECT COUNT(*) FROM marts.fct_partner_monthly")
    assert resp.status_code in (401, 403), f"partner ran SQL Lab: {resp.status_code} {resp.text[:200]}"


def _months_ago(months: int) -> dt.date:
    """Superset's DATEADD(today, -N, month)."""
    today = dt.date.today()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    for day in (today.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _as_date(value):
    """Chart data returns epoch milliseconds for temporal axes."""
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc).date()
    return dt.date.fromisoformat(str(value)[:10])


def test_viewer_reads_dashboards_but_has_no_sql_lab(superset_server, dashboards):
    creds = superset_server.new_user("add-user", "--username", "test_viewer", "--role", "viewer")
    viewer = superset_server.login(creds["username"], creds["password"])
    listed = {d["slug"] for d in viewer.get(f"{superset_server.base_url}/api/v1/dashboard/",
                                              params={"q": "(page_size:100)"}, timeout=30).json()["result"]}
    # every dashboard, the partner portal included (staff preview it; its RLS binds partner roles only)
    assert listed == {d["slug"] for d in dashboards}
    ops = next(d for d in dashboards if d["slug"] == "operations-center")
    assert _chart_data(viewer, superset_server.base_url, ops["charts"][0]["id"])["result"][0]["rowcount"] > 0
    resp = _sqllab(superset_server, viewer, "SELECT 1")
    assert resp.status_code in (401, 403)


def test_analyst_sql_lab_reads_marts_but_never_raw(superset_server):
    creds = superset_server.new_user("add-user", "--username", "test_analyst", "--role", "analyst")
    analyst = superset_server.login(creds["username"], creds["password"])
    ok = _sqllab(superset_server, analyst, "SELECT COUNT(*) AS n FROM marts.fct_orders")
    assert ok.status_code == 200, ok.text[:500]
    with _warehouse(superset_server) as con:
        expected = con.execute("SELECT COUNT(*) FROM marts.fct_orders").fetchone()[0]
    assert ok.json()["data"][0]["n"] == expected
    # raw holds source PII: not granted, whether or not the serving copy contains it
    denied = _sqllab(superset_server, analyst, "SELECT * FROM raw.customers")
    assert denied.status_code != 200, denied.text[:300]
    errors = denied.json()["errors"]
    assert errors[0]["error_type"] == "TABLE_SECURITY_ACCESS_ERROR" and "raw.customers" in errors[0]["message"]
    # the serving copy is opened read-only: no writes even where SQL Lab DML is refused anyway
    write = _sqllab(superset_server, analyst, "CREATE TABLE marts.x AS SELECT 1 AS a")
    assert write.status_code != 200 or write.json().get("status") != "success"


def test_dashboard_metadata(admin_api, superset_server, dashboards):
    ops = next(d for d in dashboards if d["slug"] == "operations-center")
    full = admin_api.get(f"{superset_server.base_url}/api/v1/dashboard/{ops['id']}", timeout=30).json()["result"]
    metadata = json.loads(full["json_metadata"])
    assert metadata["refresh_frequency"] == 30
    names = [f["name"] for f in metadata["native_filter_configuration"]]
    assert any("Date range" in n for n in names) and len(names) >= 2
