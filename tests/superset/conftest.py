"""Session fixtures for the Superset tests: one Superset server per session (init + import + gunicorn
on a free port with a temporary metadata DB and a generated secret), reading a serving DuckDB copy.

Where the warehouse comes from (fixture `superset_serving_source`):
  1. $ZHISHU_SUPERSET_TEST_SERVING, a serving DuckDB file (e.g. the demo's), when set;
  2. a session fixture `pipeline_serving_duckdb` (the real pipeline output at test scale; wired in
     tests/conftest.py by the lead) when it exists;
  3. otherwise a synthetic DuckDB shaped like the marts (tests/superset/synthetic_warehouse.py).
Either way the file is copied into the session's own data dir, so tests may republish it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from superset_testlib import ARTIFACTS, DBT_DIR, MANAGE, REPO, SUPERSET_DIR, SUPERSET_PYTHON, unavailable  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_reachable(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def dbt_manifest(request, tmp_path_factory) -> dict:
    """The dbt manifest: the session's own fixture if the lead wires one, else a fresh `dbt parse`."""
    try:
        return json.loads(Path(request.getfixturevalue("dbt_manifest_path")).read_text())
    except pytest.FixtureLookupError:
        pass
    target = tmp_path_factory.mktemp("dbt_target")
    env = {**os.environ, "ZHISHU_DATA_DIR": str(tmp_path_factory.mktemp("dbt_data"))}
    dbt = REPO / ".venv" / "bin" / "dbt"
    proc = subprocess.run(
        [str(dbt), "parse", "--profiles-dir", ".", "--target-path", str(target), "--log-path", str(target / "logs"),
         "--no-partial-parse", "--quiet"],
        cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(f"dbt parse failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads((target / "manifest.json").read_text())


@pytest.fixture(scope="session")
def superset_serving_source(request, tmp_path_factory, dbt_manifest) -> Path:
    explicit = os.environ.get("ZHISHU_SUPERSET_TEST_SERVING")  # e.g. a demo-scale serving copy
    if explicit:
        return Path(explicit)
    try:
        return Path(request.getfixturevalue("pipeline_serving_duckdb"))
    except pytest.FixtureLookupError:
        pass
    import synthetic_warehouse

    return synthetic_warehouse.build(
        SUPERSET_DIR / "assets" / "datasets", tmp_path_factory.mktemp("synthetic") / "zhishu_serving.duckdb",
        dbt_manifest,
    )


@dataclass
class SupersetServer:
    base_url: str
    env: dict[str, str]
    data_dir: Path
    serving_path: Path
    admin: dict[str, str]
    startup_seconds: dict[str, float] = field(default_factory=dict)

    def manage(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(SUPERSET_PYTHON), str(MANAGE), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return proc

    def login(self, username: str, password: str) -> requests.Session:
        resp = requests.post(f"{self.base_url}/api/v1/security/login", timeout=30,
                             json={"username": username, "password": password, "provider": "db", "refresh": False})
        assert resp.status_code == 200, f"login {username}: {resp.status_code} {resp.text[:300]}"
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        return session

    def with_csrf(self, session: requests.Session) -> requests.Session:
        resp = session.get(f"{self.base_url}/api/v1/security/csrf_token/", timeout=30)
        assert resp.status_code == 200, resp.text[:300]
        session.headers["X-CSRFToken"] = resp.json()["result"]
        session.headers["Referer"] = self.base_url
        return session

    def new_user(self, *args: str) -> dict[str, str]:
        """Run a credential-printing command with --json and return the credentials."""
        out = self.manage(*args, "--json").stdout.strip().splitlines()[-1]
        return json.loads(out)


@pytest.fixture(scope="session")
def superset_server(tmp_path_factory, superset_serving_source) -> SupersetServer:
    import time

    if not SUPERSET_PYTHON.exists():
        unavailable(f"Superset venv missing ({SUPERSET_PYTHON}); run `make install`")
    data_dir = tmp_path_factory.mktemp("superset_data")
    serving = data_dir / "warehouse" / "zhishu_serving.duckdb"
    serving.parent.mkdir(parents=True)
    shutil.copyfile(superset_serving_source, serving)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPERSET_", "REDIS_URL"))}
    env.update({
        "ZHISHU_DATA_DIR": str(data_dir),
        "ZHISHU_WAREHOUSE": "duckdb",
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(48),
        "SUPERSET_PORT": str(port),
        "SUPERSET_BIND": "127.0.0.1",
        "SUPERSET_WORKERS": "1",  # one worker boots twice as fast on 2 cores; threads serve the browser
        "SUPERSET_THREADS": "8",
        "PYTHONWARNINGS": "ignore",
    })
    env.pop("ZHISHU_SERVING_DUCKDB_PATH", None)
    if _redis_reachable():
        # A private key prefix: parallel sessions and the demo share the Redis without seeing each other.
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        env["SUPERSET_CACHE_PREFIX"] = f"zhishu_test_{secrets.token_hex(4)}_"
    server = SupersetServer(f"http://127.0.0.1:{port}", env, data_dir, serving, admin={})
    for step in (("init",), ("import",), ("start", "--wait", "180")):
        t0 = time.monotonic()
        server.manage(*step)
        server.startup_seconds[step[0]] = round(time.monotonic() - t0, 1)
    server.admin = json.loads((data_dir / "superset" / "admin_credentials.json").read_text())
    (ARTIFACTS).mkdir(exist_ok=True)
    (ARTIFACTS / "superset_startup.json").write_text(json.dumps(server.startup_seconds, indent=2))
    yield server
    server.manage("stop", check=False)
    if _redis_reachable() and "SUPERSET_CACHE_PREFIX" in env:
        _drop_redis_prefix(env["SUPERSET_CACHE_PREFIX"])


def _drop_redis_prefix(prefix: str) -> None:
    """Remove the session's cache keys (redis-py lives in the Superset venv only)."""
    code = ("import redis, sys; c = redis.Redis.from_url('redis://127.0.0.1:6379/0'); "
            "keys = list(c.scan_iter(match=sys.argv[1] + '*', count=1000)); keys and c.delete(*keys)")
    subprocess.run([str(SUPERSET_PYTHON), "-c", code, prefix], capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def admin_api(superset_server) -> requests.Session:
    return superset_server.login(superset_server.admin["username"], superset_server.admin["password"])


@pytest.fixture(scope="session")
def dashboards(superset_server, admin_api) -> list[dict]:
    """Every imported dashboard with its charts, as the API lists them."""
    base = superset_server.base_url
    resp = admin_api.get(f"{base}/api/v1/dashboard/", params={"q": "(page_size:100)"}, timeout=30)
    assert resp.status_code == 200, resp.text[:300]
    out = []
    for dash in resp.json()["result"]:
        charts = admin_api.get(f"{base}/api/v1/dashboard/{dash['id']}/charts", timeout=30)
        assert charts.status_code == 200, charts.text[:300]
        out.append({**dash, "charts": charts.json()["result"]})
    return out
