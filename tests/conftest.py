"""Fixtures shared by every test area.

- `tmp_data_dir`: all ZHISHU_* paths pointed into a fresh temporary data folder (DuckDB default).
- `pg_server`: the PostgreSQL server of the machine/CI (127.0.0.1:5432, trust auth). Unreachable:
  the test is skipped locally but FAILS when the CI variable is set.
- `fresh_pg_database`: a uniquely named database created for one test and dropped afterwards.
- `pg_warehouse_env`: `tmp_data_dir` + ZHISHU_WAREHOUSE=postgres on a fresh database.
- `dbt_manifest`: dbt_project/target/manifest.json prepared once per session (`dbt parse`), which
  loading orchestration.definitions requires.
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # the repo's packages, even before `pip install -e .`
    sys.path.insert(0, str(REPO_ROOT))

TEST_PII_SALT = "test-salt-not-a-secret"


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str | None

    def url(self, database: str) -> str:
        auth = self.user if not self.password else f"{self.user}:{self.password}"
        return f"postgresql+psycopg2://{auth}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password,
            dbname=database, connect_timeout=5,
        )


@dataclass(frozen=True)
class PgDatabase:
    server: PgServer
    name: str

    @property
    def url(self) -> str:
        return self.server.url(self.name)

    @property
    def env(self) -> dict[str, str]:
        """libpq variables for this database (what ZHISHU_WAREHOUSE=postgres reads)."""
        env = {
            "PGHOST": self.server.host,
            "PGPORT": str(self.server.port),
            "PGUSER": self.server.user,
            "PGDATABASE": self.name,
        }
        if self.server.password:
            env["PGPASSWORD"] = self.server.password
        return env


def _unreachable(message: str):
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {message}")
    pytest.skip(f"PostgreSQL not reachable: {message}")


@pytest.fixture(scope="session")
def pg_server() -> PgServer:
    server = PgServer(
        host=os.environ.get("ZHISHU_TEST_PGHOST", "127.0.0.1"),
        port=int(os.environ.get("ZHISHU_TEST_PGPORT", "5432")),
        user=os.environ.get("PGUSER") or "postgres",
        password=os.environ.get("PGPASSWORD") or None,
    )
    try:
        server.connect().close()
    except Exception as exc:  # noqa: BLE001 - any failure means "no server for this test"
        _unreachable(f"{server.host}:{server.port} as {server.user}: {exc}")
    return server


@pytest.fixture(scope="session")
def pg_server_url(pg_server: PgServer) -> str:
    """URL of the server's maintenance database (postgres)."""
    return pg_server.url("postgres")


@pytest.fixture
def fresh_pg_database(pg_server: PgServer):
    name = f"zhishu_test_{uuid.uuid4().hex[:12]}"
    admin = pg_server.connect()
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield PgDatabase(pg_server, name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def tmp_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    (data / "source" / "clickstream" / "landing").mkdir(parents=True)
    (data / "warehouse").mkdir(parents=True)
    monkeypatch.setenv("ZHISHU_DATA_DIR", str(data))
    monkeypatch.setenv("ZHISHU_DUCKDB_PATH", str(data / "warehouse" / "zhishu.duckdb"))
    monkeypatch.setenv("ZHISHU_SOURCE_URL", f"sqlite:///{data / 'source' / 'oltp.sqlite'}")
    monkeypatch.setenv("ZHISHU_CLICKSTREAM_DIR", str(data / "source" / "clickstream"))
    monkeypatch.setenv("ZHISHU_PII_SALT", TEST_PII_SALT)
    monkeypatch.setenv("ZHISHU_WAREHOUSE", "duckdb")
    monkeypatch.setenv("DBT_TARGET", "duckdb")
    for name in ("ZHISHU_SERVING_DUCKDB_PATH", "ZHISHU_SOURCES_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return data


@pytest.fixture
def pg_warehouse_env(tmp_data_dir: Path, fresh_pg_database: PgDatabase, monkeypatch: pytest.MonkeyPatch):
    """Like tmp_data_dir, but the warehouse is a fresh PostgreSQL database."""
    monkeypatch.setenv("ZHISHU_WAREHOUSE", "postgres")
    monkeypatch.setenv("DBT_TARGET", "postgres")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    for key, value in fresh_pg_database.env.items():
        monkeypatch.setenv(key, value)
    return fresh_pg_database


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """Parse the dbt project once (no database access) so orchestration.definitions can load."""
    from orchestration.dbt_project import zhishu_dbt_project as project

    project.preparer.prepare(project)
    assert project.manifest_path.exists(), f"dbt parse did not write {project.manifest_path}"
    return project.manifest_path
