"""Ticket routing on bilingual synthetic tickets: holdout metrics, triage threshold, single scoring."""

import numpy as np
import pandas as pd
import pytest

from ml.routing import HUMAN_TRIAGE, routing_gate, routing_metrics, train
from ml.routing.model import choose_threshold
from ml.routing.synthetic import synthetic_tickets


@pytest.fixture(scope="module")
def tickets() -> pd.DataFrame:
    return synthetic_tickets(900, seed=3)


@pytest.fixture(scope="module")
def trained(tickets):
    return train(tickets)


def test_time_holdout_metrics_on_bilingual_tickets(tickets, trained):
    model, metrics = trained
    assert metrics["split"].startswith("time holdout")
    assert metrics["n_test"] == 180 and metrics["n_train"] == 720
    # The holdout is the latest tickets: nothing in training is newer than the test period.
    assert tickets["opened_at"].iloc[:720].max() <= tickets["opened_at"].iloc[720:].min()
    assert metrics["accuracy"] > 0.90 and metrics["macro_f1"] > 0.88
    assert set(metrics["per_queue_recall"]) == set(tickets["queue"].unique())
    assert 0 < metrics["auto_routed_share"] <= 1
    assert metrics["auto_routed_accuracy"] >= metrics["accuracy"] - 1e-9
    assert routing_gate(metrics).passed


def test_chinese_and_english_tickets_are_both_routed(tickets, trained):
    model, _ = trained
    latest = tickets.iloc[720:]
    routed = model.route(latest)
    for language in ("zh", "en"):
        part = latest["language"] == language
        accuracy = (routed.loc[part, "predicted_queue"] == latest.loc[part, "queue"]).mean()
        assert accuracy > 0.85, language


def test_low_confidence_goes_to_human_triage(trained):
    model, _ = trained
    ambiguous = pd.DataFrame({"subject": ["你好"], "body": ["谢谢"]})
    clear = pd.DataFrame({"subject": ["包裹在哪里"], "body": ["快递晚了一个星期，物流单号没有更新"]})
    assert model.route(clear)["routed_queue"].iloc[0] == "shipping"
    strict = type(model)(pipeline=model.pipeline, text_cols=model.text_cols, confidence_threshold=0.99,
                         classes=model.classes)
    routed = strict.route(pd.concat([ambiguous, clear], ignore_index=True))
    assert routed["routed_queue"].iloc[0] == HUMAN_TRIAGE and not routed["auto_routed"].iloc[0]
    assert model.route(ambiguous)["confidence"].iloc[0] < model.route(clear)["confidence"].iloc[0]


def test_score_ticket_serves_one_ticket(trained):
    model, _ = trained
    result = model.score_ticket("Refund request", "I was charged twice this month, please refund")
    assert result["predicted_queue"] == "billing"
    assert 0 < result["confidence"] <= 1
    assert result["routed_queue"] in {"billing", HUMAN_TRIAGE}


def test_routing_metrics_by_hand():
    metrics = routing_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"], [0.9, 0.4, 0.8, 0.6], threshold=0.5)
    assert metrics["accuracy"] == 0.75
    assert metrics["per_queue_recall"] == {"a": 0.5, "b": 1.0}
    assert metrics["auto_routed_share"] == 0.75 and metrics["auto_routed_accuracy"] == 1.0
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def test_choose_threshold_reaches_target_accuracy():
    y = np.array(["a"] * 10)
    predicted = np.array(["a"] * 8 + ["b"] * 2)
    confidence = np.array([0.9] * 8 + [0.35, 0.45])
    assert choose_threshold(y, predicted, confidence, target_auto_accuracy=0.95) == pytest.approx(0.5)
    assert choose_threshold(y, predicted, confidence, target_auto_accuracy=0.8) == pytest.approx(0.3)


def test_degraded_router_fails_the_gate(tickets):
    shuffled = tickets.assign(queue=tickets["queue"].sample(frac=1, random_state=0).to_numpy())
    _, metrics = train(shuffled)
    gate = routing_gate(metrics)
    assert not gate.passed and "accuracy" in gate.reasons[0]
