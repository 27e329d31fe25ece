"""Cohort retention and ordered-funnel analysis.

cohort_retention
  Inputs: `customer_id`, `signup_date`, `activity_date` (one row per activity; null activity keeps a
  customer who never came back in the cohort size).
  Parameters: period ('month' | 'week'), max_periods, as_of (cells not fully observed by then are
  left out, so recent cohorts do not look artificially bad).
  Outputs:
  - `retention`: cohort, cohort_size, period_number, active_customers, retention_rate — every
    observable (cohort, period) cell, zeros included, ready for a heat map;
  - `curve`: period_number, cohorts, customers, active_customers, retention_rate — the
    size-weighted average retention curve over the cohorts observed that far.

funnel
  Inputs: `user_id`, `step` (event name), `timestamp`, optional `segment` (e.g. device; taken from
  the user's entry event).
  Parameters: steps (ordered list of step names, required), window_hours (max time from entering
  the funnel to each later step; null = unlimited).
  A user reaches step k when a step-k event happens at or after the moment they reached step k−1
  (the first such event counts), so the funnel is ordered and never increases.
  Outputs:
  - `steps`: segment ('all' + each segment), step_number, step, users, conversion_from_previous,
    conversion_from_start, dropped, drop_off_rate, median_hours_from_previous, is_biggest_drop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.mining.spec import REQUIRED, Algorithm, MiningInputError, Output, Param, Role, datetime_column

ALL_SEGMENTS = "all"


def _period_start(ts: pd.Series, period: str) -> pd.Series:
    if period == "month":
        return ts.dt.to_period("M").dt.start_time
    return ts.dt.to_period("W-SUN").dt.start_time  # ISO weeks starting Monday


def _period_index(start: pd.Series, cohort: pd.Series, period: str) -> pd.Series:
    if period == "month":
        return (start.dt.year - cohort.dt.year) * 12 + (start.dt.month - cohort.dt.month)
    return ((start - cohort).dt.days // 7).astype("Int64")


def run_retention(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    period = params["period"]
    cid = columns["customer_id"]
    signup = datetime_column(df, columns["signup_date"])
    activity = datetime_column(df, columns["activity_date"])
    frame = pd.DataFrame({"cid": df[cid].to_numpy(), "signup": signup.to_numpy(), "activity": activity.to_numpy()})
    frame = frame[frame["signup"].notna()]
    if frame.empty:
        raise MiningInputError(f"no customer has a '{columns['signup_date']}'")
    customers = frame.groupby("cid")["signup"].min().rename("signup").reset_index()
    customers["cohort"] = _period_start(customers["signup"], period)
    sizes = customers.groupby("cohort").size().rename("cohort_size")
    acts = frame[frame["activity"].notna()].merge(customers[["cid", "signup", "cohort"]], on="cid", suffixes=("_row", ""))
    acts = acts[acts["activity"] >= acts["signup"].dt.normalize()]  # activity before signup is a data error, ignored
    acts["period_number"] = _period_index(_period_start(acts["activity"], period), acts["cohort"], period).astype("int64")
    active = acts.groupby(["cohort", "period_number"])["cid"].nunique().rename("active_customers")
    as_of = pd.Timestamp(params["as_of"]) if params["as_of"] else frame[["signup", "activity"]].max().max() + pd.Timedelta(days=1)
    offset = pd.DateOffset(months=1) if period == "month" else pd.DateOffset(weeks=1)
    rows = []
    max_periods = params["max_periods"]
    for cohort, size in sizes.items():
        p, start = 0, cohort
        while start + offset <= as_of and (max_periods is None or p <= max_periods):  # period fully observed
            rows.append((cohort, int(size), p))
            p, start = p + 1, start + offset
    grid = pd.DataFrame(rows, columns=["cohort", "cohort_size", "period_number"])
    if grid.empty:
        raise MiningInputError(f"no cohort has a complete {period} before as_of {as_of.date()}")
    grid = grid.merge(active.reset_index(), on=["cohort", "period_number"], how="left")
    grid["active_customers"] = grid["active_customers"].fillna(0).astype("int64")
    grid["retention_rate"] = grid["active_customers"] / grid["cohort_size"]
    curve = grid.groupby("period_number").agg(
        cohorts=("cohort", "size"), customers=("cohort_size", "sum"), active_customers=("active_customers", "sum")
    )
    curve["retention_rate"] = curve["active_customers"] / curve["customers"]
    grid["period"] = period
    return {"retention": grid, "curve": curve.reset_index()}


RETENTION = Algorithm(
    name="cohort_retention",
    summary="signup cohorts × periods since signup: share of each cohort active per period",
    roles=(
        Role("customer_id", "customer key"),
        Role("signup_date", "signup timestamp of the customer"),
        Role("activity_date", "timestamp of an activity (order, session, ...); null = none"),
    ),
    params=(
        Param("period", "str", "cohort and period grain", default="month", choices=("month", "week")),
        Param("max_periods", "int", "periods after signup reported (null = all)", default=12, nullable=True, minimum=0),
        Param("as_of", "date", "only periods complete before this date; default: day after the latest date", nullable=True),
    ),
    outputs=(
        Output("retention", "cohort × period_number: cohort_size, active_customers, retention_rate"),
        Output("curve", "average retention per period_number, weighted by cohort size"),
    ),
    func=run_retention,
    doc=__doc__,
)


# --- funnel -------------------------------------------------------------------------------------


def run_funnel(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    steps = params["steps"]
    if len(steps) < 2 or len(set(steps)) != len(steps):
        raise MiningInputError(f"parameter 'steps' needs at least two distinct step names, got {steps!r}")
    user, step_col = columns["user_id"], columns["step"]
    ts = datetime_column(df, columns["timestamp"])
    events = pd.DataFrame({"user": df[user].to_numpy(), "step": df[step_col].astype("string").to_numpy(), "ts": ts.to_numpy()})
    if "segment" in columns:
        events["segment"] = df[columns["segment"]].astype("string").fillna("(missing)").to_numpy()
    events = events[events["user"].notna() & events["ts"].notna() & events["step"].isin(steps)]
    missing = [s for s in steps if not (events["step"] == s).any()]
    if len(missing) == len(steps):
        seen = df[step_col].dropna().astype(str).unique()[:10]
        raise MiningInputError(f"none of the steps {steps} occurs in column '{step_col}' (e.g. {list(seen)})")
    window = pd.Timedelta(hours=params["window_hours"]) if params["window_hours"] else None

    first = events[events["step"] == steps[0]].sort_values("ts").drop_duplicates("user")
    reached = first[["user", "ts"] + (["segment"] if "segment" in events else [])].rename(columns={"ts": "t_start"})
    reached["t_prev"] = reached["t_start"]
    per_step = [reached.assign(hours=np.nan)]
    for step in steps[1:]:
        candidates = events.loc[events["step"] == step, ["user", "ts"]].sort_values("ts")
        left = reached.sort_values("t_prev")
        # First event of this step at or after the moment the previous step was reached, per user.
        matched = pd.merge_asof(left, candidates, left_on="t_prev", right_on="ts", by="user", direction="forward")
        matched = matched[matched["ts"].notna()]
        if window is not None:
            matched = matched[matched["ts"] <= matched["t_start"] + window]
        matched["hours"] = (matched["ts"] - matched["t_prev"]).dt.total_seconds() / 3600.0
        reached = matched.drop(columns=["t_prev"]).rename(columns={"ts": "t_prev"})
        per_step.append(reached)

    def table(frames: list[pd.DataFrame], segment: str) -> pd.DataFrame:
        users = np.array([len(f) for f in frames], dtype="int64")
        prev = np.concatenate([[users[0]], users[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            conv_prev = np.where(prev > 0, users / prev, np.nan)
            conv_start = np.where(users[0] > 0, users / users[0], np.nan)
        out = pd.DataFrame(
            {
                "segment": segment,
                "step_number": np.arange(1, len(steps) + 1, dtype="int64"),
                "step": steps,
                "users": users,
                "conversion_from_previous": conv_prev,
                "conversion_from_start": conv_start,
                "dropped": prev - users,
                "drop_off_rate": 1 - conv_prev,
                "median_hours_from_previous": [float(h.median()) if len(h := f["hours"].dropna()) else np.nan for f in frames],
            }
        )
        out.loc[0, ["dropped", "drop_off_rate"]] = [0, 0.0]
        drops = out["drop_off_rate"].iloc[1:]
        out["is_biggest_drop"] = False
        if drops.notna().any():
            out.loc[drops.idxmax(), "is_biggest_drop"] = True
        return out

    tables = [table(per_step, ALL_SEGMENTS)]
    if "segment" in events:
        for seg in sorted(per_step[0]["segment"].unique()):
            tables.append(table([f[f["segment"] == seg] for f in per_step], str(seg)))
    return {"steps": pd.concat(tables, ignore_index=True)}


FUNNEL = Algorithm(
    name="funnel",
    summary="ordered funnel: users per step, conversion and drop-off, optionally per segment",
    roles=(
        Role("user_id", "user key (customer_id, anonymous_id, session_id ...)"),
        Role("step", "event/step name column"),
        Role("timestamp", "event time"),
        Role("segment", "segment of the user (e.g. device), taken at funnel entry", required=False),
    ),
    params=(
        Param("steps", "list[str]", "ordered step names, e.g. [session_start, add_to_cart, checkout]", default=REQUIRED),
        Param("window_hours", "float", "max hours from entering the funnel to each later step (null = unlimited)", nullable=True, minimum=0.0),
    ),
    outputs=(Output("steps", "segment × step: users, conversion, dropped, drop_off_rate, is_biggest_drop"),),
    func=run_funnel,
    doc=__doc__,
)
