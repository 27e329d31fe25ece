"""Analyst recipes: one YAML file = one mining job whose results land in the `analysis` schema.

    name: customer_segments            # optional, default: file name; lowercase identifier
    description: RFM segments for CRM
    algorithm: rfm                     # a key of ml.mining.ALGORITHMS
    input: marts.fct_orders            # or:  input: {sql: "select ... from marts.x join ..."}
    columns: {customer_id: customer_id, order_date: ordered_at, monetary: total_amount}
    params: {bins: 5}                  # optional; validated against the algorithm's spec
    schedule: daily                    # 'daily', 'on_marts_update' or a 5-field cron; default on_marts_update
    output: customer_segments          # optional, default: name → analysis.customer_segments

`load_recipes(folder)` returns (good recipes, errors); one broken file never hides the others.
Every problem is reported as a RecipeError naming the file and what is wrong with it.
The orchestration layer builds one asset per Recipe: it runs `recipe.query` on the warehouse,
calls `run_recipe(recipe, frame)` and writes `RecipeRun.tables` (qualified name → DataFrame).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ml.mining.registry import ALGORITHMS
from ml.mining.spec import MiningInputError, resolve_params, timed

OUTPUT_SCHEMA = "analysis"
# Recipes read modelled data only: `raw` holds unhashed PII and is never a recipe input.
INPUT_SCHEMAS = ("marts", "intermediate", "staging", "analysis", "ml")
SCHEDULE_KEYWORDS = ("daily", "on_marts_update")
DAILY_CRON = "0 6 * * *"  # platform-local (Asia/Shanghai), after the nightly marts build
MAX_IDENTIFIER = 63  # PostgreSQL truncates longer identifiers silently
TOP_LEVEL_KEYS = ("name", "description", "owner", "algorithm", "input", "columns", "params", "schedule", "output", "tags")
REQUIRED_KEYS = ("algorithm", "input", "columns")
RECIPE_SUFFIXES = (".yaml", ".yml")

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_TABLE = re.compile(r"^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$")
_FORBIDDEN_SQL = re.compile(
    r"\b(insert|update|delete|merge|drop|create|alter|truncate|grant|revoke|copy|attach|detach|install|load|pragma|call|vacuum)\b",
    re.IGNORECASE,
)
_RAW_REFERENCE = re.compile(r"\braw\s*\.", re.IGNORECASE)


class RecipeError(Exception):
    """A recipe that cannot be used; `path` is the file, `problems` the list of reasons."""

    def __init__(self, path: str | Path, problems: str | Sequence[str]):
        self.path = Path(path)
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        detail = self.problems[0] if len(self.problems) == 1 else "".join(f"\n  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: {detail}")


@dataclass(frozen=True)
class Schedule:
    kind: str  # 'daily' | 'on_marts_update' | 'cron'
    cron: str | None  # None for on_marts_update (run when upstream marts change)

    def __str__(self) -> str:
        return self.kind if self.kind != "cron" else self.cron or ""


@dataclass(frozen=True)
class Recipe:
    name: str
    path: Path
    algorithm: str
    columns: dict[str, Any]
    params: dict[str, Any]  # validated, defaults filled in
    schedule: Schedule
    output: str  # table name in OUTPUT_SCHEMA for the primary output
    input_table: str | None = None  # "schema.table"
    input_sql: str | None = None
    description: str = ""
    owner: str | None = None
    tags: tuple[str, ...] = ()
    given_params: dict[str, Any] = field(default_factory=dict)  # as written in the file

    @property
    def query(self) -> str:
        """SQL that returns the algorithm input (portable between DuckDB and PostgreSQL)."""
        if self.input_sql is not None:
            return self.input_sql
        # Quoted identifiers (embedded quotes doubled); the table name passed the _TABLE pattern.
        cols = ", ".join('"' + c.replace('"', '""') + '"' for c in ALGORITHMS[self.algorithm].input_columns(self.columns))
        return f"select {cols} from {self.input_table}"  # nosec B608 - identifiers only, validated/quoted above

    @property
    def output_tables(self) -> dict[str, str]:
        """Algorithm output name → qualified warehouse table (primary output first)."""
        return output_table_names(self.algorithm, self.output)

    @property
    def upstream_tables(self) -> list[str]:
        """Warehouse tables the input reads (best effort for SQL inputs), e.g. for asset deps."""
        if self.input_table:
            return [self.input_table]
        found = re.findall(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)", self.input_sql or "", re.IGNORECASE)
        return sorted({t.lower() for t in found})

    def check_input_columns(self, available: Sequence[str]) -> None:
        source = self.input_table or "the input sql result"
        problems = ALGORITHMS[self.algorithm].missing_columns(self.columns, list(available), source=source)
        if problems:
            raise RecipeError(self.path, problems)


@dataclass(frozen=True)
class RecipeRun:
    recipe: Recipe
    tables: dict[str, pd.DataFrame]  # qualified table name → result
    seconds: float
    input_rows: int

    @property
    def metadata(self) -> dict[str, Any]:
        """Plain values for the asset's materialization metadata."""
        return {
            "algorithm": self.recipe.algorithm,
            "recipe_file": str(self.recipe.path),
            "run_seconds": round(self.seconds, 3),
            "input_rows": self.input_rows,
            **{f"rows:{name}": len(frame) for name, frame in self.tables.items()},
        }


