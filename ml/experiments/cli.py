"""Command line: analyse an experiment exported as CSV, or plan one.

  python -m ml experiment analyze --csv FILE [--control NAME] [--metric-type proportion|mean]
                                  [--engine frequentist|bayesian|sequential] [--json] ...
  python -m ml experiment power --baseline 0.10 --metric-type proportion --mde 0.05

The CSV is either per-user rows (variant, value[, pre]) or per-variant summaries
(variant, users|n, sum[, sum_squares]); the form is detected from the columns.
Exit codes: 0 results for every comparison; 1 the analysis ran but some comparison has no
result (its status says why); 2 bad input or usage (the message names file, line, column).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ml.experiments.analysis import ENGINES, analyse
from ml.experiments.bayesian import GaussianPrior
from ml.experiments.power import minimum_detectable_effect, sample_size_per_arm
from ml.experiments.sequential import DEFAULT_TUNING_PARAMETER

EXIT_OK, EXIT_NO_RESULT, EXIT_BAD_INPUT = 0, 1, 2

VARIANT_COLUMNS = ("variant", "variant_key", "variation", "arm", "group")
COUNT_COLUMNS = ("users", "n", "count", "exposures", "units")
VALUE_COLUMNS = ("value", "metric_value", "y", "outcome")
PRE_COLUMNS = ("pre", "covariate", "pre_value", "pre_period", "x")
JSON_FIELDS = [
    "variant", "n", "mean", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift", "ci_low", "ci_high",
    "p_value", "p_value_holm", "p_value_bh", "chance_to_win", "risk", "risk_control",
    "srm_p_value", "srm_status", "cuped_applied", "variance_reduction", "decision", "status",
    "status_message", "is_control", "metric_type", "engine", "difference_type",
]


class InputError(Exception):
    """Bad CSV content; the message already names the file and the problem."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml experiment", description="Experiment analysis")
    sub = parser.add_subparsers(dest="command", required=True)

    an = sub.add_parser("analyze", aliases=["analyse"], help="analyse an experiment CSV")
    an.add_argument("--csv", required=True, type=Path, help="per-user rows or per-variant summaries")
    an.add_argument("--control", help="control variant name (default: is_control column or 'control')")
    an.add_argument("--metric-type", choices=["proportion", "mean"], help="default: detected from the data")
    an.add_argument("--engine", choices=ENGINES, default="frequentist")
    an.add_argument("--json", action="store_true", help="one JSON object per variant per line")
    an.add_argument("--alpha", type=float, default=0.05)
    an.add_argument("--difference", choices=["relative", "absolute"], default="relative",
                    help="scale of the p-value and Bayesian quantities (default relative lift)")
    an.add_argument("--lower-is-better", action="store_true", help="a decrease is an improvement")
    an.add_argument("--weights", help="planned traffic shares for the SRM check, e.g. control=1,b=1")
    an.add_argument("--value-col", help="per-user value column (default: value)")
    an.add_argument("--pre-col", help="per-user pre-period covariate column for CUPED (default: pre)")
    an.add_argument("--prior-mean", type=float, help="informative Gaussian prior on the effect (Bayesian)")
    an.add_argument("--prior-variance", type=float)
    an.add_argument("--tuning", type=float, default=DEFAULT_TUNING_PARAMETER,
                    help="sequential tuning parameter: expected total sample size")

    pw = sub.add_parser("power", help="sample size for an MDE, or MDE for a sample size")
    pw.add_argument("--baseline", type=float, required=True, help="control mean (a proportion for proportions)")
    pw.add_argument("--metric-type", choices=["proportion", "mean"], default="proportion")
    pw.add_argument("--sd", type=float, help="per-user standard deviation (mean metrics)")
    target = pw.add_mutually_exclusive_group(required=True)
    target.add_argument("--mde", type=float, help="minimum detectable effect (relative unless --absolute)")
    target.add_argument("--n", type=float, help="units per arm")
    pw.add_argument("--absolute", action="store_true", help="MDE is an absolute difference")
    pw.add_argument("--alpha", type=float, default=0.05)
    pw.add_argument("--power", type=float, default=0.8)
    pw.add_argument("--one-sided", action="store_true")
    pw.add_argument("--json", action="store_true")
    return parser


