"""Benchmark (not a test): how long the experiment engine takes for 1,000 experiments x 10 metrics.

    .venv/bin/python benchmarks/experiments_throughput.py [--experiments 1000] [--metrics 10]
        [--variants 3] [--per-user-experiments 20] [--out data/benchmarks/experiments.json]

Summary path: one `analyse` call over experiments x metrics x variants rows of sufficient
statistics (mix of proportion, mean, CUPED mean and ratio metrics), once per engine.
Per-user path: `analyse_experiment_users` on fct_experiment_user-shaped rows (summarising
users, four default metrics, CUPED). Synthetic data with a fixed seed; prints a table and
writes JSON to --out (default $ZHISHU_DATA_DIR/benchmarks/experiments.json, data dir
defaulting to <repo>/data).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from ml.experiments import analyse, analyse_experiment_users  # noqa: E402

METRIC_MIX = ("proportion", "mean", "cuped", "ratio")


def synthetic_summary(experiments: int, metrics: int, variants: int, seed: int) -> pd.DataFrame:
    """Sufficient statistics drawn exactly for normal / binomial data (no per-user rows)."""
    rng = np.random.default_rng(seed)
    shape = (experiments, metrics, variants)
    n = rng.integers(2_000, 20_000, shape).astype(float)
    kind = np.array([METRIC_MIX[m % len(METRIC_MIX)] for m in range(metrics)])
    kinds = np.broadcast_to(kind[None, :, None], shape)
    mean, sd = 20.0, 30.0
    total = n * rng.normal(mean, sd / np.sqrt(n))
    squares = sd**2 * rng.chisquare(n - 1) + total**2 / n
    conversions = rng.binomial(n.astype(int), 0.1).astype(float)
    frame = pd.DataFrame({
        "experiment_key": np.repeat([f"exp_{e:04d}" for e in range(experiments)], metrics * variants),
        "metric": np.tile(np.repeat([f"metric_{m:02d}" for m in range(metrics)], variants), experiments),
        "variant_key": np.tile(["control"] + [f"variant_{v}" for v in range(1, variants)], experiments * metrics),
        "metric_type": np.where(kinds == "cuped", "mean", kinds).ravel(),
        "n": n.ravel(),
        "sum": np.where(kinds == "proportion", conversions, total).ravel(),
        "sum_squares": np.where(kinds == "proportion", conversions, squares).ravel(),
    })
    flat = kinds.ravel()
    ratio, cuped = flat == "ratio", flat == "cuped"
    sessions = n.ravel() * 3.0
    frame["denominator_sum"] = np.where(ratio, sessions, np.nan)
    frame["denominator_sum_squares"] = np.where(ratio, sessions * 4.0, np.nan)
    frame["main_denominator_sum_product"] = np.where(ratio, frame["sum"] * 3.5, np.nan)
    pre_total = n.ravel() * mean
    frame["covariate_sum"] = np.where(cuped, pre_total, np.nan)
    frame["covariate_sum_squares"] = np.where(cuped, n.ravel() * (mean**2 + sd**2), np.nan)
    frame["main_covariate_sum_product"] = np.where(cuped, frame["sum"] * mean + 0.6 * sd**2 * (n.ravel() - 1), np.nan)
    return frame


def synthetic_users(experiments: int, users_per_variant: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for e in range(experiments):
        for v, variant in enumerate(("control", "treatment")):
            n = users_per_variant
            pre = rng.gamma(2, 30, n)
            frames.append(pd.DataFrame({
                "experiment_key": f"exp_{e:04d}", "variant_key": variant, "is_control": v == 0,
                "customer_id": np.arange(n) + v * n, "converted": (rng.random(n) < 0.1).astype(int),
                "revenue": np.maximum(0, 0.5 * pre + rng.normal(20, 25, n)).round(2),
                "sessions": rng.poisson(4, n), "pre_revenue": pre.round(2), "pre_sessions": rng.poisson(4, n),
            }))
    return pd.concat(frames, ignore_index=True)


def timed(function, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--variants", type=int, default=3, help="arms per experiment including control")
    parser.add_argument("--per-user-experiments", type=int, default=20)
    parser.add_argument("--users-per-variant", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument("--seed", type=int, default=2026)
    data_dir = Path(os.environ.get("ZHISHU_DATA_DIR", REPO_ROOT / "data"))
    parser.add_argument("--out", type=Path, default=data_dir / "benchmarks" / "experiments.json")
    args = parser.parse_args(argv)
    if args.variants < 2 or args.experiments < 1 or args.metrics < 1:
        parser.error("need at least 1 experiment, 1 metric and 2 variants")

    summary = synthetic_summary(args.experiments, args.metrics, args.variants, args.seed)
    comparisons = args.experiments * args.metrics * (args.variants - 1)
    runs = []
    for engine in ("frequentist", "bayesian", "sequential"):
        seconds, results = timed(lambda: analyse(summary, engine=engine), args.repeat)
        ok = int((results["status"] == "ok").sum())
        runs.append(dict(path="summary", engine=engine, experiments=args.experiments, metrics=args.metrics,
                         variants=args.variants, rows=len(summary), comparisons=comparisons,
                         comparisons_ok=ok, seconds=round(seconds, 4),
                         comparisons_per_second=round(comparisons / seconds, 1)))
    if args.per_user_experiments > 0:
        users = synthetic_users(args.per_user_experiments, args.users_per_variant, args.seed)
        seconds, analysis = timed(lambda: analyse_experiment_users(users, factorial=False), args.repeat)
        comps = int((~analysis.results["is_control"]).sum())
        runs.append(dict(path="per_user", engine="frequentist", experiments=args.per_user_experiments,
                         metrics=4, variants=2, rows=len(users), comparisons=comps,
                         comparisons_ok=int((analysis.results["status"] == "ok").sum()),
                         seconds=round(seconds, 4), comparisons_per_second=round(comps / seconds, 1)))

    report = dict(
        benchmark="experiments_throughput",
        created_at=datetime.now().isoformat(timespec="seconds"),
        python=platform.python_version(), numpy=np.__version__, pandas=pd.__version__,
        cpu_count=os.cpu_count(), repeat=args.repeat, seed=args.seed, runs=runs,
    )
    try:
        from tabulate import tabulate
        print(tabulate(runs, headers="keys", tablefmt="github"))
    except ImportError:
        for run in runs:
            print(run)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
