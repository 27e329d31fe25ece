"""Self-service data mining: algorithms on DataFrames plus the analyst recipe loader.

Public API (used by the Dagster wiring in orchestration/, which owns all warehouse I/O):
- ALGORITHMS: name → Algorithm, callable as ALGORITHMS[name](df, columns, params) → {output: DataFrame};
  each has .roles, .params (the parameter spec), .outputs, .summary and a module docstring (.doc).
- PARAM_SPECS: name → tuple of Param.
- load_recipes(folder, known_columns=None) → (recipes, errors); run_recipe(recipe, df) → RecipeRun
  (tables keyed by qualified `analysis.*` name, run seconds, metadata).
- timed(func, *args, **kwargs) → (result, seconds).
"""

from ml.mining.recipes import (
    Recipe,
    RecipeError,
    RecipeRun,
    Schedule,
    dbt_model_columns,
    default_recipes_dir,
    load_recipes,
    parse_recipe,
    run_recipe,
)
from ml.mining.registry import ALGORITHMS, PARAM_SPECS, describe
from ml.mining.spec import Algorithm, MiningInputError, Output, Param, Role, timed

__all__ = [
    "ALGORITHMS",
    "PARAM_SPECS",
    "Algorithm",
    "MiningInputError",
    "Output",
    "Param",
    "Recipe",
    "RecipeError",
    "RecipeRun",
    "Role",
    "Schedule",
    "dbt_model_columns",
    "default_recipes_dir",
    "describe",
    "load_recipes",
    "parse_recipe",
    "run_recipe",
    "timed",
]
