"""Headless Chromium (Debian's chromium + chromedriver) driving Superset dashboards.

Used by the browser test and the latency benchmark (both run in the pipeline venv, where selenium is
installed). A dashboard counts as rendered when every chart holder shows its visualisation or an
error, and no loading indicator is left.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
)

# One JS pass over the dashboard grid: per chart, is it loading, failed, empty or drawn?
_CHART_STATES_JS = """
const charts = [...document.querySelectorAll('[data-test="chart-grid-component"]')];
return charts.map(c => {
  const alert = c.querySelector('[role="alert"], .ant-alert-error');
  const empty = c.querySelector('.ant-empty, [data-test="empty-state"], .empty-state');
  const drawn = c.querySelector('[data-test="chart-container"] canvas, [data-test="chart-container"] svg, '
    + '[data-test="chart-container"] table, .superset-legacy-chart-big-number, '
    + '[data-test="chart-container"] .header-line');
  return {
    id: c.getAttribute('data-test-chart-id'),
    name: c.getAttribute('data-test-chart-name'),
    viz: c.getAttribute('data-test-viz-type'),
    loading: !!c.querySelector('[data-test="loading-indicator"], img.loading, [aria-label="Loading"]'),
    error: alert ? (alert.innerText || 'error').slice(0, 300) : null,
    empty: empty ? (empty.innerText || 'empty').slice(0, 200) : null,
    drawn: !!drawn,
  };
});
"""

# Resolves (inside the page) when every expected chart is drawn or failed: the moment is taken in the
# page's own clock, so the render time does not include WebDriver polling.
_WAIT_RENDERED_JS = """
const expected = arguments[0], timeoutMs = arguments[1], done = arguments[arguments.length - 1];
const t0 = performance.now();
function settled() {
  const charts = [...document.querySelectorAll('[data-test="chart-grid-component"]')];
  if (charts.length < expected) return false;
  return charts.every(c => !c.querySelector('[data-test="loading-indicator"], img.loading, [aria-label="Loading"]')
    && (c.querySelector('[role="alert"], .ant-alert-error, .ant-empty, [data-test="empty-state"]')
        || c.querySelector('[data-test="chart-container"] canvas, [data-test="chart-container"] svg, '
          + '[data-test="chart-container"] table, .superset-legacy-chart-big-number')));
}
function tick() {
  if (settled()) { done({ok: true, at: performance.now()}); return; }
  if (performance.now() - t0 > timeoutMs) { done({ok: false, at: performance.now()}); return; }
  requestAnimationFrame(tick);
}
tick();
"""


@dataclass
class DashboardResult:
    slug: str
    render_ms: float | None  # navigation start -> every chart settled (None: timed out)
    charts: list[dict[str, Any]]
    screenshot: Path | None

    @property
    def failures(self) -> list[str]:
        out = []
        for c in self.charts:
            if c["error"]:
                out.append(f"{c['name']} ({c['viz']}): error: {c['error']}")
            elif c["empty"]:
                out.append(f"{c['name']} ({c['viz']}): no data: {c['empty']}")
            elif c["loading"] or not c["drawn"]:
                out.append(f"{c['name']} ({c['viz']}): never finished rendering")
        return out


def make_driver(width: int = 1600, height: int = 1200, capture_network: bool = False):
    """Headless Chromium with a fresh profile. capture_network: keep the DevTools network log, so
    network_requests() can read what the page asked the server for."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    if capture_network:
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='zhishu-chromium-')}")  # fresh profile
    opts.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(120)
    return driver


def login(driver, base_url: str, username: str, password: str, timeout: float = 30) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base_url}/login/")
    wait = WebDriverWait(driver, timeout)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '[data-test="username-input"]')))
    driver.find_element(By.CSS_SELECTOR, '[data-test="username-input"]').send_keys(username)
    driver.find_element(By.CSS_SELECTOR, '[data-test="password-input"]').send_keys(password)
    driver.find_element(By.CSS_SELECTOR, '[data-test="login-button"]').click()
    wait.until(lambda d: "/login" not in d.current_url)


