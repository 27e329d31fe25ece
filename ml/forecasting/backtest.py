"""Rolling-origin backtest folds and the per-series error statistics built from them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.forecasting.metrics import mase


@dataclass(frozen=True)
class Fold:
    """Train on observations [0, train_end), test on [train_end, train_end + horizon)."""

    index: int
    train_end: int
    horizon: int

    @property
    def test_end(self) -> int:
        return self.train_end + self.horizon


def rolling_origin_folds(
    n_obs: int, horizon: int, n_folds: int = 4, step: int | None = None, min_train: int | None = None
) -> list[Fold]:
    """The latest ``n_folds`` forecast origins, ``step`` periods apart (default: one horizon).

    The last fold's test window ends at the last observation. Origins that would leave fewer
    than ``min_train`` training observations (default: one horizon) are dropped, so short series
    get fewer folds (possibly none) instead of an error.
    """
    if horizon < 1 or n_folds < 1:
        raise ValueError("horizon and n_folds must be >= 1")
    step = horizon if step is None else step
    if step < 1:
        raise ValueError("step must be >= 1")
    min_train = horizon if min_train is None else min_train
    cuts = [n_obs - horizon - step * k for k in range(n_folds - 1, -1, -1)]
    cuts = [c for c in cuts if c >= max(min_train, 1)]
    return [Fold(i, c, horizon) for i, c in enumerate(cuts)]


@dataclass
class ErrorStats:
    """Additive error sums, so scores pool exactly across folds and across series."""

    abs_error_sum: float = 0.0
    abs_actual_sum: float = 0.0
    ape_sum: float = 0.0
    ape_count: int = 0
    sape_sum: float = 0.0
    n_points: int = 0
    mase_values: list | None = None

    def add(self, y_true: np.ndarray, y_pred: np.ndarray, y_train: np.ndarray, season_length: int) -> None:
        err = np.abs(y_true - y_pred)
        self.abs_error_sum += float(err.sum())
        self.abs_actual_sum += float(np.abs(y_true).sum())
        nonzero = y_true != 0
        self.ape_sum += float((err[nonzero] / np.abs(y_true[nonzero])).sum())
        self.ape_count += int(nonzero.sum())
        denominator = np.abs(y_true) + np.abs(y_pred)
        self.sape_sum += float(np.divide(2 * err, denominator, out=np.zeros_like(err), where=denominator > 0).sum())
        self.n_points += int(y_true.size)
        self.mase_values = (self.mase_values or []) + [mase(y_true, y_pred, y_train, season_length)]

    def as_scores(self) -> dict:
        mase_values = [v for v in (self.mase_values or []) if np.isfinite(v)]
        wape = self.abs_error_sum / self.abs_actual_sum if self.abs_actual_sum > 0 else float("nan")
        return {
            "wape": wape,
            "mape": self.ape_sum / self.ape_count if self.ape_count else float("nan"),
            "smape": self.sape_sum / self.n_points if self.n_points else float("nan"),
            # Per-series MASE = mean of the fold MASEs (each fold scaled by its own training data).
            "mase": float(np.mean(mase_values)) if mase_values else float("nan"),
            "mae": self.abs_error_sum / self.n_points if self.n_points else float("nan"),
            "accuracy": 1.0 - wape,
            "abs_error_sum": self.abs_error_sum,
            "abs_actual_sum": self.abs_actual_sum,
            "ape_sum": self.ape_sum,
            "ape_count": self.ape_count,
            "sape_sum": self.sape_sum,
            "n_points": self.n_points,
        }

