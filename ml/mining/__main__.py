"""`python -m ml.mining check [folder]` validates recipes; `describe [algorithm]` lists roles/params/outputs."""

from __future__ import annotations

import sys
from pathlib import Path

from ml.mining.recipes import dbt_model_columns, default_recipes_dir, load_recipes
from ml.mining.registry import ALGORITHMS, describe

USAGE = "usage: python -m ml.mining check [recipe_folder] [--dbt-project DIR] | describe [algorithm ...]"


def _check(args: list[str]) -> int:
    dbt_dir = None
    if "--dbt-project" in args:
        i = args.index("--dbt-project")
        dbt_dir = Path(args[i + 1])
        args = args[:i] + args[i + 2 :]
    folder = Path(args[0]) if args else default_recipes_dir()
    if dbt_dir is None and (default_recipes_dir().parent / "dbt_project" / "models").is_dir():
        dbt_dir = default_recipes_dir().parent / "dbt_project"
    known = dbt_model_columns(dbt_dir) if dbt_dir else None
    recipes, errors = load_recipes(folder, known_columns=known)
    for r in recipes:
        tables = ", ".join(r.output_tables.values())
        print(f"ok    {r.path.name}: {r.algorithm} ({r.schedule}) -> {tables}")
    for e in errors:
        print(f"ERROR {e}", file=sys.stderr)
    print(f"{len(recipes)} recipe(s) valid, {len(errors)} invalid")
    return 1 if errors else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "check":
        return _check(rest)
    if command == "describe":
        unknown = [n for n in rest if n not in ALGORITHMS]
        if unknown:
            print(f"unknown algorithm(s) {unknown}; known: {', '.join(ALGORITHMS)}", file=sys.stderr)
            return 2
        print("\n\n".join(describe(n) for n in (rest or ALGORITHMS)))
        return 0
    print(f"unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
