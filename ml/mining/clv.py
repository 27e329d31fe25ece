"""Customer lifetime value: BG/NBD purchase model + Gamma-Gamma spend model, fitted by maximum likelihood.

Inputs: `customer_id`, `order_date`, `monetary` (order revenue), one row per order.
Parameters: time_unit ('days' | 'weeks'), as_of (end of the observation window; default the day
after the last order), horizon (prediction window for expected purchases, in time units),
clv_months and monthly_discount_rate (CLV = discounted expected spend over clv_months),
penalizer (L2 penalty on the parameters; 0 = plain maximum likelihood).
Outputs:
- `customers`: customer_id, repeat_purchases (x: purchase days after the first), first_to_last_purchase
  (t_x) and customer_age (T) in time units, monetary_value (mean repeat order value), p_alive,
  expected_purchases (over `horizon`), expected_order_value, clv
- `model`: model, parameter, value — r, alpha, a, b, p, q, v, log-likelihoods, customer counts and
  the frequency/monetary correlation (Gamma-Gamma assumes it is near 0).

Models
- BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a customer
  buys at Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with probability
  p ~ Beta(a, b). Per-customer likelihood with x repeat purchases, last at t_x, observed until T:
    L = B(a, b+x)/B(a, b) · Γ(r+x) αʳ / Γ(r) · [ (α+T)^−(r+x) + 1{x>0} · a/(b+x−1) · (α+t_x)^−(r+x) ]
- Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"): order values of a
  customer ~ Gamma(p, ν), ν ~ Gamma(q, γ); fitted on customers with x > 0 on their mean repeat
  value m_x:  log L = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m_x + px ln x − (px+q) ln(γ + x m_x)
  (γ is reported as `v`, as in the `lifetimes` package.)
Both are maximised with scipy.optimize over log-parameters (keeps them positive); identical
(x, t_x, T) rows are collapsed into weights so the fit cost depends on distinct histories only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from ml.mining.spec import Algorithm, MiningInputError, Output, Param, Role, datetime_column, numeric_column

DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0}
DAYS_PER_MONTH = 30.0


# --- customer summary -----------------------------------------------------------------------------


def purchase_summary(
    customer_ids: pd.Series, order_dates: pd.Series, values: pd.Series, as_of: pd.Timestamp | None, time_unit: str
) -> pd.DataFrame:
    """frequency / recency / T / monetary_value per customer, lifetimes-compatible.
    Orders on the same day count as one purchase occasion (their values are summed); the first
    occasion is the acquisition and is excluded from frequency and monetary_value."""
    frame = pd.DataFrame({"cid": customer_ids.to_numpy(), "day": order_dates.dt.normalize().to_numpy(), "value": values.to_numpy()})
    frame = frame[frame["day"].notna()]
    if as_of is None:
        as_of = frame["day"].max() + pd.Timedelta(days=1)
    frame = frame[frame["day"] < as_of]
    if frame.empty:
        raise MiningInputError(f"no order before as_of {as_of.date()}")
    per_day = frame.groupby(["cid", "day"], sort=True)["value"].sum().reset_index()
    first = per_day.groupby("cid")["day"].transform("min")
    per_day["is_repeat"] = per_day["day"] > first
    unit = DAYS_PER_UNIT[time_unit]
    g = per_day.groupby("cid", sort=True)
    out = pd.DataFrame(
        {
            "frequency": g["is_repeat"].sum().astype("int64"),
            "recency": (g["day"].max() - g["day"].min()).dt.days / unit,
            "T": (as_of - g["day"].min()).dt.days / unit,
        }
    )
    repeat = per_day[per_day["is_repeat"]].groupby("cid")["value"].mean()
    out["monetary_value"] = repeat.reindex(out.index).fillna(0.0)
    return out


# --- BG/NBD ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BGNBD:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def p_alive(self, x, t_x, T) -> np.ndarray:
        x, t_x, T = map(np.asarray, (x, t_x, T))
        log_ratio = np.log(self.a) - np.log(np.maximum(self.b + x - 1, 1e-12)) + (self.r + x) * (
            np.log(self.alpha + T) - np.log(self.alpha + t_x)
        )
        return np.where(x > 0, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)

    def expected_purchases(self, t, x, t_x, T) -> np.ndarray:
        """E[purchases in (T, T+t] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        t = np.asarray(t, dtype=float)
        ha, hb, hc = r + x, b + x, a + b + x - 1
        z = t / (alpha + T + t)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_hyp = np.log(special.hyp2f1(ha, hb, hc, z))
            # Euler's transformation when the direct series overflows.
            alt = np.log(special.hyp2f1(hc - ha, hc - hb, hc, z)) + (hc - ha - hb) * np.log1p(-z)
        log_hyp = np.where(np.isfinite(log_hyp), log_hyp, alt)
        numerator = (a + b + x - 1) / (a - 1) * (1 - np.exp(log_hyp + (r + x) * np.log((alpha + T) / (alpha + t + T))))
        log_ratio = np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        denominator = 1 + np.where(x > 0, np.exp(log_ratio), 0.0)
        return numerator / denominator


def bgnbd_log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray) -> float:
    r, alpha, a, b = params
    ln_beta_ratio = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x)
    tail = np.where(x > 0, np.logaddexp(a3, a4), a3)
    return float(np.sum(w * (ln_beta_ratio + a1 + tail)))


