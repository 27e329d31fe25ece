"""The read-only PostgreSQL role Superset reads the warehouse with (ZHISHU_WAREHOUSE=postgres).

Connects as the warehouse owner (PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE, the same variables dbt
uses), creates or refreshes role $SUPERSET_WAREHOUSE_USER (default zhishu_superset_ro) with a random
password kept in $ZHISHU_DATA_DIR/superset/warehouse_readonly.json, and grants SELECT on the serving
schemas, also on tables dbt creates later (default privileges of the owner).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from . import settings

SERVING_SCHEMAS = settings.SERVING_SCHEMAS


def credentials_file() -> Path:
    return settings.state_dir() / "warehouse_readonly.json"


def stored_password() -> str | None:
    path = credentials_file()
    if not path.exists():
        return None
    return json.loads(path.read_text()).get("password")


def ensure_readonly_role() -> int:
    import psycopg2
    from psycopg2 import sql

    user = settings.env("SUPERSET_WAREHOUSE_USER", "zhishu_superset_ro")
    password = settings.env("SUPERSET_WAREHOUSE_PASSWORD") or stored_password() or secrets.token_urlsafe(24)
    conn = psycopg2.connect(
        host=settings.env("PGHOST", "127.0.0.1"), port=settings.env("PGPORT", "5432"),
        user=settings.env("PGUSER"), password=settings.env("PGPASSWORD"),
        dbname=settings.env("PGDATABASE", "zhishu"),
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,))
        verb = "ALTER" if cur.fetchone() else "CREATE"
        cur.execute(sql.SQL(f"{verb} ROLE {{}} LOGIN PASSWORD %s NOSUPERUSER NOCREATEDB NOCREATEROLE")
                    .format(sql.Identifier(user)), (password,))
        cur.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(sql.Identifier(user)))
        cur.execute("SELECT current_database(), current_user")
        database, owner = cur.fetchone()
        cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), sql.Identifier(user)))
        for schema in SERVING_SCHEMAS:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), sql.Identifier(user)))
            cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                sql.Identifier(schema), sql.Identifier(user)))
            cur.execute(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
                sql.Identifier(owner), sql.Identifier(schema), sql.Identifier(user)))
    conn.close()
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"username": user, "password": password}) + "\n")
    path.chmod(0o600)
    print(f"==> read-only role {user!r} ready on {database} (SELECT on {', '.join(SERVING_SCHEMAS)}); "
          f"password in {path}")
    return 0
