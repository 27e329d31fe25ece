"""Paths and environment shared by the Superset tooling (no Superset import here)."""

from __future__ import annotations

import os
from pathlib import Path

SUPERSET_DIR = Path(__file__).resolve().parent.parent
REPO = SUPERSET_DIR.parent
CONFIG_PATH = SUPERSET_DIR / "superset_config.py"
ASSETS_DIR = SUPERSET_DIR / "assets"
SPECS_DIR = SUPERSET_DIR / "dashboards"
DBT_DIR = REPO / "dbt_project"
MANIFEST_PATH = DBT_DIR / "target" / "manifest.json"

# The one Superset database connection to the warehouse; its name and UUID never change.
WAREHOUSE_DB_NAME = "zhishu_warehouse"
WAREHOUSE_DB_FOLDER = "zhishu_warehouse"  # datasets/<folder>/*.yaml in the export format

WAREHOUSES = ("duckdb", "postgres")
# Schemas Superset may read. raw and staging are never served: raw holds source PII.
SERVING_SCHEMAS = ("marts", "ml", "analysis", "audit")


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default


def data_dir() -> Path:
    return Path(env("ZHISHU_DATA_DIR", str(REPO / "data"))).resolve()


def state_dir() -> Path:
    """Superset's own state: metadata DB, pid file, log, generated admin credentials."""
    return data_dir() / "superset"


def serving_duckdb_path() -> Path:
    """The read-only copy the pipeline publishes atomically after each successful build."""
    explicit = env("ZHISHU_SERVING_DUCKDB_PATH")
    return Path(explicit).resolve() if explicit else data_dir() / "warehouse" / "zhishu_serving.duckdb"


def warehouse_kind() -> str:
    kind = env("ZHISHU_WAREHOUSE", "duckdb")
    if kind not in WAREHOUSES:
        raise SystemExit(f"ZHISHU_WAREHOUSE={kind!r} is not supported: expected one of {', '.join(WAREHOUSES)}")
    return kind


def port() -> int:
    return int(env("SUPERSET_PORT", "8088"))


def superset_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for any Superset process: our config file, the Flask app."""
    out = dict(os.environ if base is None else base)
    out["SUPERSET_CONFIG_PATH"] = str(CONFIG_PATH)
    out["FLASK_APP"] = "superset.app:create_app()"
    out.setdefault("ZHISHU_DATA_DIR", str(data_dir()))
    return out
