"""Every governed metric answers through MetricFlow on DuckDB and PostgreSQL, and a sample of them
equals hand-written SQL on the marts.

All metrics are queried through MetricFlow's engine in one subprocess per target
(dbtb_mf_query_all.py, `--group-by metric_time` semantics), and `mf query ... --csv` (the CLI
analysts use) is exercised on a few metrics.
"""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import dbtb_warehouse as wh

REQUIRED_METRICS = {
    "dau", "wau", "mau", "stickiness", "new_signups", "activation_rate", "visit_to_order_conversion", "orders",
    "gmv", "aov", "net_revenue", "refund_rate", "mrr", "arr", "arpu", "customer_churn_rate",
    "net_revenue_retention", "payment_success_rate", "tickets_created", "median_first_response_minutes",
    "sla_breach_rate", "csat", "nps", "marketing_spend", "cac", "roas", "partner_sourced_revenue",
    "commissions_payable", "inventory_turnover", "stock_out_rate",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _semantic_manifest(warehouse) -> dict:
    return json.loads((warehouse.project_dir / "target" / "semantic_manifest.json").read_text())


@pytest.fixture(scope="module")
def metric_results(warehouse) -> dict:
    # `dbt run` in the warehouse fixture wrote target/semantic_manifest.json for this target.
    out = warehouse.project_dir / f"mf_results_{warehouse.target}.json"
    script = Path(wh.__file__).with_name("dbtb_mf_query_all.py")
    result = subprocess.run([sys.executable, str(script), str(out), "metric_time"], cwd=warehouse.project_dir,
                            env=warehouse.env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-5000:]
    return json.loads(out.read_text())


def test_metrics_are_defined_with_description_and_chinese_label(warehouse):
    metrics = {m["name"]: m for m in _semantic_manifest(warehouse)["metrics"]}
    assert len(metrics) >= 30
    missing = REQUIRED_METRICS - set(metrics)
    assert not missing, f"required metrics not defined: {sorted(missing)}"
    for name, metric in metrics.items():
        assert metric.get("description", "").strip(), f"{name}: no description"
        label_zh = (metric.get("config") or {}).get("meta", {}).get("label_zh") or metric.get("meta", {}).get("label_zh")
        assert CJK.search(metric.get("label") or "") or CJK.search(label_zh or ""), f"{name}: no Chinese label"


def test_every_metric_answers_by_metric_time(metric_results):
    failures = {name: r["error"].strip().splitlines()[-1] for name, r in metric_results.items() if r["error"]}
    assert failures == {}
    for name, result in metric_results.items():
        time_columns = [c for c in result["columns"] if c.startswith("metric_time")]
        assert time_columns and name in result["columns"], (name, result["columns"])
    # On the simulated platform every required metric has data.
    empty = sorted(m for m in REQUIRED_METRICS if not any(row[1] is not None for row in metric_results[m]["rows"]))
    assert empty == []


def test_mf_query_cli_writes_csv(warehouse):
    out = warehouse.project_dir / f"mf_cli_{warehouse.target}.csv"
    result = wh.run_mf(warehouse.project_dir, ["query", "--metrics", "gmv,orders,aov", "--group-by",
                                               "metric_time__month", "--csv", str(out)], warehouse.env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(out) as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {"metric_time__month", "gmv", "orders", "aov"} <= set(rows[0])
    for row in rows:
        assert math.isclose(float(row["aov"]), float(row["gmv"]) / float(row["orders"]), rel_tol=1e-9)


def _by_period(result: dict) -> dict[str, float | None]:
    return {str(row[0])[:10]: (None if row[1] is None else float(row[1])) for row in result["rows"]}


def _sql_by_period(warehouse, sql: str) -> dict[str, float | None]:
    return {str(period)[:10]: (None if value is None else float(value)) for period, value in warehouse.query(sql)}


def _assert_same(metric: str, from_mf: dict, from_sql: dict, skip_none: bool = False, fill_zero: bool = False):
    if skip_none:
        from_mf = {k: v for k, v in from_mf.items() if v is not None}
        from_sql = {k: v for k, v in from_sql.items() if v is not None}
    if fill_zero:  # a dense mart has zero days the reference query has no row for (and vice versa)
        from_mf = {k: v for k, v in from_mf.items() if v}
        from_sql = {k: v for k, v in from_sql.items() if v}
    assert from_sql, f"{metric}: the reference SQL returned nothing"
    assert set(from_mf) == set(from_sql), f"{metric}: periods differ {sorted(set(from_mf) ^ set(from_sql))[:5]}"
    wrong = {k: (from_mf[k], from_sql[k]) for k in from_sql
             if not math.isclose(from_mf[k], from_sql[k], rel_tol=1e-9, abs_tol=1e-9)}
    assert wrong == {}, f"{metric}: {len(wrong)} periods differ, e.g. {sorted(wrong.items())[:3]}"


REFERENCE_SQL = {
    "gmv": "select ordered_on, sum(gmv_amount) from marts.fct_orders group by 1",
    "orders": "select ordered_on, sum(case when is_cancelled then 0 else 1 end) from marts.fct_orders group by 1",
    "mrr": "select month_start, closing_mrr from marts.fct_mrr_bridge",
    "customer_churn_rate": """select month_start, case when opening_customers > 0
                                then cast(churned_customers as double precision) / opening_customers end
                              from marts.fct_mrr_bridge""",
    "payment_success_rate": """select attempted_date,
                                 cast(sum(case when is_success then 1 else 0 end) as double precision) / count(*)
                               from marts.fct_payments group by 1""",
    "commissions_payable": "select period_month, sum(commission_amount) from marts.fct_commission_ledger group by 1",
    "marketing_spend": "select activity_date, sum(spend_amount) from marts.fct_marketing_channel_daily group by 1",
    "dau": """select activity_date, count(distinct case when is_active then customer_id end)
              from marts.fct_customer_daily_activity group by 1""",
    "median_first_response_minutes": """select opened_on, percentile_cont(0.5) within group (order by first_response_minutes)
                                        from marts.fct_tickets group by 1""",
    "nps": "select responded_on, avg(nps_points) from marts.fct_nps_responses group by 1",
    "tickets_created": "select opened_on, count(*) from marts.fct_tickets group by 1",
}


@pytest.mark.parametrize("metric", sorted(REFERENCE_SQL))
def test_metric_equals_hand_written_sql(warehouse, metric_results, metric):
    # Ratio metrics are NULL on a day whose denominator is 0 in both; compare the defined values.
    _assert_same(metric, _by_period(metric_results[metric]), _sql_by_period(warehouse, REFERENCE_SQL[metric]),
                 skip_none=metric in {"median_first_response_minutes", "customer_churn_rate"},
                 fill_zero=metric in {"dau", "marketing_spend"})


@pytest.mark.parametrize("metric,window_days", [("wau", 7), ("mau", 30)])
def test_rolling_actives_are_distinct_counts_over_the_window(warehouse, metric_results, metric, window_days):
    values = _by_period(metric_results[metric])
    active_days = sorted(d for d, v in values.items() if v)
    assert active_days, f"{metric} has no active days"
    # A sample across the history (every 25th day) plus the last 10 days.
    for day in sorted(set(active_days[::25] + active_days[-10:])):
        expected = warehouse.query(f"""
            select count(distinct customer_id) from marts.fct_customer_daily_activity
            where is_active and activity_date > cast('{day}' as date) - {window_days}
              and activity_date <= cast('{day}' as date)
        """)[0][0]
        assert values[day] == expected, day
