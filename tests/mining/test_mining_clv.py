"""BG/NBD and Gamma-Gamma maximum-likelihood fits: published CDNOW estimates and parameter recovery.

The CDNOW summaries ship inside the `lifetimes` package; it is used here only as a data source,
every number is fitted by ml.mining.clv."""

import numpy as np
import pandas as pd
import pytest
from lifetimes import datasets  # test requirement (requirements/test.txt): data only, never fitted with

from ml.mining import ALGORITHMS
from ml.mining.clv import fit_bgnbd, fit_gamma_gamma, purchase_summary

# Fader, Hardie & Lee (2005) table / lifetimes docs; Fader & Hardie (2013) for Gamma-Gamma.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.45}


def test_bgnbd_matches_published_cdnow_estimates():
    d = datasets.load_cdnow_summary()
    model = fit_bgnbd(d["frequency"], d["recency"], d["T"])
    got = {k: getattr(model, k) for k in PUBLISHED_BGNBD}
    print("BG/NBD on CDNOW:", {k: round(v, 4) for k, v in got.items()}, "log-lik", round(model.log_likelihood, 2))
    for name, value in PUBLISHED_BGNBD.items():
        assert got[name] == pytest.approx(value, rel=0.02), name
    # Sanity of the predictions built on the fit (Fader-Hardie-Lee 2005: a customer with
    # x=2, t_x=30.43, T=38.86 is expected to buy ~1.23 times in the next 39 weeks).
    assert model.expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=0.01)
    p_alive = model.p_alive(d["frequency"], d["recency"], d["T"])
    assert np.all((p_alive > 0) & (p_alive <= 1)) and np.all(p_alive[d["frequency"] == 0] == 1)


def test_gamma_gamma_matches_published_cdnow_estimates():
    d = datasets.load_cdnow_summary_data_with_monetary_value()
    model = fit_gamma_gamma(d["frequency"], d["monetary_value"])
    got = {k: getattr(model, k) for k in PUBLISHED_GG}
    print("Gamma-Gamma on CDNOW:", {k: round(v, 4) for k, v in got.items()})
    for name, value in PUBLISHED_GG.items():
        assert got[name] == pytest.approx(value, rel=0.02), name


def simulate_orders(n: int, seed: int, r=0.6, alpha=8.0, a=0.8, b=2.5, p=4.0, q=3.0, gamma=60.0) -> pd.DataFrame:
    """Customers following BG/NBD purchasing (time in weeks) and Gamma-Gamma order values."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    observe_weeks = 78.0
    rows = []
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    nu = rng.gamma(q, 1 / gamma, n)
    birth = rng.uniform(0, 26, n)
    for c in range(n):
        t = birth[c]
        rows.append((c, t, rng.gamma(p, 1 / nu[c])))
        while True:
            t += rng.exponential(1 / lam[c])
            if t >= observe_weeks:
                break
            rows.append((c, t, rng.gamma(p, 1 / nu[c])))
            if rng.random() < drop[c]:
                break
    df = pd.DataFrame(rows, columns=["customer_id", "week", "amount"])
    df["ordered_at"] = start + pd.to_timedelta(df["week"] * 7, unit="D")
    return df.drop(columns="week"), start + pd.Timedelta(weeks=observe_weeks)


def test_clv_algorithm_recovers_simulated_parameters_from_orders():
    orders, as_of = simulate_orders(6000, seed=8)
    result = ALGORITHMS["clv_bgnbd"](
        orders, {"customer_id": "customer_id", "order_date": "ordered_at", "monetary": "amount"},
        {"as_of": as_of.date().isoformat(), "time_unit": "weeks"},
    )
    params = result["model"].set_index("parameter")["value"]
    print("recovered:", params.round(3).to_dict())
    # Day-level dates cost a little precision; 6,000 customers pin the parameters within ~20%.
    for name, truth in {"r": 0.6, "alpha": 8.0, "a": 0.8, "b": 2.5, "p": 4.0, "q": 3.0, "v": 60.0}.items():
        assert params[name] == pytest.approx(truth, rel=0.25), name
    customers = result["customers"]
    assert len(customers) == orders["customer_id"].nunique()
    assert (customers["clv"] >= 0).all() and customers["clv"].notna().all()
    # Customers who bought more, more recently, are worth more.
    top = customers.nlargest(500, "clv")
    assert top["repeat_purchases"].mean() > 3 * customers["repeat_purchases"].mean()


def test_purchase_summary_counts_repeat_days_and_excludes_the_first_purchase():
    orders = pd.DataFrame(
        {
            "cid": [1, 1, 1, 1, 2],
            "at": pd.to_datetime(["2025-01-01 09:00", "2025-01-01 18:00", "2025-01-15 10:00", "2025-01-29 23:59", "2025-01-08 08:00"]),
            "value": [10.0, 5.0, 20.0, 40.0, 7.0],
        }
    )
    s = purchase_summary(orders["cid"], orders["at"], orders["value"], pd.Timestamp("2025-02-05"), "weeks")
    # Customer 1: first day (two orders) is the acquisition; repeats on days 14 and 28.
    assert s.loc[1].to_dict() == {"frequency": 2, "recency": 4.0, "T": 5.0, "monetary_value": 30.0}
    assert s.loc[2].to_dict() == {"frequency": 0, "recency": 0.0, "T": 4.0, "monetary_value": 0.0}
