"""Backtest every candidate per series, pick the best by WAPE, forecast with the winner.

Series are independent units of work: they are processed in parallel worker processes
(joblib/loky), and a caller that partitions series over machines can call
:func:`run_forecasting` on each partition and concatenate the outputs.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ml.forecasting.backtest import ErrorStats, rolling_origin_folds
from ml.forecasting.data import DATE_COL, SERIES_COL, VALUE_COL, check_regular, future_dates, get_frequency
from ml.forecasting.models import (
    BASELINE,
    CANDIDATES,
    ENSEMBLE,
    ENSEMBLE_MEMBERS,
    PointForecast,
    ensemble,
    fit_predict,
    quiet_logging,
)

FORECAST_COLUMNS = [SERIES_COL, DATE_COL, "yhat", "yhat_lower", "yhat_upper", "model", "interval_level"]


@dataclass
class ForecastConfig:
    freq: str = "D"
    horizon: int | None = None  # None: 28 daily, 12 weekly, 12 monthly
    n_folds: int = 4
    step: int | None = None  # distance between forecast origins; None: one horizon
    level: float = 80.0  # central prediction-interval coverage in percent
    candidates: tuple[str, ...] = CANDIDATES
    season_length: int | None = None  # None: 7 daily, 52 weekly, 12 monthly
    use_holidays: bool = True
    n_jobs: int | None = None  # None: all cores

    def resolved(self) -> ForecastConfig:
        frequency = get_frequency(self.freq)
        candidates = tuple(self.candidates)
        unknown = set(candidates) - set(CANDIDATES)
        if unknown:
            raise ValueError(f"unknown candidates {sorted(unknown)}; choose from {CANDIDATES}")
        if BASELINE not in candidates:
            candidates = candidates + (BASELINE,)  # every score is reported next to seasonal naive
        return ForecastConfig(
            freq=frequency.code,
            horizon=self.horizon or frequency.default_horizon,
            n_folds=self.n_folds,
            step=self.step,
            level=self.level,
            candidates=candidates,
            season_length=self.season_length or frequency.season_length,
            use_holidays=self.use_holidays,
            n_jobs=self.n_jobs,
        )


@dataclass
class ForecastResult:
    forecast: pd.DataFrame  # series_id, ds, yhat, yhat_lower, yhat_upper, model, interval_level
    scores: pd.DataFrame  # one row per series x candidate (see _score_rows)
    chosen: pd.DataFrame  # one row per series: chosen model and its backtest scores vs baseline
    backtest: pd.DataFrame  # series_id, model, fold, ds, y, yhat (every fold prediction)
    overall: pd.DataFrame  # pooled scores per candidate and for the per-series choice ("chosen")
    config: ForecastConfig
    elapsed_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """The headline numbers: the per-series choice pooled over all series, vs seasonal naive."""
        chosen = self.overall.loc["chosen"]
        baseline = self.overall.loc[BASELINE]
        return {
            "wape": _clean(chosen["wape"]),
            "mape": _clean(chosen["mape"]),
            "smape": _clean(chosen["smape"]),
            "mase": _clean(chosen["mase"]),
            "accuracy": _clean(1 - chosen["wape"]),
            "baseline_wape": _clean(baseline["wape"]),
            "baseline_mase": _clean(baseline["mase"]),
            "n_series": int(self.chosen.shape[0]),
            "horizon": self.config.horizon,
            "freq": self.config.freq,
            "folds": int(self.chosen["n_folds"].max()) if len(self.chosen) else 0,
            "chosen_models": {str(k): v for k, v in self.chosen.set_index(SERIES_COL)["model"].items()},
            "candidates": {
                str(model): {m: _clean(row[m]) for m in ("wape", "mape", "smape", "mase")}
                for model, row in self.overall.drop(index="chosen").iterrows()
            },
        }


def _clean(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _forecast_all(
    y: np.ndarray, ds: pd.DatetimeIndex, horizon: int, cfg: ForecastConfig, names
) -> tuple[dict[str, PointForecast], dict[str, str]]:
    """Fit the requested candidates on one training window; failures are recorded, not raised."""
    forecasts: dict[str, PointForecast] = {}
    errors: dict[str, str] = {}
    for name in names:
        if name == ENSEMBLE:
            continue
        try:
            forecasts[name] = fit_predict(
                name, y, ds, horizon, cfg.freq, cfg.season_length, cfg.level, cfg.use_holidays
            )
        except Exception as exc:  # a candidate failing on one series must not sink the others
            errors[name] = f"{type(exc).__name__}: {exc}"[:300]
    if ENSEMBLE in names:
        members = [forecasts[m] for m in ENSEMBLE_MEMBERS if m in forecasts]
        if len(members) >= 2:
            forecasts[ENSEMBLE] = ensemble(members)
        else:
            errors[ENSEMBLE] = "fewer than two ensemble members succeeded"
    return forecasts, errors


def _selection_key(scores: dict, name: str) -> tuple:
    wape = scores["wape"]
    return (wape if np.isfinite(wape) else np.inf, scores["mae"], CANDIDATES.index(name))


def process_series(series_id, ds: np.ndarray, y: np.ndarray, cfg: ForecastConfig) -> dict:
    """Backtest all candidates on one series, choose by WAPE, refit the winner, forecast."""
    quiet_logging()
    with warnings.catch_warnings():
        # Library deprecation chatter and overflow warnings of failing candidates (recorded as errors).
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return _process_series(series_id, ds, y, cfg)


def _process_series(series_id, ds: np.ndarray, y: np.ndarray, cfg: ForecastConfig) -> dict:
    ds = pd.DatetimeIndex(ds)
    y = np.asarray(y, dtype=float)
    horizon = cfg.horizon
    folds = rolling_origin_folds(y.size, horizon, cfg.n_folds, cfg.step, min_train=max(horizon, 8))
    stats = {name: ErrorStats() for name in cfg.candidates}
    failures: dict[str, str] = {}
    backtest_rows = []
    for fold in folds:
        y_train, y_test = y[: fold.train_end], y[fold.train_end : fold.test_end]
        forecasts, errors = _forecast_all(y_train, ds[: fold.train_end], horizon, cfg, cfg.candidates)
        for name, message in errors.items():
            failures.setdefault(name, f"fold {fold.index}: {message}")
        for name, forecast in forecasts.items():
            stats[name].add(y_test, forecast.mean, y_train, cfg.season_length)
            backtest_rows.append(pd.DataFrame({
                SERIES_COL: series_id, "model": name, "fold": fold.index,
                DATE_COL: ds[fold.train_end : fold.test_end], "y": y_test, "yhat": forecast.mean,
            }))

    score_rows = []
    for name in cfg.candidates:
        row = {SERIES_COL: series_id, "model": name, "n_folds": len(folds), **stats[name].as_scores(),
               "error": failures.get(name)}
        if name in failures or not folds:
            # A candidate that failed on any fold is not comparable: it keeps its error, loses its score.
            for metric in ("wape", "mape", "smape", "mase", "mae", "accuracy"):
                row[metric] = float("nan")
        score_rows.append(row)

    scored = {r["model"]: r for r in score_rows if np.isfinite(r["wape"]) or np.isfinite(r["mae"])}
    notes = []
    if scored:
        chosen = min(scored, key=lambda name: _selection_key(scored[name], name))
    else:
        chosen = BASELINE
        notes.append(f"series {series_id!r}: no backtest possible ({y.size} observations), using {BASELINE}")
    for row in score_rows:
        row["chosen"] = row["model"] == chosen

    needed = ENSEMBLE_MEMBERS if chosen == ENSEMBLE else (chosen,)
    forecasts, errors = _forecast_all(y, ds, horizon, cfg, needed + ((ENSEMBLE,) if chosen == ENSEMBLE else ()))
    if chosen not in forecasts:
        notes.append(f"series {series_id!r}: final {chosen} fit failed ({errors.get(chosen)}); using {BASELINE}")
        chosen = BASELINE
        forecasts, _ = _forecast_all(y, ds, horizon, cfg, (BASELINE,))
    final = forecasts[chosen]
    forecast = pd.DataFrame({
        SERIES_COL: series_id, DATE_COL: future_dates(ds[-1], horizon, cfg.freq),
        "yhat": final.mean, "yhat_lower": final.lower, "yhat_upper": final.upper,
        "model": chosen, "interval_level": cfg.level,
    })
    chosen_scores = next(r for r in score_rows if r["model"] == chosen)
    baseline_scores = next(r for r in score_rows if r["model"] == BASELINE)
    chosen_row = {
        SERIES_COL: series_id,
        "model": chosen,
        "wape": chosen_scores["wape"],
        "mase": chosen_scores["mase"],
        "accuracy": chosen_scores["accuracy"],
        "baseline_wape": baseline_scores["wape"],
        "beats_baseline": bool(chosen_scores["wape"] < baseline_scores["wape"]),
        "n_folds": len(folds),
        "n_obs": int(y.size),
        "history_start": ds[0],
        "history_end": ds[-1],
    }
    return {
        "scores": score_rows,
        "chosen": chosen_row,
        "forecast": forecast,
        "backtest": pd.concat(backtest_rows, ignore_index=True) if backtest_rows else None,
        "notes": notes,
    }


def overall_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Pool per-series scores into one row per candidate plus a ``chosen`` row.

    WAPE, MAPE and sMAPE are pooled over every backtest point of every series; MASE is the mean of
    the per-series MASEs (MASE is scale-free per series, so it is averaged, not pooled).
    """

    def pool(group: pd.DataFrame) -> pd.Series:
        group = group[np.isfinite(group["wape"]) | np.isfinite(group["mae"])]
        abs_actual = group["abs_actual_sum"].sum()
        ape_count = group["ape_count"].sum()
        n_points = group["n_points"].sum()
        return pd.Series({
            "wape": group["abs_error_sum"].sum() / abs_actual if abs_actual > 0 else np.nan,
            "mape": group["ape_sum"].sum() / ape_count if ape_count else np.nan,
            "smape": group["sape_sum"].sum() / n_points if n_points else np.nan,
            "mase": group["mase"].mean() if len(group) else np.nan,
            "n_series": len(group),
        })

    per_model = {name: pool(group) for name, group in scores.groupby("model", sort=False)}
    per_model["chosen"] = pool(scores[scores["chosen"]])
    table = pd.DataFrame(per_model).T
    table["accuracy"] = 1 - table["wape"]
    return table


