"""Churn prediction: snapshots as of cut-off dates, calibrated gradient boosting vs logistic regression.

Entry points: :func:`build_snapshots` (event tables -> one row per live customer per cut-off),
:func:`train` (-> model, metrics, test scores), ``model.score(snapshots)`` for scoring and
per-customer drivers, :func:`churn_gate` for the promotion gate.
"""

from ml.churn.features import CUTOFF_COL, ID_COL, LABEL_COL, REQUIRED_COLUMNS, build_snapshots
from ml.churn.gate import churn_gate
from ml.churn.model import ChurnModel, classification_metrics, train

__all__ = [
    "CUTOFF_COL",
    "ChurnModel",
    "ID_COL",
    "LABEL_COL",
    "REQUIRED_COLUMNS",
    "build_snapshots",
    "churn_gate",
    "classification_metrics",
    "train",
]
