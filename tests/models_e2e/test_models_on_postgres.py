"""The model assets on PostgreSQL: the marts the models read are copied from the DuckDB test
platform into a fresh PostgreSQL database, the `models` group runs there, and the results match
the DuckDB run (same data, deterministic models -> same metrics and the same coverage)."""

from __future__ import annotations

import dagster as dg
import pytest

import models_pipeline as mp
from orchestration.warehouse import DuckDBWarehouse, PostgresWarehouse

pytestmark = pytest.mark.postgres

MODEL_INPUTS = [
    ("marts", "fct_category_daily_demand"), ("marts", "fct_daily_product_sales"), ("marts", "fct_daily_inventory"),
    ("marts", "dim_product"), ("marts", "dim_customer"), ("marts", "fct_customer_daily_activity"),
    ("marts", "fct_payments"), ("marts", "fct_tickets"), ("marts", "fct_subscriptions"),
    ("staging", "stg_oltp__marketing_touches"), ("staging", "stg_oltp__support_tickets"),
]


def test_models_on_postgres_match_duckdb(models_platform, first_run, fresh_pg_database, tmp_path):
    import pyarrow as pa

    source = DuckDBWarehouse(path=str(models_platform.duckdb_path))
    target = PostgresWarehouse(host=fresh_pg_database.server.host, port=fresh_pg_database.server.port,
                               user=fresh_pg_database.server.user, database=fresh_pg_database.name)
    with target.session() as session:
        for schema, table in MODEL_INPUTS:
            frame = source.read_sql(f"SELECT * FROM {schema}.{table}")
            session.replace_table(schema, table, pa.Table.from_pandas(frame, preserve_index=False))

    env = {**mp.data_dir_env(tmp_path / "data", models_platform.source), "ZHISHU_WAREHOUSE": "postgres",
           "DBT_TARGET": "postgres", **fresh_pg_database.env}
    with mp.environment(env):
        pipeline = mp.Pipeline(root=tmp_path, source=models_platform.source, env=env, defs=mp.platform_defs(),
                               instance=dg.DagsterInstance.ephemeral())
    result = mp.run_models(pipeline, mp.MECHANICS_RUN_CONFIG)
    assert not mp.step_failures(result)
    assert all(e.passed for e in result.get_asset_check_evaluations())

    def pg(sql: str):
        return target.read_sql(sql)

    duck = first_run.tables
    for table, key in (("demand_forecast", "series_id"), ("churn_scores", "customer_id"),
                       ("ticket_routing", "ticket_id"), ("inventory_recommendations", "product_id")):
        assert sorted(pg(f"SELECT DISTINCT {key} FROM ml.{table}")[key]) == sorted(duck[table][key].unique()), table
    pg_metrics = pg("SELECT family, metric, value FROM ml.model_metrics").set_index(["family", "metric"])["value"]
    duck_metrics = duck["model_metrics"].set_index(["family", "metric"])["value"]
    for family, metric in (("forecast", "accuracy"), ("forecast", "baseline_wape"), ("churn", "roc_auc"),
                           ("churn", "pr_auc"), ("inventory", "turnover_uplift"), ("routing", "accuracy")):
        assert float(pg_metrics[(family, metric)]) == pytest.approx(float(duck_metrics[(family, metric)]), abs=1e-6), (
            family, metric)
    types = dict(pg("SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'ml' AND table_name = 'demand_forecast'").itertuples(index=False))
    assert types["warehouse_id"] == "bigint" and types["ds"] == "date"