def run_forecasting(df: pd.DataFrame, config: ForecastConfig | None = None) -> ForecastResult:
    """Backtest, select and forecast every series of a prepared long frame (series_id, ds, y).

    Use :func:`ml.forecasting.data.prepare_series` first for raw data. Returns a
    :class:`ForecastResult` with forecasts, per-candidate scores, the choice per series, the
    fold-level backtest predictions and pooled scores.
    """
    cfg = (config or ForecastConfig()).resolved()
    if df.empty:
        raise ValueError("forecast input is empty")
    check_regular(df, cfg.freq)
    started = time.perf_counter()
    tasks = [
        (series_id, group[DATE_COL].to_numpy(), group[VALUE_COL].to_numpy(float))
        for series_id, group in df.sort_values([SERIES_COL, DATE_COL]).groupby(SERIES_COL, sort=True)
    ]
    n_jobs = cfg.n_jobs or os.cpu_count() or 1
    if n_jobs == 1 or len(tasks) == 1:
        outputs = [process_series(sid, ds, y, cfg) for sid, ds, y in tasks]
    else:
        from joblib import Parallel, delayed  # noqa: PLC0415

        outputs = Parallel(n_jobs=min(n_jobs, len(tasks)), backend="loky")(
            delayed(process_series)(sid, ds, y, cfg) for sid, ds, y in tasks
        )
    scores = pd.DataFrame([row for out in outputs for row in out["scores"]])
    backtests = [out["backtest"] for out in outputs if out["backtest"] is not None]
    return ForecastResult(
        forecast=pd.concat([out["forecast"] for out in outputs], ignore_index=True)[FORECAST_COLUMNS],
        scores=scores,
        chosen=pd.DataFrame([out["chosen"] for out in outputs]),
        backtest=pd.concat(backtests, ignore_index=True) if backtests else pd.DataFrame(),
        overall=overall_scores(scores),
        config=cfg,
        elapsed_seconds=time.perf_counter() - started,
        notes=[note for out in outputs for note in out["notes"]],
    )


def run_backtest_and_forecast(
    df: pd.DataFrame,
    horizon: int = 28,
    n_jobs: int | None = None,
    *,
    freq: str = "D",
    n_folds: int = 4,
    level: float = 80.0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Dagster-friendly wrapper: returns (forecast_df, scores_df, chosen_df).

    ``df`` is a regular long frame (series_id, ds, y); see :func:`run_forecasting` for details.
    """
    result = run_forecasting(df, ForecastConfig(freq=freq, horizon=horizon, n_folds=n_folds, level=level,
                                                n_jobs=n_jobs))
    return result.forecast, result.scores, result.chosen


def config_dict(cfg: ForecastConfig) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}
