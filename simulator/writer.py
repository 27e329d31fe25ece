"""Bulk loading of the generated tables into any SQLAlchemy database.

Frames hold one column per table column. Numeric columns hold scaled integers (cents for money,
ten-thousandths for rates) and are turned into exact decimal text/`Decimal` here, so no float ever
touches a money value on its way into the database. SQLite and PostgreSQL get fast native paths
(executemany with journalling off; COPY); any other URL goes through SQLAlchemy Core inserts.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Date, DateTime, Numeric, Table, create_engine, make_url, text
from sqlalchemy.engine import Engine

from simulator import schema
from simulator.util import cents_to_decimal, cents_to_str

Progress = Callable[[str], None]


def _datetime_text(values: pd.Series) -> list[str | None]:
    """'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's SQLite storage format, also valid PostgreSQL input)."""
    arr = values.to_numpy(dtype="datetime64[us]")
    text = np.datetime_as_string(arr, unit="us")            # 'YYYY-MM-DDTHH:MM:SS.ffffff'
    chars = text.view(np.uint32).reshape(len(text), -1)      # UTF-32 code points, one row per value
    chars[:, 10] = ord(" ")
    out = chars.reshape(-1).view(text.dtype).tolist()
    for i in np.flatnonzero(np.isnat(arr)):
        out[i] = None
    return out


def _date_text(values: pd.Series) -> list[str | None]:
    arr = values.to_numpy(dtype="datetime64[D]")
    out = np.datetime_as_string(arr, unit="D").astype(object)
    out[np.isnat(arr)] = None
    return out.tolist()


def _int_list(values: pd.Series) -> list[int | None]:
    """Python ints with None for missing values (numpy int64 or pandas nullable Int64 columns)."""
    if values.dtype.kind in "iu" and not isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
        return values.tolist()
    if values.dtype.kind == "f":
        raise TypeError(f"integer column {values.name!r} holds floats")
    return [None if v is None or v is pd.NA else int(v) for v in values.to_numpy(dtype=object, na_value=None)]


def column_values(table: Table, frame: pd.DataFrame, dialect: str) -> list[list]:
    """Python values per column, converted for `dialect` ('sqlite', 'postgresql' or 'generic')."""
    missing = [c.name for c in table.columns if c.name not in frame.columns]
    if missing:
        raise ValueError(f"table {table.name}: generated frame lacks columns {missing}")
    columns = []
    for column in table.columns:
        series = frame[column.name]
        ctype = column.type
        if isinstance(ctype, Numeric):
            if series.dtype.kind == "f":
                raise TypeError(f"{table.name}.{column.name} holds floats; money must be scaled integers")
            ints = _int_list(series)
            scale = ctype.scale or 0
            values = cents_to_decimal(ints, scale) if dialect == "generic" else cents_to_str(ints, scale)
        elif isinstance(ctype, DateTime):
            values = _datetime_text(series)
            if dialect == "generic":
                values = [None if v is None else pd.Timestamp(v).to_pydatetime() for v in values]
        elif isinstance(ctype, Date):
            values = _date_text(series)
            if dialect == "generic":
                values = [None if v is None else pd.Timestamp(v).date() for v in values]
        elif isinstance(ctype, Boolean):
            flags = series.astype(bool).tolist()
            values = [int(v) for v in flags] if dialect == "sqlite" else flags
        elif series.dtype.kind in "iuf" or str(series.dtype) == "Int64":
            values = _int_list(series)
        else:
            values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in series.tolist()]
        columns.append(values)
    return columns


class Writer:
    """Creates the schema and bulk-inserts frames; call `close()` at the end."""

    def __init__(self, url: str, progress: Progress | None = None):
        self.url = make_url(url)
        self.progress = progress or (lambda message: None)
        self.backend = self.url.get_backend_name()
        self.engine: Engine = create_engine(url)

    def reset_schema(self) -> None:
        if self.backend == "sqlite" and self.url.database not in (None, "", ":memory:"):
            path = Path(self.url.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.engine.dispose()
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            schema.metadata.drop_all(self.engine)
        schema.metadata.create_all(self.engine)

    def write_all(self, frames: dict[str, pd.DataFrame]) -> None:
        """Insert every frame in foreign-key order (parents first)."""
        unknown = set(frames) - set(schema.metadata.tables)
        if unknown:
            raise ValueError(f"frames for unknown tables: {sorted(unknown)}")
        if self.backend == "sqlite":
            self._write_sqlite(frames)
        elif self.backend == "postgresql":
            self._write_postgres(frames)
        else:
            self._write_generic(frames)

    def _ordered(self, frames: dict[str, pd.DataFrame]) -> Iterable[tuple[Table, pd.DataFrame]]:
        for table in schema.metadata.sorted_tables:
            if table.name in frames:
                yield table, frames[table.name]

    def _write_sqlite(self, frames: dict[str, pd.DataFrame]) -> None:
        conn = sqlite3.connect(self.url.database)
        try:
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA journal_mode=OFF")
            for table, frame in self._ordered(frames):
                cols = [c.name for c in table.columns]
                sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                conn.executemany(sql, zip(*column_values(table, frame, "sqlite")))
                conn.commit()
                self.progress(f"wrote {table.name}: {len(frame):,} rows")
        finally:
            conn.close()

    def _write_postgres(self, frames: dict[str, pd.DataFrame]) -> None:
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            for table, frame in self._ordered(frames):
                cols = [c.name for c in table.columns]
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                # csv writes None as an empty unquoted field, which COPY reads as NULL;
                # empty strings never occur in generated text columns.
                writer.writerows(zip(*column_values(table, frame, "postgresql")))
                buffer.seek(0)
                cur.copy_expert(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv)", buffer)
                self.progress(f"wrote {table.name}: {len(frame):,} rows")
            raw.commit()
            cur.close()
        finally:
            raw.close()
        self._sync_postgres_sequences(frames)

    def _sync_postgres_sequences(self, frames: dict[str, pd.DataFrame]) -> None:
        """Move each serial key's sequence past the loaded ids so later plain INSERTs work."""
        with self.engine.begin() as conn:
            for table, _ in self._ordered(frames):
                pk = schema.PRIMARY_KEYS[table.name]
                seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk}).scalar()
                if seq:
                    conn.execute(text(f"SELECT setval('{seq}', GREATEST((SELECT COALESCE(MAX({pk}), 0) FROM {table.name}), 1))"))

    def _write_generic(self, frames: dict[str, pd.DataFrame], chunk: int = 5_000) -> None:
        with self.engine.begin() as conn:
            for table, frame in self._ordered(frames):
                cols = [c.name for c in table.columns]
                rows = [dict(zip(cols, values)) for values in zip(*column_values(table, frame, "generic"))]
                for i in range(0, len(rows), chunk):
                    conn.execute(table.insert(), rows[i:i + chunk])
                self.progress(f"wrote {table.name}: {len(frame):,} rows")

    def close(self) -> None:
        self.engine.dispose()
