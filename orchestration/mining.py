"""Analyst recipes (recipes/*.yaml) as Dagster assets: one asset per valid recipe.

Each asset `analysis/<recipe name>` runs the recipe's SQL on the warehouse, the recipe's algorithm
(ml.mining.run_recipe) on the result, and replaces every output table in the `analysis` schema in
one transaction. Its dependencies are the tables the recipe reads (dbt models, or another recipe's
output), so lineage shows which marts feed which analysis.

A broken recipe must never take the code location down (analysts edit these files, the UI must
still load): invalid files are logged, listed in the `analysis/recipe_errors` asset's description
and in the Definitions metadata, written to analysis.recipe_errors when that asset runs, and its
`all_recipes_valid` check fails with a warning. Recipes depending on each other in a cycle are
rejected the same way (a cyclic asset graph would not load).

Schedules: `on_marts_update` recipes run in the daily refresh job, after the dbt build.
`daily` and cron recipes get their own job and schedule (platform time); their assets carry the
tag `zhishu/recipe_schedule` so the daily job can leave them out (SELF_SCHEDULED_RECIPES).
"""

import logging
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa

from ml.mining import Recipe, RecipeError, dbt_model_columns, default_recipes_dir, load_recipes, run_recipe
from ml.mining.recipes import DAILY_CRON, OUTPUT_SCHEMA
from orchestration.environment import DBT_PROJECT_DIR
from orchestration.ingestion import WAREHOUSE_WRITER_POOL
from orchestration.warehouse import WarehouseResource

log = logging.getLogger(__name__)

ANALYSIS_GROUP = "analysis"
PLATFORM_TZ = "Asia/Shanghai"
RECIPE_ERRORS_KEY = dg.AssetKey([OUTPUT_SCHEMA, "recipe_errors"])
SCHEDULE_TAG = "zhishu/recipe_schedule"
# Recipes that run on their own schedule (daily at 06:00 or their cron), not in the daily refresh.
SELF_SCHEDULED_RECIPES = dg.AssetSelection.tag(SCHEDULE_TAG, "daily") | dg.AssetSelection.tag(SCHEDULE_TAG, "cron")
DBT_SCHEMAS = ("marts", "intermediate", "staging")
PREVIEW_ROWS = 10
_TAG = re.compile(r"^[A-Za-z0-9_.\-]{1,63}$")


def recipe_asset_key(recipe: Recipe) -> dg.AssetKey:
    return dg.AssetKey([OUTPUT_SCHEMA, recipe.name])


# --- pure helpers -------------------------------------------------------------------------------

def markdown_preview(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    """The first rows as a markdown table (no `tabulate` dependency)."""
    head = frame.head(rows)

    def cell(value: object) -> str:
        missing = pd.isna(value) if pd.api.types.is_scalar(value) else False
        if value is None or missing:
            return ""
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value).replace("|", "\\|").replace("\n", " ")[:80]

    lines = ["| " + " | ".join(map(str, head.columns)) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in head.itertuples(index=False)]
    if len(frame) > rows:
        lines.append(f"\n{rows} of {len(frame)} rows")
    return "\n".join(lines)


