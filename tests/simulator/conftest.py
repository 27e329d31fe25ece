"""Small generated datasets shared by the simulator tests (each generated once per session)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sim_testkit import END_DATE, SMALL_SCALE, Generated, generate_in_process, run_cli


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Generated:
    """seed 42, scale 0.02, generated through the command line (exercises the CLI and progress output)."""
    out = tmp_path_factory.mktemp("sim_a")
    result = run_cli("generate", "--seed", "42", "--scale", str(SMALL_SCALE), "--end-date", END_DATE.isoformat(),
                     "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    return Generated(out, 42, SMALL_SCALE, result.stderr)


@pytest.fixture(scope="session")
def small_run_again(tmp_path_factory) -> Generated:
    return generate_in_process(tmp_path_factory.mktemp("sim_b"), 42, SMALL_SCALE)


@pytest.fixture(scope="session")
def small_run_other_seed(tmp_path_factory) -> Generated:
    return generate_in_process(tmp_path_factory.mktemp("sim_c"), 7, SMALL_SCALE)


@pytest.fixture(scope="session")
def double_scale_run(tmp_path_factory) -> Generated:
    return generate_in_process(tmp_path_factory.mktemp("sim_d"), 42, 2 * SMALL_SCALE)


@pytest.fixture
def live_copy(small_run: Generated, tmp_path: Path) -> Generated:
    """A private copy of the small run that live mode may modify."""
    out = tmp_path / "live"
    shutil.copytree(small_run.out, out)
    return Generated(out, small_run.seed, small_run.scale)


@pytest.fixture
def sim_pg_database():
    """A fresh PostgreSQL database on 127.0.0.1:5432 (user postgres), dropped afterwards.

    Unreachable server: skipped locally, a failure when CI is set.
    """
    import psycopg2

    host = os.environ.get("ZHISHU_TEST_PGHOST", "127.0.0.1")
    port = int(os.environ.get("ZHISHU_TEST_PGPORT", "5432"))
    user = os.environ.get("PGUSER") or "postgres"
    password = os.environ.get("PGPASSWORD") or None
    try:
        admin = psycopg2.connect(host=host, port=port, user=user, password=password, dbname="postgres", connect_timeout=5)
    except Exception as exc:  # noqa: BLE001 - any connection problem means "no server"
        message = f"PostgreSQL not reachable at {host}:{port} as {user}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    admin.autocommit = True
    name = f"zhishu_sim_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    auth = user if not password else f"{user}:{password}"
    try:
        yield f"postgresql+psycopg2://{auth}@{host}:{port}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