# --- reading the CSV ------------------------------------------------------------------------


def _pick(columns, candidates, explicit=None, what="", path=None):
    if explicit:
        name = explicit.strip().lower()
        if name not in columns:
            raise InputError(f"{path}: column {explicit!r} ({what}) not found; columns: {list(columns)}")
        return name
    return next((c for c in candidates if c in columns), None)


def _numeric_column(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    missing = raw.isna()
    if missing.any():
        line = missing.idxmax()
        raise InputError(f"{path}: line {line}: column {column!r} is empty ({int(missing.sum())} empty value(s))")
    bad = values.isna()
    if bad.any():
        line = bad.idxmax()
        raise InputError(f"{path}: line {line}: column {column!r} is not a number: {raw.loc[line]!r}")
    finite = np.isfinite(values.astype(float))
    if not finite.all():
        line = (~finite).idxmax()
        raise InputError(f"{path}: line {line}: column {column!r} is not finite: {raw.loc[line]!r}")
    return values.astype(float)


def read_experiment_csv(path: Path, args) -> tuple[pd.DataFrame, str, str | None]:
    """Return (summary frame for `analyse`, detected form, metric type or None)."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=True, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if frame.empty:
        raise InputError(f"{path}: no data rows below the header")
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")  # CSV line numbers (header is line 1)
    variant = _pick(frame.columns, VARIANT_COLUMNS)
    if variant is None:
        raise InputError(f"{path}: no variant column (expected one of {list(VARIANT_COLUMNS)}); columns: {list(frame.columns)}")
    if frame[variant].isna().any():
        line = frame[variant].isna().idxmax()
        raise InputError(f"{path}: line {line}: column {variant!r} is empty")
    frame[variant] = frame[variant].str.strip()
    count = _pick(frame.columns, COUNT_COLUMNS)
    value = _pick(frame.columns, VALUE_COLUMNS, args.value_col, "per-user value", path)
    if count is not None and "sum" in frame.columns and not args.value_col:
        return _summary_form(frame, path, variant, count, args), "summary", args.metric_type
    if value is not None:
        return _per_user_form(frame, path, variant, value, args)
    raise InputError(
        f"{path}: cannot tell the form of the CSV. Per-user rows need columns variant and value "
        f"(optional pre); per-variant summaries need variant, users (or n), sum and, for means, "
        f"sum_squares. Columns found: {list(frame.columns)}"
    )


def _summary_form(frame: pd.DataFrame, path: Path, variant: str, count: str, args) -> pd.DataFrame:
    duplicated = frame[variant].duplicated()
    if duplicated.any():
        line = duplicated.idxmax()
        raise InputError(f"{path}: line {line}: variant {frame.at[line, variant]!r} appears more than once")
    summary = pd.DataFrame({"variant_key": frame[variant]}, index=frame.index)
    for source, target in ((count, "n"), ("sum", "sum"), ("sum_squares", "sum_squares"),
                           ("covariate_sum", "covariate_sum"), ("covariate_sum_squares", "covariate_sum_squares"),
                           ("main_covariate_sum_product", "main_covariate_sum_product"),
                           ("traffic_weight", "traffic_weight")):
        if source in frame.columns:
            summary[target] = _numeric_column(frame, source, path)
    for column, target in ((count, "n"), ("sum", "sum")):
        negative = summary[target] < 0
        if negative.any() and (target == "n" or args.metric_type == "proportion"):
            line = negative.idxmax()
            raise InputError(f"{path}: line {line}: column {column!r} is a negative count: {summary.at[line, target]:g}")
    if "is_control" in frame.columns:
        summary["is_control"] = frame["is_control"]
    if args.metric_type == "mean" and "sum_squares" not in summary.columns:
        raise InputError(f"{path}: a mean metric needs a 'sum_squares' column (sum of squared per-user values)")
    return summary


def _per_user_form(frame: pd.DataFrame, path: Path, variant: str, value: str, args):
    y = _numeric_column(frame, value, path)
    pre_col = _pick(frame.columns, PRE_COLUMNS, args.pre_col, "pre-period covariate", path)
    metric_type = args.metric_type
    zero_one = bool(y.isin([0.0, 1.0]).all())
    if metric_type is None:
        metric_type = "proportion" if zero_one else "mean"
    elif metric_type == "proportion" and not zero_one:
        line = (~y.isin([0.0, 1.0])).idxmax()
        raise InputError(f"{path}: line {line}: --metric-type proportion needs 0/1 values in {value!r}, got {frame.at[line, value]!r}")
    data = pd.DataFrame({"variant_key": frame[variant], "y": y})
    if pre_col is not None:
        data["x"] = _numeric_column(frame, pre_col, path)
    data["yy"] = data["y"] ** 2
    agg = {"n": ("y", "size"), "sum": ("y", "sum"), "sum_squares": ("yy", "sum")}
    if pre_col is not None:
        data["xx"], data["xy"] = data["x"] ** 2, data["x"] * data["y"]
        agg.update(covariate_sum=("x", "sum"), covariate_sum_squares=("xx", "sum"), main_covariate_sum_product=("xy", "sum"))
    summary = data.groupby("variant_key", sort=False).agg(**agg).reset_index()
    if "is_control" in frame.columns:
        flags = frame.groupby(variant, sort=False)["is_control"].first()
        summary["is_control"] = summary["variant_key"].map(flags)
    summary.index = pd.Index([f"variant {v!r}" for v in summary["variant_key"]], name="summary")
    return summary, "per-user", metric_type


def _parse_weights(text: str | None, path: Path):
    if not text:
        return None
    weights = {}
    for part in text.split(","):
        name, sep, number = part.partition("=")
        try:
            weights[name.strip()] = float(number)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise InputError(f"--weights: expected NAME=WEIGHT pairs separated by commas, got {part!r}")
    return weights


# --- output ---------------------------------------------------------------------------------


def _json_value(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _format(value, kind: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "pct":
        return f"{100 * value:+.2f}%"
    if kind == "p":
        return f"{value:.4f}" if value >= 1e-4 else "<0.0001"
    if kind == "prob":
        return f"{100 * value:.1f}%"
    return f"{value:.6g}"


def _print_table(results: pd.DataFrame, path: Path, form: str, args) -> None:
    from tabulate import tabulate

    first = results.iloc[0]
    control = results.loc[results["is_control"], "variant_key"]
    print(f"{path.name}: {form} rows, metric type {first['metric_type']}, engine {args.engine}, "
          f"alpha {args.alpha}, control {control.iloc[0] if len(control) else '?'}")
    multiple = int((~results["is_control"]).sum()) > 1
    headers = ["variant", "n", "mean", "abs lift", "rel lift", f"{100 * (1 - args.alpha):g}% CI (rel)",
               "p-value" + (" (always valid)" if args.engine == "sequential" else "")]
    if multiple:
        headers.append("p (Holm)")
    headers += ["chance to win", "risk", "decision", "status"]
    table = []
    for _, row in results.iterrows():
        ci = "" if pd.isna(row["ci_low"]) else f"[{_format(row['ci_low'], 'pct')}, {_format(row['ci_high'], 'pct')}]"
        line = [row["variant_key"], row["n"], _format(row["mean"], "num"), _format(row["abs_lift"], "num"),
                _format(row["rel_lift"], "pct"), ci, _format(row["p_value"], "p")]
        if multiple:
            line.append(_format(row["p_value_holm"], "p"))
        line += [_format(row["chance_to_win"], "prob"), _format(row["risk"], "num"), row["decision"], row["status"]]
        table.append(line)
    print(tabulate(table, headers=headers, tablefmt="github", disable_numparse=True))
    srm_p = first["srm_p_value"]
    print(f"SRM check: {first['srm_status']}" + ("" if pd.isna(srm_p) else f" (chi-square p = {srm_p:.4g})"))
    reduction = results.loc[results["cuped_applied"], "variance_reduction"]
    if len(reduction):
        print("CUPED variance reduction: " + ", ".join(
            f"{v}: {100 * r:.1f}%" for v, r in zip(results.loc[results['cuped_applied'], 'variant_key'], reduction)))


def _analyze(args) -> int:
    path = args.csv
    if not 0 < args.alpha < 1:
        raise InputError(f"--alpha must be in (0, 1), got {args.alpha}")
    if (args.prior_mean is None) != (args.prior_variance is None):
        raise InputError("--prior-mean and --prior-variance must be given together")
    prior = None
    if args.prior_mean is not None:
        if not args.prior_variance > 0:
            raise InputError(f"--prior-variance must be positive, got {args.prior_variance}")
        prior = GaussianPrior(mean=args.prior_mean, variance=args.prior_variance, proper=True)
    summary, form, metric_type = read_experiment_csv(path, args)
    weights = _parse_weights(args.weights, path)
    try:
        results = analyse(
            summary, control=args.control, metric_type=metric_type, engine=args.engine, alpha=args.alpha,
            difference_type=args.difference, traffic_weights=weights, prior=prior,
            sequential_tuning=args.tuning, higher_is_better=not args.lower_is_better, strict=True,
        )
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None
    structural = results.loc[results["status"].isin(["missing_control", "missing_variant", "invalid_input"])]
    if len(structural):
        raise InputError(f"{path}: {structural['status_message'].iloc[0]}")
    if args.json:
        for _, row in results.iterrows():
            record = {field: _json_value(row["variant_key"] if field == "variant" else row[field]) for field in JSON_FIELDS}
            print(json.dumps(record, allow_nan=False))
    else:
        _print_table(results, path, form, args)
    if (results["srm_status"] == "mismatch").any():
        print(f"warning: {path}: sample ratio mismatch (p = {results['srm_p_value'].iloc[0]:.3g}): "
              "results are untrustworthy", file=sys.stderr)
    failed = results.loc[~results["status"].isin(["ok", "baseline"])]
    for message in failed["status_message"]:
        print(f"error: {path}: {message}", file=sys.stderr)
    return EXIT_NO_RESULT if len(failed) else EXIT_OK


def _power(args) -> int:
    common = dict(metric_type=args.metric_type, baseline_sd=args.sd, relative=not args.absolute, alpha=args.alpha,
                  power=args.power, alternative="one-sided" if args.one_sided else "two-sided")
    try:
        if args.mde is not None:
            n = sample_size_per_arm(args.baseline, args.mde, **common)
            result = {"n_per_arm": n, "mde": args.mde}
        else:
            mde = minimum_detectable_effect(args.n, args.baseline, **common)
            result = {"n_per_arm": args.n, "mde": mde}
    except ValueError as exc:
        raise InputError(str(exc)) from None
    result.update(baseline=args.baseline, metric_type=args.metric_type, relative=not args.absolute,
                  alpha=args.alpha, power=args.power)
    if args.json:
        print(json.dumps(result))
    else:
        scale = "absolute" if args.absolute else "relative"
        mde_text = f"{result['mde']:.6g}" if args.absolute else f"{100 * result['mde']:.3g}%"
        print(f"{scale} MDE {mde_text} at alpha {args.alpha}, power {args.power}: "
              f"{result['n_per_arm']:,.0f} units per arm")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry for `python -m ml experiment ...`; argv excludes the word "experiment" (tolerated)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "experiment":
        argv = argv[1:]
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return EXIT_BAD_INPUT if exc.code not in (0, None) else EXIT_OK
    try:
        return _analyze(args) if args.command in ("analyze", "analyse") else _power(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
