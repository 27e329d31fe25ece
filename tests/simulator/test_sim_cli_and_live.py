"""The command line, progress reporting and live mode."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sqlite3
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

from sim_testkit import REPO_ROOT, Generated, run_cli
from test_sim_clickstream import problems_in_line

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_progress_is_reported_per_phase_and_table(small_run: Generated):
    for marker in ("customers:", "orders:", "clickstream:", "wrote orders:", "wrote payments:", "done"):
        assert marker in small_run.stderr, f"no progress line containing {marker!r}"


def test_bad_arguments_exit_with_a_message(tmp_path):
    result = run_cli("generate", "--scale", "0", "--out", str(tmp_path))
    assert result.returncode != 0 and "positive" in result.stderr
    result = run_cli("generate", "--end-date", "24/11/2026", "--out", str(tmp_path))
    assert result.returncode != 0 and "YYYY-MM-DD" in result.stderr


def _snapshot(db) -> dict:
    with sqlite3.connect(db) as conn:
        return {
            "max_order": conn.execute("SELECT MAX(order_id) FROM orders").fetchone()[0],
            "max_ticket": conn.execute("SELECT MAX(ticket_id) FROM support_tickets").fetchone()[0],
            "max_payment": conn.execute("SELECT MAX(payment_id) FROM payments").fetchone()[0],
            "max_updated": conn.execute("SELECT MAX(updated_at) FROM orders").fetchone()[0],
            "orders": conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0],
        }


def test_live_appends_rows_and_files_then_stops(live_copy: Generated):
    before = _snapshot(live_copy.sqlite)
    files_before = set(p.name for p in live_copy.landing.iterdir())
    started = dt.datetime.now(SHANGHAI).replace(tzinfo=None)
    result = run_cli("live", "--rate", "100", "--duration", "4", "--tick", "1", "--seed", "1", "--out", str(live_copy.out),
                     timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    finished = dt.datetime.now(SHANGHAI).replace(tzinfo=None)
    new_files = sorted(set(p.name for p in live_copy.landing.iterdir()) - files_before)
    assert len(new_files) >= 3, new_files
    assert not [p for p in live_copy.landing.iterdir() if p.name.startswith(".")], "temporary files left behind"
    events = []
    for name in new_files:
        for number, line in enumerate((live_copy.landing / name).open(encoding="utf-8"), start=1):
            assert not problems_in_line(line, f"{name}:{number}"), problems_in_line(line, f"{name}:{number}")
            events.append(json.loads(line))
    assert len(events) >= 200  # ~100 events/s for ~4 s
    stamps = [dt.datetime.fromisoformat(e["occurred_at"]).replace(tzinfo=None) for e in events]
    assert min(stamps) >= started - dt.timedelta(seconds=2) and max(stamps) <= finished, "events must carry wall-clock time"
    after = _snapshot(live_copy.sqlite)
    assert after["max_order"] > before["max_order"] and after["orders"] > before["orders"]
    assert after["max_payment"] > before["max_payment"]
    with sqlite3.connect(live_copy.sqlite) as conn:
        new_orders = conn.execute("SELECT MIN(order_id), COUNT(*) FROM orders WHERE order_id > ?", (before["max_order"],)).fetchone()
        in_place = conn.execute("SELECT COUNT(*) FROM orders WHERE order_id <= ? AND updated_at > ?",
                                (before["max_order"], before["max_updated"])).fetchone()[0]
        sale_stock = conn.execute("""SELECT COUNT(*) FROM (SELECT product_id, warehouse_id, SUM(quantity) s
                                     FROM inventory_movements GROUP BY 1, 2) WHERE s < 0""").fetchone()[0]
    assert new_orders[0] == before["max_order"] + 1, "ids continue after the existing maximum"
    assert in_place > 0, "existing orders should be updated in place (status progression)"
    assert sale_stock == 0
    checkout_ids = {e["properties"]["order_id"] for e in events if e["event_name"] == "checkout"}
    assert checkout_ids and min(checkout_ids) > before["max_order"]


def test_live_stops_cleanly_on_sigterm(live_copy: Generated):
    files_before = set(live_copy.landing.iterdir())
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "live", "--rate", "20", "--tick", "0.5", "--out",
                             str(live_copy.out)], cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)
    try:
        first_line = proc.stderr.readline()  # printed once the signal handlers are installed and the state loaded
        assert "appending" in first_line, first_line
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-2000:]
    assert "stopped after" in stderr
    assert set(live_copy.landing.iterdir()) - files_before, "live mode wrote no file before being stopped"