def _collapse(*cols: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the given columns and how often each occurs (likelihood weights)."""
    frame = pd.DataFrame({f"c{i}": c for i, c in enumerate(cols)})
    counts = frame.groupby(list(frame.columns), sort=False).size()
    keys = counts.index.to_frame(index=False)
    return [keys[f"c{i}"].to_numpy(dtype=float) for i in range(len(cols))], counts.to_numpy(dtype=float)


def _maximise(neg_ll, start: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimise over log-parameters: L-BFGS-B for speed, Nelder-Mead to polish the optimum."""
    first = optimize.minimize(neg_ll, start, method="L-BFGS-B")
    best = optimize.minimize(neg_ll, first.x, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000})
    chosen = best if best.fun <= first.fun else first
    if not np.isfinite(chosen.fun):
        raise MiningInputError("the likelihood could not be maximised (degenerate purchase data)")
    return np.exp(chosen.x), -float(chosen.fun)


def fit_bgnbd(frequency, recency, T, penalizer: float = 0.0) -> BGNBD:
    x, t_x, T_ = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    if len(x) < 10:
        raise MiningInputError(f"BG/NBD needs at least 10 customers, got {len(x)}")
    if np.any(t_x > T_ + 1e-9) or np.any(x < 0):
        raise MiningInputError("recency must lie in [0, T] and frequency must be >= 0")
    (x, t_x, T_), w = _collapse(x, t_x, T_)
    scale = max(float(np.average(T_, weights=w)), 1e-9)
    n = w.sum()

    # Time is rescaled so the optimiser starts near α whatever the unit: with t' = t/c the
    # likelihood only changes by the constant Σx·ln c and the optimum is α' = α/c.
    def neg_ll(log_params):
        p = np.exp(log_params)
        ll = bgnbd_log_likelihood(p, x, t_x / scale, T_ / scale, w)
        return -(ll / n) + penalizer * float(np.sum(p**2))

    est, _ = _maximise(neg_ll, np.zeros(4))
    r, alpha, a, b = est
    alpha = alpha * scale
    ll = bgnbd_log_likelihood(np.array([r, alpha, a, b]), x, t_x, T_, w)
    return BGNBD(r=float(r), alpha=float(alpha), a=float(a), b=float(b), log_likelihood=ll)


# --- Gamma-Gamma ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    v: float
    log_likelihood: float

    def expected_value(self, frequency, monetary_value) -> np.ndarray:
        """E[order value | x, m_x]; customers without repeat purchases get the population mean."""
        x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
        population = self.p * self.v / (self.q - 1) if self.q > 1 else np.nan
        weighted = self.p * (self.v + x * m) / (self.p * x + self.q - 1)
        return np.where(x > 0, weighted, population)


def gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> float:
    p, q, v = params
    px = p * x
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + v)
    )
    return float(np.sum(w * ll))


def fit_gamma_gamma(frequency, monetary_value, penalizer: float = 0.0) -> GammaGamma:
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    keep = (x > 0) & (m > 0)
    if keep.sum() < 10:
        raise MiningInputError(f"Gamma-Gamma needs at least 10 customers with repeat purchases, got {int(keep.sum())}")
    (x, m), w = _collapse(x[keep], m[keep])
    scale = float(np.average(m, weights=w))
    n = w.sum()

    # Money is rescaled to mean 1 for a well-conditioned start: with m' = m/c the likelihood
    # changes by a constant only and the optimum is v' = v/c.
    def neg_ll(log_params):
        p = np.exp(log_params)
        ll = gamma_gamma_log_likelihood(p, x, m / scale, w)
        return -(ll / n) + penalizer * float(np.sum(p**2))

    est, _ = _maximise(neg_ll, np.log(np.array([1.0, 2.0, 1.0])))
    p, q, v = est
    v = v * scale
    ll = gamma_gamma_log_likelihood(np.array([p, q, v]), x, m, w)
    return GammaGamma(p=float(p), q=float(q), v=float(v), log_likelihood=ll)


