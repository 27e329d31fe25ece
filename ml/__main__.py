"""`python -m ml experiment analyze ...` and `python -m ml evaluate forecast|churn|routing ...`."""

from __future__ import annotations

import sys

USAGE = "usage: python -m ml {experiment analyze | evaluate forecast|churn|routing} [options] (--help for details)"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "experiment":
        from ml.experiments.cli import main as experiment_main

        return experiment_main(rest)
    if command == "evaluate":
        from ml.evaluate.cli import main as evaluate_main

        return evaluate_main(rest)
    print(f"unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
