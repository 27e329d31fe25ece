"""Run Superset under gunicorn in the background: pid file, log, health-check wait, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import settings


def pid_file() -> Path:
    return settings.state_dir() / "superset.pid"


def log_file() -> Path:
    return settings.state_dir() / "superset.log"


def running_pid() -> int | None:
    try:
        pid = int(pid_file().read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def healthy(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=timeout) as resp:
            return resp.status == 200 and resp.read().strip() == b"OK"
    except (urllib.error.URLError, OSError):
        return False


def wait_healthy(port: int, seconds: float, pid: int | None = None) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if healthy(port):
            return True
        if pid is not None:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False  # gunicorn died: no point waiting
        time.sleep(0.5)
    return False


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"(no log at {path})"


def start(port: int, bind: str, workers: int, threads: int, wait_seconds: float) -> int:
    state = settings.state_dir()
    state.mkdir(parents=True, exist_ok=True)
    pid = running_pid()
    if pid is not None:
        if wait_healthy(port, wait_seconds, pid):
            print(f"Superset already running (pid {pid}) on http://localhost:{port}")
            return 0
        print(f"Superset pid {pid} is running but not healthy on :{port}; see {log_file()}", file=sys.stderr)
        return 1
    gunicorn = Path(sys.executable).parent / "gunicorn"
    cmd = [
        str(gunicorn),
        "--bind", f"{bind}:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(threads),
        "--timeout", "120",
        "--graceful-timeout", "10",
        "--limit-request-line", "0",
        "--limit-request-field_size", "0",
        "--pid", str(pid_file()),
        "superset.app:create_app()",
    ]
    log = open(log_file(), "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(  # noqa: S603
        cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env=settings.superset_env(), cwd=str(state), start_new_session=True,
    )
    pid_file().write_text(f"{proc.pid}\n")  # gunicorn rewrites it with the same master pid
    print(f"==> Superset starting (pid {proc.pid}) on :{port}, log {log_file()}")
    if not wait_healthy(port, wait_seconds, proc.pid):
        print(f"Superset did not answer /health on :{port} within {wait_seconds:.0f}s. Log tail:\n"
              f"{tail(log_file())}", file=sys.stderr)
        stop()
        return 1
    print(f"==> Superset is up: http://localhost:{port}")
    return 0


def stop(timeout: float = 20.0) -> int:
    pid = running_pid()
    if pid is None:
        pid_file().unlink(missing_ok=True)
        print("Superset is not running")
        return 0
    # The master was started in its own session: signal its process group (master + workers).
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    pid_file().unlink(missing_ok=True)
    print(f"stopped Superset (pid {pid})")
    return 0
