"""The read-only DuckDB copy Superset serves from.

DuckDB lets one process write a file, and a reader would block our writers (and vice versa), so
Superset never opens the warehouse itself: after each successful dbt build the warehouse file is
copied next to it and atomically renamed over the previous copy (os.replace on the same
filesystem), so Superset sees either the old or the new complete file, never a partial one.
On PostgreSQL this is a no-op: Superset reads the warehouse database directly.
"""

import os
import shutil
from pathlib import Path

import dagster as dg

from orchestration.dbt import zhishu_dbt_models
from orchestration.environment import get_environment
from orchestration.ingestion import WAREHOUSE_WRITER_POOL
from orchestration.warehouse import DuckDBWarehouse, WarehouseResource

SERVING_COPY_KEY = dg.AssetKey(["serving", "duckdb_serving_copy"])


def publish_copy(source: Path, target: Path) -> int:
    """Copy `source` to `target` atomically; returns the size in bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target.stat().st_size


@dg.asset(
    key=SERVING_COPY_KEY,
    deps=list(zhishu_dbt_models.keys),
    group_name="serving",
    pool=WAREHOUSE_WRITER_POOL,  # nothing may write the file while it is copied
    kinds={"duckdb"},
    description="Atomic read-only copy of the DuckDB warehouse for Superset (no-op on PostgreSQL).",
)
def duckdb_serving_copy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    if not isinstance(warehouse, DuckDBWarehouse):
        return dg.MaterializeResult(
            metadata={"skipped": f"warehouse is {warehouse.dialect}; Superset reads it directly"}
        )
    target = get_environment().serving_duckdb_path
    warehouse.checkpoint()  # fold the WAL in: the copy must be a complete database by itself
    size = publish_copy(Path(warehouse.path), target)
    context.log.info(f"published {target} ({size} bytes)")
    return dg.MaterializeResult(metadata={"path": str(target), "size_bytes": size})


defs = dg.Definitions(assets=[duckdb_serving_copy])
