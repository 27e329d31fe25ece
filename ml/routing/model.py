"""Support-ticket routing: TF-IDF character + word n-grams into a calibrated linear SVM.

Character n-grams (``char_wb``, 1-3) capture Chinese without a word segmenter and are robust
to typos in English; word uni/bi-grams add whole-word evidence for space-separated text. A
LinearSVC is calibrated (sigmoid, 3-fold) so its confidence is a probability; tickets whose top
probability is below ``confidence_threshold`` go to the ``human_triage`` queue instead. With
``confidence_threshold="auto"`` the threshold is the lowest one whose auto-routed accuracy
reaches ``target_auto_accuracy`` (0.95) on a validation slice: the latest 20 % of the training
part, predicted by a model fitted on the rest (the served model is then refitted on the whole
training part).

Input (``tickets`` DataFrame): text columns (default ``subject`` and ``body``; concatenated),
the queue label (default ``queue``) and optionally a time column (default ``opened_at``) for a
time-based holdout: the latest ``holdout_fraction`` of tickets are the test set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

HUMAN_TRIAGE = "human_triage"
DEFAULT_TEXT_COLS = ("subject", "body")
WORD_PATTERN = r"(?u)\b\w+\b"  # also keeps one-letter words and digits (default drops them)
DEFAULT_THRESHOLD = "auto"
TARGET_AUTO_ACCURACY = 0.95
THRESHOLD_GRID = tuple(round(t, 2) for t in np.arange(0.30, 0.96, 0.05))


def ticket_text(df: pd.DataFrame, text_cols) -> pd.Series:
    parts = [df[c].fillna("").astype(str) for c in text_cols]
    text = parts[0]
    for part in parts[1:]:
        text = text + "\n" + part
    return text.str.strip()


def _vectorizer(n_docs: int) -> FeatureUnion:
    min_df = 2 if n_docs >= 500 else 1
    return FeatureUnion([
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=min_df, sublinear_tf=True,
                                 max_features=300_000, lowercase=True)),
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=min_df, sublinear_tf=True,
                                 token_pattern=WORD_PATTERN, max_features=200_000, lowercase=True)),
    ])


def _classifier(y: np.ndarray):
    smallest_class = pd.Series(y).value_counts().min()
    if smallest_class >= 3:
        return CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=3, ensemble=False)
    # Too few examples of some queue for calibration folds: logistic regression is probabilistic itself.
    return LogisticRegression(C=10.0, max_iter=3000)


@dataclass
class RoutingModel:
    pipeline: Pipeline
    text_cols: tuple[str, ...] = DEFAULT_TEXT_COLS
    confidence_threshold: float = 0.5
    human_queue: str = HUMAN_TRIAGE
    classes: list = field(default_factory=list)

    def predict_proba(self, texts) -> np.ndarray:
        return self.pipeline.predict_proba(list(texts))

    def route(self, df: pd.DataFrame) -> pd.DataFrame:
        """predicted_queue, confidence, routed_queue (human_triage below the threshold) per ticket."""
        proba = self.predict_proba(ticket_text(df, self.text_cols))
        best = proba.argmax(axis=1)
        predicted = np.asarray(self.classes, dtype=object)[best]
        confidence = proba[np.arange(len(best)), best]
        auto = confidence >= self.confidence_threshold
        return pd.DataFrame({
            "predicted_queue": predicted,
            "confidence": confidence,
            "routed_queue": np.where(auto, predicted, self.human_queue),
            "auto_routed": auto,
        }, index=df.index)

    def score_ticket(self, subject: str, body: str = "") -> dict:
        """Route one ticket (the serving path; see ``python -m ml.routing.benchmark``)."""
        text = f"{subject or ''}\n{body or ''}".strip()
        proba = self.pipeline.predict_proba([text])[0]
        best = int(proba.argmax())
        confidence = float(proba[best])
        queue = str(self.classes[best])
        return {"predicted_queue": queue, "confidence": confidence,
                "routed_queue": queue if confidence >= self.confidence_threshold else self.human_queue}


def routing_metrics(y_true, predicted, confidence, threshold: float) -> dict:
    y_true = np.asarray(y_true, dtype=object)
    predicted = np.asarray(predicted, dtype=object)
    confidence = np.asarray(confidence, dtype=float)
    queues = sorted(set(y_true))
    auto = confidence >= threshold
    curve = []
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        mask = confidence >= t
        curve.append({"threshold": t, "auto_routed_share": float(mask.mean()),
                      "auto_routed_accuracy": float((predicted[mask] == y_true[mask]).mean()) if mask.any() else None})
    recalls = recall_score(y_true, predicted, labels=queues, average=None, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, predicted)),
        "macro_f1": float(f1_score(y_true, predicted, labels=queues, average="macro", zero_division=0)),
        "per_queue_recall": {str(q): float(r) for q, r in zip(queues, recalls, strict=True)},
        "confidence_threshold": threshold,
        "auto_routed_share": float(auto.mean()),
        "auto_routed_accuracy": float((predicted[auto] == y_true[auto]).mean()) if auto.any() else None,
        "threshold_curve": curve,
        "n_test": int(y_true.size),
    }


def choose_threshold(y_true, predicted, confidence, target_auto_accuracy: float = TARGET_AUTO_ACCURACY) -> float:
    """Lowest grid threshold whose auto-routed tickets are at least ``target_auto_accuracy`` correct.

    If no threshold reaches the target, the one with the best auto-routed accuracy (ties: lower).
    """
    y_true, predicted = np.asarray(y_true, dtype=object), np.asarray(predicted, dtype=object)
    confidence = np.asarray(confidence, dtype=float)
    best_t, best_acc = THRESHOLD_GRID[-1], -1.0
    for t in THRESHOLD_GRID:
        mask = confidence >= t
        if not mask.any():
            break
        accuracy = float((predicted[mask] == y_true[mask]).mean())
        if accuracy >= target_auto_accuracy:
            return float(t)
        if accuracy > best_acc:
            best_t, best_acc = t, accuracy
    return float(best_t)


def fit_routing_model(texts: pd.Series, labels, text_cols=DEFAULT_TEXT_COLS,
                      confidence_threshold: float = 0.5) -> RoutingModel:
    labels = np.asarray(labels, dtype=object)
    if len(set(labels)) < 2:
        raise ValueError("routing needs at least two queues in the training data")
    pipeline = Pipeline([("tfidf", _vectorizer(len(texts))), ("clf", _classifier(labels))])
    pipeline.fit(list(texts), labels)
    return RoutingModel(pipeline=pipeline, text_cols=tuple(text_cols), confidence_threshold=confidence_threshold,
                        classes=list(pipeline.classes_))


def evaluate_routing_model(model: RoutingModel, texts: pd.Series, labels) -> dict:
    proba = model.predict_proba(texts)
    best = proba.argmax(axis=1)
    predicted = np.asarray(model.classes, dtype=object)[best]
    metrics = routing_metrics(labels, predicted, proba[np.arange(len(best)), best], model.confidence_threshold)
    unseen = sorted(set(map(str, labels)) - set(map(str, model.classes)))
    metrics["unseen_test_queues"] = unseen  # queues never seen in training cannot be predicted
    return metrics


def train(
    tickets: pd.DataFrame,
    *,
    text_cols=DEFAULT_TEXT_COLS,
    label_col: str = "queue",
    time_col: str | None = "opened_at",
    holdout_fraction: float = 0.2,
    confidence_threshold: float | str = DEFAULT_THRESHOLD,
    target_auto_accuracy: float = TARGET_AUTO_ACCURACY,
    test_tickets: pd.DataFrame | None = None,
    random_state: int = 0,
) -> tuple[RoutingModel, dict]:
    """Fit on the earlier tickets, evaluate on the latest ``holdout_fraction`` (or ``test_tickets``).

    Without a time column the holdout is a stratified random split. Returns (model, metrics); the
    returned model is the evaluated one (trained on the training part only).
    """
    data = tickets[tickets[label_col].notna()].copy()
    data[label_col] = data[label_col].astype(str)
    if test_tickets is not None:
        train_part, test_part = data, test_tickets[test_tickets[label_col].notna()].copy()
        split = "separate test file"
    elif time_col and time_col in data:
        data = data.assign(_t=pd.to_datetime(data[time_col])).sort_values("_t", kind="stable")
        n_test = max(1, int(round(len(data) * holdout_fraction)))
        train_part, test_part = data.iloc[:-n_test], data.iloc[-n_test:]
        split = f"time holdout: latest {n_test} tickets from {test_part['_t'].min()}"
    else:
        counts = data[label_col].value_counts()
        stratify = data[label_col] if counts.min() >= 2 else None
        train_part, test_part = train_test_split(data, test_size=holdout_fraction, stratify=stratify,
                                                 random_state=random_state)
        split = "random holdout (no time column)" + (", stratified" if stratify is not None else "")
    started = time.perf_counter()
    threshold_source = "given"
    if confidence_threshold == "auto":
        confidence_threshold, threshold_source = _auto_threshold(train_part, text_cols, label_col,
                                                                 target_auto_accuracy)
    model = fit_routing_model(ticket_text(train_part, text_cols), train_part[label_col].to_numpy(),
                              text_cols, float(confidence_threshold))
    fit_seconds = time.perf_counter() - started
    test_labels = test_part[label_col].astype(str).to_numpy()
    metrics = evaluate_routing_model(model, ticket_text(test_part, text_cols), test_labels)
    metrics.update({"split": split, "n_train": int(len(train_part)), "fit_seconds": fit_seconds,
                    "threshold_source": threshold_source,
                    "queues": [str(c) for c in model.classes]})
    return model, metrics


def _auto_threshold(train_part: pd.DataFrame, text_cols, label_col: str, target: float) -> tuple[float, str]:
    """Pick the threshold on the latest 20 % of the training part (kept in order, time-sorted upstream)."""
    n_val = int(round(len(train_part) * 0.2))
    fit_part, val_part = train_part.iloc[:-n_val], train_part.iloc[-n_val:] if n_val else train_part.iloc[:0]
    if n_val < 20 or fit_part[label_col].nunique() < 2:
        return 0.5, "default 0.5 (too little data to tune)"
    probe = fit_routing_model(ticket_text(fit_part, text_cols), fit_part[label_col].to_numpy(), text_cols)
    proba = probe.predict_proba(ticket_text(val_part, text_cols))
    best = proba.argmax(axis=1)
    predicted = np.asarray(probe.classes, dtype=object)[best]
    threshold = choose_threshold(val_part[label_col].to_numpy(), predicted, proba[np.arange(len(best)), best], target)
    return threshold, f"auto: lowest threshold with auto-routed accuracy >= {target} on {n_val} validation tickets"
