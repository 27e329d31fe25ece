"""Run a suite on a pandas DataFrame with Great Expectations 1.x and turn the outcome into rows.

Tables are read from the warehouse into pandas first (quality/validation.py), so one execution
engine validates DuckDB and PostgreSQL data and the results cannot differ by dialect.

Each `ExpectationSpec` becomes one GX expectation. Values only known at validation time are GX
suite parameters (`{"$PARAMETER": ...}`) filled in per run: the oldest acceptable timestamp
(freshness), "now" (nothing from the future) and the smallest acceptable row count given the
previous load (row-count change). Referential integrity is the exception: the child values
missing from the parent's keys are found with a pandas set lookup into a derived column, which
GX then expects to be null -- a parent key list as GX `value_set` costs seconds per expectation.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from quality.specs import ERROR, WARNING, ExpectationSpec, SuiteSpec

PLATFORM_TZ = ZoneInfo("Asia/Shanghai")
SAMPLE_VALUES = 5  # failing values quoted in observed_value (never for redacted columns)
GX_DATASOURCE = "zhishu_warehouse"

# Kinds whose GX result counts rows (element_count / unexpected_count); others observe one value.
ROW_KINDS = {"not_null", "unique", "accepted_values", "between", "matches_regex", "foreign_key",
             "not_in_future"}


def local_now() -> datetime:
    """Naive platform-local time, the warehouse's timestamp convention."""
    return datetime.now(PLATFORM_TZ).replace(tzinfo=None)


@dataclass
class ValidationInputs:
    """What a suite needs besides the rows: the run it belongs to and runtime values."""

    run_id: str
    now: datetime | None = None  # naive platform-local; defaults to the current time
    # "schema.table.column" -> the keys that exist there (for foreign_key expectations)
    parent_keys: Mapping[str, Collection[Any]] = field(default_factory=dict)
    previous_row_count: int | None = None  # row count seen by the previous validation
    # All columns of the table when `df` holds only the columns the expectations read.
    table_columns: Sequence[str] | None = None
    quarantine: "QuarantineObservation | None" = None


@dataclass(frozen=True)
class QuarantineObservation:
    """Quarantined rows of the table's latest load (audit.quarantine), see quality/quarantine.py."""

    load_id: str | None
    quarantined_in_load: int
    open_total: int
    reasons: Mapping[str, int] = field(default_factory=dict)


@dataclass
class ResultRow:
    """One expectation's outcome: a row of audit.dq_results."""

    suite: str
    expectation: str
    expectation_type: str
    column_name: str | None
    asset: str
    run_id: str
    success: bool
    severity: str
    observed_value: str
    element_count: int | None
    unexpected_count: int | None
    checked_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- spec -> Great Expectations ---------------------------------------------------------------


def _parameter(spec: ExpectationSpec, what: str) -> dict[str, str]:
    return {"$PARAMETER": f"{what}__{spec.column or 'table'}"}


def orphan_column(spec: ExpectationSpec) -> str:
    """Derived column holding the values of spec.column that have no parent row (else null)."""
    return f"_orphan__{spec.column}__{'.'.join(spec.reference or ())}"