def open_dashboard(driver, base_url: str, slug: str, expected_charts: int, timeout_s: float = 60,
                   screenshot_dir: Path | None = None, force: bool = False) -> DashboardResult:
    """Open a dashboard and wait until every chart settled. force: bypass the data cache."""
    driver.get(f"{base_url}/superset/dashboard/{slug}/" + ("?force=true" if force else ""))
    outcome = driver.execute_async_script(_WAIT_RENDERED_JS, expected_charts, int(timeout_s * 1000))
    states = driver.execute_script(_CHART_STATES_JS)
    shot = None
    if screenshot_dir is not None:
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        shot = screenshot_dir / f"{slug}.png"
        full_page_screenshot(driver, shot)
    return DashboardResult(slug, outcome["at"] if outcome["ok"] else None, states, shot)


def full_page_screenshot(driver, path: Path) -> None:
    """The dashboard scrolls inside the window: grow the window to the content, then capture."""
    size = driver.get_window_size()
    height = driver.execute_script(
        "const g = document.querySelector('[data-test=\"dashboard-content-wrapper\"]') || document.body;"
        "return Math.max(document.body.scrollHeight, g.scrollHeight + g.getBoundingClientRect().top);")
    driver.set_window_size(size["width"], min(max(int(height) + 40, size["height"]), 6000))
    time.sleep(0.5)  # echarts re-layout after the resize
    driver.save_screenshot(str(path))
    driver.set_window_size(size["width"], size["height"])


def drain_network(driver) -> None:
    driver.get_log("performance")


def network_requests(driver) -> list[dict[str, Any]]:
    """Requests the page sent since the last drain (needs capture_network): url, method, post body."""
    import json

    out = []
    by_id: dict[str, dict[str, Any]] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.loadingFailed":
            item = by_id.get(message["params"]["requestId"])
            if item is not None:  # e.g. blockedReason "csp": refused by the page's policy, never sent
                item["blocked"] = message["params"].get("blockedReason")
            continue
        if message.get("method") != "Network.requestWillBeSent":
            continue
        request = message["params"]["request"]
        item = {"url": request["url"], "method": request.get("method"), "body": request.get("postData"),
                "blocked": None}
        by_id[message["params"]["requestId"]] = item
        if item["method"] == "POST" and item["body"] is None and "/api/v1/chart/data" in item["url"]:
            try:
                item["body"] = driver.execute_cdp_cmd("Network.getRequestPostData",
                                                      {"requestId": message["params"]["requestId"]})["postData"]
            except Exception:  # noqa: BLE001 - body no longer available
                pass
        out.append(item)
    return out


def chart_data_bodies(requests_seen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bodies of the POST /api/v1/chart/data requests among network_requests()."""
    import json

    return [json.loads(r["body"]) for r in requests_seen
            if "/api/v1/chart/data" in r["url"] and r["method"] == "POST" and r["body"]]


# Cell texts of one column of the table chart whose title contains arguments[0].
TABLE_COLUMN_JS = """
const [title, column] = arguments;
const chart = [...document.querySelectorAll('[data-test="chart-grid-component"]')]
  .find(c => (c.getAttribute('data-test-chart-name') || '').includes(title));
if (!chart) return null;
const headers = [...chart.querySelectorAll('thead th')].map(th => th.innerText.trim());
const idx = headers.indexOf(column);
if (idx < 0) return null;
return [...chart.querySelectorAll('tbody tr')].map(tr => (tr.children[idx] || {}).innerText).filter(Boolean);
"""


def charts_on_page(driver, settle_s: float = 5.0) -> int:
    """How many chart holders the current page shows after it had time to load."""
    time.sleep(settle_s)
    return int(driver.execute_script(
        "return document.querySelectorAll('[data-test=\"chart-grid-component\"]').length"))
