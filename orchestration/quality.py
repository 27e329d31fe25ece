"""Great Expectations suites (quality/) as blocking Dagster asset checks.

One check per suite, on the asset whose table the suite validates (raw/<table>, marts/<model>).
The check reads the table through the `warehouse` resource, runs the suite, appends every result
to audit.dq_results and reports:

- an error-level failure: the check fails with severity ERROR; checks are blocking, so nothing
  downstream of the asset runs in that run (dbt does not build on bad raw data, models and the
  serving copy are not refreshed from bad marts);
- only warning-level failures: the check fails with severity WARN -- shown in the UI and logs,
  recorded in dq_results, and nothing is blocked;
- otherwise it passes.

The suites are defined in quality/suites/ (plain Python + YAML, no Dagster), so adding a suite
file adds a check here without code changes.
"""

from collections.abc import Sequence

import dagster as dg

from orchestration.ingestion import WAREHOUSE_WRITER_POOL
from orchestration.warehouse import WarehouseResource
from quality.runner import ResultRow, SuiteOutcome, summarize
from quality.specs import SuiteSpec, all_suites

CHECK_NAME = "great_expectations"
MAX_ROWS_IN_TABLE = 50  # failed expectations listed in the check's markdown metadata


def asset_key_for(suite: SuiteSpec) -> dg.AssetKey:
    # Asset keys of this code location are <schema>/<table> (ingestion and the dbt translator).
    return dg.AssetKey([suite.schema, suite.table])


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def failures_markdown(rows: Sequence[ResultRow]) -> str:
    failed = [r for r in rows if not r.success]
    if not failed:
        return f"All {len(rows)} expectations met."
    ordered = sorted(failed, key=lambda r: (r.severity != "error", r.expectation))
    lines = ["| severity | expectation | observed |", "|---|---|---|"]
    lines += [f"| {r.severity} | `{_cell(r.expectation)}` | {_cell(r.observed_value)} |"
              for r in ordered[:MAX_ROWS_IN_TABLE]]
    if len(ordered) > MAX_ROWS_IN_TABLE:
        lines.append(f"| | ... {len(ordered) - MAX_ROWS_IN_TABLE} more | see audit.dq_results |")
    return "\n".join(lines)


def check_result(suite: SuiteSpec, rows: Sequence[ResultRow], run_id: str) -> dg.AssetCheckResult:
    outcome: SuiteOutcome = summarize(rows)
    metadata: dict[str, object] = {
        "suite": suite.name,
        "expectations": outcome.total,
        "failed_errors": len(outcome.errors),
        "failed_warnings": len(outcome.warnings),
        "rows_checked": rows[0].element_count if rows else 0,
        "failures": dg.MetadataValue.md(failures_markdown(rows)),
        "results_table": f"audit.dq_results where run_id = '{run_id}' and suite = '{suite.name}'",
    }
    quarantine = next((r for r in rows if r.expectation == "quarantine"), None)
    if quarantine is not None:
        metadata["quarantined_in_latest_load"] = quarantine.unexpected_count or 0
        metadata["quarantine"] = quarantine.observed_value
    return dg.AssetCheckResult(
        passed=not outcome.failed,
        # WARN only when warnings alone failed: a failed WARN check is shown but blocks nothing.
        severity=(dg.AssetCheckSeverity.WARN if outcome.warnings and not outcome.errors
                  else dg.AssetCheckSeverity.ERROR),
        metadata=metadata,
        description=(
            f"{len(outcome.errors)} error(s), {len(outcome.warnings)} warning(s) "
            f"of {outcome.total} expectations"
        ),
    )


def build_suite_check(suite: SuiteSpec) -> dg.AssetChecksDefinition:
    key = asset_key_for(suite)
    # Referential-integrity expectations read the parent tables: when a run refreshes those too,
    # validate only after they are loaded (otherwise a new child row looks like an orphan).
    parents = sorted({dg.AssetKey([schema, table]) for schema, table, _ in suite.references()}
                     - {key}, key=lambda k: k.path)

    @dg.asset_check(
        asset=key,
        name=CHECK_NAME,
        blocking=True,  # only an error-level failure (severity ERROR) stops downstream assets
        additional_deps=parents,
        pool=WAREHOUSE_WRITER_POOL,  # appends to audit.dq_results
        description=(
            f"Great Expectations suite {suite.name} ({len(suite.expectations)} expectations; "
            "errors block downstream assets, warnings are recorded). Results: audit.dq_results."
        ),
        metadata={"suite": suite.name, "definition": "quality/suites/"},
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from quality.validation import validate_table  # imports Great Expectations (slow): lazily

        run_id = context.run.run_id
        rows = validate_table(warehouse, suite, run_id)
        outcome = summarize(rows)
        for row in outcome.failed:
            log = context.log.error if row.severity == "error" else context.log.warning
            log(f"{suite.name}: {row.severity} {row.expectation}: {row.observed_value}")
        return check_result(suite, rows, run_id)

    return _check


def build_quality_checks(suites: Sequence[SuiteSpec] | None = None) -> list[dg.AssetChecksDefinition]:
    return [build_suite_check(suite) for suite in (suites or list(all_suites().values()))]


defs = dg.Definitions(asset_checks=build_quality_checks())
