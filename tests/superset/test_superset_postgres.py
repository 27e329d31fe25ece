"""PostgreSQL warehouse: Superset reads through a read-only role that sees the serving schemas only."""

from __future__ import annotations

import json
import os
import secrets
import subprocess

import pytest
from superset_testlib import MANAGE, SUPERSET_PYTHON, unavailable

pytestmark = pytest.mark.postgres

PG = {"host": os.environ.get("PGHOST", "127.0.0.1"), "port": os.environ.get("PGPORT", "5432"),
      "user": os.environ.get("PGUSER", "postgres"), "password": os.environ.get("PGPASSWORD", "")}


def _connect(dbname: str, user: str | None = None, password: str | None = None):
    import psycopg2

    return psycopg2.connect(host=PG["host"], port=PG["port"], dbname=dbname,
                            user=user or PG["user"], password=password if user else PG["password"])


@pytest.fixture
def pg_warehouse(tmp_path):
    try:
        admin = _connect("postgres")
    except Exception as exc:  # noqa: BLE001
        unavailable(f"PostgreSQL unreachable at {PG['host']}:{PG['port']}: {exc}")
    admin.autocommit = True
    name = f"zhishu_sstest_{secrets.token_hex(4)}"
    role = f"zhishu_ro_{secrets.token_hex(4)}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    wh = _connect(name)
    wh.autocommit = True
    with wh.cursor() as cur:
        cur.execute("CREATE SCHEMA marts; CREATE SCHEMA raw;"
                    "CREATE TABLE marts.fct_orders (order_id bigint, gmv_amount numeric(12,2));"
                    "INSERT INTO marts.fct_orders VALUES (1, 10.50), (2, 20.25);"
                    "CREATE TABLE raw.customers (customer_id bigint, email text);"
                    "INSERT INTO raw.customers VALUES (1, 'someone@example.com');")
    env = {**os.environ, "ZHISHU_DATA_DIR": str(tmp_path), "PGDATABASE": name, "PGHOST": PG["host"],
           "PGPORT": PG["port"], "PGUSER": PG["user"], "SUPERSET_WAREHOUSE_USER": role,
           "ZHISHU_WAREHOUSE": "postgres"}
    env.pop("SUPERSET_WAREHOUSE_PASSWORD", None)
    yield {"db": name, "role": role, "env": env, "conn": wh}
    with wh.cursor() as cur:
        cur.execute(f'DROP OWNED BY "{role}"')
    wh.close()
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        cur.execute(f'DROP ROLE IF EXISTS "{role}"')
    admin.close()


def test_readonly_role_reads_marts_only(pg_warehouse, tmp_path):
    if not SUPERSET_PYTHON.exists():
        unavailable("Superset venv missing")
    proc = subprocess.run([str(SUPERSET_PYTHON), str(MANAGE), "pg-readonly-role"], env=pg_warehouse["env"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cred = json.loads((tmp_path / "superset" / "warehouse_readonly.json").read_text())
    assert cred["username"] == pg_warehouse["role"] and len(cred["password"]) >= 24

    # a table dbt creates after the grant is readable too (default privileges)
    with pg_warehouse["conn"].cursor() as cur:
        cur.execute("CREATE TABLE marts.fct_later AS SELECT 1 AS x")

    ro = _connect(pg_warehouse["db"], cred["username"], cred["password"])
    ro.autocommit = True
    with ro.cursor() as cur:
        cur.execute("SELECT SUM(gmv_amount) FROM marts.fct_orders")
        assert str(cur.fetchone()[0]) == "30.75"
        cur.execute("SELECT x FROM marts.fct_later")
        assert cur.fetchone()[0] == 1
        for statement in ("SELECT email FROM raw.customers", "INSERT INTO marts.fct_orders VALUES (3, 1)",
                          "CREATE TABLE marts.evil (x int)"):
            with pytest.raises(Exception, match="permission denied|read-only"):
                cur.execute(statement)
    ro.close()

    # the bundle carries the role's password for Superset, never the committed files
    code = ("import sys, yaml; sys.path.insert(0, 'superset'); from zhishu_bi import bundle; "
            "print(yaml.safe_load(bundle.bundle_contents(bundle.asset_texts())['databases/zhishu_warehouse.yaml'])"
            "['sqlalchemy_uri'])")
    uri = subprocess.run([str(SUPERSET_PYTHON), "-c", code], env=pg_warehouse["env"], capture_output=True,
                         text=True, timeout=120, cwd=str(MANAGE.parent.parent))
    assert uri.returncode == 0, uri.stderr[-2000:]
    assert uri.stdout.strip() == (f"postgresql+psycopg2://{pg_warehouse['role']}:XXXXXXXXXX@{PG['host']}:"
                                  f"{PG['port']}/{pg_warehouse['db']}")
