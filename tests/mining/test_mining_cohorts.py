"""Cohort retention and funnels find planted drops."""

import numpy as np
import pandas as pd
import pytest

from ml.mining import ALGORITHMS, MiningInputError

STEPS = ["session_start", "page_view", "add_to_cart", "checkout"]


def retention_data(seed: int):
    """Six monthly cohorts of 400; active in month p with 0.5·0.85^(p−1); the March cohort's
    month-1 retention is planted at 0.2 (a broken onboarding flow)."""
    rng = np.random.default_rng(seed)
    rows = []
    cid = 0
    for m in range(1, 7):
        month = pd.Timestamp(2025, m, 1)
        for _ in range(400):
            cid += 1
            signup = month + pd.Timedelta(days=int(rng.integers(0, 28)), hours=int(rng.integers(0, 24)))
            rows.append((cid, signup, signup))  # sign-up day counts as activity in period 0
            for p in range(1, 12):
                rate = 0.2 if (m == 3 and p == 1) else 0.5 * 0.85 ** (p - 1)
                if rng.random() < rate:
                    day = month + pd.DateOffset(months=p) + pd.Timedelta(days=int(rng.integers(0, 28)))
                    rows.append((cid, signup, day))
            if rng.random() < 0.1:
                rows.append((cid, signup, pd.NaT))  # left join with no activity: still in the cohort
    return pd.DataFrame(rows, columns=["customer_id", "signed_up_at", "activity_date"])


def test_cohort_retention_finds_the_planted_drop_and_skips_unobserved_periods():
    df = retention_data(3)
    as_of = "2025-10-01"
    result = ALGORITHMS["cohort_retention"](
        df, {"customer_id": "customer_id", "signup_date": "signed_up_at", "activity_date": "activity_date"}, {"as_of": as_of}
    )
    grid = result["retention"]
    assert (grid["cohort_size"] == 400).all()
    assert (grid.query("period_number == 0")["retention_rate"] == 1.0).all()
    month1 = grid.query("period_number == 1").set_index("cohort")["retention_rate"]
    print("month-1 retention by cohort:", month1.round(3).to_dict())
    assert month1.idxmin() == pd.Timestamp("2025-03-01")
    assert month1[pd.Timestamp("2025-03-01")] == pytest.approx(0.2, abs=0.05)
    assert month1.drop(pd.Timestamp("2025-03-01")).between(0.43, 0.57).all()
    # The June cohort is observed through September only: periods 0..3, nothing later.
    assert grid.loc[grid["cohort"] == pd.Timestamp("2025-06-01"), "period_number"].max() == 3
    later = grid.query("period_number == 4")["retention_rate"]
    assert later.to_numpy() == pytest.approx(0.5 * 0.85**3, abs=0.07)
    curve = result["curve"].set_index("period_number")
    assert curve.loc[2, "cohorts"] == 6 and curve.loc[6, "cohorts"] == 3


def funnel_events(seed: int) -> pd.DataFrame:
    """Users walk session_start → page_view → add_to_cart → checkout; iOS checkout is planted at 20%."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(4000):
        device = rng.choice(["ios", "android", "web"])
        t0 = pd.Timestamp("2025-03-01") + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 20)))
        rows.append((f"anon-{u}", "session_start", t0, device))
        rates = {"page_view": 0.9, "add_to_cart": 0.5, "checkout": 0.2 if device == "ios" else 0.7}
        t = t0
        for step in STEPS[1:]:
            if rng.random() >= rates[step]:
                break
            t = t + pd.Timedelta(minutes=int(rng.integers(1, 30)))
            rows.append((f"anon-{u}", step, t, device))
        if rng.random() < 0.1:  # an older checkout before the session must not count
            rows.append((f"anon-{u}", "checkout", t0 - pd.Timedelta(hours=1), device))
    return pd.DataFrame(rows, columns=["anonymous_id", "event_name", "occurred_at", "device"])


def test_funnel_finds_the_planted_checkout_drop_on_ios():
    df = funnel_events(5)
    cols = {"user_id": "anonymous_id", "step": "event_name", "timestamp": "occurred_at", "segment": "device"}
    steps = ALGORITHMS["funnel"](df, cols, {"steps": STEPS})["steps"]
    ios = steps[steps["segment"] == "ios"].set_index("step")
    print(steps[["segment", "step", "users", "conversion_from_previous", "is_biggest_drop"]].to_string())
    assert ios.loc["checkout", "is_biggest_drop"]
    assert ios.loc["checkout", "conversion_from_previous"] == pytest.approx(0.2, abs=0.04)
    for device in ["android", "web"]:
        seg = steps[steps["segment"] == device].set_index("step")
        assert not seg.loc["checkout", "is_biggest_drop"]
        assert seg.loc["checkout", "conversion_from_previous"] == pytest.approx(0.7, abs=0.05)
    overall = steps[steps["segment"] == "all"]
    assert overall["users"].is_monotonic_decreasing
    assert overall["users"].iloc[0] == 4000
    assert (overall["users"].to_numpy() == steps[steps["segment"] != "all"].groupby("step_number")["users"].sum().to_numpy()).all()


def test_funnel_window_and_bad_steps():
    df = funnel_events(6)
    cols = {"user_id": "anonymous_id", "step": "event_name", "timestamp": "occurred_at"}
    unlimited = ALGORITHMS["funnel"](df, cols, {"steps": STEPS})["steps"]
    tight = ALGORITHMS["funnel"](df, cols, {"steps": STEPS, "window_hours": 0.5})["steps"]
    assert tight["users"].iloc[-1] < unlimited["users"].iloc[-1]
    with pytest.raises(MiningInputError, match="none of the steps"):
        ALGORITHMS["funnel"](df, cols, {"steps": ["signup", "purchase"]})
    with pytest.raises(MiningInputError, match="parameter 'steps' is required"):
        ALGORITHMS["funnel"](df, cols, {})