def output_table_names(algorithm: str, output: str) -> dict[str, str]:
    outputs = ALGORITHMS[algorithm].outputs
    names = {outputs[0].name: f"{OUTPUT_SCHEMA}.{output}"}
    for o in outputs[1:]:
        names[o.name] = f"{OUTPUT_SCHEMA}.{output}_{o.name}"
    return names


# --- validation -------------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
_CRON_NAMES = {
    3: {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    4: {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())},
}


def _cron_problem(expr: str) -> str | None:
    parts = expr.split()
    if len(parts) != 5:
        return f"cron needs 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}"
    for i, (part, (label, lo, hi)) in enumerate(zip(parts, _CRON_FIELDS)):
        for item in part.split(","):
            base, _, step = item.partition("/")
            if step and not (step.isdigit() and int(step) > 0):
                return f"cron {label} field {part!r}: bad step {step!r}"
            if base == "*":
                continue
            bounds = base.split("-")
            if len(bounds) > 2:
                return f"cron {label} field {part!r}: bad range {base!r}"
            values = []
            for b in bounds:
                b_l = b.lower()
                if b_l in _CRON_NAMES.get(i, {}):
                    values.append(_CRON_NAMES[i][b_l])
                elif b.isdigit():
                    values.append(int(b))
                else:
                    return f"cron {label} field {part!r}: {b!r} is not a number"
            if any(v < lo or v > hi for v in values):
                return f"cron {label} field {part!r}: values must be within {lo}-{hi}"
            if len(values) == 2 and values[0] > values[1]:
                return f"cron {label} field {part!r}: range start is after its end"
    return None


def parse_schedule(value: Any) -> tuple[Schedule | None, str | None]:
    if value is None:
        return Schedule("on_marts_update", None), None
    if not isinstance(value, str):
        return None, f"schedule must be 'daily', 'on_marts_update' or a cron string, got {value!r}"
    text = value.strip()
    if text == "daily":
        return Schedule("daily", DAILY_CRON), None
    if text == "on_marts_update":
        return Schedule("on_marts_update", None), None
    problem = _cron_problem(text)
    if problem:
        return None, f"schedule {value!r} is neither 'daily', 'on_marts_update' nor a valid cron: {problem}"
    return Schedule("cron", " ".join(text.split())), None


def _sql_problems(sql: str) -> list[str]:
    problems = []
    body = sql.strip().rstrip(";").strip()
    if not body:
        return ["input sql is empty"]
    if ";" in body:
        problems.append("input sql must be a single statement (found ';' inside it)")
    if not re.match(r"^(select|with)\b", body, re.IGNORECASE):
        problems.append("input sql must be a query starting with SELECT or WITH")
    bad = _FORBIDDEN_SQL.search(body)
    if bad:
        problems.append(f"input sql may only read data; found the keyword {bad.group(0).upper()!r}")
    if _RAW_REFERENCE.search(body):
        problems.append("input sql reads the raw schema, which holds unhashed PII; use staging or marts models")
    return problems


def _input(value: Any) -> tuple[str | None, str | None, list[str]]:
    """(table, sql, problems) from `input: schema.table` or `input: {table: ...}` / `{sql: ...}`."""
    if isinstance(value, str):
        value = {"table": value}
    if not isinstance(value, dict):
        return None, None, [f"input must be a table name like marts.fct_orders or a mapping with 'sql', got {value!r}"]
    unknown = set(value) - {"table", "sql"}
    if unknown:
        return None, None, [f"input has unknown key(s) {sorted(unknown)}; use 'table' or 'sql'"]
    if ("table" in value) == ("sql" in value):
        return None, None, ["input needs exactly one of 'table' or 'sql'"]
    if "table" in value:
        table = value["table"]
        m = _TABLE.match(table) if isinstance(table, str) else None
        if not m:
            return None, None, [f"input table {table!r} must be schema.table in lowercase, e.g. marts.fct_orders"]
        if m.group(1) not in INPUT_SCHEMAS:
            why = " (raw holds unhashed PII)" if m.group(1) == "raw" else ""
            return None, None, [f"input table {table!r}: schema {m.group(1)!r} is not readable by recipes{why}; use one of {list(INPUT_SCHEMAS)}"]
        return table, None, []
    sql = value["sql"]
    if not isinstance(sql, str):
        return None, None, [f"input sql must be text, got {type(sql).__name__}"]
    problems = _sql_problems(sql)
    return None, sql.strip().rstrip(";").strip(), problems


