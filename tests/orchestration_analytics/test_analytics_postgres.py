"""The same assets on PostgreSQL: the experiment queries and every recipe's SQL run there, and the
results are written through the PostgreSQL session (decimals, booleans, timestamps, text).

The marts are copied from the DuckDB pipeline warehouse (building the whole pipeline a second time
on PostgreSQL is the orchestration and dbt tests' job); the copy goes through the warehouse
resource's own Arrow -> COPY path, so types arrive as the pipeline writes them."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from ml.mining import dbt_model_columns, default_recipes_dir, load_recipes
from orchestration.environment import DBT_PROJECT_DIR

pytestmark = pytest.mark.postgres


def test_experiments_and_recipes_run_on_postgres(analytics_pipeline, fresh_pg_database):
    from orchestration import experiments, mining
    from orchestration.warehouse import PostgresWarehouse

    recipes, errors = load_recipes(default_recipes_dir(), known_columns=dbt_model_columns(DBT_PROJECT_DIR))
    assert not errors
    needed = {"marts.fct_experiment_user", "staging.stg_oltp__experiments", "staging.stg_oltp__experiment_variants"}
    needed |= {t for r in recipes for t in r.upstream_tables}

    server = fresh_pg_database.server
    warehouse = PostgresWarehouse(host=server.host, port=server.port, user=server.user, database=fresh_pg_database.name)
    source = duckdb.connect(str(analytics_pipeline.duckdb_path), read_only=True)
    try:
        with warehouse.session() as session:
            for table in sorted(needed):
                schema, name = table.split(".")
                session.replace_table(schema, name, source.sql(f"select * from {table}").to_arrow_table())
    finally:
        source.close()

    recipe_assets = [a for a in mining.defs.assets if isinstance(a, dg.AssetsDefinition)]
    result = dg.materialize(
        [experiments.experiment_analysis, experiments.no_sample_ratio_mismatch, *recipe_assets],
        resources={"warehouse": warehouse},
    )
    assert result.success

    expected = analytics_pipeline.query(
        "select engine, count(*) as n from ml.experiment_results group by 1 order by 1").values.tolist()
    on_pg = warehouse.read_sql("select engine, count(*) as n from ml.experiment_results group by 1 order by 1")
    assert on_pg.values.tolist() == expected
    for recipe in recipes:
        for table in recipe.output_tables.values():
            duck = int(analytics_pipeline.query(f"select count(*) as n from {table}")["n"][0])
            assert int(warehouse.read_sql(f"select count(*) as n from {table}")["n"][0]) == duck, table
