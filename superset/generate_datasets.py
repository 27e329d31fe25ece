"""Generate Superset datasets (superset/assets/datasets/) from the dbt manifest.

    python superset/generate_datasets.py [--manifest dbt_project/target/manifest.json] [--check]

Any venv with PyYAML (the Makefile may use the pipeline venv). Run after `dbt parse`/`dbt build`,
then superset/build_dashboards.py (it validates every chart against these datasets).
--check exits 1 when the committed files differ from what the manifest generates (drift check).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from zhishu_bi import render, settings, sync  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=settings.MANIFEST_PATH)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if not args.manifest.exists():
        print(f"{args.manifest} not found: run `dbt parse` (or build) in dbt_project first", file=sys.stderr)
        return 2
    texts = render.dataset_texts(json.loads(args.manifest.read_text()))
    result = sync.sync_tree(texts, [render.DATASETS_PREFIX], check=args.check)
    n_metrics = sum(t.count("- metric_name:") for t in texts.values())
    print(f"{len(texts)} datasets ({n_metrics} saved metrics): {result}")
    return 1 if args.check and result.changed else 0


if __name__ == "__main__":
    sys.exit(main())
