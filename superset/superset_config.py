"""Superset configuration for Zhishu (智枢). Everything comes from the environment.

Loaded by Superset through SUPERSET_CONFIG_PATH (superset/manage.py sets it). Variables:

  SUPERSET_SECRET_KEY        required; signs sessions and encrypts stored database passwords, so it
                             must stay stable across restarts (`make` keeps it in the git-ignored .env)
  ZHISHU_DATA_DIR            data dir (default <repo>/data); Superset state lives in <data>/superset/
  SUPERSET_DATABASE_URI      metadata DB (default SQLite file <data>/superset/superset.db; PostgreSQL
                             e.g. postgresql+psycopg2://user@127.0.0.1:5432/superset_meta)
  REDIS_URL                  e.g. redis://127.0.0.1:6379/0: caches, filter state and rate limits in Redis
  SUPERSET_CACHE_PREFIX      key prefix in Redis (default "zhishu_superset_"), lets instances share a Redis
  SUPERSET_DATA_CACHE_TIMEOUT  seconds chart data stays cached (default 600; charts of the 30 s
                             auto-refreshing operations dashboard carry their own shorter timeout)
  SUPERSET_DEFAULT_LOCALE    zh (default) or en
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default


# --- secret key: no default, no weak key ---------------------------------------------------------
SECRET_KEY = _env("SUPERSET_SECRET_KEY")
if not SECRET_KEY or len(SECRET_KEY) < 32:
    raise RuntimeError(
        "SUPERSET_SECRET_KEY is not set (or shorter than 32 characters). Superset refuses to start "
        "without it: run `make env` to generate one into the git-ignored .env, or export a random "
        "value, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
    )

# --- metadata database ---------------------------------------------------------------------------
DATA_DIR = str(Path(_env("ZHISHU_DATA_DIR", str(_REPO / "data"))).resolve() / "superset")
Path(DATA_DIR).mkdir(parents=True, exist_ok=True)
SQLALCHEMY_DATABASE_URI = _env("SUPERSET_DATABASE_URI", f"sqlite:///{DATA_DIR}/superset.db")
if SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import QueuePool

    # gunicorn threads share the SQLite file: wait for the write lock instead of failing at once, and
    # keep connections open (SQLAlchemy's default for SQLite files opens and closes one per session).
    SQLALCHEMY_ENGINE_OPTIONS = {
        "connect_args": {"timeout": 30, "check_same_thread": False},
        "poolclass": QueuePool,
        "pool_size": 8,
        "max_overflow": 8,
    }

    @event.listens_for(Engine, "connect")
    def _sqlite_wal(dbapi_connection, _record):  # noqa: ANN001
        # Superset logs every request to the metadata DB; with SQLite's default rollback journal
        # each of those commits is an fsync (~25 ms here), which dominated warm chart-data latency.
        # WAL + synchronous=NORMAL keeps commits durable against crashes of the app (not of the OS).
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
else:
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# --- caches ---------------------------------------------------------------------------------------
REDIS_URL = _env("REDIS_URL")
_PREFIX = _env("SUPERSET_CACHE_PREFIX", "zhishu_superset_")
DATA_CACHE_TIMEOUT = int(_env("SUPERSET_DATA_CACHE_TIMEOUT", "600"))


def _cache(kind: str, timeout: int) -> dict:
    if REDIS_URL:
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": f"{_PREFIX}{kind}_",
            "CACHE_DEFAULT_TIMEOUT": timeout,
        }
    # Without Redis: a file cache shared by all gunicorn workers (SimpleCache would be per process).
    return {
        "CACHE_TYPE": "FileSystemCache",
        "CACHE_DIR": f"{DATA_DIR}/cache/{kind}",
        "CACHE_DEFAULT_TIMEOUT": timeout,
        "CACHE_THRESHOLD": 5000,
    }


CACHE_CONFIG = _cache("meta", 3600)
DATA_CACHE_CONFIG = _cache("data", DATA_CACHE_TIMEOUT)
if REDIS_URL:
    FILTER_STATE_CACHE_CONFIG = _cache("filter_state", int(timedelta(days=90).total_seconds()))
    EXPLORE_FORM_DATA_CACHE_CONFIG = _cache("explore", int(timedelta(days=7).total_seconds()))
    RATELIMIT_STORAGE_URI = REDIS_URL
# else: Superset's defaults keep filter and explore state in the metadata DB (SupersetMetastoreCache).

# --- languages ------------------------------------------------------------------------------------
LANGUAGES = {
    "zh": {"flag": "cn", "name": "简体中文"},
    "en": {"flag": "us", "name": "English"},
}
BABEL_DEFAULT_LOCALE = _env("SUPERSET_DEFAULT_LOCALE", "zh")
if BABEL_DEFAULT_LOCALE not in LANGUAGES:
    raise RuntimeError(f"SUPERSET_DEFAULT_LOCALE={BABEL_DEFAULT_LOCALE!r}: expected one of {sorted(LANGUAGES)}")
APP_NAME = "智枢 Zhishu BI"

# --- features -------------------------------------------------------------------------------------
FEATURE_FLAGS = {
    # Jinja in SQL and row-level-security clauses ({{ current_username() }}, {{ url_param() }}).
    "ENABLE_TEMPLATE_PROCESSING": True,
    # Dashboards carry roles: the partner portal is visible to partners, the internal ones are not.
    "DASHBOARD_RBAC": True,
    "DRILL_TO_DETAIL": True,
    "DRILL_BY": True,
    # Render every chart of a dashboard at once: the operations wall is watched whole, and
    # "fully rendered" in the benchmark and the browser test then means every chart.
    "DASHBOARD_VIRTUALIZATION": False,
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
    "ENABLE_SUPERSET_META_DB": False,
    # RLS also applies to SQL Lab (partners have no SQL Lab; analysts see what their roles allow).
    "RLS_IN_SQLLAB": True,
}

# The operations dashboard auto-refreshes every 30 s: fetch (use the cache) rather than force
# (bypass it), and its charts keep cache timeouts shorter than the refresh interval.
DASHBOARD_AUTO_REFRESH_MODE = "fetch"

# --- security ---------------------------------------------------------------------------------------
# No anonymous access: the Public role stays empty and self-registration is off.
PUBLIC_ROLE_LIKE = None
AUTH_ROLE_PUBLIC = "Public"
AUTH_USER_REGISTRATION = False
WTF_CSRF_ENABLED = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env("SUPERSET_COOKIE_SECURE", "false").lower() == "true"
TALISMAN_ENABLED = True
# Superset's default CSP plus nothing external: the browser never calls out (the frontend's built-in
# Scarf telemetry pixel, map tiles, web fonts are all blocked by the policy; the machines have no
# internet and the data is internal).
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
PREVENT_UNSAFE_DB_CONNECTIONS = True
SHOW_STACKTRACE = False
# Logins are rate limited (brute force); raise the default a little because tests log in several users.
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = "20 per second"

# --- queries ----------------------------------------------------------------------------------------
ROW_LIMIT = 50000
SQL_MAX_ROW = 100000
SQLLAB_TIMEOUT = 60
SUPERSET_WEBSERVER_TIMEOUT = 120
