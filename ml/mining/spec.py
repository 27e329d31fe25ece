"""What every mining algorithm declares: column roles, typed parameters, outputs.

The same declarations serve three callers:
- the algorithm itself (defaults filled, bad input rejected before any fitting),
- the recipe loader (an analyst's YAML is checked without touching data),
- the Dagster wiring and the docs (what goes in, what comes out).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

PLATFORM_TZ = "Asia/Shanghai"

# Parameter type names an analyst can see in error messages and the README.
PARAM_TYPES = ("int", "float", "bool", "str", "date", "list[str]", "list[int]", "list[float]")


class MiningInputError(ValueError):
    """Bad columns, parameters or data handed to a mining algorithm; the message names the problem."""

    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


_REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """One tunable parameter. `default=REQUIRED` means the recipe must set it."""

    name: str
    type: str
    description: str
    default: Any = None
    choices: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False  # None is an allowed value (usually "decide automatically")

    def __post_init__(self):
        if self.type not in PARAM_TYPES:
            raise ValueError(f"param {self.name}: unknown type {self.type!r}")

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


REQUIRED = _REQUIRED


@dataclass(frozen=True)
class Role:
    """A column the algorithm needs. `multiple` roles take a list of columns (e.g. features)."""

    name: str
    description: str
    required: bool = True
    multiple: bool = False


@dataclass(frozen=True)
class Output:
    """One result table. The first output of an algorithm is its primary table."""

    name: str
    description: str


def _check_scalar(value: Any, type_name: str) -> str | None:
    """Return a problem description, or None when `value` has the declared type."""
    # bool is a subclass of int in Python; an analyst writing `k_max: true` made a mistake.
    if type_name == "int":
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    elif type_name == "float":
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    elif type_name == "bool":
        ok = isinstance(value, (bool, np.bool_))
    elif type_name == "str":
        ok = isinstance(value, str)
    elif type_name == "date":
        if isinstance(value, (dt.date, pd.Timestamp)):
            ok = True
        elif isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
                ok = True
            except ValueError:
                return f"expected a date like 2026-01-31, got {value!r}"
        else:
            ok = False
    else:  # pragma: no cover - guarded by Param.__post_init__
        raise AssertionError(type_name)
    if ok:
        return None
    return f"expected {type_name}, got {type(value).__name__} {value!r}"


def _coerce(value: Any, type_name: str) -> Any:
    if type_name == "float":
        return float(value)
    if type_name == "int":
        return int(value)
    if type_name == "date":
        if isinstance(value, str):
            return dt.date.fromisoformat(value)
        if isinstance(value, pd.Timestamp):
            return value.date()
        if isinstance(value, dt.datetime):
            return value.date()
    return value


def check_param(param: Param, value: Any) -> tuple[Any, str | None]:
    """Validate one value against its spec; return (coerced value, problem or None)."""
    if value is None:
        if param.nullable:
            return None, None
        return None, f"parameter '{param.name}' must not be null ({param.type})"
    if param.type.startswith("list["):
        inner = param.type[5:-1]
        if not isinstance(value, (list, tuple)):
            return None, f"parameter '{param.name}': expected {param.type}, got {type(value).__name__} {value!r}"
        out = []
        for i, item in enumerate(value):
            problem = _check_scalar(item, inner)
            if problem:
                return None, f"parameter '{param.name}' item {i}: {problem}"
            out.append(_coerce(item, inner))
        if param.choices is not None:
            bad = [v for v in out if v not in param.choices]
            if bad:
                return None, f"parameter '{param.name}': {bad!r} not among {list(param.choices)}"
        return out, None
    problem = _check_scalar(value, param.type)
    if problem:
        return None, f"parameter '{param.name}': {problem}"
    value = _coerce(value, param.type)
    if param.choices is not None and value not in param.choices:
        return None, f"parameter '{param.name}': {value!r} is not one of {list(param.choices)}"
    if param.minimum is not None and value < param.minimum:
        return None, f"parameter '{param.name}': {value!r} is below the minimum {param.minimum}"
    if param.maximum is not None and value > param.maximum:
        return None, f"parameter '{param.name}': {value!r} is above the maximum {param.maximum}"
    return value, None


def resolve_params(specs: Sequence[Param], given: Mapping[str, Any] | None) -> tuple[dict, list[str]]:
    """Fill defaults and validate; unknown names are errors (a typo must not be silently ignored)."""
    given = dict(given or {})
    problems: list[str] = []
    resolved: dict[str, Any] = {}
    by_name = {p.name: p for p in specs}
    for name in given:
        if name not in by_name:
            problems.append(f"unknown parameter '{name}' (known: {', '.join(sorted(by_name)) or 'none'})")
    for spec in specs:
        if spec.name in given:
            value, problem = check_param(spec, given[spec.name])
            if problem:
                problems.append(problem)
            else:
                resolved[spec.name] = value
        elif spec.required:
            problems.append(f"parameter '{spec.name}' is required ({spec.type}): {spec.description}")
        else:
            resolved[spec.name] = spec.default
    return resolved, problems


RoleCheck = Callable[[Mapping[str, Any]], list[str]]


@dataclass(frozen=True)
class Algorithm:
    """A registered mining algorithm: callable as `alg(df, columns, params) -> {output: DataFrame}`."""

    name: str
    summary: str
    roles: tuple[Role, ...]
    params: tuple[Param, ...]
    outputs: tuple[Output, ...]
    func: Callable[[pd.DataFrame, dict, dict], dict[str, pd.DataFrame]]
    # Extra cross-role rules (e.g. "give either order_date or last_order_date"); returns problems.
    role_check: RoleCheck | None = None
    doc: str = field(default="", repr=False)

    @property
    def primary_output(self) -> str:
        return self.outputs[0].name

    def resolve_columns(self, columns: Mapping[str, Any] | None) -> tuple[dict, list[str]]:
        """Normalise the role → column mapping; report unknown/missing roles and wrong shapes."""
        columns = dict(columns or {})
        problems: list[str] = []
        by_name = {r.name: r for r in self.roles}
        out: dict[str, Any] = {}
        for role in columns:
            if role not in by_name:
                problems.append(f"unknown column role '{role}' for {self.name} (roles: {', '.join(by_name)})")
        for role in self.roles:
            value = columns.get(role.name)
            if value is None:
                if role.required:
                    problems.append(f"column role '{role.name}' is required: {role.description}")
                continue
            if role.multiple:
                if isinstance(value, str):
                    value = [value]
                if not (isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value)):
                    problems.append(f"column role '{role.name}' must be a list of column names, got {value!r}")
                    continue
                if len(set(value)) != len(value):
                    problems.append(f"column role '{role.name}' lists a column twice: {value!r}")
                    continue
                out[role.name] = list(value)
            else:
                if not isinstance(value, str):
                    problems.append(f"column role '{role.name}' must be one column name, got {value!r}")
                    continue
                out[role.name] = value
        if not problems and self.role_check is not None:
            problems.extend(self.role_check(out))
        return out, problems

    def input_columns(self, columns: Mapping[str, Any]) -> list[str]:
        """Every input column a resolved role mapping refers to, in order, without duplicates."""
        seen: list[str] = []
        for value in columns.values():
            for col in value if isinstance(value, list) else [value]:
                if col not in seen:
                    seen.append(col)
        return seen

    def missing_columns(self, columns: Mapping[str, Any], available: Sequence[str], source: str = "the input") -> list[str]:
        available_set = set(available)
        problems = []
        for role, value in columns.items():
            for col in value if isinstance(value, list) else [value]:
                if col not in available_set:
                    problems.append(
                        f"column '{col}' (role '{role}') is not in {source}; available: {', '.join(map(str, available))}"
                    )
        return problems

    def __call__(self, df: pd.DataFrame, columns: Mapping[str, Any], params: Mapping[str, Any] | None = None):
        resolved_cols, problems = self.resolve_columns(columns)
        resolved_params, param_problems = resolve_params(self.params, params)
        problems += param_problems
        if not problems:
            problems += self.missing_columns(resolved_cols, list(df.columns))
        if problems:
            raise MiningInputError([f"{self.name}: {p}" for p in problems])
        if df.empty:
            raise MiningInputError(f"{self.name}: the input has no rows")
        # One BLAS/OpenMP thread: mining matrices are small, and on a shared 2-core box
        # oversubscribed thread pools (Dagster runs assets side by side) made k-means and the
        # Gaussian mixture 10-30x slower than single-threaded runs.
        with threadpool_limits(limits=1):
            result = self.func(df, resolved_cols, resolved_params)
        expected = {o.name for o in self.outputs}
        unexpected = set(result) - expected
        if unexpected:  # a programming error in the algorithm, not bad input
            raise RuntimeError(f"{self.name} returned undeclared outputs {sorted(unexpected)}")
        return result


def timed(func: Callable[..., Any], *args, **kwargs) -> tuple[Any, float]:
    """Run `func(*args, **kwargs)` and return (result, wall-clock seconds) for run-time metadata."""
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


# --- column coercion shared by the algorithms --------------------------------------------------


def numeric_column(df: pd.DataFrame, column: str) -> pd.Series:
    """Column as float64. Decimal money becomes float here: mining results are statistical
    estimates, not ledger amounts, so the exact-money rule of the pipeline does not apply."""
    s = df[column]
    if pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    converted = pd.to_numeric(s, errors="coerce")
    bad = s[converted.isna() & s.notna()]
    if len(bad):
        raise MiningInputError(
            f"column '{column}' must be numeric; {len(bad)} value(s) are not, e.g. row {bad.index[0]!r}: {bad.iloc[0]!r}"
        )
    return converted.astype("float64")


def datetime_column(df: pd.DataFrame, column: str) -> pd.Series:
    """Column as naive platform-local datetime64 (tz-aware input is converted to Asia/Shanghai)."""
    s = df[column]
    try:
        out = pd.to_datetime(s)
    except (ValueError, TypeError) as exc:
        raise MiningInputError(f"column '{column}' must hold dates or timestamps: {exc}") from exc
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert(PLATFORM_TZ).dt.tz_localize(None)
    return out.astype("datetime64[ns]")


def feature_matrix(df: pd.DataFrame, features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(X, complete_mask): numeric features of the rows without missing values."""
    frame = pd.DataFrame({c: numeric_column(df, c) for c in features}, index=df.index)
    mask = frame.notna().all(axis=1).to_numpy()
    if not mask.any():
        raise MiningInputError(f"no row has all of the features {list(features)} filled")
    return frame.to_numpy()[mask], mask


def standardise(X: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per column; constant columns stay at 0 instead of dividing by 0."""
    std = X.std(axis=0)
    std[std == 0] = 1.0
    return (X - X.mean(axis=0)) / std


def id_frame(df: pd.DataFrame, columns: Mapping[str, Any], mask: np.ndarray | None = None, role: str = "id"):
    """The identifying column of the input rows (or a row number when no id role was given)."""
    if columns.get(role):
        ids = df[[columns[role]]].reset_index(drop=True)
    else:
        ids = pd.DataFrame({"row_number": np.arange(len(df), dtype="int64")})
    if mask is not None:
        ids = ids[mask].reset_index(drop=True)
    return ids
