"""Expectation suites as data: YAML files under quality/suites/ (+ the ingestion contract).

A suite is a list of `ExpectationSpec`s for one warehouse table. The specs are plain data (kind,
column, parameters, severity); quality/runner.py turns them into Great Expectations objects at
validation time, because some parameters (parent keys, the previous row count, "now") are only
known then.

Where suites come from:
- raw.<table> for every OLTP table: derived from orchestration/sources.yaml (the contract ingestion
  enforces) plus quality/suites/raw_oltp.yml (what the contract does not say);
- raw.clickstream_events: quality/suites/raw_clickstream.yml + sources.yaml `clickstream.fields`;
- key marts: quality/suites/marts/*.yml, with the column set read from the dbt model's YAML.

The files are validated strictly (unknown keys or kinds are errors naming the file), so a typo
cannot silently drop a check.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SUITES_DIR = Path(__file__).resolve().parent / "suites"
DEFAULT_SOURCES_CONFIG = REPO_ROOT / "orchestration" / "sources.yaml"
DBT_MODELS_DIR = REPO_ROOT / "dbt_project" / "models"

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)

# Kinds of expectation and the parameters each accepts (besides column/columns and severity).
COLUMN_KINDS: dict[str, set[str]] = {
    "not_null": set(),
    "unique": set(),
    "accepted_values": {"values", "values_from"},
    "between": {"min", "max"},
    "matches_regex": {"regex"},
    "foreign_key": {"references"},
    "not_in_future": {"tolerance_minutes"},
    "freshness": {"max_age_hours"},
}
TABLE_KINDS: dict[str, set[str]] = {
    "columns": {"required", "exact"},
    "row_count": {"min", "max"},
    "row_count_change": {"max_drop_percent"},
    "quarantine": set(),
}
KINDS = {**COLUMN_KINDS, **TABLE_KINDS}

# Marts are the contract with the BI layer and the models: anything wrong there is an error,
# except signals that depend on time or history (freshness, volume changes), which warn.
DEFAULT_SEVERITY: dict[str, str] = {
    "columns": ERROR,
    "not_null": ERROR,
    "unique": ERROR,
    "accepted_values": ERROR,
    "between": ERROR,
    "matches_regex": ERROR,
    "foreign_key": ERROR,
    "not_in_future": ERROR,
    "freshness": WARNING,
    "row_count": ERROR,
    "row_count_change": WARNING,
    "quarantine": WARNING,
}


class SuiteConfigError(ValueError):
    """A suite file (or the contract it reads) is malformed; the message names file and key."""


@dataclass(frozen=True)
class ExpectationSpec:
    kind: str
    severity: str
    column: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Stable identifier within the suite, e.g. `unique(order_id)`; stored in dq_results."""
        if self.kind == "foreign_key":
            return f"foreign_key({self.column} -> {self.params['references']})"
        if self.kind == "between":  # bounds in the name: `rate >= 0` and `0 <= rate <= 1` may coexist
            low, high = self.params.get("min"), self.params.get("max")
            bounds = (f"{low} <= {self.column} <= {high}" if low is not None and high is not None
                      else f"{self.column} >= {low}" if low is not None else f"{self.column} <= {high}")
            return f"between({bounds})"
        return f"{self.kind}({self.column})" if self.column else self.kind

    @property
    def reference(self) -> tuple[str, str, str] | None:
        """(schema, table, column) a foreign key points at."""
        if self.kind != "foreign_key":
            return None
        parts = str(self.params["references"]).split(".")
        return parts[0], parts[1], parts[2]


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    schema: str
    table: str
    expectations: tuple[ExpectationSpec, ...]
    description: str = ""
    source: str | None = None  # ingestion source (oltp | clickstream) for quarantine metrics
    redact_samples: frozenset[str] = frozenset()  # never copy failing values of these columns

    @property
    def asset(self) -> str:
        return f"{self.schema}.{self.table}"

    def columns_read(self) -> list[str]:
        """Columns the expectations look at (what the runner must read, in a stable order)."""
        seen: dict[str, None] = {}
        for spec in self.expectations:
            if spec.column:
                seen.setdefault(spec.column)
        return list(seen)

    def references(self) -> list[tuple[str, str, str]]:
        return sorted({spec.reference for spec in self.expectations if spec.reference})

    def expectation(self, name: str) -> ExpectationSpec:
        for spec in self.expectations:
            if spec.name == name:
                return spec
        raise KeyError(f"suite {self.name} has no expectation {name!r}")