def deterministic_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by every column, so a recipe gives the same result whatever order the
    warehouse returns its (unordered) query in: k-means starts and silhouette samples depend on
    row positions. Any order is valid input, so this changes reproducibility, not meaning."""
    if frame.empty or len(frame.columns) == 0:
        return frame.reset_index(drop=True)
    columns = list(frame.columns)
    try:
        return frame.sort_values(columns, kind="mergesort", na_position="last", ignore_index=True)
    except TypeError:  # mixed types in an object column: order by the text form instead
        keys = frame.astype(str)
        return frame.iloc[keys.sort_values(columns, kind="mergesort").index].reset_index(drop=True)


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Arrow table for the warehouse; object columns Arrow cannot type (mixed values) become text."""
    frame = frame.reset_index(drop=True)
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        columns = {}
        for name in frame.columns:
            try:
                columns[name] = pa.array(frame[name], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                columns[name] = pa.array([None if pd.isna(v) else str(v) for v in frame[name]], pa.string())
        return pa.table(columns)


def dependency_keys(
    recipes: Sequence[Recipe], known_keys: Iterable[dg.AssetKey]
) -> tuple[dict[str, list[dg.AssetKey]], dict[str, list[str]]]:
    """Per recipe: (asset keys it depends on, input tables that are no dbt model).

    A table another recipe writes maps to that recipe's asset; dbt schemas map to the model's
    key (<schema>/<model>); ml/analysis tables map to <schema>/<table> (their producing asset)."""
    known = set(known_keys)
    producers = {table: recipe_asset_key(r) for r in recipes for table in r.output_tables.values()}
    deps: dict[str, list[dg.AssetKey]] = {}
    unknown: dict[str, list[str]] = {}
    for recipe in recipes:
        keys, missing = [], []
        for table in recipe.upstream_tables:
            schema, name = table.split(".", 1)
            key = producers.get(table) or dg.AssetKey([schema, name])
            if key == recipe_asset_key(recipe):
                continue  # reading its own previous output is not a dependency
            if schema in DBT_SCHEMAS and key not in known:
                missing.append(table)  # the query will fail clearly at run time; no phantom asset
                continue
            if key not in keys:
                keys.append(key)
        deps[recipe.name], unknown[recipe.name] = keys, missing
    return deps, unknown


def recipes_in_cycles(recipes: Sequence[Recipe], deps: dict[str, list[dg.AssetKey]]) -> set[str]:
    """Names of recipes that depend on themselves through other recipes."""
    by_key = {recipe_asset_key(r): r.name for r in recipes}
    graph = {r.name: [by_key[k] for k in deps[r.name] if k in by_key] for r in recipes}
    cyclic: set[str] = set()
    for start in graph:
        stack, seen = list(graph[start]), set()
        while stack:
            node = stack.pop()
            if node == start:
                cyclic.add(start)
                break
            if node not in seen:
                seen.add(node)
                stack.extend(graph[node])
    return cyclic


def _tags(recipe: Recipe) -> dict[str, str]:
    tags = {SCHEDULE_TAG: recipe.schedule.kind}
    tags.update({t: "" for t in recipe.tags if _TAG.match(t) and t != SCHEDULE_TAG})
    return tags


def _owners(recipe: Recipe) -> list[str]:
    owner = (recipe.owner or "").strip()
    if not owner:
        return []
    return [owner] if "@" in owner else [f"team:{re.sub(r'[^A-Za-z0-9_-]+', '-', owner)}"]


def errors_frame(errors: Sequence[RecipeError]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"recipe_file": err.path.name, "problem": problem} for err in errors for problem in err.problems],
        columns=["recipe_file", "problem"],
    )


# --- assets ---------------------------------------------------------------------------------------