def parse_recipe(path: str | Path, text: str | None = None, known_columns: Mapping[str, Sequence[str]] | None = None) -> Recipe:
    """Parse and validate one recipe file; raises RecipeError listing every problem found."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8") if text is None else text
        doc = yaml.load(text, Loader=_UniqueKeyLoader)  # nosec B506 - _UniqueKeyLoader is a SafeLoader subclass
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(path, f"cannot read the file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RecipeError(path, f"invalid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise RecipeError(path, "a recipe must be a YAML mapping (key: value lines)")
    problems: list[str] = []
    unknown = [k for k in doc if k not in TOP_LEVEL_KEYS]
    for key in unknown:
        hint = difflib.get_close_matches(str(key), TOP_LEVEL_KEYS, n=1)
        problems.append(f"unknown key '{key}'" + (f" (did you mean '{hint[0]}'?)" if hint else f" (allowed: {', '.join(TOP_LEVEL_KEYS)})"))
    for key in REQUIRED_KEYS:
        if doc.get(key) is None:
            problems.append(f"missing required key '{key}'")

    name = doc.get("name", path.stem)
    if not (isinstance(name, str) and _IDENTIFIER.match(name)):
        problems.append(f"name {name!r} must be a lowercase identifier (letters, digits, _), starting with a letter")
    output = doc.get("output", name)
    if isinstance(output, str) and output.startswith(f"{OUTPUT_SCHEMA}."):
        output = output[len(OUTPUT_SCHEMA) + 1 :]
    if not (isinstance(output, str) and _IDENTIFIER.match(output)):
        problems.append(f"output {doc.get('output')!r} must be a table name (lowercase identifier) in schema '{OUTPUT_SCHEMA}'")

    algorithm = doc.get("algorithm")
    alg = None
    if algorithm is not None:
        if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
            hint = difflib.get_close_matches(str(algorithm), ALGORITHMS, n=1)
            problems.append(
                f"unknown algorithm {algorithm!r}" + (f" (did you mean '{hint[0]}'?)" if hint else "") + f"; known: {', '.join(ALGORITHMS)}"
            )
        else:
            alg = ALGORITHMS[algorithm]

    table, sql, input_problems = _input(doc["input"]) if doc.get("input") is not None else (None, None, [])
    problems += input_problems
    if table and known_columns is not None and table not in known_columns and table.startswith("marts."):
        # Marts have enforced contracts, so every mart is in known_columns: this one does not exist.
        hint = difflib.get_close_matches(table, [t for t in known_columns if t.startswith("marts.")], n=1)
        problems.append(f"input table {table!r} is not a known mart" + (f" (did you mean '{hint[0]}'?)" if hint else ""))

    columns: dict = {}
    raw_columns = doc.get("columns")
    if raw_columns is not None and not isinstance(raw_columns, dict):
        problems.append(f"columns must map roles to column names, got {raw_columns!r}")
    elif alg is not None and raw_columns is not None:
        columns, col_problems = alg.resolve_columns(raw_columns)
        problems += col_problems
        if not col_problems and table and known_columns is not None and table in known_columns:
            problems += alg.missing_columns(columns, known_columns[table], source=table)

    given_params = doc.get("params") or {}
    params: dict = {}
    if not isinstance(given_params, dict):
        problems.append(f"params must be a mapping of parameter: value, got {given_params!r}")
        given_params = {}
    elif alg is not None:
        params, param_problems = resolve_params(alg.params, given_params)
        problems += param_problems

    schedule, schedule_problem = parse_schedule(doc.get("schedule"))
    if schedule_problem:
        problems.append(schedule_problem)

    if alg is not None and isinstance(output, str) and _IDENTIFIER.match(output):
        for qualified in output_table_names(alg.name, output).values():
            if len(qualified.split(".", 1)[1]) > MAX_IDENTIFIER:
                problems.append(f"output table name {qualified!r} is longer than {MAX_IDENTIFIER} characters; shorten 'output'")

    description = doc.get("description") or ""
    tags = doc.get("tags") or []
    if not isinstance(description, str):
        problems.append("description must be text")
    if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        problems.append("tags must be a list of words")
    if problems:
        raise RecipeError(path, problems)
    return Recipe(
        name=name,
        path=path,
        algorithm=algorithm,
        columns=columns,
        params=params,
        schedule=schedule,
        output=output,
        input_table=table,
        input_sql=sql,
        description=description.strip(),
        owner=doc.get("owner"),
        tags=tuple(tags),
        given_params=dict(given_params),
    )


def recipe_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in RECIPE_SUFFIXES and not p.name.startswith("."))


def load_recipes(
    folder: str | Path, known_columns: Mapping[str, Sequence[str]] | None = None
) -> tuple[list[Recipe], list[RecipeError]]:
    """Every valid recipe in `folder` plus one RecipeError per invalid file.

    known_columns (optional) maps "schema.table" to its column names (e.g. from
    dbt_model_columns); recipes reading such a table are checked for missing columns at load.
    Names and output tables must be unique: the later file (alphabetically) is the one rejected."""
    folder = Path(folder)
    if not folder.is_dir():
        return [], [RecipeError(folder, "recipe folder does not exist")]
    recipes: list[Recipe] = []
    errors: list[RecipeError] = []
    names: dict[str, Path] = {}
    tables: dict[str, Path] = {}
    for path in recipe_files(folder):
        try:
            recipe = parse_recipe(path, known_columns=known_columns)
        except RecipeError as exc:
            errors.append(exc)
            continue
        clash = []
        if recipe.name in names:
            clash.append(f"recipe name '{recipe.name}' is already used by {names[recipe.name].name}")
        for t in recipe.output_tables.values():
            if t in tables:
                clash.append(f"output table {t} is already written by {tables[t].name}")
        if clash:
            errors.append(RecipeError(path, clash))
            continue
        names[recipe.name] = path
        tables.update({t: path for t in recipe.output_tables.values()})
        recipes.append(recipe)
    return recipes, errors


def default_recipes_dir() -> Path:
    """$ZHISHU_RECIPES_DIR, else <repo>/recipes."""
    return Path(os.environ.get("ZHISHU_RECIPES_DIR") or Path(__file__).resolve().parents[2] / "recipes")


def _warehouse_column(name: Any) -> str:
    clean = re.sub(r"[^0-9a-z_]+", "_", str(name).strip().lower()).strip("_") or "column"
    return clean if not clean[0].isdigit() else f"c_{clean}"


def warehouse_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Lowercase identifier column names (unquoted-safe on DuckDB and PostgreSQL), unique."""
    names, seen = [], {}
    for col in frame.columns:
        base = _warehouse_column(col)
        n = seen.get(base, 0)
        seen[base] = n + 1
        names.append(base if n == 0 else f"{base}_{n + 1}")
    out = frame.copy()
    out.columns = names
    return out


