"""Builders shared by the data-quality tests (module name kept unique: every test area has a
conftest.py, so helpers are imported from here, not from `conftest`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SIM_ARGS = ["--scale", "0.01", "--seed", "7", "--end-date", "2026-11-24"]
TEST_PII_SALT = "test-salt-not-a-secret"
NOW = datetime(2026, 11, 25, 12, 0, 0)  # fixed "now" (platform-local) for time expectations


# --- small valid frames, shaped like the raw tables -------------------------------------------

LOADED_AT = NOW - timedelta(hours=1)


def _audit(n: int, load_id: str = "load-1") -> dict[str, list]:
    t = [NOW - timedelta(days=2)] * n
    return {"created_at": t, "updated_at": t, "_loaded_at": [LOADED_AT] * n, "_load_id": [load_id] * n}


@dataclass
class Frames:
    """Clean rows for a few raw tables; every suite passes on them."""

    def customers(self, n: int = 3) -> pd.DataFrame:
        return pd.DataFrame({
            "customer_id": list(range(1, n + 1)),
            "full_name": [f"客户{i}" for i in range(1, n + 1)],
            "email": [f"c{i}@example.com" for i in range(1, n + 1)],
            "phone": [f"1380000{i:04d}" for i in range(1, n + 1)],
            "city": ["Shanghai"] * n, "region": ["east"] * n,
            "acquisition_channel": ["wechat"] * n, "partner_id": [None] * n,
            "signed_up_at": [NOW - timedelta(days=30)] * n, **_audit(n),
        })

    def warehouses(self) -> pd.DataFrame:
        return pd.DataFrame({"warehouse_id": [1], "warehouse_code": ["W1"], "warehouse_name": ["east"],
                             "city": ["Hangzhou"], "region": ["east"], **_audit(1)})

    def coupons(self) -> pd.DataFrame:
        return pd.DataFrame({
            "coupon_id": [7], "promotion_id": [1], "coupon_code": ["WELCOME"], "discount_type": ["fixed"],
            "discount_value": [Decimal("5.00")], "min_spend_amount": [Decimal("50.00")],
            "valid_from": [NOW - timedelta(days=60)], "valid_to": [NOW + timedelta(days=60)], **_audit(1),
        })

    def orders(self, n: int = 4) -> pd.DataFrame:
        money = lambda v: [Decimal(v)] * n  # noqa: E731 - a column of equal amounts
        return pd.DataFrame({
            "order_id": list(range(101, 101 + n)),
            "customer_id": [1 + i % 3 for i in range(n)],
            "warehouse_id": [1] * n, "sales_channel": ["app", "web", "mini_program", "offline_store"][:n] + ["app"] * max(n - 4, 0),
            "session_id": [None] * n, "order_status": ["paid"] * n,
            "ordered_at": [NOW - timedelta(days=1)] * n, "paid_at": [NOW - timedelta(days=1)] * n,
            "delivered_at": [None] * n, "coupon_id": [7] + [None] * (n - 1),
            "items_amount": money("100.10"), "coupon_discount_amount": money("0.00"),
            "shipping_amount": money("8.00"), "total_amount": money("108.10"),
            "refund_amount": money("0.00"), **_audit(n),
        })

    def commission_rule_tiers(self) -> pd.DataFrame:
        return pd.DataFrame({"tier_id": [1, 2], "rule_id": [1, 1],
                             "min_revenue_amount": [Decimal("0.00"), Decimal("1000.00")],
                             "rate": [Decimal("0.0200"), Decimal("0.0500")], **_audit(2)})

    def commission_rules(self) -> pd.DataFrame:
        return pd.DataFrame({"rule_id": [1], "partner_id": [1], "rule_type": ["tiered"], "rate": [None],
                             "bounty_amount": [None], "recurring_months": [None],
                             "valid_from": [NOW.date()], "valid_to": [None], **_audit(1)})

    def clickstream_events(self, n: int = 3) -> pd.DataFrame:
        return pd.DataFrame({
            "event_id": [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)],
            "event_name": ["page_view"] * n, "occurred_at": [NOW - timedelta(hours=3)] * n,
            "customer_id": [1] + [None] * (n - 1), "anonymous_id": ["a_1"] * n, "session_id": ["s1"] * n,
            "device": ["web"] * n, "page": ["/home"] * n, "properties": ['{"path": "/home"}'] * n,
            "schema_version": [1] * n, "source_file": ["events_20261125T100000_0001.jsonl"] * n,
            "source_line": list(range(1, n + 1)), "_loaded_at": [LOADED_AT] * n, "_load_id": ["load-1"] * n,
        })


# --- a warehouse built by the real pipeline ----------------------------------------------------


@dataclass(frozen=True)
class BuiltWarehouse:
    data_dir: Path
    duckdb_path: Path
    run_id: str
    run_success: bool
    failures: tuple[str, ...]
    check_results: tuple[tuple[str, bool, str], ...]  # (asset, passed, severity) of GX checks

    def warehouse(self):
        from orchestration.warehouse import DuckDBWarehouse

        return DuckDBWarehouse(path=str(self.duckdb_path))


def pipeline_env(data_dir: Path) -> dict[str, str]:
    return {
        "ZHISHU_DATA_DIR": str(data_dir),
        "ZHISHU_DUCKDB_PATH": str(data_dir / "warehouse" / "zhishu.duckdb"),
        "ZHISHU_SOURCE_URL": f"sqlite:///{data_dir / 'source' / 'oltp.sqlite'}",
        "ZHISHU_CLICKSTREAM_DIR": str(data_dir / "source" / "clickstream"),
        "ZHISHU_PII_SALT": TEST_PII_SALT,
        "ZHISHU_WAREHOUSE": "duckdb",
        "DBT_TARGET": "duckdb",
    }


def code_location_with_quality_checks():
    """The code location without the model layer (its gates need demo-scale data; tests/models_e2e
    covers it), with the quality checks."""
    import dagster as dg

    from orchestration import dbt, experiments, ingestion, mining, quality, serving
    from orchestration.resources import build_resources

    return dg.Definitions.merge(
        dg.Definitions(resources=build_resources(), executor=dg.in_process_executor),
        ingestion.defs, dbt.defs, serving.defs, experiments.defs, mining.defs, quality.defs,
    )