# --- reading the files -------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteConfigError(f"{path}: cannot read: {exc}") from exc


def sources_config_path() -> Path:
    # Same override as the pipeline (orchestration/environment.py), read without importing it.
    override = os.environ.get("ZHISHU_SOURCES_CONFIG")
    return Path(override).expanduser().resolve() if override else DEFAULT_SOURCES_CONFIG


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _check_keys(where: str, data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    if not isinstance(data, Mapping):
        raise SuiteConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    unknown = set(data) - set(allowed)
    if unknown:
        raise SuiteConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed {sorted(allowed)}")


class _Contract:
    """The parts of orchestration/sources.yaml the suites build on."""

    def __init__(self, path: Path):
        self.path = path
        data = _read_yaml(path) or {}
        try:
            self.tables: dict[str, dict[str, Any]] = dict(data["oltp"]["tables"])
            self.clickstream: dict[str, Any] = dict(data["clickstream"])
        except (KeyError, TypeError) as exc:
            raise SuiteConfigError(f"{path}: expected oltp.tables and clickstream sections") from exc

    def primary_key(self, table: str) -> str:
        try:
            return str(self.tables[table]["primary_key"])
        except KeyError as exc:
            raise SuiteConfigError(f"{self.path}: no OLTP table {table!r} with a primary_key") from exc

    def allowed_values(self, reference: str, where: str) -> list[str]:
        """`oltp.<table>.<column>` or `clickstream.<field>` -> the contract's allowed values."""
        parts = reference.split(".")
        values = None
        if parts[0] == "oltp" and len(parts) == 3:
            values = (self.tables.get(parts[1], {}).get("allowed_values") or {}).get(parts[2])
        elif parts[0] == "clickstream" and len(parts) == 2:
            values = ((self.clickstream.get("fields") or {}).get(parts[1]) or {}).get("allowed")
        if not values:
            raise SuiteConfigError(f"{where}: values_from {reference!r} names no allowed values in {self.path}")
        return [str(v) for v in values]


def _severity(kind: str, declared: Any, defaults: Mapping[str, str], where: str) -> str:
    severity = str(declared or defaults.get(kind) or DEFAULT_SEVERITY[kind]).lower()
    if severity not in SEVERITIES:
        raise SuiteConfigError(f"{where}: severity {severity!r} is not one of {SEVERITIES}")
    return severity


def _expand(
    kind: str, body: Any, severity: Any, defaults: Mapping[str, str], contract: _Contract, where: str
) -> list[ExpectationSpec]:
    """One YAML item (`- between: {columns: [a, b], min: 0}`) -> one spec per column."""
    if kind not in KINDS:
        raise SuiteConfigError(f"{where}: unknown expectation kind {kind!r}; known: {sorted(KINDS)}")
    level = _severity(kind, severity, defaults, where)
    if kind in TABLE_KINDS:
        params = dict(body or {})
        _check_keys(where, params, TABLE_KINDS[kind])
        return [ExpectationSpec(kind, level, None, params)]

    if isinstance(body, (list, str)):  # shorthand: `- not_null: [a, b]`
        columns, params = _as_list(body), {}
    else:
        _check_keys(where, body, COLUMN_KINDS[kind] | {"column", "columns"})
        params = {k: v for k, v in body.items() if k not in ("column", "columns")}
        columns = _as_list(body.get("column")) + _as_list(body.get("columns"))
    if not columns:
        raise SuiteConfigError(f"{where}: {kind} needs a column")
    if kind == "accepted_values":
        if "values_from" in params:
            params["values"] = contract.allowed_values(str(params.pop("values_from")), where)
        if not params.get("values"):
            raise SuiteConfigError(f"{where}: accepted_values needs values or values_from")
    if kind == "between" and params.get("min") is None and params.get("max") is None:
        raise SuiteConfigError(f"{where}: between needs min and/or max")
    if kind == "foreign_key" and len(str(params.get("references", "")).split(".")) != 3:
        raise SuiteConfigError(f"{where}: references must be schema.table.column")
    if kind == "freshness" and "max_age_hours" not in params:
        raise SuiteConfigError(f"{where}: freshness needs max_age_hours")
    return [ExpectationSpec(kind, level, str(column), dict(params)) for column in columns]


def _items(
    items: Iterable[Any], defaults: Mapping[str, str], contract: _Contract, where: str
) -> list[ExpectationSpec]:
    specs: list[ExpectationSpec] = []
    for index, item in enumerate(items or []):
        here = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            raise SuiteConfigError(f"{here}: expected `- <kind>: ...`, got {item!r}")
        kinds = [k for k in item if k != "severity"]
        if len(kinds) != 1:
            raise SuiteConfigError(f"{here}: expected exactly one kind besides severity, got {kinds}")
        specs.extend(_expand(kinds[0], item[kinds[0]], item.get("severity"), defaults, contract, here))
    return specs


def _key_and_schema(
    key: str | None, columns: list[str], exact: bool, defaults: Mapping[str, str]
) -> list[ExpectationSpec]:
    specs = [ExpectationSpec("columns", _severity("columns", None, defaults, ""), None,
                             {"required": columns, "exact": exact})]
    if key:
        specs += [
            ExpectationSpec("not_null", _severity("not_null", None, defaults, ""), key),
            ExpectationSpec("unique", _severity("unique", None, defaults, ""), key),
        ]
    return specs


def _suite(name: str, specs: list[ExpectationSpec], where: str, **fields: Any) -> SuiteSpec:
    unique: dict[str, ExpectationSpec] = {}
    for spec in specs:
        if spec.name in unique:
            if unique[spec.name] != spec:
                raise SuiteConfigError(f"{where}: expectation {spec.name} is declared twice, differently")
            continue
        unique[spec.name] = spec
    schema, table = name.split(".", 1)
    return SuiteSpec(name=name, schema=schema, table=table, expectations=tuple(unique.values()), **fields)


# --- the three families of suites ---------------------------------------------------------------


def _table_file_items(kind: str, body: Any) -> list[dict[str, Any]]:
    """raw_oltp.yml writes `between: [{column: a, min: 0, severity: warning}, ...]` per table;
    turn that into the `- <kind>: {...}` items every suite file uses."""
    bodies = body if isinstance(body, list) and body and isinstance(body[0], Mapping) else [body]
    items = []
    for one in bodies:
        if isinstance(one, Mapping) and "severity" in one:
            one = dict(one)
            items.append({kind: one, "severity": one.pop("severity")})
        else:
            items.append({kind: one})
    return items


def raw_oltp_suites(contract: _Contract, path: Path = SUITES_DIR / "raw_oltp.yml") -> list[SuiteSpec]:
    data = _read_yaml(path) or {}
    _check_keys(str(path), data, {"severity", "every_table", "tables"})
    defaults = {**DEFAULT_SEVERITY, **(data.get("severity") or {})}
    every = data.get("every_table") or {}
    extras = data.get("tables") or {}
    unknown = set(extras) - set(contract.tables)
    if unknown:
        raise SuiteConfigError(f"{path}: tables {sorted(unknown)} are not in {contract.path}")

    suites = []
    for table, rules in contract.tables.items():
        where = f"{path}: tables.{table}"
        extra = extras.get(table) or {}
        _check_keys(where, extra, set(KINDS) | {"redact_samples"})
        key = contract.primary_key(table)
        required = [str(c) for c in rules.get("required_columns") or []] + ["_loaded_at", "_load_id"]
        # Extra columns are allowed: ingestion carries new source columns along (schema drift).
        specs = _key_and_schema(key, required, False, defaults)
        items: list[dict[str, Any]] = []
        for column in rules.get("non_negative") or []:
            items.append({"between": {"column": column, "min": 0}})
        for column, values in (rules.get("allowed_values") or {}).items():
            items.append({"accepted_values": {"column": column, "values": [str(v) for v in values]}})
        for column, parent in (rules.get("foreign_keys") or {}).items():
            reference = f"raw.{parent}.{contract.primary_key(parent)}"
            items.append({"foreign_key": {"column": column, "references": reference}})
        for kind, body in [*every.items(), *((k, v) for k, v in extra.items() if k != "redact_samples")]:
            items.extend(_table_file_items(kind, body))
        specs += _items(items, defaults, contract, where)
        suites.append(_suite(
            f"raw.{table}", specs, where,
            description=f"raw.{table}: ingested from the OLTP source table {table}",
            source="oltp", redact_samples=frozenset(_as_list(extra.get("redact_samples"))),
        ))
    return suites


_SUITE_FILE_KEYS = {"suite", "table", "description", "source", "key", "columns", "exact_columns",
                    "columns_from_dbt_model", "extra_columns", "expectations", "redact_samples"}


def dbt_model_columns(model: str, models_dir: Path = DBT_MODELS_DIR) -> list[str]:
    """Column names declared for a dbt model (its contract) in dbt_project/models/**/*.yml."""
    for path in sorted(models_dir.rglob("*.yml")):
        for entry in (_read_yaml(path) or {}).get("models") or []:
            if entry.get("name") == model:
                columns = [str(c["name"]) for c in entry.get("columns") or []]
                if not columns:
                    raise SuiteConfigError(f"{path}: model {model} declares no columns")
                return columns
    raise SuiteConfigError(f"no dbt model named {model!r} under {models_dir}")


def file_suite(path: Path, contract: _Contract) -> SuiteSpec:
    data = _read_yaml(path) or {}
    where = str(path)
    _check_keys(where, data, _SUITE_FILE_KEYS)
    if "." not in str(data.get("table", "")):
        raise SuiteConfigError(f"{where}: table must be schema.table")
    table = str(data["table"])
    defaults = dict(DEFAULT_SEVERITY)
    specs: list[ExpectationSpec] = []

    if data.get("columns_from_dbt_model"):
        columns, exact = dbt_model_columns(str(data["columns_from_dbt_model"])), True
    elif table == f"raw.{contract.clickstream.get('table')}":
        columns, exact = [str(c) for c in contract.clickstream.get("fields") or {}], False
    else:
        columns, exact = [str(c) for c in data.get("columns") or []], bool(data.get("exact_columns"))
    columns += [str(c) for c in data.get("extra_columns") or []]
    specs += _key_and_schema(data.get("key"), columns, exact, defaults)

    items = list(data.get("expectations") or [])
    if table == f"raw.{contract.clickstream.get('table')}":
        # The clickstream contract: required fields are never null, enumerations are closed.
        fields = contract.clickstream.get("fields") or {}
        items = [
            *({"not_null": [name]} for name, rule in fields.items() if (rule or {}).get("required")),
            *({"accepted_values": {"column": name, "values": list(rule["allowed"])}}
              for name, rule in fields.items() if (rule or {}).get("allowed")),
            *items,
        ]
    specs += _items(items, defaults, contract, where)
    return _suite(
        str(data.get("suite") or table), specs, where,
        description=str(data.get("description") or ""),
        source=data.get("source"),
        redact_samples=frozenset(_as_list(data.get("redact_samples"))),
    )


def load_suites(suites_dir: Path = SUITES_DIR, sources_path: Path | None = None) -> dict[str, SuiteSpec]:
    """Every suite, keyed by name (= the table it validates, `schema.table`)."""
    contract = _Contract(sources_path or sources_config_path())
    suites = raw_oltp_suites(contract, suites_dir / "raw_oltp.yml")
    for path in sorted(p for p in suites_dir.rglob("*.yml") if p.name != "raw_oltp.yml"):
        suites.append(file_suite(path, contract))
    by_name: dict[str, SuiteSpec] = {}
    for suite in suites:
        if suite.name in by_name:
            raise SuiteConfigError(f"suite {suite.name} is defined twice")
        by_name[suite.name] = suite
    return by_name


@lru_cache(maxsize=4)
def _cached(suites_dir: str, sources_path: str) -> dict[str, SuiteSpec]:
    return load_suites(Path(suites_dir), Path(sources_path))


def all_suites() -> dict[str, SuiteSpec]:
    """The configured suites (cached per configuration path)."""
    return dict(_cached(str(SUITES_DIR), str(sources_config_path())))
