"""The suites as Dagster asset checks: an error-level failure blocks downstream assets, a warning
is shown but blocks nothing, and every run's results are stored."""

from __future__ import annotations

from decimal import Decimal

import dagster as dg

from orchestration.quality import CHECK_NAME, build_suite_check
from orchestration.warehouse import DuckDBWarehouse

ORDERS = dg.AssetKey(["raw", "orders"])


def pipeline(frames, orders):
    """raw/customers, raw/warehouses, raw/coupons, raw/orders (as given) and a downstream report."""

    def writer(table, frame):
        @dg.asset(key=["raw", table])
        def _write(warehouse: DuckDBWarehouse) -> None:
            warehouse.write_dataframe(frame, "raw", table)

        return _write

    reported = []

    @dg.asset(key=["marts", "order_report"], deps=[ORDERS])
    def order_report() -> None:
        reported.append(True)

    assets = [writer("customers", frames.customers()), writer("warehouses", frames.warehouses()),
              writer("coupons", frames.coupons()), writer("orders", orders), order_report]
    return assets, reported


def run(tmp_path, suites, frames, orders):
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))
    assets, reported = pipeline(frames, orders)
    check = build_suite_check(suites["raw.orders"])
    result = dg.materialize([*assets, check], resources={"warehouse": warehouse}, raise_on_error=False)
    evaluation = next(e for e in result.get_asset_check_evaluations()
                      if e.asset_key == ORDERS and e.check_name == CHECK_NAME)
    return result, evaluation, bool(reported), warehouse


def test_an_error_blocks_downstream_assets(tmp_path, suites, frames):
    orders = frames.orders()
    orders.loc[0, "total_amount"] = Decimal("-1.00")
    result, evaluation, reported, warehouse = run(tmp_path, suites, frames, orders)

    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert not reported, "the downstream asset ran although a blocking check failed"
    assert not result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert ORDERS in materialized and dg.AssetKey(["marts", "order_report"]) not in materialized
    metadata = evaluation.metadata
    assert metadata["failed_errors"].value == 1
    assert "between(total_amount >= 0)" in metadata["failures"].value
    stored = warehouse.read_sql("SELECT DISTINCT run_id FROM audit.dq_results")
    assert stored["run_id"].tolist() == [result.run_id]


def test_a_warning_is_shown_but_blocks_nothing(tmp_path, suites, frames):
    orders = frames.orders()
    orders.loc[0, "customer_id"] = 404  # orphan in raw: a warning
    result, evaluation, reported, _ = run(tmp_path, suites, frames, orders)

    assert result.success and reported
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["failed_errors"].value == 0
    assert evaluation.metadata["failed_warnings"].value == 1


def test_clean_data_passes(tmp_path, suites, frames):
    result, evaluation, reported, _ = run(tmp_path, suites, frames, frames.orders())
    assert result.success and reported and evaluation.passed
    assert evaluation.metadata["failures"].value.startswith("All ")


def test_every_suite_is_a_blocking_check_on_an_asset_of_the_code_location(dbt_manifest, suites):
    from quality_fixtures import code_location_with_quality_checks

    merged = code_location_with_quality_checks()
    dg.Definitions.validate_loadable(merged)
    graph = merged.resolve_asset_graph()
    checks = {key for key in graph.asset_check_keys if key.name == CHECK_NAME}
    assert {key.asset_key.to_user_string().replace("/", ".") for key in checks} == set(suites)
    for key in checks:
        assert graph.get(key.asset_key).is_materializable, key
        assert graph.get_check_spec(key).blocking, key
    # A foreign-key check waits for the parent table when both are refreshed in one run.
    orders_check = next(k for k in checks if k.asset_key == ORDERS)
    spec = graph.get_check_spec(orders_check)
    assert {dep.asset_key for dep in spec.additional_deps} >= {
        dg.AssetKey(["raw", "customers"]), dg.AssetKey(["raw", "warehouses"])}
