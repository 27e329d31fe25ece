"""Fixtures for ingestion tests: the OLTP source, a warehouse per kind (DuckDB and PostgreSQL,
parametrized), the parsed sources.yaml, and the clickstream landing folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestion_fixtures import Landing, Source


@pytest.fixture
def source(tmp_data_dir: Path) -> Source:
    return Source(f"sqlite:///{tmp_data_dir / 'source' / 'oltp.sqlite'}")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_kind(request: pytest.FixtureRequest, tmp_data_dir: Path) -> str:
    """Runs a test once per warehouse; for postgres the env is switched to a fresh database."""
    if request.param == "postgres":
        request.getfixturevalue("pg_warehouse_env")
    return request.param


@pytest.fixture
def wh(warehouse_kind: str):
    from orchestration.resources import build_warehouse

    return build_warehouse()


@pytest.fixture
def sources_config():
    from orchestration.ingest.source_config import load_sources_config

    return load_sources_config()


@pytest.fixture
def landing(tmp_data_dir: Path) -> Iterator[Landing]:
    yield Landing(tmp_data_dir / "source" / "clickstream" / "landing")
