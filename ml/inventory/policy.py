"""(s, Q) reorder policy per product x warehouse from a demand forecast and its uncertainty.

Formulas (daily demand mean ``mu`` and standard deviation ``sigma``, lead time ``L`` days):

* safety stock      ``SS  = z * sigma_LT`` with ``sigma_LT = sqrt(L * sigma^2 + mu^2 * sigma_L^2)``
  (= ``z * sigma * sqrt(L)`` when the lead time is fixed, i.e. ``lead_time_std_days`` = 0)
* reorder point     ``s   = mu * L + SS``
* economic order qty ``Q  = sqrt(2 * D * K / H)``, ``D = 365 * mu`` units/year, ``K`` cost per order,
  ``H`` holding cost per unit per year
* recommended order: when the inventory position ``IP = on_hand + on_order - backorders`` is at
  or below ``s``, the smallest multiple of ``Q`` that lifts ``IP`` above ``s``; otherwise 0.

``z`` is the standard-normal quantile of the cycle service level (probability of no stock-out
during a replenishment lead time). Daily forecast errors are assumed independent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

DAYS_PER_YEAR = 365

POLICY_INPUT_COLUMNS = {
    "mean_daily_demand": "forecast mean demand per day (units)",
    "sigma_daily": "standard deviation of daily demand / forecast error (units)",
    "lead_time_days": "replenishment lead time (days)",
    "ordering_cost": "fixed cost per purchase order (currency)",
    "holding_cost_per_unit_year": "cost of holding one unit for a year (currency); or give unit_cost + holding_rate",
    "on_hand": "units in stock now",
}
OPTIONAL_INPUT_COLUMNS = {
    "on_order": "units ordered but not yet received (default 0)",
    "backorders": "units owed to customers (default 0)",
    "lead_time_std_days": "standard deviation of the lead time in days (default 0)",
    "service_level": "per-row cycle service level overriding the function argument",
    "unit_cost": "purchase cost per unit (with holding_rate, instead of holding_cost_per_unit_year)",
    "holding_rate": "yearly holding cost as a fraction of unit_cost, e.g. 0.25",
}


def sigma_from_interval(lower, upper, level: float = 80.0):
    """Normal-approximation standard deviation from a central ``level`` % prediction interval."""
    z = norm.ppf(0.5 + level / 200.0)
    return (np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)) / (2 * z)


def demand_stats_from_forecast(forecast: pd.DataFrame, key_cols=("series_id",)) -> pd.DataFrame:
    """Per key: mean daily demand and daily sigma from a forecast frame.

    ``forecast`` needs ``yhat``, ``yhat_lower``, ``yhat_upper`` and optionally ``interval_level``
    (default 80) – the output of :func:`ml.forecasting.run_backtest_and_forecast`. Daily sigma is
    the root-mean-square of the per-day sigmas implied by the intervals.
    """
    level = forecast["interval_level"].to_numpy(float) if "interval_level" in forecast else 80.0
    frame = forecast.assign(_sigma=sigma_from_interval(forecast["yhat_lower"], forecast["yhat_upper"], level))
    grouped = frame.groupby(list(key_cols), sort=True)
    return pd.DataFrame({
        "mean_daily_demand": grouped["yhat"].mean().clip(lower=0),
        "sigma_daily": grouped["_sigma"].apply(lambda s: float(np.sqrt(np.mean(np.square(s))))),
        "forecast_days": grouped.size(),
    }).reset_index()


def safety_stock(sigma_daily, lead_time_days, service_level: float, mean_daily_demand=0.0, lead_time_std_days=0.0):
    z = norm.ppf(service_level)
    sigma_lt = np.sqrt(np.asarray(lead_time_days, float) * np.square(sigma_daily)
                       + np.square(mean_daily_demand) * np.square(lead_time_std_days))
    return z * sigma_lt


def economic_order_quantity(annual_demand, ordering_cost, holding_cost_per_unit_year):
    annual_demand = np.asarray(annual_demand, float)
    holding = np.asarray(holding_cost_per_unit_year, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        eoq = np.sqrt(2 * annual_demand * np.asarray(ordering_cost, float) / holding)
    return np.where((annual_demand > 0) & (holding > 0), eoq, 0.0)


def recommended_order(inventory_position, reorder_point, order_qty):
    """Smallest multiple of ``order_qty`` lifting the inventory position above the reorder point."""
    ip = np.asarray(inventory_position, float)
    s = np.asarray(reorder_point, float)
    q = np.asarray(order_qty, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        multiples = np.floor((s - ip) / q) + 1
    return np.where((ip <= s) & (q > 0), multiples * q, 0.0)


def compute_policy(items: pd.DataFrame, service_level: float = 0.95) -> pd.DataFrame:
    """Add safety stock, reorder point, EOQ and the recommended order to each row of ``items``.

    Required columns: see ``POLICY_INPUT_COLUMNS``; optional: ``OPTIONAL_INPUT_COLUMNS``. Any other
    columns (e.g. product_id, warehouse_id) are passed through. Quantities are rounded up to
    whole units.
    """
    frame = items.copy()
    if "holding_cost_per_unit_year" not in frame and {"unit_cost", "holding_rate"} <= set(frame):
        frame["holding_cost_per_unit_year"] = frame["unit_cost"].astype(float) * frame["holding_rate"].astype(float)
    missing = [c for c in POLICY_INPUT_COLUMNS if c not in frame]
    if missing:
        raise ValueError(f"inventory policy input lacks columns {missing}")
    for column in ("on_order", "backorders", "lead_time_std_days"):
        frame[column] = frame[column].fillna(0.0) if column in frame else 0.0
    levels = frame["service_level"].astype(float) if "service_level" in frame else pd.Series(service_level, frame.index)
    if ((levels <= 0) | (levels >= 1)).any():
        raise ValueError("service_level must be strictly between 0 and 1")
    mu = frame["mean_daily_demand"].astype(float).clip(lower=0)
    sigma = frame["sigma_daily"].astype(float).clip(lower=0)
    lead = frame["lead_time_days"].astype(float)
    frame["z"] = norm.ppf(levels)
    frame["safety_stock"] = np.ceil(safety_stock(sigma, lead, levels, mu, frame["lead_time_std_days"].astype(float)))
    frame["reorder_point"] = np.ceil(mu * lead + frame["safety_stock"])
    frame["eoq"] = np.ceil(economic_order_quantity(
        mu * DAYS_PER_YEAR, frame["ordering_cost"], frame["holding_cost_per_unit_year"]))
    frame["inventory_position"] = (frame["on_hand"].astype(float) + frame["on_order"].astype(float)
                                   - frame["backorders"].astype(float))
    frame["recommended_order_qty"] = recommended_order(frame["inventory_position"], frame["reorder_point"],
                                                       frame["eoq"])
    frame["needs_order"] = frame["recommended_order_qty"] > 0
    return frame
