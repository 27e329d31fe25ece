"""Churn: label parsing, feature typing, snapshot features by hand, time-split training."""

import numpy as np
import pandas as pd
import pytest

from ml.churn import build_snapshots, train
from ml.churn.tabular import LabelError, coerce_features, infer_feature_spec, parse_binary_label


@pytest.mark.parametrize(("values", "positive", "expected"), [
    (["yes", "no", "no"], "yes", [1, 0, 0]),
    (["No", "Yes", "No"], "Yes", [0, 1, 0]),
    ([0, 1, 1], "1", [0, 1, 1]),
    ([True, False, False], "True", [1, 0, 0]),
    (["active", "churned", "active"], "churned", [0, 1, 0]),
    (["stay", "stay", "go"], "go", [0, 0, 1]),  # unknown words: the rarer value is the event
])
def test_parse_binary_label(values, positive, expected):
    labels, positive_label = parse_binary_label(pd.Series(values))
    assert labels.tolist() == expected and positive_label == positive


@pytest.mark.parametrize("values", [["no", "no"], ["a", "b", "c"]])
def test_parse_binary_label_rejects_non_binary(values):
    with pytest.raises(LabelError):
        parse_binary_label(pd.Series(values))


def test_infer_feature_spec_types_and_drops():
    n = 60
    df = pd.DataFrame({
        "customer_code": [f"C{i:04d}" for i in range(n)],  # unique strings: an identifier
        "plan": ["basic", "pro", "enterprise"] * 20,
        "minutes": [str(float(i)) for i in range(n)],  # numbers stored as text
        "flag": [True, False] * 30,
        "constant": 1,
        "signed_up": pd.date_range("2025-01-01", periods=n),
        "empty": np.nan,
    })
    spec = infer_feature_spec(df)
    assert spec.categorical == ["plan"]
    assert spec.numeric == ["minutes", "flag"]
    assert set(spec.dropped) == {"customer_code", "constant", "signed_up", "empty"}
    coerced = coerce_features(df.assign(plan=df["plan"].where(df.index > 0)), spec)
    assert coerced["plan"].iloc[0] == "__missing__" and coerced["minutes"].dtype == float


@pytest.fixture
def tiny_events():
    customers = pd.DataFrame({
        "customer_id": [1, 2, 3, 4],
        "signed_up_at": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-03-05", "2024-12-01"]),
        "acquisition_channel": ["search", "social", "search", "organic"],
        "plan_code": ["pro_annual", "basic_monthly", "basic_monthly", "basic_monthly"],
        "billing_mode": ["annual", "monthly", "monthly", "monthly"],
        "subscription_status": ["active", "cancelled", "active", "cancelled"],
        "churned_at": pd.to_datetime([None, "2025-03-10", None, "2025-02-20"]),
    })
    activity = pd.DataFrame({
        "customer_id": [1, 1, 1, 2],
        "activity_date": pd.to_datetime(["2025-01-15", "2025-02-27", "2025-03-01", "2025-02-10"]),
        "events": [3, 5, 9, 4], "sessions": [2, 1, 3, 1], "orders": [0, 1, 0, 0], "revenue": [0, 99.5, 0, 0],
    })
    payments = pd.DataFrame({
        "customer_id": [2, 2, 1],
        "attempted_at": pd.to_datetime(["2025-02-15 10:00", "2025-02-16 10:00", "2024-11-01 08:00"]),
        "payment_status": ["failed", "succeeded", "failed"],
    })
    tickets = pd.DataFrame({"customer_id": [2], "opened_at": pd.to_datetime(["2025-02-20 09:00"]),
                            "csat_score": [1.0], "sla_breached": [True]})
    touches = pd.DataFrame({"customer_id": [1, 1], "touched_at": pd.to_datetime(["2025-02-25", "2025-02-26"]),
                            "touch_type": ["send", "open"]})
    subscriptions = pd.DataFrame({
        "customer_id": [1, 1, 2], "plan_code": ["basic_monthly", "pro_annual", "basic_monthly"],
        "billing_mode": ["monthly", "annual", "monthly"],
        "started_at": pd.to_datetime(["2025-01-01", "2025-03-05", "2025-01-01"]),
        "cancelled_at": pd.to_datetime(["2025-03-05", None, "2025-03-10"]),
    })
    return dict(customers=customers, activity=activity, payments=payments, tickets=tickets, touches=touches,
                subscriptions=subscriptions)


