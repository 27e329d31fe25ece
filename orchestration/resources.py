"""Resources for the selected environment: the warehouse, the OLTP source, dbt.

`build_resources()` is the only place that turns the environment switch into resource objects,
so tests and the CLI get exactly what `dagster dev` gets.
"""

from __future__ import annotations

import dagster as dg
from pydantic import Field
from sqlalchemy.engine import Engine

from orchestration.environment import Environment, get_environment
from orchestration.ingest.oltp import create_source_engine, describe_url
from orchestration.ingest.source_config import load_sources_config
from orchestration.warehouse import DuckDBWarehouse, PostgresWarehouse, WarehouseResource


class OltpSourceResource(dg.ConfigurableResource):
    """The operational database, reached through SQLAlchemy."""

    url: str = Field(
        description="SQLAlchemy URL; ${VAR} placeholders are read from the environment when "
        "connecting, so passwords never appear in configuration"
    )

    def engine(self) -> Engine:
        return create_source_engine(self.url)

    def describe(self) -> str:
        return describe_url(self.url)


def build_warehouse(env: Environment | None = None) -> WarehouseResource:
    env = env or get_environment()
    if env.warehouse == "duckdb":
        return DuckDBWarehouse(path=str(env.duckdb_path))
    if env.postgres is None:  # get_environment() fills it for postgres; guard against misuse
        raise ValueError("postgres warehouse selected without PostgreSQL settings")
    return PostgresWarehouse(
        host=env.postgres.host,
        port=env.postgres.port,
        user=env.postgres.user,
        database=env.postgres.database,
    )


def build_resources(env: Environment | None = None, *, include_dbt: bool = True) -> dict[str, object]:
    """Resource objects keyed as the assets expect them, for the given (default: current) environment."""
    env = env or get_environment()
    sources = load_sources_config(env.sources_config)
    resources: dict[str, object] = {
        "warehouse": build_warehouse(env),
        "oltp_source": OltpSourceResource(url=sources.oltp.url),
    }
    if include_dbt:
        from orchestration.dbt import dbt_resource  # needs the dbt manifest; imported only here

        resources["dbt"] = dbt_resource(env)
    return resources
