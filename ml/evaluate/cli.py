"""``python -m ml evaluate forecast|churn|routing``: evaluate a model family on your own CSV.

Exit codes: 0 evaluated; 2 bad input (message on stderr naming the file and column); 1 an
unexpected failure. With ``--json`` stdout holds exactly one JSON object; warnings go to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

MAX_SHOWN_ROWS = 20


class InputError(Exception):
    """Bad user input; reported as ``error: <message>`` with exit code 2."""


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


# --- reading and validating input ---------------------------------------------------------------


def read_csv(path: str) -> pd.DataFrame:
    file = Path(path)
    if not file.exists():
        raise InputError(f"{path}: file not found")
    if file.is_dir():
        raise InputError(f"{path}: is a directory, expected a CSV file")
    if file.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")
    last_error: Exception | None = None
    for encoding in ("utf-8-sig", "gb18030"):  # UTF-8 (with or without BOM), then Chinese Windows exports
        try:
            df = pd.read_csv(file, encoding=encoding, low_memory=False)
            break
        except UnicodeDecodeError as exc:
            last_error = exc
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: file is empty (no header row)") from None
        except pd.errors.ParserError as exc:
            raise InputError(f"{path}: not a readable CSV file ({str(exc).strip()})") from None
    else:
        raise InputError(f"{path}: cannot decode the file as UTF-8 or GB18030 ({last_error})")
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise InputError(f"{path}: no data rows (only a header)")
    return df


def require_columns(df: pd.DataFrame, path: str, columns: dict[str, str | None]) -> None:
    for option, column in columns.items():
        if column is not None and column not in df.columns:
            raise InputError(f"{path}: column {column!r} (given by {option}) not found; "
                             f"available columns: {', '.join(map(repr, df.columns))}")


def _row_examples(df: pd.DataFrame, mask: pd.Series, column: str, limit: int = 3) -> str:
    # +2: one header line, and file lines count from 1.
    return ", ".join(f"line {i + 2}: {df.at[i, column]!r}" for i in df.index[mask][:limit])


def parse_dates(df: pd.DataFrame, path: str, column: str) -> pd.Series:
    raw = df[column]
    if raw.isna().all():
        raise InputError(f"{path}: column {column!r} is empty; it must hold dates")
    parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
    bad = parsed.isna() & raw.notna()
    if bad.any():
        raise InputError(f"{path}: column {column!r} has {int(bad.sum())} value(s) that are not dates "
                         f"({_row_examples(df, bad, column)})")
    if parsed.isna().any():
        raise InputError(f"{path}: column {column!r} has {int(parsed.isna().sum())} missing date(s) "
                         f"({_row_examples(df, parsed.isna(), column)})")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def parse_numeric(df: pd.DataFrame, path: str, column: str) -> pd.Series:
    raw = df[column]
    if pd.api.types.is_bool_dtype(raw):
        raise InputError(f"{path}: column {column!r} holds true/false values, not numbers")
    parsed = pd.to_numeric(raw, errors="coerce")
    bad = parsed.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        raise InputError(f"{path}: column {column!r} must be numeric but has {int(bad.sum())} non-numeric "
                         f"value(s) ({_row_examples(df, bad, column)})")
    if parsed.isna().all():
        raise InputError(f"{path}: column {column!r} has no numeric values")
    if np.isinf(parsed).any():
        raise InputError(f"{path}: column {column!r} contains infinite values")
    return parsed.astype(float)


def _json_ready(value):
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


# --- forecast -----------------------------------------------------------------------------------


def evaluate_forecast(args: argparse.Namespace) -> dict:
    from ml.forecasting import ForecastConfig, prepare_series, run_forecasting  # noqa: PLC0415
    from ml.forecasting.data import get_frequency, to_period_start  # noqa: PLC0415
    from ml.forecasting.gate import forecast_gate  # noqa: PLC0415

    df = read_csv(args.csv)
    require_columns(df, args.csv, {"--date-col": args.date_col, "--value-col": args.value_col,
                                   "--series-col": args.series_col})
    frequency = get_frequency(args.freq)
    horizon = args.horizon or frequency.default_horizon
    if horizon < 1:
        raise InputError("--horizon must be at least 1")
    dates = parse_dates(df, args.csv, args.date_col)
    values = parse_numeric(df, args.csv, args.value_col)
    raw = pd.DataFrame({"ds": dates, "y": values})
    if args.series_col:
        raw["series_id"] = df[args.series_col].astype(str).where(df[args.series_col].notna(), "(missing)")
    missing_values = int(raw["y"].isna().sum())
    if missing_values:
        _warn(f"{args.csv}: {missing_values} row(s) with an empty {args.value_col!r} ignored "
              "(periods without any value count as 0)")
    raw = raw.dropna(subset=["y"])
    series = prepare_series(raw, date_col="ds", value_col="y", series_col="series_id" if args.series_col else None,
                            freq=frequency.code)
    counts = series.groupby("series_id").size()
    keys = ["series_id", "period"] if args.series_col else ["period"]
    raw_periods = raw.assign(period=to_period_start(raw["ds"], frequency)).drop_duplicates(keys).shape[0]
    if raw_periods < 0.5 * len(series):
        _warn(f"{args.csv}: only {raw_periods} of {len(series)} {frequency.code} periods have data (the rest are "
              f"treated as 0) - is --freq {frequency.code} right for this file?")
    min_length = horizon + max(horizon, 8)
    too_short = counts[counts < min_length]
    if len(too_short) == len(counts):
        raise InputError(
            f"{args.csv}: not enough history in {args.date_col!r}: the longest series has {counts.max()} "
            f"{frequency.code} period(s); one backtest fold with horizon {horizon} needs at least {min_length} "
            f"(use a smaller --horizon or more data)")
    if len(too_short):
        _warn(f"{args.csv}: {len(too_short)} series shorter than {min_length} periods skipped: "
              f"{', '.join(map(str, too_short.index[:10]))}{' ...' if len(too_short) > 10 else ''}")
        series = series[~series["series_id"].isin(too_short.index)]
    config = ForecastConfig(freq=frequency.code, horizon=horizon, n_folds=args.folds, n_jobs=args.n_jobs)
    result = run_forecasting(series, config)
    for note in result.notes:
        _warn(note)
    summary = result.summary()
    gate = forecast_gate(summary)
    chosen = result.chosen
    report = {
        "family": "forecast",
        "file": args.csv,
        **summary,
        "interval_level": config.level,
        "series": [
            {"series_id": str(r.series_id), "model": r.model, "wape": r.wape, "mase": r.mase,
             "baseline_wape": r.baseline_wape, "n_obs": r.n_obs, "n_folds": r.n_folds}
            for r in chosen.itertuples()
        ],
        "platform_target": gate.to_dict(),
        "elapsed_seconds": result.elapsed_seconds,
    }
    return report


def print_forecast(report: dict) -> None:
    print(f"Forecast evaluation of {report['file']}")
    print(f"  {report['n_series']} series, frequency {report['freq']}, horizon {report['horizon']}, "
          f"up to {report['folds']} rolling-origin folds")
    print("\n  Backtest (pooled over series)      WAPE    MAPE   sMAPE    MASE")
    for model, scores in report["candidates"].items():
        marker = "  <- baseline" if model == "seasonal_naive" else ""
        print(f"    {model:<30} {_fmt(scores['wape']):>7} {_fmt(scores['mape']):>7} {_fmt(scores['smape']):>7} "
              f"{_fmt(scores['mase']):>7}{marker}")
    print(f"    {'per-series choice':<30} {_fmt(report['wape']):>7} {_fmt(report['mape']):>7} "
          f"{_fmt(report['smape']):>7} {_fmt(report['mase']):>7}")
    print(f"\n  Accuracy (1 - WAPE): {_fmt(report['accuracy'])}   seasonal-naive WAPE: {_fmt(report['baseline_wape'])}")
    print("\n  Chosen model per series (by backtest WAPE):")
    for row in report["series"][:MAX_SHOWN_ROWS]:
        print(f"    {row['series_id']:<30} {row['model']:<15} WAPE {_fmt(row['wape'])}  "
              f"naive {_fmt(row['baseline_wape'])}  folds {row['n_folds']}")
    if len(report["series"]) > MAX_SHOWN_ROWS:
        print(f"    ... {len(report['series']) - MAX_SHOWN_ROWS} more (use --json)")
    _print_target(report["platform_target"])


def _print_target(gate: dict) -> None:
    status = "met" if gate["passed"] else "NOT met"
    print(f"\n  Platform target {status}" + ("" if gate["passed"] else ": " + "; ".join(gate["reasons"])))


# --- churn --------------------------------------------------------------------------------------


def evaluate_churn(args: argparse.Namespace) -> dict:
    from ml.churn.gate import churn_gate  # noqa: PLC0415
    from ml.churn.model import train  # noqa: PLC0415
    from ml.churn.tabular import LabelError, parse_binary_label  # noqa: PLC0415

    df = read_csv(args.csv)
    require_columns(df, args.csv, {"--label-col": args.label_col, "--id-col": args.id_col,
                                   "--time-col": args.time_col})
    missing_label = df[args.label_col].isna() | (df[args.label_col].astype(str).str.strip() == "")
    if missing_label.all():
        raise InputError(f"{args.csv}: label column {args.label_col!r} is empty")
    if missing_label.any():
        _warn(f"{args.csv}: {int(missing_label.sum())} row(s) without a {args.label_col!r} value ignored")
        df = df[~missing_label].reset_index(drop=True)
    try:
        y, positive = parse_binary_label(df[args.label_col])
    except LabelError as exc:
        raise InputError(f"{args.csv}: label column {args.label_col!r} {exc}") from None
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < 10:
        raise InputError(f"{args.csv}: label column {args.label_col!r} has only {minority} example(s) of one class; "
                         f"need at least 10 of each to train and evaluate")
    cutoff_col = None
    if args.time_col:
        df[args.time_col] = parse_dates(df, args.csv, args.time_col)
        cutoff_col = args.time_col
    features = df.drop(columns=[args.label_col])
    try:
        model, metrics, _ = train(features, label_col=args.label_col, id_col=args.id_col, cutoff_col=cutoff_col,
                                  y=y, positive_label=positive)
    except ValueError as exc:
        raise InputError(f"{args.csv}: {exc}") from None
    for column, why in metrics["features"]["dropped"].items():
        _warn(f"{args.csv}: column {column!r} not used as a feature ({why})")
    gate = churn_gate(metrics)
    return {
        "family": "churn",
        "file": args.csv,
        "positive_class": positive,
        **{k: metrics[k] for k in ("roc_auc", "pr_auc", "accuracy", "precision", "recall", "precision_top_decile",
                                   "recall_top_decile", "lift_top_decile", "brier", "base_rate")},
        "model": metrics["model"],
        "baseline": {"model": metrics["baseline"], **{k: metrics["models"][metrics["baseline"]][k]
                                                      for k in ("roc_auc", "pr_auc", "accuracy")}},
        "split": metrics["split"],
        "n_train": metrics["n_train"],
        "n_test": metrics["n_test"],
        "features": metrics["features"],
        "top_features": metrics["global_importance"][:10],
        "platform_target": gate.to_dict(),
    }


def print_churn(report: dict) -> None:
    print(f"Churn evaluation of {report['file']} (positive class: {report['positive_class']!r})")
    print(f"  {report['split']}; train {report['n_train']} rows, test {report['n_test']} rows, "
          f"base rate {_fmt(report['base_rate'])}")
    print("\n  Model                        ROC AUC  PR AUC  Accuracy")
    print(f"    {report['model']:<26} {_fmt(report['roc_auc']):>7} {_fmt(report['pr_auc']):>7} "
          f"{_fmt(report['accuracy']):>9}")
    base = report["baseline"]
    print(f"    {base['model'] + ' (baseline)':<26} {_fmt(base['roc_auc']):>7} {_fmt(base['pr_auc']):>7} "
          f"{_fmt(base['accuracy']):>9}")
    print(f"\n  Top decile: precision {_fmt(report['precision_top_decile'])}, "
          f"recall {_fmt(report['recall_top_decile'])}, lift {_fmt(report['lift_top_decile'], 2)}")
    if report["top_features"]:
        print("\n  Most important features (permutation, ROC AUC drop):")
        for item in report["top_features"][:8]:
            print(f"    {item['feature']:<34} {_fmt(item['importance'], 4)}")
    _print_target(report["platform_target"])


# --- routing ------------------------------------------------------------------------------------


def _text_columns(values: list[str]) -> list[str]:
    columns = []
    for value in values:
        columns += [c.strip() for c in value.split(",") if c.strip()]
    return columns


def _check_routing_frame(df: pd.DataFrame, path: str, text_cols: list[str], label_col: str) -> pd.DataFrame:
    require_columns(df, path, {**{f"--text-col {c}": c for c in text_cols}, "--label-col": label_col})
    text = df[text_cols].fillna("").astype(str).agg(" ".join, axis=1).str.strip()
    if (text == "").all():
        raise InputError(f"{path}: text column(s) {', '.join(map(repr, text_cols))} are empty")
    label = df[label_col]
    keep = label.notna() & (label.astype(str).str.strip() != "")
    if not keep.any():
        raise InputError(f"{path}: label column {label_col!r} is empty")
    if (~keep).any():
        _warn(f"{path}: {int((~keep).sum())} row(s) without a {label_col!r} value ignored")
    return df[keep].assign(**{label_col: label[keep].astype(str).str.strip()}).reset_index(drop=True)


def evaluate_routing(args: argparse.Namespace) -> dict:
    from ml.routing.gate import routing_gate  # noqa: PLC0415
    from ml.routing.model import train  # noqa: PLC0415

    text_cols = _text_columns(args.text_col)
    df = _check_routing_frame(read_csv(args.csv), args.csv, text_cols, args.label_col)
    classes = df[args.label_col].nunique()
    if classes < 2:
        raise InputError(f"{args.csv}: label column {args.label_col!r} has only one class "
                         f"({df[args.label_col].iloc[0]!r}); need at least two")
    test = None
    if args.test_csv:
        test = _check_routing_frame(read_csv(args.test_csv), args.test_csv, text_cols, args.label_col)
    elif len(df) < 20:
        raise InputError(f"{args.csv}: only {len(df)} labelled rows; need at least 20 to hold some out for testing "
                         f"(or pass --test-csv)")
    if args.time_col:
        require_columns(df, args.csv, {"--time-col": args.time_col})
        df[args.time_col] = parse_dates(df, args.csv, args.time_col)
    threshold = args.threshold if args.threshold == "auto" else float(args.threshold)
    model, metrics = train(df, text_cols=tuple(text_cols), label_col=args.label_col, time_col=args.time_col,
                           confidence_threshold=threshold, test_tickets=test)
    if metrics["unseen_test_queues"]:
        _warn(f"{args.test_csv or args.csv}: test labels never seen in training (always wrong): "
              f"{', '.join(metrics['unseen_test_queues'][:10])}")
    gate = routing_gate(metrics)
    return {"family": "routing", "file": args.csv, "test_file": args.test_csv, **metrics,
            "platform_target": gate.to_dict()}


def print_routing(report: dict) -> None:
    test_note = f" (test: {report['test_file']})" if report["test_file"] else ""
    print(f"Routing evaluation of {report['file']}{test_note}")
    print(f"  {report['split']}; train {report['n_train']} rows, test {report['n_test']} rows, "
          f"{len(report['queues'])} queues")
    print(f"\n  Accuracy {_fmt(report['accuracy'])}   macro-F1 {_fmt(report['macro_f1'])}")
    print(f"  Confidence threshold {_fmt(report['confidence_threshold'], 2)} ({report['threshold_source']}): "
          f"auto-routed share {_fmt(report['auto_routed_share'])}, "
          f"accuracy on auto-routed {_fmt(report['auto_routed_accuracy'])}; the rest go to human_triage")
    print("\n  Recall per queue:")
    for queue, recall in list(report["per_queue_recall"].items())[:MAX_SHOWN_ROWS]:
        print(f"    {queue:<30} {_fmt(recall)}")
    _print_target(report["platform_target"])


# --- entry point --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml evaluate",
                                     description="Evaluate a Zhishu model family on your own CSV file.")
    sub = parser.add_subparsers(dest="family", required=True)

    forecast = sub.add_parser("forecast", help="backtest Prophet/ETS/Theta/ensemble vs seasonal naive")
    forecast.add_argument("--csv", required=True)
    forecast.add_argument("--date-col", required=True)
    forecast.add_argument("--value-col", required=True, help="summed per period (transaction rows are fine)")
    forecast.add_argument("--series-col", help="one series per value of this column (default: one series)")
    forecast.add_argument("--freq", default="D", type=str.upper, choices=["D", "W", "M"])
    forecast.add_argument("--horizon", type=int, help="periods ahead (default 28 for D, 12 for W and M)")
    forecast.add_argument("--folds", type=int, default=4, help="rolling-origin folds (default 4)")
    forecast.add_argument("--n-jobs", type=int, default=None, help="worker processes (default: all cores)")
    forecast.add_argument("--json", action="store_true")

    churn = sub.add_parser("churn", help="gradient boosting vs logistic regression on a binary label")
    churn.add_argument("--csv", required=True)
    churn.add_argument("--label-col", required=True, help="binary: yes/no, true/false, 1/0, churned/... ")
    churn.add_argument("--id-col", help="identifier column (excluded from the features)")
    churn.add_argument("--time-col", help="snapshot date column: train on earlier dates, test on the latest")
    churn.add_argument("--json", action="store_true")

    routing = sub.add_parser("routing", help="TF-IDF char+word n-grams with a calibrated linear SVM")
    routing.add_argument("--csv", required=True)
    routing.add_argument("--text-col", required=True, action="append",
                         help="text column; repeat or comma-separate for several (e.g. subject,body)")
    routing.add_argument("--label-col", required=True)
    routing.add_argument("--test-csv", help="evaluate on this file instead of a holdout of --csv")
    routing.add_argument("--time-col", help="holdout the latest 20%% by this date column (default: random)")
    routing.add_argument("--threshold", default="auto", help="confidence threshold for human triage, or 'auto'")
    routing.add_argument("--json", action="store_true")
    return parser


HANDLERS = {
    "forecast": (evaluate_forecast, print_forecast),
    "churn": (evaluate_churn, print_churn),
    "routing": (evaluate_routing, print_routing),
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for usage errors
        return int(exc.code or 0)
    if getattr(args, "threshold", "auto") != "auto":
        try:
            value = float(args.threshold)
        except ValueError:
            value = -1.0
        if not 0 <= value <= 1:
            print(f"error: --threshold must be 'auto' or a number in [0, 1], got {args.threshold!r}", file=sys.stderr)
            return 2
    evaluate, render = HANDLERS[args.family]
    try:
        report = evaluate(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    report = _json_ready(report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        render(report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