def gx_expectation(spec: ExpectationSpec):
    """The GX expectation for one spec (runtime values as suite parameters)."""
    import great_expectations as gx

    e = gx.expectations
    meta = {"zhishu_expectation": spec.name, "severity": spec.severity}
    p, column = spec.params, spec.column
    match spec.kind:
        case "columns":
            return e.ExpectTableColumnsToMatchSet(
                column_set=list(p["required"]), exact_match=bool(p.get("exact")), meta=meta)
        case "not_null":
            return e.ExpectColumnValuesToNotBeNull(column=column, meta=meta)
        case "unique":
            return e.ExpectColumnValuesToBeUnique(column=column, meta=meta)
        case "accepted_values":
            return e.ExpectColumnValuesToBeInSet(column=column, value_set=list(p["values"]), meta=meta)
        case "between":
            return e.ExpectColumnValuesToBeBetween(
                column=column, min_value=p.get("min"), max_value=p.get("max"), meta=meta)
        case "matches_regex":
            return e.ExpectColumnValuesToMatchRegex(column=column, regex=str(p["regex"]), meta=meta)
        case "foreign_key":
            # Orphans are found by set membership in pandas (see _prepare) and reported here:
            # passing thousands of parent keys as a GX value_set costs seconds per expectation.
            return e.ExpectColumnValuesToBeNull(column=orphan_column(spec), meta=meta)
        case "not_in_future":
            return e.ExpectColumnValuesToBeBetween(
                column=column, max_value=_parameter(spec, "latest_allowed"), meta=meta)
        case "freshness":
            return e.ExpectColumnMaxToBeBetween(
                column=column, min_value=_parameter(spec, "oldest_allowed"), meta=meta)
        case "row_count":
            return e.ExpectTableRowCountToBeBetween(min_value=p.get("min"), max_value=p.get("max"), meta=meta)
        case "row_count_change":
            return e.ExpectTableRowCountToBeBetween(min_value=_parameter(spec, "min_rows"), meta=meta)
    raise ValueError(f"no Great Expectations mapping for kind {spec.kind!r}")


