"""A small serving DuckDB shaped like the marts, for Superset tests that run without the pipeline.

Tables and columns come from the generated Superset datasets (which come from the dbt manifest), so
the shape follows the marts automatically; values are deterministic and plausible enough for every
chart to return rows: dates over the last 120 days, hours over the last 10 days, a handful of
categories per text column, partner ids 1..5. The real-pipeline fixture replaces this file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import duckdb
import yaml

ROWS = 480
PARTNERS = 5


def accepted_values(manifest: dict | None) -> dict[tuple[str, str], list]:
    """(table, column) -> the values its dbt accepted_values test allows (plausible categories)."""
    out: dict[tuple[str, str], list] = {}
    for node in (manifest or {}).get("nodes", {}).values():
        meta = node.get("test_metadata") or {}
        if node.get("resource_type") != "test" or meta.get("name") != "accepted_values":
            continue
        attached = (node.get("attached_node") or "").split(".")[-1]
        values = (meta.get("kwargs") or {}).get("values")
        if attached and node.get("column_name") and values:
            out[(attached, node["column_name"])] = values
    return out


def _expr(column: str, sql_type: str | None, anchor: str, allowed: list | None = None, is_key: bool = False) -> str:
    t = (sql_type or "VARCHAR").upper()
    i = "i"
    name = column.lower()
    if allowed and not t.startswith(("BOOL", "DATE", "TIMESTAMP")):
        literals = ", ".join(str(v) if isinstance(v, (int, float)) else "'" + str(v).replace("'", "''") + "'"
                             for v in allowed)
        return f"CAST(([{literals}])[1 + {i} % {len(allowed)}] AS {t})"
    if t.startswith("DATE"):
        return f"DATE '{anchor}' - CAST({i} % 120 AS INTEGER)"
    if t.startswith(("TIMESTAMP", "DATETIME")):
        return f"TIMESTAMP '{anchor} 23:00:00' - to_hours(CAST({i} % 240 AS BIGINT))"
    if t.startswith("BOOL"):
        return f"({i} % 3 = 0)"
    if is_key:  # the table's first column is its key: unique
        return f"CAST(1 + {i} AS {t})" if not t.startswith(("VARCHAR", "TEXT")) else f"'{column}_' || CAST({i} AS VARCHAR)"
    if name == "partner_id":
        return f"CAST(1 + {i} % {PARTNERS} AS {t})"
    if t in ("BIGINT", "INTEGER", "INT", "SMALLINT", "HUGEINT", "UBIGINT") or re.match(r"INT\d", t):
        if name.endswith("_id"):
            return f"CAST(1 + {i} % 60 AS {t})"
        return f"CAST(1 + ({i} * 37) % 500 AS {t})"
    if t.startswith(("DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL")):
        if any(word in name for word in ("rate", "ratio", "pct", "share", "probability", "score")):
            return f"CAST((({i} * 37) % 100) / 100.0 AS {t})"
        return f"CAST(10 + (({i} * 7919) % 100000) / 100.0 AS {t})"
    # text: a few categories, so group-bys and filters have something to show
    return f"'{column}_' || CAST({i} % 6 AS VARCHAR)"


def build(datasets_dir: Path, out: Path, manifest: dict | None = None) -> Path:
    """Write the serving DuckDB for every dataset YAML under datasets_dir, published atomically.

    With the dbt manifest, text columns take the values their accepted_values tests allow."""
    allowed = accepted_values(manifest)
    anchor = (dt.date.today() - dt.timedelta(days=1)).isoformat()  # data ends yesterday, like the simulator
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for path in sorted(datasets_dir.rglob("*.yaml")):
            cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
            schema, table = cfg["schema"], cfg["table_name"]
            cols = ", ".join(
                f'{_expr(c["column_name"], c.get("type"), anchor, allowed.get((table, c["column_name"])), n == 0 and c["column_name"].endswith("_id"))}'
                f' AS "{c["column_name"]}"'
                for n, c in enumerate(cfg["columns"]))
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            con.execute(f'CREATE TABLE "{schema}"."{table}" AS SELECT {cols} FROM range({ROWS}) t(i)')
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, out)
    return out
