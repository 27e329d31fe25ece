"""The one environment switch: which warehouse, which dbt target, where the data lives.

Everything that differs between a laptop demo (DuckDB file) and production (PostgreSQL) is read
here, from environment variables only, so the rest of the code never looks at `os.environ`.
An unknown warehouse name or an incomplete PostgreSQL configuration is an error: running the
pipeline against a different warehouse than the operator asked for would be worse than stopping.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_SOURCES_CONFIG = Path(__file__).resolve().parent / "sources.yaml"

WAREHOUSES = ("duckdb", "postgres")
# libpq variables without which we refuse to guess where the production warehouse is.
REQUIRED_PG_VARIABLES = ("PGHOST", "PGUSER", "PGDATABASE")


class ConfigurationError(RuntimeError):
    """The environment variables describe no usable configuration."""


@dataclass(frozen=True)
class PostgresSettings:
    host: str
    port: int
    user: str
    database: str
    # The password is never copied here: resources read it from PGPASSWORD at connect time so it
    # never shows up in Dagster's resource config view.
    has_password: bool


@dataclass(frozen=True)
class Environment:
    warehouse: str  # "duckdb" | "postgres"
    data_dir: Path
    source_url: str
    clickstream_dir: Path
    duckdb_path: Path
    serving_duckdb_path: Path
    sources_config: Path
    postgres: PostgresSettings | None

    @property
    def dbt_target(self) -> str:
        # The dbt profile's target names are the warehouse names (profiles.yml: duckdb, postgres).
        return self.warehouse

    def as_env_vars(self) -> dict[str, str]:
        """The resolved paths as the variables dbt's profiles.yml and child processes read."""
        return {
            "ZHISHU_WAREHOUSE": self.warehouse,
            "DBT_TARGET": self.dbt_target,
            "ZHISHU_DATA_DIR": str(self.data_dir),
            "ZHISHU_SOURCE_URL": self.source_url,
            "ZHISHU_CLICKSTREAM_DIR": str(self.clickstream_dir),
            "ZHISHU_DUCKDB_PATH": str(self.duckdb_path),
        }


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def get_environment() -> Environment:
    """Read the environment afresh (tests change it between calls, so nothing is cached)."""
    warehouse = os.environ.get("ZHISHU_WAREHOUSE", "duckdb").strip().lower() or "duckdb"
    if warehouse not in WAREHOUSES:
        raise ConfigurationError(
            f"ZHISHU_WAREHOUSE={warehouse!r} is not supported; use one of {', '.join(WAREHOUSES)}"
        )
    dbt_target = os.environ.get("DBT_TARGET")
    if dbt_target and dbt_target != warehouse:
        raise ConfigurationError(
            f"DBT_TARGET={dbt_target!r} contradicts ZHISHU_WAREHOUSE={warehouse!r}; "
            "they must name the same warehouse (or leave DBT_TARGET unset)"
        )

    data_dir = _path("ZHISHU_DATA_DIR", REPO_ROOT / "data")
    duckdb_path = _path("ZHISHU_DUCKDB_PATH", data_dir / "warehouse" / "zhishu.duckdb")
    postgres = None
    if warehouse == "postgres":
        missing = [name for name in REQUIRED_PG_VARIABLES if not os.environ.get(name)]
        if missing:
            raise ConfigurationError(
                "ZHISHU_WAREHOUSE=postgres needs the PostgreSQL connection variables "
                f"{', '.join(missing)} (and PGPORT, PGPASSWORD if not default); "
                "refusing to guess a warehouse"
            )
        port = os.environ.get("PGPORT", "5432")
        if not port.isdigit():
            raise ConfigurationError(f"PGPORT={port!r} is not a port number")
        postgres = PostgresSettings(
            host=os.environ["PGHOST"],
            port=int(port),
            user=os.environ["PGUSER"],
            database=os.environ["PGDATABASE"],
            has_password=bool(os.environ.get("PGPASSWORD")),
        )

    return Environment(
        warehouse=warehouse,
        data_dir=data_dir,
        source_url=os.environ.get("ZHISHU_SOURCE_URL")
        or f"sqlite:///{data_dir / 'source' / 'oltp.sqlite'}",
        clickstream_dir=_path("ZHISHU_CLICKSTREAM_DIR", data_dir / "source" / "clickstream"),
        duckdb_path=duckdb_path,
        # Superset reads a copy next to the warehouse so it never holds DuckDB's single write lock.
        serving_duckdb_path=_path(
            "ZHISHU_SERVING_DUCKDB_PATH", duckdb_path.with_name(duckdb_path.stem + "_serving.duckdb")
        ),
        sources_config=_path("ZHISHU_SOURCES_CONFIG", DEFAULT_SOURCES_CONFIG),
        postgres=postgres,
    )
