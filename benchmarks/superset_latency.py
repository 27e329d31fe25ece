"""Superset latency benchmark (not a test): chart-data latency cold and warm per dashboard, and the
time until every chart of a dashboard is rendered in headless Chromium, cold and warm. Writes JSON.

Run against a running Superset (e.g. after `make demo`), with the pipeline venv (selenium):
    .venv/bin/python benchmarks/superset_latency.py [--url http://127.0.0.1:8088] [--out FILE]
        [--username U --password P] [--repeats 10] [--no-browser] [--dashboards slug,slug]

Credentials default to the admin written by `superset/manage.py init`
($ZHISHU_DATA_DIR/superset/admin_credentials.json).

Definitions
  cold chart data   POST /api/v1/chart/data with the chart's stored query context and force=true:
                    the warehouse query runs (what a chart costs right after a pipeline build)
  warm chart data   the same request without force, answered from the data cache (median of
                    --repeats; p95 over all charts of the dashboard)
  render cold/warm  navigation start -> every chart drawn (or failed) in Chromium, measured in the
                    page's own clock; cold opens the dashboard with ?force=true (no cache), warm
                    reopens it normally. The browser's static assets are cached after the first page.
Platform targets: every dashboard rendered in < 3 s, p95 warm chart query < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "superset"))

from zhishu_bi import browser, settings  # noqa: E402

TARGET_RENDER_MS = 3000
TARGET_WARM_P95_MS = 100


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 1)


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": percentile(values, 0.5), "p95": percentile(values, 0.95),
            "max": round(max(values), 1) if values else None}


def login(base: str, username: str, password: str) -> requests.Session:
    resp = requests.post(f"{base}/api/v1/security/login", timeout=30,
                         json={"username": username, "password": password, "provider": "db", "refresh": False})
    resp.raise_for_status()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
    return session


def timed_chart_data(session: requests.Session, base: str, query_context: dict, force: bool) -> tuple[float, dict]:
    body = dict(query_context, force=force)
    t0 = time.perf_counter()
    resp = session.post(f"{base}/api/v1/chart/data", json=body, timeout=300)
    elapsed = (time.perf_counter() - t0) * 1000
    resp.raise_for_status()
    return elapsed, resp.json()


def bench_api(session: requests.Session, base: str, dashboard: dict, repeats: int) -> dict:
    charts = session.get(f"{base}/api/v1/dashboard/{dashboard['id']}/charts", timeout=30).json()["result"]
    cold, warm, per_chart = [], [], []
    for chart in charts:
        detail = session.get(f"{base}/api/v1/chart/{chart['id']}", timeout=30).json()["result"]
        qc = json.loads(detail["query_context"])
        qc.setdefault("form_data", {})["slice_id"] = chart["id"]
        cold_ms, _ = timed_chart_data(session, base, qc, force=True)
        warm_runs = []
        cached = True
        for _ in range(repeats):
            ms, payload = timed_chart_data(session, base, qc, force=False)
            warm_runs.append(ms)
            cached &= all(q.get("is_cached") for q in payload["result"])
        cold.append(cold_ms)
        warm.append(statistics.median(warm_runs))
        per_chart.append({"chart": chart["slice_name"], "cold_ms": round(cold_ms, 1),
                          "warm_median_ms": round(statistics.median(warm_runs), 1), "warm_from_cache": cached})
    return {"charts": len(charts), "chart_data_cold_ms": summary(cold), "chart_data_warm_ms": summary(warm),
            "per_chart": per_chart}


def bench_browser(base: str, username: str, password: str, dashboards: list[dict], screenshots: Path | None) -> dict:
    driver = browser.make_driver()
    out = {}
    try:
        browser.login(driver, base, username, password)
        driver.get(f"{base}/superset/welcome/")  # load the JS bundles once: they are not what we measure
        for dash in dashboards:
            n = dash["chart_count"]
            cold = browser.open_dashboard(driver, base, dash["slug"], n, timeout_s=120, force=True)
            warm = browser.open_dashboard(driver, base, dash["slug"], n, timeout_s=120, screenshot_dir=screenshots)
            out[dash["slug"]] = {
                "render_cold_ms": round(cold.render_ms, 1) if cold.render_ms else None,
                "render_warm_ms": round(warm.render_ms, 1) if warm.render_ms else None,
                "failures": warm.failures,
            }
    finally:
        driver.quit()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"http://127.0.0.1:{settings.port()}")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--dashboards", help="comma-separated slugs (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "test-artifacts" / "benchmarks" / "superset_latency.json")
    args = parser.parse_args(argv)
    if not (args.username and args.password):
        cred = json.loads((settings.state_dir() / "admin_credentials.json").read_text())
        args.username, args.password = cred["username"], cred["password"]
    base = args.url.rstrip("/")
    session = login(base, args.username, args.password)
    listed = session.get(f"{base}/api/v1/dashboard/", params={"q": "(page_size:100)"}, timeout=30).json()["result"]
    wanted = set(args.dashboards.split(",")) if args.dashboards else None
    dashboards = sorted((d for d in listed if wanted is None or d["slug"] in wanted), key=lambda d: d["slug"])

    started = time.time()
    results: dict[str, dict] = {}
    for dash in dashboards:
        print(f"chart data: {dash['slug']} ...", flush=True)
        results[dash["slug"]] = bench_api(session, base, dash, args.repeats)
        dash["chart_count"] = results[dash["slug"]]["charts"]
    if not args.no_browser:
        print("rendering in Chromium ...", flush=True)
        for slug, r in bench_browser(base, args.username, args.password, dashboards,
                                     args.out.parent / "screenshots").items():
            results[slug].update(r)

    warm_all = [c["warm_median_ms"] for r in results.values() for c in r["per_chart"]]
    cold_all = [c["cold_ms"] for r in results.values() for c in r["per_chart"]]
    renders = [r["render_warm_ms"] for r in results.values() if r.get("render_warm_ms") is not None]
    overall = {
        "chart_data_warm_ms": summary(warm_all),
        "chart_data_cold_ms": summary(cold_all),
        "render_warm_max_ms": max(renders) if renders else None,
        "render_cold_max_ms": max((r["render_cold_ms"] for r in results.values() if r.get("render_cold_ms")), default=None),
        "meets_warm_p95_target": (percentile(warm_all, 0.95) or 1e9) < TARGET_WARM_P95_MS,
        "meets_render_target": bool(renders) and max(renders) < TARGET_RENDER_MS and len(renders) == len(results),
    }
    report = {
        "benchmark": "superset_latency",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "duration_s": round(time.time() - started, 1),
        "superset_url": base,
        "host": {"platform": platform.platform(), "cpus": os.cpu_count(),
                 "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "serving_file_bytes": settings.serving_duckdb_path().stat().st_size
        if settings.serving_duckdb_path().exists() else None,
        "targets": {"render_ms": TARGET_RENDER_MS, "chart_data_warm_p95_ms": TARGET_WARM_P95_MS},
        "overall": overall,
        "dashboards": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(overall, indent=2))
    for slug, r in results.items():
        print(f"  {slug:28s} charts={r['charts']:3d} warm p95={r['chart_data_warm_ms']['p95']} ms "
              f"cold p95={r['chart_data_cold_ms']['p95']} ms render warm={r.get('render_warm_ms')} ms "
              f"cold={r.get('render_cold_ms')} ms")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
