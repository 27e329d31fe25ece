"""Session fixtures of the dbt tests: one small simulated platform, built into DuckDB and PostgreSQL.

- `simulated_source`: `python -m simulator generate --scale 0.02` into a temporary folder (or the
  folder named by ZHISHU_DBT_TEST_SOURCE, holding oltp.sqlite and clickstream/landing, to reuse a
  generated source while iterating).
- `raw_duckdb`: raw.* built from simulator.schema.metadata and filled from that source.
- `duckdb_warehouse` / `postgres_warehouse`: a private copy of dbt_project/ run (`dbt run`) on a
  DuckDB file / a PostgreSQL database created for the session and dropped afterwards. PostgreSQL
  unreachable: skipped locally, FAILS when CI is set (the root conftest's `pg_server`).
- `warehouse`: parametrized over both targets (the postgres case is marked `postgres`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import dbtb_warehouse as wh  # noqa: E402
from dbtb_warehouse import Warehouse  # noqa: E402

SIM_SCALE = "0.02"
SIM_SEED = "7"
SIM_END_DATE = "2026-11-24"
TEST_PII_SALT = "test-salt-not-a-secret"


@pytest.fixture(scope="session")
def simulated_source(tmp_path_factory) -> Path:
    override = os.environ.get("ZHISHU_DBT_TEST_SOURCE")
    if override:
        return Path(override)
    out = tmp_path_factory.mktemp("dbt_source")
    command = [sys.executable, "-m", "simulator", "generate", "--scale", SIM_SCALE, "--seed", SIM_SEED,
               "--end-date", SIM_END_DATE, "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=wh.REPO)
    if result.returncode != 0:
        pytest.fail(f"simulator failed ({' '.join(command)}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return out


@pytest.fixture(scope="session")
def raw_duckdb(simulated_source: Path, tmp_path_factory) -> Path:
    # not "raw.duckdb": the catalog name would clash with the raw schema
    path = tmp_path_factory.mktemp("dbt_raw") / "loaded_source.duckdb"
    wh.load_sqlite_into_duckdb(simulated_source / "oltp.sqlite", path)
    wh.load_clickstream_into_duckdb(simulated_source / "clickstream" / "landing", path)
    return path


@pytest.fixture(scope="session")
def duckdb_warehouse(raw_duckdb: Path, tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("dbt_duckdb")
    db_path = root / "zhishu.duckdb"
    db_path.write_bytes(raw_duckdb.read_bytes())
    project = wh.copy_project(root / "dbt_project")
    env = wh.dbt_env("duckdb", duckdb_path=db_path)
    env["ZHISHU_PII_SALT"] = TEST_PII_SALT
    warehouse = Warehouse("duckdb", project, env, duckdb_path=db_path)
    warehouse.dbt("run")
    return warehouse


@pytest.fixture(scope="session")
def postgres_warehouse(raw_duckdb: Path, tmp_path_factory, pg_server):
    name = f"zhishu_test_dbt_{uuid.uuid4().hex[:10]}"
    wh.create_pg_database(name, pg_server.connect)
    try:
        wh.copy_duckdb_raw_to_postgres(raw_duckdb, name, pg_server.connect)
        root = tmp_path_factory.mktemp("dbt_postgres")
        project = wh.copy_project(root / "dbt_project")
        env = wh.dbt_env("postgres", pg_database=name)
        env.update({"PGHOST": pg_server.host, "PGPORT": str(pg_server.port), "PGUSER": pg_server.user,
                    "ZHISHU_PII_SALT": TEST_PII_SALT})
        if pg_server.password:
            env["PGPASSWORD"] = pg_server.password
        warehouse = Warehouse("postgres", project, env, pg_database=name, pg_server=pg_server)
        warehouse.dbt("run")
        yield warehouse
    finally:
        wh.drop_pg_database(name, pg_server.connect)


@pytest.fixture(scope="session", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request) -> Warehouse:
    return request.getfixturevalue(f"{request.param}_warehouse")
