"""Builders for ingestion tests: a tiny OLTP source (SQLite, the simulator's schema) and
clickstream landing files. Imported by conftest.py and the tests (module name kept unique)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from simulator.schema import metadata

T0 = datetime(2026, 11, 20, 10, 0, 0)


class Source:
    """The OLTP source database: insert and update rows the way the operational systems do."""

    def __init__(self, url: str):
        self.url = url
        self.engine = sa.create_engine(url, poolclass=sa.NullPool)
        metadata.create_all(self.engine)

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        with self.engine.begin() as connection:
            connection.execute(metadata.tables[table].insert(), rows)

    def update(self, table: str, key: int, **values: Any) -> None:
        t = metadata.tables[table]
        pk = next(iter(t.primary_key.columns))
        with self.engine.begin() as connection:
            connection.execute(t.update().where(pk == key).values(**values))

    def execute(self, sql: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.text(sql))

    def count(self, table: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(metadata.tables[table])).scalar_one()

    def rows(self, table: str) -> list[dict[str, Any]]:
        t = metadata.tables[table]
        pk = next(iter(t.primary_key.columns))
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(sa.select(t).order_by(pk))]


def partner(i: int, at: datetime = T0) -> dict[str, Any]:
    return dict(partner_id=i, partner_name=f"partner {i}", partner_type="kol", tier="gold",
                region="east", joined_at=at, is_active=True, created_at=at, updated_at=at)


def customer(i: int, at: datetime = T0, **over: Any) -> dict[str, Any]:
    row = dict(customer_id=i, full_name=f"客户 {i}", email=f"c{i}@example.com", phone=f"+86 138 0000 {i:04d}",
               city="Shanghai", region="east", acquisition_channel="wechat", partner_id=None,
               signed_up_at=at, created_at=at, updated_at=at)
    row.update(over)
    return row


def warehouse(i: int, at: datetime = T0) -> dict[str, Any]:
    return dict(warehouse_id=i, warehouse_code=f"W{i}", warehouse_name=f"warehouse {i}", city="Hangzhou",
                region="east", created_at=at, updated_at=at)


def order(i: int, customer_id: int, at: datetime = T0, **over: Any) -> dict[str, Any]:
    row = dict(order_id=i, customer_id=customer_id, warehouse_id=1, sales_channel="app", session_id=None,
               order_status="paid", ordered_at=at, paid_at=at, delivered_at=None, coupon_id=None,
               items_amount=Decimal("100.10"), coupon_discount_amount=Decimal("0.00"),
               shipping_amount=Decimal("8.00"), total_amount=Decimal("108.10"),
               refund_amount=Decimal("0.00"), created_at=at, updated_at=at)
    row.update(over)
    return row


def seed_basic(source: Source, customers: int = 5, orders: int = 8) -> None:
    source.insert("partners", [partner(1), partner(2)])
    source.insert("warehouses", [warehouse(1)])
    source.insert("customers", [customer(i, partner_id=1 if i % 2 else None) for i in range(1, customers + 1)])
    source.insert("orders", [order(i, customer_id=(i % customers) + 1, at=T0 + timedelta(minutes=i))
                             for i in range(1, orders + 1)])


# -- clickstream files ----------------------------------------------------------------------------

def event(name: str = "page_view", occurred: datetime = T0, **over: Any) -> dict[str, Any]:
    properties = {
        "page_view": {"path": "/home"},
        "session_start": {"referrer": "https://example.com", "utm_channel": "wechat"},
        "checkout": {"order_id": 1, "amount": "108.10"},
    }.get(name, {})
    row = {
        "event_id": str(uuid.uuid4()),
        "event_name": name,
        "occurred_at": occurred.isoformat(timespec="milliseconds") + "+08:00",
        "customer_id": 1,
        "anonymous_id": "anon-1",
        "session_id": "sess-1",
        "device": "ios",
        "page": "/home",
        "properties": properties,
        "schema_version": 1,
    }
    row.update(over)
    return row


def file_name(at: datetime = T0, seq: int = 1) -> str:
    return f"events_{at:%Y%m%dT%H%M%S}_{seq:04d}.jsonl"


def lines_of(events: list[dict[str, Any] | bytes]) -> bytes:
    return b"".join((e if isinstance(e, bytes) else orjson.dumps(e)) + b"\n" for e in events)


@dataclass
class Landing:
    path: Path

    def write(self, name: str, content: bytes) -> Path:
        # Published the way collectors do: a dot-temp file renamed into place.
        temporary = self.path / f".{name}.tmp"
        temporary.write_bytes(content)
        target = self.path / name
        temporary.replace(target)
        return target
