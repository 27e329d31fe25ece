"""Isolation-forest anomaly detection on daily KPIs.

Inputs: `date` (one row per day) and `kpis` (numeric KPI columns, e.g. orders, revenue, sign-ups).
Parameters: contamination (expected share of anomalous days), n_estimators, random_state,
detrend (score deviations from the expected value instead of raw levels), baseline_window.
Outputs:
- `days`: date, the KPIs, anomaly_score (higher = more unusual), is_anomaly, top_kpi (the KPI that
  deviates most that day), top_kpi_z, direction ('above' / 'below' expected)
- `deviations`: long form date, kpi, value, expected, robust_z for charts.

Why detrend: raw KPI levels grow with the business and swing by weekday, so an isolation forest on
levels flags "the busiest Mondays" rather than broken days. With detrend on (default), each KPI's
expected value is its centred rolling median plus its weekday effect; the forest sees the robust
z-scores of the deviations, so a day is anomalous when its KPIs are unusual *for that day*.
With several KPIs the deviations are decorrelated (robust MCD covariance) before the forest, so a
day whose KPIs break their usual relationship (orders normal, revenue down) stands out.
Non-negative KPIs are modelled on log(1 + value) (transform='auto'): a business growing 50% has
weekend peaks 50% higher too, so deviations are compared in relative terms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.covariance import MinCovDet
from sklearn.ensemble import IsolationForest

from ml.mining.spec import Algorithm, MiningInputError, Output, Param, Role, datetime_column, numeric_column


def _robust_scale(x: np.ndarray) -> float:
    mad = np.nanmedian(np.abs(x - np.nanmedian(x))) * 1.4826
    if not np.isfinite(mad) or mad == 0:
        sd = np.nanstd(x)
        return sd if sd > 0 else 1.0
    return mad


def expected_values(values: pd.Series, dates: pd.Series, window: int) -> pd.Series:
    """Centred rolling median + median weekday offset: the value a normal day would have."""
    level = values.rolling(window, center=True, min_periods=1).median()
    resid = values - level
    weekday = dates.dt.weekday
    weekday_effect = resid.groupby(weekday).transform("median")
    return level + weekday_effect


def whiten(z: np.ndarray, seed: int) -> np.ndarray:
    """Decorrelate the KPI deviations with a robust (MCD) covariance.

    KPIs move together (revenue ≈ orders × basket value); an isolation forest splits one axis at a
    time, so a day where revenue drops while orders stay normal hides among ordinary days with
    both a bit low. In whitened coordinates that broken relationship is an extreme value on
    one axis, which the forest isolates first."""
    try:
        mcd = MinCovDet(random_state=seed).fit(z)
        vals, vecs = np.linalg.eigh(mcd.covariance_)
    except (ValueError, np.linalg.LinAlgError):
        return z
    if not np.all(np.isfinite(vals)) or vals.min() <= 1e-9 * max(vals.max(), 1e-12):
        return z  # a constant or perfectly collinear KPI: keep the plain z-scores
    return (z - mcd.location_) @ vecs / np.sqrt(vals)


def run(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    date_col, kpis = columns["date"], columns["kpis"]
    dates = datetime_column(df, date_col).dt.normalize()
    if dates.isna().any():
        raise MiningInputError(f"column '{date_col}' has {int(dates.isna().sum())} empty date(s)")
    if dates.duplicated().any():
        raise MiningInputError(f"column '{date_col}' must hold one row per day; {dates[dates.duplicated()].iloc[0].date()} repeats")
    frame = pd.DataFrame({k: numeric_column(df, k).to_numpy() for k in kpis})
    frame.insert(0, date_col, dates.to_numpy())
    frame = frame.sort_values(date_col).reset_index(drop=True)
    if len(frame) < 14:
        raise MiningInputError(f"need at least 14 days of KPIs, got {len(frame)}")
    values = frame[kpis].interpolate(limit_direction="both")  # a missing KPI value must not crash the forest
    transformed = values.copy()
    for k in kpis:
        if params["transform"] == "log" or (params["transform"] == "auto" and (values[k] >= 0).all()):
            transformed[k] = np.log1p(values[k].clip(lower=0))
    z = pd.DataFrame(index=frame.index)
    expected = pd.DataFrame(index=frame.index)
    for k in kpis:
        if params["detrend"]:
            base = expected_values(transformed[k], frame[date_col], params["baseline_window"])
        else:
            base = pd.Series(transformed[k].median(), index=frame.index)
        dev = (transformed[k] - base).to_numpy()
        z[k] = dev / _robust_scale(dev)
        logged = not transformed[k].equals(values[k])
        expected[k] = np.expm1(base) if logged else base
    features = whiten(z.to_numpy(), params["random_state"]) if params["decorrelate"] and len(kpis) > 1 else z.to_numpy()
    forest = IsolationForest(
        n_estimators=params["n_estimators"],
        contamination=params["contamination"],
        random_state=params["random_state"],
    ).fit(features)
    score = -forest.score_samples(features)
    flagged = forest.predict(features) == -1
    abs_z = z.abs().to_numpy()
    top = abs_z.argmax(axis=1)
    top_z = z.to_numpy()[np.arange(len(z)), top]
    days = frame.assign(
        anomaly_score=score,
        is_anomaly=flagged,
        top_kpi=np.asarray(kpis)[top],
        top_kpi_z=top_z,
        direction=np.where(top_z >= 0, "above", "below"),
    )
    days["anomaly_rank"] = days["anomaly_score"].rank(ascending=False, method="first").astype("int64")
    deviations = pd.DataFrame(
        {
            date_col: np.repeat(frame[date_col].to_numpy(), len(kpis)),
            "kpi": np.tile(kpis, len(frame)),
            "value": frame[kpis].to_numpy().reshape(-1),
            "expected": expected[kpis].to_numpy().reshape(-1),
            "robust_z": z[kpis].to_numpy().reshape(-1),
        }
    )
    return {"days": days, "deviations": deviations}


ALGORITHM = Algorithm(
    name="isolation_forest",
    summary="isolation-forest anomaly detection on daily KPIs (trend and weekday adjusted)",
    roles=(
        Role("date", "day of the KPI row (one row per day)"),
        Role("kpis", "numeric KPI columns", multiple=True),
    ),
    params=(
        Param("contamination", "float", "expected share of anomalous days", default=0.02, minimum=0.001, maximum=0.5),
        Param("n_estimators", "int", "trees in the forest", default=300, minimum=10),
        Param("random_state", "int", "seed", default=0),
        Param("detrend", "bool", "score deviations from trend + weekday pattern instead of raw levels", default=True),
        Param("baseline_window", "int", "days in the centred rolling median that defines the trend", default=15, minimum=3),
        Param("decorrelate", "bool", "whiten the KPI deviations with a robust covariance so broken KPI relationships stand out", default=True),
        Param("transform", "str", "log: relative deviations (growth and weekday effects are multiplicative); auto = log for non-negative KPIs", default="auto", choices=("auto", "log", "none")),
    ),
    outputs=(
        Output("days", "one row per day: KPIs, anomaly_score, is_anomaly, top_kpi, direction"),
        Output("deviations", "date × KPI: value, expected value, robust z-score"),
    ),
    func=run,
    doc=__doc__,
)
