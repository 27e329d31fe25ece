"""Every dashboard in headless Chromium: all charts render, none shows an error; one screenshot each
under test-artifacts/screenshots/. Also: the queries the browser sends are the stored query contexts
(so cache warm-up after a pipeline build fills exactly what dashboards read), and a partner sees the
portal with its own rows only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from superset_testlib import ARTIFACTS, SUPERSET_DIR, unavailable
from zhishu_bi import browser

pytestmark = [pytest.mark.superset, pytest.mark.browser]

SCREENSHOTS = ARTIFACTS / "screenshots"


def _specs() -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((SUPERSET_DIR / "assets" / "dashboards").glob("*.yaml"))]


def _stored_queries() -> dict[str, list]:
    """Chart uuid -> the queries of its stored query context."""
    out = {}
    for path in (SUPERSET_DIR / "assets" / "charts").glob("*.yaml"):
        cfg = yaml.safe_load(path.read_text())
        out[cfg["uuid"]] = json.loads(cfg["query_context"])["queries"]
    return out


@pytest.fixture(scope="module")
def driver(superset_server):
    if not Path(browser.CHROMIUM).exists() or not Path(browser.CHROMEDRIVER).exists():
        unavailable("Debian chromium / chromium-driver are not installed")
    drv = browser.make_driver(capture_network=True)
    try:
        browser.login(drv, superset_server.base_url, superset_server.admin["username"], superset_server.admin["password"])
        yield drv
    finally:
        drv.quit()


@pytest.mark.parametrize("slug", [d["slug"] for d in _specs()])
def test_dashboard_renders_every_chart_without_error(driver, superset_server, dashboards, admin_api, slug):
    dash = next(d for d in dashboards if d["slug"] == slug)
    browser.drain_network(driver)
    result = browser.open_dashboard(driver, superset_server.base_url, slug, len(dash["charts"]),
                                    timeout_s=120, screenshot_dir=SCREENSHOTS)
    assert result.screenshot and result.screenshot.exists()
    assert len(result.charts) == len(dash["charts"]), f"{slug}: {len(result.charts)} charts on screen"
    assert not result.failures, f"{slug}:\n" + "\n".join(result.failures)
    assert result.render_ms is not None

    seen = browser.network_requests(driver)
    # Nothing leaves the platform: every request goes to Superset itself (no telemetry, fonts, tiles).
    external = {r["url"][:80] for r in seen if not r["blocked"]
                and not r["url"].startswith((superset_server.base_url, "data:", "blob:"))}
    assert not external, f"{slug}: requests outside Superset: {external}"

    # What the browser asked for is what we store: same query objects, chart by chart.
    sent = browser.chart_data_bodies(seen)
    stored = _stored_queries()
    uuid_by_id = _chart_uuids(admin_api, superset_server.base_url, dash)
    compared: set[int] = set()  # a slow page may see the 30 s auto-refresh: count charts, not requests
    for body in sent:
        chart_id = (body.get("form_data") or {}).get("slice_id")
        if chart_id not in uuid_by_id:
            continue  # native filter option queries
        assert _canonical(body["queries"]) == _canonical(stored[uuid_by_id[chart_id]]), \
            f"{slug}: chart {chart_id} query differs from its stored query context"
        compared.add(chart_id)
    assert len(compared) == len(dash["charts"]), f"{slug}: saw queries of {len(compared)} charts of {len(dash['charts'])}"


def _canonical(queries: list) -> str:
    return json.dumps(queries, sort_keys=True, ensure_ascii=False)


def _chart_uuids(session, base: str, dash: dict) -> dict[int, str]:
    """Chart id -> uuid, through the dashboard layout (uuid is what the assets are keyed by)."""
    full = session.get(f"{base}/api/v1/dashboard/{dash['id']}", timeout=30).json()["result"]
    position = json.loads(full["position_json"])
    return {node["meta"]["chartId"]: node["meta"]["uuid"] for node in position.values()
            if isinstance(node, dict) and node.get("type") == "CHART"}


def test_partner_portal_in_the_browser_shows_only_own_rows(superset_server, dashboards):
    import duckdb

    with duckdb.connect(str(superset_server.serving_path), read_only=True) as con:
        partner_id = con.execute("SELECT partner_id FROM marts.fct_commission_ledger GROUP BY 1 "
                                 "ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
    creds = superset_server.new_user("provision-partner", "--partner-id", str(partner_id))
    portal = next(d for d in dashboards if d["slug"] == "partner-portal")
    drv = browser.make_driver()
    try:
        browser.login(drv, superset_server.base_url, creds["username"], creds["password"])
        result = browser.open_dashboard(drv, superset_server.base_url, "partner-portal", len(portal["charts"]),
                                        timeout_s=120, screenshot_dir=SCREENSHOTS / "partner")
        assert not result.failures, "\n".join(result.failures)
        ledger_ids = drv.execute_script(browser.TABLE_COLUMN_JS, "佣金台账", "partner_id")
        assert ledger_ids and set(ledger_ids) == {str(partner_id)}, ledger_ids
        drv.get(f"{superset_server.base_url}/superset/dashboard/operations-center/")
        assert browser.charts_on_page(drv) == 0, "a partner must not see internal dashboards"
    finally:
        drv.quit()