def build_recipe_asset(recipe: Recipe, deps: Sequence[dg.AssetKey], unmanaged: Sequence[str]) -> dg.AssetsDefinition:
    primary = next(iter(recipe.output_tables.values()))

    @dg.asset(
        key=recipe_asset_key(recipe),
        deps=list(deps),
        group_name=ANALYSIS_GROUP,
        pool=WAREHOUSE_WRITER_POOL,
        kinds={"python", "pandas"},
        tags=_tags(recipe),
        owners=_owners(recipe),
        description=(recipe.description or f"{recipe.algorithm} recipe") + f"\n\nRecipe file: `{recipe.path.name}`; "
        f"algorithm `{recipe.algorithm}`; tables: {', '.join(recipe.output_tables.values())}.",
        metadata={
            "recipe_file": str(recipe.path),
            "algorithm": recipe.algorithm,
            "schedule": str(recipe.schedule),
            "output_tables": ", ".join(recipe.output_tables.values()),
            "params": dg.MetadataValue.json({k: v for k, v in recipe.params.items() if _jsonable(v)}),
            **({"unmanaged_inputs": ", ".join(unmanaged)} if unmanaged else {}),
        },
    )
    def _recipe(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        started = time.perf_counter()
        try:
            frame = warehouse.read_sql(recipe.query)
        except Exception as exc:  # noqa: BLE001 - any database error: name the recipe file
            raise dg.Failure(description=f"{recipe.path}: the input query failed on {warehouse.describe()}: {exc}") from exc
        try:
            run = run_recipe(recipe, deterministic_order(frame))
        except RecipeError as exc:
            raise dg.Failure(description=str(exc)) from exc
        written = {}
        with warehouse.session() as session:  # every output table changes together
            for qualified, result in run.tables.items():
                schema, table = qualified.split(".", 1)
                written[qualified] = session.replace_table(schema, table, to_arrow(result))
        context.log.info(f"{recipe.name}: {run.input_rows} input rows, {run.seconds:.2f} s, wrote {written}")
        return dg.MaterializeResult(
            metadata={
                **run.metadata,
                "dagster/row_count": written[primary],
                "dagster/table_name": primary,
                "total_seconds": round(time.perf_counter() - started, 3),
                **{f"preview:{name}": dg.MetadataValue.md(markdown_preview(df)) for name, df in run.tables.items()},
            }
        )

    return _recipe


def _jsonable(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


def build_recipe_errors_asset(errors: Sequence[RecipeError]) -> dg.AssetsDefinition:
    listing = "\n".join(f"- {err}" for err in errors) or "none"

    @dg.asset(
        key=RECIPE_ERRORS_KEY,
        group_name=ANALYSIS_GROUP,
        pool=WAREHOUSE_WRITER_POOL,
        kinds={"python"},
        description=f"Recipe files that could not be loaded (they have no asset until fixed).\n\n{listing}",
        metadata={"invalid_recipes": len(errors)},
        check_specs=[dg.AssetCheckSpec("all_recipes_valid", asset=RECIPE_ERRORS_KEY,
                                       description="Every file in the recipes folder loads.")],
    )
    def recipe_errors(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        frame = errors_frame(errors)
        with warehouse.session() as session:
            session.replace_table(OUTPUT_SCHEMA, "recipe_errors", to_arrow(frame))
        for err in errors:
            context.log.warning(f"invalid recipe: {err}")
        yield dg.MaterializeResult(
            metadata={"dagster/row_count": len(frame), "dagster/table_name": f"{OUTPUT_SCHEMA}.recipe_errors",
                      "invalid_recipes": len(errors), "errors": dg.MetadataValue.md(markdown_preview(frame, 50))},
        )
        yield dg.AssetCheckResult(
            check_name="all_recipes_valid",
            passed=not errors,
            severity=dg.AssetCheckSeverity.WARN,
            description=None if not errors else f"{len(errors)} recipe file(s) invalid: "
                                                + ", ".join(e.path.name for e in errors),
        )

    return recipe_errors


def _known_dbt_keys() -> set[dg.AssetKey]:
    from orchestration.dbt import zhishu_dbt_models

    return set(zhishu_dbt_models.keys)


def build_mining_defs(
    recipes_dir: str | Path | None = None,
    dbt_project_dir: str | Path = DBT_PROJECT_DIR,
    known_keys: Iterable[dg.AssetKey] | None = None,
) -> dg.Definitions:
    """Assets, jobs and schedules for every valid recipe in `recipes_dir` (default
    $ZHISHU_RECIPES_DIR or <repo>/recipes); invalid ones are reported, never raised."""
    folder = Path(recipes_dir) if recipes_dir else default_recipes_dir()
    recipes, errors = load_recipes(folder, known_columns=dbt_model_columns(dbt_project_dir))
    deps, unmanaged = dependency_keys(recipes, _known_dbt_keys() if known_keys is None else known_keys)
    cyclic = recipes_in_cycles(recipes, deps)
    for name in sorted(cyclic):
        recipe = next(r for r in recipes if r.name == name)
        errors.append(RecipeError(recipe.path, "its input depends on its own output through other recipes (cycle)"))
    recipes = [r for r in recipes if r.name not in cyclic]
    jobs, schedules, usable = [], [], []
    for recipe in recipes:
        if recipe.name == RECIPE_ERRORS_KEY.path[-1] or f"{OUTPUT_SCHEMA}.recipe_errors" in recipe.output_tables.values():
            errors.append(RecipeError(recipe.path, "the name / output 'recipe_errors' is reserved for the error listing"))
            continue
        if recipe.schedule.kind not in ("daily", "cron"):
            usable.append(recipe)
            continue
        job = dg.define_asset_job(
            f"analysis_{recipe.name}", selection=[recipe_asset_key(recipe)],
            description=f"Recipe {recipe.path.name} ({recipe.schedule}) on the latest marts.",
        )
        try:
            schedule = dg.ScheduleDefinition(
                name=f"analysis_{recipe.name}_schedule",
                job=job,
                cron_schedule=recipe.schedule.cron or DAILY_CRON,
                execution_timezone=PLATFORM_TZ,
                default_status=dg.DefaultScheduleStatus.RUNNING,
            )
        except dg.DagsterInvalidDefinitionError as exc:  # a cron Dagster reads differently
            errors.append(RecipeError(recipe.path, f"schedule {recipe.schedule!s} is not usable: {exc}"))
            continue
        jobs.append(job)
        schedules.append(schedule)
        usable.append(recipe)
    for err in errors:
        log.warning("invalid recipe, no asset built: %s", err)
    assets: list[dg.AssetsDefinition] = [build_recipe_errors_asset(errors)]
    assets += [build_recipe_asset(r, deps[r.name], unmanaged[r.name]) for r in usable]
    return dg.Definitions(
        assets=assets,
        jobs=jobs,
        schedules=schedules,
        metadata={"zhishu/recipe_errors": dg.MetadataValue.json([str(e) for e in errors])},
    )


defs = build_mining_defs()
