"""Column types: reflected source type -> warehouse type -> Arrow type, and value conversion.

The raw tables are created from the source's reflected column types, so money stays
DECIMAL(p, s) end to end (Python Decimal -> Arrow decimal128 -> DECIMAL/NUMERIC), never float.
Values are converted here from whatever the DB-API driver returns (SQLite hands back strings
and floats, psycopg2 native objects); a value that cannot be read as its column's type is a
contract violation reported per row, not a crash of the whole load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import sqlalchemy as sa

PLATFORM_TZ = ZoneInfo("Asia/Shanghai")
# NUMERIC without declared precision: wide enough for any money/rate the platform stores.
DEFAULT_PRECISION, DEFAULT_SCALE = 38, 9
CONVERSION_ERRORS = (ValueError, TypeError, ArithmeticError, InvalidOperation, OverflowError)


def to_local_naive(value: datetime) -> datetime:
    """Aware timestamps become naive platform-local time (the warehouse convention)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(PLATFORM_TZ).replace(tzinfo=None)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not an integer")
        return int(value)
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError("not an integer")
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise TypeError(type(value).__name__)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError("bool")
    return float(value)


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "t", "f", "1", "0"):
        return value.strip().lower() in ("true", "t", "1")
    raise ValueError("not a boolean")


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return to_local_naive(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return to_local_naive(datetime.fromisoformat(value.strip()))
    raise TypeError(type(value).__name__)


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return to_local_naive(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        return date.fromisoformat(text) if len(text) == 10 else _to_datetime(text).date()
    raise TypeError(type(value).__name__)


def _to_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        return time.fromisoformat(value.strip())
    raise TypeError(type(value).__name__)


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(type(value).__name__)


def _decimal_converter(precision: int, scale: int) -> Callable[[Any], Decimal]:
    quantum = Decimal(1).scaleb(-scale)
    limit = Decimal(10) ** (precision - scale)

    def convert(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise TypeError("bool")
        # str(float) is the shortest repr, so SQLite's REAL 19.99 reads back as 19.99 exactly.
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        if not number.is_finite():
            raise ValueError("not a finite number")
        number = number.quantize(quantum)
        if abs(number) >= limit:
            raise OverflowError(f"exceeds DECIMAL({precision},{scale})")
        return number

    return convert


@dataclass(frozen=True)
class ColumnSpec:
    """One column as the warehouse stores it."""

    name: str
    kind: str  # bigint | integer | smallint | decimal | double | varchar | timestamp | date | time | boolean | blob
    precision: int | None = None
    scale: int | None = None

    @property
    def label(self) -> str:
        if self.kind == "decimal":
            return f"DECIMAL({self.precision},{self.scale})"
        return self.kind.upper()

    def arrow_type(self) -> pa.DataType:
        return {
            "bigint": pa.int64(),
            "integer": pa.int32(),
            "smallint": pa.int16(),
            "double": pa.float64(),
            "varchar": pa.string(),
            "timestamp": pa.timestamp("us"),
            "date": pa.date32(),
            "time": pa.time64("us"),
            "boolean": pa.bool_(),
            "blob": pa.binary(),
        }.get(self.kind) or pa.decimal128(self.precision or DEFAULT_PRECISION, self.scale or 0)

    def converter(self) -> Callable[[Any], Any]:
        if self.kind == "decimal":
            return _decimal_converter(self.precision or DEFAULT_PRECISION, self.scale or 0)
        return {
            "bigint": _to_int,
            "integer": _to_int,
            "smallint": _to_int,
            "double": _to_float,
            "varchar": _to_str,
            "timestamp": _to_datetime,
            "date": _to_date,
            "time": _to_time,
            "boolean": _to_bool,
            "blob": _to_bytes,
        }[self.kind]

    def convert_values(self, values: list[Any], errors: dict[int, list[str]]) -> pa.Array:
        """Convert one column; unreadable values become null and an error entry for their row."""
        convert = self.converter()
        out: list[Any] = []
        append = out.append
        for index, value in enumerate(values):
            if value is None:
                append(None)
                continue
            try:
                append(convert(value))
            except CONVERSION_ERRORS:
                errors.setdefault(index, []).append(
                    f"column {self.name}: cannot read {value!r} as {self.label}"
                )
                append(None)
        # Integer range overflow (e.g. a huge number in an INTEGER column) surfaces here.
        try:
            return pa.array(out, type=self.arrow_type())
        except (pa.ArrowInvalid, OverflowError):
            return self._convert_slowly(out, errors)

    def _convert_slowly(self, values: list[Any], errors: dict[int, list[str]]) -> pa.Array:
        arrow_type = self.arrow_type()
        checked: list[Any] = []
        for index, value in enumerate(values):
            try:
                pa.array([value], type=arrow_type)
                checked.append(value)
            except (pa.ArrowInvalid, OverflowError):
                errors.setdefault(index, []).append(
                    f"column {self.name}: value {value!r} does not fit {self.label}"
                )
                checked.append(None)
        return pa.array(checked, type=arrow_type)


def column_spec_from_sqlalchemy(name: str, column_type: sa.types.TypeEngine) -> ColumnSpec:
    """Map a reflected SQLAlchemy type (any dialect) to the warehouse column type."""
    t = column_type
    if isinstance(t, sa.Boolean):
        return ColumnSpec(name, "boolean")
    if isinstance(t, sa.BigInteger):
        return ColumnSpec(name, "bigint")
    if isinstance(t, sa.SmallInteger):
        return ColumnSpec(name, "smallint")
    if isinstance(t, sa.Integer):
        return ColumnSpec(name, "integer")
    if isinstance(t, sa.Float):
        return ColumnSpec(name, "double")
    if isinstance(t, sa.Numeric):
        precision = t.precision or DEFAULT_PRECISION
        scale = t.scale if t.scale is not None else (0 if t.precision else DEFAULT_SCALE)
        return ColumnSpec(name, "decimal", min(precision, 38), scale)
    if isinstance(t, sa.DateTime):
        return ColumnSpec(name, "timestamp")
    if isinstance(t, sa.Date):
        return ColumnSpec(name, "date")
    if isinstance(t, sa.Time):
        return ColumnSpec(name, "time")
    if isinstance(t, sa.LargeBinary):
        return ColumnSpec(name, "blob")
    # String, Text, Enum, JSON, UUID, and anything exotic: carried as text, never dropped.
    return ColumnSpec(name, "varchar")