def _runtime_parameters(suite: SuiteSpec, inputs: ValidationInputs, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in suite.expectations:
        if spec.kind == "not_in_future":
            tolerance = timedelta(minutes=float(spec.params.get("tolerance_minutes") or 0))
            values[_parameter(spec, "latest_allowed")["$PARAMETER"]] = now + tolerance
        elif spec.kind == "freshness":
            age = timedelta(hours=float(spec.params["max_age_hours"]))
            values[_parameter(spec, "oldest_allowed")["$PARAMETER"]] = now - age
        elif spec.kind == "row_count_change":
            values[_parameter(spec, "min_rows")["$PARAMETER"]] = minimum_rows(
                inputs.previous_row_count, float(spec.params.get("max_drop_percent", 0)))
    return values


def minimum_rows(previous: int | None, max_drop_percent: float) -> int:
    """Fewest rows acceptable after a load, given the previous count (no history: 0)."""
    if not previous:
        return 0
    return math.ceil(previous * (1 - max_drop_percent / 100) - 1e-9)


def _prepare(suite: SuiteSpec, df: pd.DataFrame, inputs: ValidationInputs) -> pd.DataFrame:
    """The frame GX validates: time columns as datetimes (DATE arrives as datetime.date objects),
    plus one derived orphan column per foreign key."""
    frame = df.copy(deep=False)
    for spec in suite.expectations:
        if spec.column not in frame.columns:
            continue  # reported as a missing column by the expectation itself
        column = frame[spec.column]
        if spec.kind in ("freshness", "not_in_future") and not pd.api.types.is_datetime64_any_dtype(column):
            frame[spec.column] = pd.to_datetime(column, errors="coerce")
        elif spec.kind == "foreign_key":
            reference = ".".join(spec.reference or ())
            if reference not in inputs.parent_keys:
                raise ValueError(f"{suite.name}: {spec.name} needs the keys of {reference} (parent_keys)")
            parents = pd.Series(list(inputs.parent_keys[reference]), dtype=object)
            if pd.api.types.is_numeric_dtype(column):  # ids read as float when nullable
                parents = pd.to_numeric(parents, errors="coerce")
            orphan = column.notna() & ~column.isin(parents)
            frame[orphan_column(spec)] = column.astype(object).where(orphan, None)
    return frame


_gx_lock = threading.Lock()
_gx_batch_definition: Any = None


def _batch_definition() -> Any:
    """A whole-dataframe batch definition on an ephemeral (in-memory) GX context, made once per
    process: building a context and datasource serialises configuration and costs more than
    validating a small table."""
    global _gx_batch_definition
    if _gx_batch_definition is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        _gx_batch_definition = (
            context.data_sources.add_pandas(GX_DATASOURCE)
            .add_dataframe_asset("warehouse_table")
            .add_batch_definition_whole_dataframe("whole_table")
        )
    return _gx_batch_definition


def _validate(
    name: str, specs: Sequence[ExpectationSpec], df: pd.DataFrame, parameters: Mapping[str, Any]
) -> list[Any]:
    """Validate `df` against a GX ExpectationSuite built from `specs`; the per-expectation results.

    The suite is validated on the batch directly (Batch.validate) rather than through a stored
    ValidationDefinition, for the same reason: storing it would serialise it again."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name, expectations=[gx_expectation(spec) for spec in specs])
    with _gx_lock:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": df})
        result = batch.validate(suite, result_format="SUMMARY", expectation_parameters=dict(parameters))
    return list(result.results)


# --- GX result -> dq_results row ------------------------------------------------------------


def _exception_message(result: Any) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "exception")
    for value in info.values():  # keyed by metric when several metrics were computed
        if isinstance(value, Mapping) and value.get("raised_exception"):
            return str(value.get("exception_message") or "exception")
    return None


def _value_text(value: Any) -> str:
    # Nullable integer keys arrive as floats from pandas: show 999, not 999.0.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _samples(result: dict[str, Any]) -> str:
    counts = result.get("partial_unexpected_counts") or []
    shown = [f"{_value_text(c['value'])} (x{c['count']})" for c in counts[:SAMPLE_VALUES]]
    if not shown:
        shown = [_value_text(v) for v in (result.get("partial_unexpected_list") or [])[:SAMPLE_VALUES]]
    return f"; e.g. {', '.join(shown)}" if shown else ""


def _describe(
    spec: ExpectationSpec, result: dict[str, Any], rows: int, inputs: ValidationInputs,
    parameters: Mapping[str, Any], redact: bool,
) -> tuple[str, int | None]:
    """(observed_value text, unexpected_count) for one expectation's GX result."""
    if spec.kind in ROW_KINDS:
        unexpected = int(result.get("unexpected_count") or 0)
        checked = int(result.get("element_count") or rows)
        percent = 100.0 * unexpected / checked if checked else 0.0
        what = (f"reference no {spec.params['references']}" if spec.kind == "foreign_key"
                else "unexpected")
        text = f"{unexpected} of {checked} rows {what} ({percent:.2f}%)"
        if unexpected and spec.kind != "not_null" and not redact:
            text += _samples(result)
        return text, unexpected
    if spec.kind == "columns":
        details = (result.get("details") or {}).get("mismatched") or {}
        missing = sorted(details.get("missing") or [])
        extra = sorted(details.get("unexpected") or [])
        parts = [f"missing columns: {', '.join(missing)}"] if missing else []
        if extra:
            parts.append(f"{'unexpected' if spec.params.get('exact') else 'additional'} columns: {', '.join(extra)}")
        observed = result.get("observed_value") or []
        return ("; ".join(parts) or f"all {len(spec.params['required'])} expected columns present "
                f"({len(observed)} in table)"), len(missing) + (len(extra) if spec.params.get("exact") else 0)
    if spec.kind == "row_count":
        return f"{result.get('observed_value')} rows", None
    if spec.kind == "row_count_change":
        current, previous = result.get("observed_value"), inputs.previous_row_count
        if not previous:
            return f"{current} rows; no previous observation", None
        change = 100.0 * (int(current or 0) - previous) / previous
        limit = parameters.get(_parameter(spec, "min_rows")["$PARAMETER"])
        return (f"{current} rows, previous {previous} ({change:+.1f}%; "
                f"at most -{spec.params.get('max_drop_percent')}% allowed, i.e. >= {limit})"), None
    if spec.kind == "freshness":
        latest = result.get("observed_value")
        oldest = parameters.get(_parameter(spec, "oldest_allowed")["$PARAMETER"])
        if latest is None or pd.isna(latest):
            return "no values (table empty or column all null)", None
        age = (oldest + timedelta(hours=float(spec.params["max_age_hours"]))) - pd.Timestamp(latest).to_pydatetime()
        return (f"latest {latest} is {age.total_seconds() / 3600:.1f} h old "
                f"(at most {spec.params['max_age_hours']} h allowed)"), None
    return str(result.get("observed_value")), None


def _row(
    suite: SuiteSpec, spec: ExpectationSpec, inputs: ValidationInputs, checked_at: datetime,
    rows: int, success: bool, observed: str, unexpected: int | None, gx_type: str,
) -> ResultRow:
    return ResultRow(
        suite=suite.name, expectation=spec.name, expectation_type=gx_type, column_name=spec.column,
        asset=suite.asset, run_id=inputs.run_id, success=bool(success), severity=spec.severity,
        observed_value=observed, element_count=rows, unexpected_count=unexpected, checked_at=checked_at,
    )


def _quarantine_row(suite: SuiteSpec, spec: ExpectationSpec, inputs: ValidationInputs,
                    checked_at: datetime, rows: int) -> ResultRow:
    q = inputs.quarantine
    assert q is not None
    reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(q.reasons.items()))
    observed = (f"{q.quarantined_in_load} rows quarantined in load {q.load_id or '(none yet)'}; "
                f"{q.open_total} open in audit.quarantine" + (f" ({reasons})" if reasons else ""))
    # Kept aside, not lost: valid rows of the batch loaded; a warning asks someone to look.
    return _row(suite, spec, inputs, checked_at, rows, q.open_total == 0, observed,
                q.quarantined_in_load, "zhishu_quarantined_rows")


