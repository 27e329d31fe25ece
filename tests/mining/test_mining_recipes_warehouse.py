"""Every shipped recipe runs end to end on DuckDB and PostgreSQL: its SQL is valid on both, the
algorithm accepts what the warehouse returns (Decimal money, dates, booleans) and the results can
be written to and read back from the `analysis` schema."""

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from mining_synthetic_marts import MONEY_COLUMNS, synthetic_marts
from ml.mining import dbt_model_columns, load_recipes, run_recipe

REPO = Path(__file__).resolve().parents[2]


def _run_all(read_sql, write_table) -> dict[str, float]:
    recipes, errors = load_recipes(REPO / "recipes")
    assert not errors, "\n".join(map(str, errors))
    seconds = {}
    for recipe in recipes:
        frame = read_sql(recipe.query)
        assert len(frame), f"{recipe.name}: empty input"
        run = run_recipe(recipe, frame)
        primary = next(iter(run.tables))
        assert len(run.tables[primary]), f"{recipe.name}: {primary} is empty"
        for table, result in run.tables.items():
            written = write_table(table, result)
            assert written == len(result), table
        seconds[recipe.name] = run.seconds
    return seconds


def test_synthetic_marts_only_use_documented_mart_columns():
    """The stand-in tables must not invent columns: then a recipe SQL that runs on them also runs
    on the real marts (whose YAML lists every column: contracts are enforced)."""
    documented = dbt_model_columns(REPO / "dbt_project")
    for table, frame in synthetic_marts().items():
        assert table in documented, f"{table} is not a documented dbt model"
        extra = set(frame.columns) - set(documented[table])
        assert not extra, f"{table}: columns {sorted(extra)} are not in its dbt YAML"


def test_shipped_recipes_run_on_duckdb(tmp_path):
    import duckdb
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    for schema in ("marts", "intermediate", "analysis"):
        con.execute(f"create schema {schema}")
    for table, frame in synthetic_marts().items():
        con.register("frame", frame)
        casts = ", ".join(f"cast({c} as decimal(18,2)) as {c}" for c in MONEY_COLUMNS.get(table, []))
        select = f"select * exclude ({', '.join(MONEY_COLUMNS[table])}), {casts} from frame" if casts else "select * from frame"
        con.execute(f"create table {table} as {select}")
        con.unregister("frame")

    def write(table, frame):
        con.register("result", frame)
        con.execute(f"create or replace table {table} as select * from result")
        con.unregister("result")
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]

    seconds = _run_all(lambda sql: con.execute(sql).df(), write)
    print({k: round(v, 2) for k, v in seconds.items()})
    segments = con.execute("select segment, count(*) from analysis.customer_segments group by 1").fetchall()
    assert len(segments) >= 4
    evaluation = con.execute("select model, hit_rate_at_k from analysis.next_best_offers_evaluation").fetchall()
    assert {m for m, _ in evaluation} == {"item_cf", "most_popular"}
    # The synthetic orders_placed KPI steps up 30% on day 200 (2025-07-20).
    breaks = [d for (d,) in con.execute("select date_day from analysis.kpi_trend_change_points").fetchall()]
    assert any(abs((pd.Timestamp(d) - pd.Timestamp("2025-07-20")).days) <= 3 for d in breaks), breaks


@pytest.mark.postgres
def test_shipped_recipes_run_on_postgres(fresh_pg_database):
    engine = sa.create_engine(fresh_pg_database.url)
    with engine.begin() as conn:
        for schema in ("marts", "intermediate", "analysis"):
            conn.execute(sa.text(f"create schema {schema}"))
    for table, frame in synthetic_marts().items():
        schema, name = table.split(".")
        frame.to_sql(name, engine, schema=schema, index=False)
        with engine.begin() as conn:
            for col in MONEY_COLUMNS.get(table, []):
                conn.execute(sa.text(f"alter table {table} alter column {col} type numeric(18,2)"))

    def read(sql):
        with engine.connect() as conn:
            return pd.read_sql_query(sa.text(sql), conn)

    def write(table, frame):
        schema, name = table.split(".")
        frame.to_sql(name, engine, schema=schema, index=False, if_exists="replace")
        with engine.connect() as conn:
            return conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()

    try:
        seconds = _run_all(read, write)
        print({k: round(v, 2) for k, v in seconds.items()})
        with engine.connect() as conn:
            lifts = conn.execute(sa.text("select max(lift) from analysis.market_baskets where antecedent = 'tea' and consequent = 'cups'")).scalar_one()
        assert lifts is not None and lifts > 1.5  # the planted tea → cups affinity
    finally:
        engine.dispose()
