"""The real pipeline with the quality checks: on its own (valid) data no check fails with an
error, nothing is blocked, and every suite's results are in audit.dq_results."""

from __future__ import annotations


def test_pipeline_data_meets_every_error_level_expectation(built_warehouse, suites):
    assert built_warehouse.run_success, "\n".join(built_warehouse.failures)
    checked = {asset.replace("/", ".") for asset, _, _ in built_warehouse.check_results}
    assert checked == set(suites)
    errors = [(asset, severity) for asset, passed, severity in built_warehouse.check_results
              if not passed and severity == "ERROR"]
    assert not errors


def test_every_suite_result_is_stored(built_warehouse, suites):
    stored = built_warehouse.warehouse().read_sql(
        "SELECT suite, count(*) AS n, min(CASE WHEN success THEN 1 ELSE 0 END) AS all_ok "
        "FROM audit.dq_results "
        "WHERE severity = 'error' AND run_id = ? GROUP BY suite",
        (built_warehouse.run_id,),
    )
    by_suite = {row.suite: row for row in stored.itertuples()}
    assert set(by_suite) == set(suites)
    for name, suite in suites.items():
        errors = [s for s in suite.expectations if s.severity == "error"]
        assert by_suite[name].n == len(errors) and by_suite[name].all_ok == 1, name