def lifetime_value(
    bg: BGNBD, gg: GammaGamma, summary: pd.DataFrame, months: int, monthly_discount: float, time_unit: str
) -> np.ndarray:
    """Σ over months of expected purchases in that month × expected order value, discounted monthly."""
    month = DAYS_PER_MONTH / DAYS_PER_UNIT[time_unit]
    x, t_x, T = summary["frequency"].to_numpy(), summary["recency"].to_numpy(), summary["T"].to_numpy()
    value = gg.expected_value(x, summary["monetary_value"].to_numpy())
    total = np.zeros(len(summary))
    previous = np.zeros(len(summary))
    for i in range(1, months + 1):
        cumulative = bg.expected_purchases(i * month, x, t_x, T)
        total += value * (cumulative - previous) / (1 + monthly_discount) ** i
        previous = cumulative
    return total


def run(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    cid = columns["customer_id"]
    dates = datetime_column(df, columns["order_date"])
    values = numeric_column(df, columns["monetary"]).fillna(0.0)
    as_of = pd.Timestamp(params["as_of"]) if params["as_of"] else None
    summary = purchase_summary(df[cid], dates, values, as_of, params["time_unit"])
    bg = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"], params["penalizer"])
    gg = fit_gamma_gamma(summary["frequency"], summary["monetary_value"], params["penalizer"])
    x, t_x, T = summary["frequency"].to_numpy(), summary["recency"].to_numpy(), summary["T"].to_numpy()
    # Model names (frequency, recency, T) are renamed for BI users: "recency" here is first→last
    # purchase, the opposite of RFM recency, and "T" means nothing outside the paper.
    out = summary.reset_index().rename(
        columns={"cid": cid, "frequency": "repeat_purchases", "recency": "first_to_last_purchase", "T": "customer_age"}
    )
    out["p_alive"] = bg.p_alive(x, t_x, T)
    out["expected_purchases"] = bg.expected_purchases(params["horizon"], x, t_x, T)
    out["expected_order_value"] = gg.expected_value(x, summary["monetary_value"].to_numpy())
    out["clv"] = lifetime_value(bg, gg, summary, params["clv_months"], params["monthly_discount_rate"], params["time_unit"])
    out["time_unit"] = params["time_unit"]
    repeaters = summary[summary["frequency"] > 0]
    corr = float(np.corrcoef(repeaters["frequency"], repeaters["monetary_value"])[0, 1]) if len(repeaters) > 2 else np.nan
    model = pd.DataFrame(
        [
            ("bg_nbd", "r", bg.r),
            ("bg_nbd", "alpha", bg.alpha),
            ("bg_nbd", "a", bg.a),
            ("bg_nbd", "b", bg.b),
            ("bg_nbd", "log_likelihood", bg.log_likelihood),
            ("bg_nbd", "customers", float(len(summary))),
            ("gamma_gamma", "p", gg.p),
            ("gamma_gamma", "q", gg.q),
            ("gamma_gamma", "v", gg.v),
            ("gamma_gamma", "log_likelihood", gg.log_likelihood),
            ("gamma_gamma", "customers", float(len(repeaters))),
            ("gamma_gamma", "frequency_monetary_correlation", corr),
        ],
        columns=["model", "parameter", "value"],
    )
    model["time_unit"] = params["time_unit"]
    return {"customers": out, "model": model}


ALGORITHM = Algorithm(
    name="clv_bgnbd",
    summary="customer lifetime value: BG/NBD purchases × Gamma-Gamma order value (maximum likelihood)",
    roles=(
        Role("customer_id", "customer key"),
        Role("order_date", "order timestamp, one row per order"),
        Role("monetary", "order revenue"),
    ),
    params=(
        Param("time_unit", "str", "unit of frequency/recency/T and horizon", default="weeks", choices=("days", "weeks")),
        Param("as_of", "date", "end of the observation window; default: day after the last order", nullable=True),
        Param("horizon", "float", "prediction window for expected_purchases, in time units", default=52.0, minimum=0.0),
        Param("clv_months", "int", "months of future spend counted in clv", default=12, minimum=1, maximum=120),
        Param("monthly_discount_rate", "float", "discount rate per month", default=0.01, minimum=0.0, maximum=1.0),
        Param("penalizer", "float", "L2 penalty on the parameters (0 = maximum likelihood)", default=0.0, minimum=0.0),
    ),
    outputs=(
        Output("customers", "per customer: repeat_purchases, first_to_last_purchase, customer_age, p_alive, expected_purchases, expected_order_value, clv"),
        Output("model", "fitted parameters and log-likelihoods"),
    ),
    func=run,
    doc=__doc__,
)