def run_recipe(recipe: Recipe, frame: pd.DataFrame) -> RecipeRun:
    """Run the recipe's algorithm on its input frame; problems are RecipeErrors naming the file."""
    recipe.check_input_columns(frame.columns)
    try:
        result, seconds = timed(ALGORITHMS[recipe.algorithm], frame, recipe.columns, recipe.params)
    except MiningInputError as exc:
        raise RecipeError(recipe.path, exc.problems) from exc
    names = recipe.output_tables
    tables = {names[key]: warehouse_ready(df) for key, df in result.items()}
    return RecipeRun(recipe=recipe, tables=tables, seconds=seconds, input_rows=len(frame))


def dbt_model_columns(project_dir: str | Path) -> dict[str, list[str]]:
    """"schema.model" → documented column names, read from the dbt models' YAML files.

    The schema is the first folder under models/ (staging, intermediate, marts), matching the
    project's fixed schema names. Marts have enforced contracts, so their YAML lists every column."""
    models_dir = Path(project_dir) / "models"
    out: dict[str, list[str]] = {}
    for yml in sorted(list(models_dir.rglob("*.yml")) + list(models_dir.rglob("*.yaml"))):
        try:
            doc = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        schema = yml.relative_to(models_dir).parts[0]
        models = doc.get("models") if isinstance(doc, dict) else None
        for model in models or []:
            if not isinstance(model, dict) or "name" not in model:
                continue
            cols = [c["name"] for c in model.get("columns") or [] if isinstance(c, dict) and "name" in c]
            if cols:
                out[f"{schema}.{model['name']}"] = cols
    return out
