"""Stable UUIDs: derived with uuid5 from names, so regenerating assets never changes an identity."""

from __future__ import annotations

import uuid

# Fixed namespace for every Zhishu Superset asset (itself uuid5 of the project's name).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "superset.zhishu.internal")


def _uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


def database_uuid(name: str) -> str:
    return _uuid("database", name)


def dataset_uuid(model_name: str) -> str:
    """One dataset per dbt model (or source table), keyed by its unique table name."""
    return _uuid("dataset", model_name)


def dashboard_uuid(dashboard_key: str) -> str:
    return _uuid("dashboard", dashboard_key)


def chart_uuid(dashboard_key: str, chart_key: str) -> str:
    return _uuid("chart", f"{dashboard_key}/{chart_key}")