def run_suite(suite: SuiteSpec, df: pd.DataFrame, inputs: ValidationInputs) -> list[ResultRow]:
    """Validate `df` (rows of suite.asset) against every expectation of the suite.

    `df` may hold only the columns the expectations read (`suite.columns_read()`); the schema
    expectation then checks `inputs.table_columns`. Returns one row per expectation, in suite order.
    """
    now = inputs.now or local_now()
    checked_at = local_now()
    rows = len(df)
    parameters = _runtime_parameters(suite, inputs, now)
    frame = _prepare(suite, df, inputs)

    schema_specs = [s for s in suite.expectations if s.kind == "columns"]
    data_specs = [s for s in suite.expectations if s.kind not in ("columns", "quarantine")]
    outcomes: dict[str, tuple[Any, str]] = {}
    if schema_specs:
        # Column names only: the table's own (not the derived orphan columns), no rows needed.
        names = inputs.table_columns if inputs.table_columns is not None else df.columns
        schema_frame = pd.DataFrame(columns=[str(c) for c in names])
        for result in _validate(f"{suite.name}.schema", schema_specs, schema_frame, parameters):
            outcomes[result.expectation_config.meta["zhishu_expectation"]] = (result, result.expectation_config.type)
    if data_specs:
        for result in _validate(suite.name, data_specs, frame, parameters):
            outcomes[result.expectation_config.meta["zhishu_expectation"]] = (result, result.expectation_config.type)

    out: list[ResultRow] = []
    for spec in suite.expectations:
        if spec.kind == "quarantine":
            if inputs.quarantine is not None:
                out.append(_quarantine_row(suite, spec, inputs, checked_at, rows))
            continue
        result, gx_type = outcomes[spec.name]
        problem = _exception_message(result)
        if problem:
            missing = spec.column and spec.column not in frame.columns
            observed = f"column {spec.column} is missing" if missing else f"could not evaluate: {problem[:500]}"
            out.append(_row(suite, spec, inputs, checked_at, rows, False, observed, None, gx_type))
            continue
        observed, unexpected = _describe(spec, dict(result.result or {}), rows, inputs, parameters,
                                         redact=spec.column in suite.redact_samples)
        out.append(_row(suite, spec, inputs, checked_at, rows, bool(result.success), observed,
                        unexpected, gx_type))
    return out


@dataclass(frozen=True)
class SuiteOutcome:
    """What a run of a suite means for the pipeline."""

    errors: tuple[ResultRow, ...]
    warnings: tuple[ResultRow, ...]
    total: int

    @property
    def passed(self) -> bool:
        """No error-level failure: downstream may run."""
        return not self.errors

    @property
    def failed(self) -> tuple[ResultRow, ...]:
        return self.errors + self.warnings


def summarize(rows: Sequence[ResultRow]) -> SuiteOutcome:
    failed = [r for r in rows if not r.success]
    return SuiteOutcome(
        errors=tuple(r for r in failed if r.severity == ERROR),
        warnings=tuple(r for r in failed if r.severity == WARNING),
        total=len(rows),
    )
