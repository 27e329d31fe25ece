"""Latency benchmark of single-ticket scoring: ``python -m ml.routing.benchmark [--n 500]``.

Trains on a small bilingual synthetic ticket set (or loads the promoted routing model with
``--registry``) and reports the p50/p95/max latency of ``RoutingModel.score_ticket``; the
target is < 50 ms per ticket. A benchmark, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.routing.benchmark")
    parser.add_argument("--n", type=int, default=500, help="tickets to score")
    parser.add_argument("--registry", action="store_true", help="benchmark the promoted model instead")
    args = parser.parse_args(argv)
    from ml.routing import train  # noqa: PLC0415
    from ml.routing.synthetic import synthetic_tickets  # noqa: PLC0415

    tickets = synthetic_tickets(1200, seed=1)
    if args.registry:
        from ml.registry import load_current  # noqa: PLC0415

        loaded = load_current("routing")
        if loaded is None:
            print("no promoted routing model", file=sys.stderr)
            return 1
        model = loaded[0]
    else:
        model, _ = train(tickets)
    sample = tickets.sample(args.n, replace=True, random_state=0)
    model.score_ticket("warm up", "warm up")
    timings = []
    for subject, body in zip(sample["subject"], sample["body"], strict=True):
        started = time.perf_counter()
        model.score_ticket(subject, body)
        timings.append((time.perf_counter() - started) * 1000)
    report = {"n": args.n, "p50_ms": float(np.percentile(timings, 50)), "p95_ms": float(np.percentile(timings, 95)),
              "max_ms": float(np.max(timings)), "target_ms": 50.0}
    report["meets_target"] = report["p95_ms"] < 50.0
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