def test_snapshot_features_by_hand(tiny_events):
    snap = build_snapshots(["2025-03-01"], observed_until="2025-04-15", **tiny_events).set_index("customer_id")
    # Customer 3 signs up after the cut-off, customer 4 churned before it.
    assert sorted(snap.index) == [1, 2]
    one, two = snap.loc[1], snap.loc[2]
    assert one["tenure_days"] == 59
    assert one["days_since_last_activity"] == 2  # the cut-off day itself is not seen
    assert (one["active_days_30"], one["active_days_90"], one["events_30"], one["events_90"]) == (1, 2, 5, 8)
    assert one["revenue_30"] == pytest.approx(99.5)
    assert one["events_trend"] == pytest.approx((5 - 3) / (5 + 3 + 1))
    assert one["payment_failures_90"] == 0  # November is outside the 90-day window
    assert (one["touch_sends_30"], one["touch_opens_30"], one["touch_open_rate_90"]) == (1, 1, 1.0)
    assert np.isnan(one["csat_mean_90"])  # never rated: missing, not average
    assert (two["payment_failures_30"], two["payment_attempts_90"], two["payment_failure_rate_90"]) == (1, 2, 0.5)
    assert (two["tickets_30"], two["low_csat_90"], two["sla_breaches_90"], two["csat_mean_90"]) == (1, 1, 1, 1.0)
    # Plan as of the cut-off from the subscriptions, not the later upgrade in the customer table.
    assert one["plan_code"] == "basic_monthly" and one["billing_mode"] == "monthly"
    assert (one["churned_30d"], two["churned_30d"]) == (0.0, 1.0)
    assert "subscription_status" not in snap.columns  # the current state would leak the label


def test_mart_column_names_are_accepted(tiny_events):
    marts = dict(tiny_events)
    marts["customers"] = tiny_events["customers"].rename(columns={"plan_code": "current_plan_tier",
                                                                  "billing_mode": "current_billing_mode"})
    marts["activity"] = tiny_events["activity"].rename(columns={"revenue": "revenue_amount"})
    marts["tickets"] = tiny_events["tickets"].rename(columns={"sla_breached": "is_sla_breached"})
    del marts["subscriptions"]
    snap = build_snapshots(["2025-03-01"], observed_until="2025-04-15", **marts).set_index("customer_id")
    assert snap.loc[1, "revenue_30"] == pytest.approx(99.5) and snap.loc[2, "sla_breaches_90"] == 1
    assert snap.loc[1, "plan_code"] == "pro_annual"  # without subscriptions: the current plan


def test_incomplete_label_window_is_missing(tiny_events):
    # Default data end = day after the last activity (2025-03-02): the 30-day window is unobserved.
    snap = build_snapshots(["2025-03-01"], **tiny_events)
    assert snap["churned_30d"].isna().all()


def test_snapshot_input_validation(tiny_events):
    with pytest.raises(ValueError, match="churned_at"):
        build_snapshots(["2025-03-01"], tiny_events["customers"].drop(columns="churned_at"), tiny_events["activity"])


@pytest.fixture(scope="module")
def trained(churn_events):
    cutoffs = pd.date_range("2025-06-01", "2025-12-01", freq="MS")
    snapshots = build_snapshots(cutoffs, churn_events["customers"], churn_events["activity"],
                                churn_events["payments"], churn_events["tickets"], churn_events["touches"])
    model, metrics, scores = train(snapshots)
    return snapshots, model, metrics, scores


def test_time_split_training_on_event_snapshots(trained):
    snapshots, model, metrics, scores = trained
    assert metrics["split"].startswith("time split")
    assert "test 2025-12-01" in metrics["split"] and "calibrate 2025-11-01" in metrics["split"]
    assert metrics["n_test"] == int((snapshots["cutoff_date"] == "2025-12-01").sum())
    assert set(metrics["models"]) == {"hist_gradient_boosting", "logistic_regression"}
    for key in ("roc_auc", "pr_auc", "accuracy", "precision_top_decile", "recall_top_decile"):
        assert 0.0 <= metrics[key] <= 1.0
    # The synthetic mechanism is learnable from the documented features.
    assert metrics["roc_auc"] > 0.8
    assert metrics["lift_top_decile"] > 3
    assert {"plan_code", "billing_mode", "acquisition_channel"} <= set(metrics["features"]["categorical"])
    assert len(scores) == metrics["n_test"] and scores["label"].isin([0, 1]).all()
    assert metrics["global_importance"][0]["importance"] > 0


def test_scoring_every_live_customer_with_drivers(trained):
    snapshots, model, _, _ = trained
    latest = snapshots[snapshots["cutoff_date"] == snapshots["cutoff_date"].max()].drop(columns="churned_30d")
    scored = model.score(latest)
    assert len(scored) == len(latest) and scored["customer_id"].is_unique
    assert scored["churn_probability"].between(0, 1).all()
    assert sorted(scored["risk_decile"].unique()) == list(range(1, 11))
    riskiest = scored.nsmallest(20, "risk_decile")
    assert (riskiest["top_drivers"] != "").all()
    assert riskiest["driver_1"].isin(model.spec.columns).all()


def test_customer_equal_to_baseline_has_no_drivers(trained):
    _, model, _, _ = trained
    typical = pd.DataFrame([model.feature_baselines])
    explained = model.explain(typical)
    assert explained["top_drivers"].iloc[0] == ""  # nothing differs from the reference customer
