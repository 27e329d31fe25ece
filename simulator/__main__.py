"""Command line: `python -m simulator generate ...` and `python -m simulator live ...`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--end-date must be YYYY-MM-DD, got {text!r}") from exc


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulator", description="Zhishu operational source simulator")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", help="output folder (default $ZHISHU_DATA_DIR/source, data dir default <repo>/data)")
    common.add_argument("--source-url", help="SQLAlchemy URL of the OLTP database (default sqlite:///<out>/oltp.sqlite)")
    common.add_argument("--clickstream-dir", help="clickstream folder; files go to <dir>/landing (default <out>/clickstream)")

    gen = sub.add_parser("generate", parents=[common], help="write two years of history (replaces earlier output)")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--scale", type=_positive(float), default=1.0, help="1.0 = demo size (about 20k customers)")
    gen.add_argument("--end-date", type=_date, default=None, help="history ends at 00:00 of this local date (default today)")

    live = sub.add_parser("live", parents=[common], help="keep appending events, orders, tickets in real time")
    live.add_argument("--rate", type=_positive(float), default=50.0, help="clickstream events per second")
    live.add_argument("--duration", type=_positive(float), default=None, help="stop after this many seconds")
    live.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    live.add_argument("--tick", type=_positive(float), default=2.0, help="seconds between writes")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from simulator.config import GenerateConfig, OutputPaths

    paths = OutputPaths.resolve(args.out, args.source_url, args.clickstream_dir)
    if args.command == "generate":
        from simulator.generate import generate

        generate(GenerateConfig(seed=args.seed, scale=args.scale, end_date=args.end_date, paths=paths))
        return 0
    from simulator.live import LiveConfig, run_live

    return run_live(LiveConfig(paths=paths, rate=args.rate, duration=args.duration, seed=args.seed, tick=args.tick))


if __name__ == "__main__":
    sys.exit(main())
