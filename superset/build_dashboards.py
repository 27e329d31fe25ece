"""Build Superset charts and dashboards (superset/assets/charts, dashboards, access.yaml) from the
compact specs in superset/dashboards/*.yaml, validated against the generated datasets.

    python superset/build_dashboards.py [--check] [--exposures PATH]

--check      exit 1 when the committed assets differ from what the specs generate (drift check)
--exposures  also write the dbt exposures (one per dashboard, depends_on the marts it reads) to PATH,
             e.g. dbt_project/models/exposures/superset_dashboards.yml
Any venv with PyYAML.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from zhishu_bi import dashboards, render, settings, sync  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--exposures", type=Path)
    args = parser.parse_args(argv)
    committed = sync.read_tree([render.DATASETS_PREFIX])
    try:
        texts, exposures = render.dashboard_texts(render.index_from_texts(committed))
    except dashboards.SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = sync.sync_tree(texts, ["charts/", "dashboards/", "access.yaml"], check=args.check)
    changed = bool(result.changed)
    if args.exposures:
        path = args.exposures.resolve()
        if not path.exists() or path.read_text(encoding="utf-8") != exposures:
            changed = True
            if args.check:
                print(f"out of date: {path}")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(exposures, encoding="utf-8")
    n_dash = sum(1 for rel in texts if rel.startswith("dashboards/"))
    n_charts = sum(1 for rel in texts if rel.startswith("charts/"))
    print(f"{n_dash} dashboards, {n_charts} charts: {result}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
