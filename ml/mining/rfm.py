"""RFM segmentation: recency, frequency and monetary scores (1–5) and a named segment per customer.

Inputs (either shape):
- order level: `customer_id`, `order_date`, `monetary` (order revenue) — one row per order;
- customer level: `customer_id`, `last_order_date`, `order_count`, `monetary` (total revenue).
Parameters: `as_of` (reference date; default the day after the latest order), `bins` (score levels, 5).
Outputs:
- `customers`: customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_score, segment
- `summary`: one row per segment with customer count, share, mean R/F/M and revenue share.

Scores are quantile ranks (ties share the lowest score of the tie, so the many one-order customers
all get F = 1 instead of being split arbitrarily). The segment comes from R and the mean of F and M
("FM", rounded half up), following the widely used 5×5 R×FM grid:

    champions (R 5, FM 4–5), loyal (R 3–4, FM 4–5), potential loyalist (R 4–5, FM 2–3),
    new (R 5, FM 1), promising (R 4, FM 1), need attention (R 3, FM 3),
    about to sleep (R 3, FM 1–2), at risk (R 1–2, FM 3–4), can't lose (R 1–2, FM 5),
    hibernating (R 2, FM 1–2), lost (R 1, FM 1–2);
and a customer with exactly one order and R 5 (R 4) is new (promising) whatever its value.
With bins other than 5, scores are mapped proportionally onto this grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.mining.spec import Algorithm, MiningInputError, Output, Param, Role, datetime_column, numeric_column

SEGMENTS = (
    "champions",
    "loyal",
    "potential loyalist",
    "new",
    "promising",
    "need attention",
    "about to sleep",
    "at risk",
    "can't lose",
    "hibernating",
    "lost",
)


def segment_for(r: int, fm: int) -> str:
    """Named segment for recency score r and frequency-monetary score fm (both 1..5)."""
    if r == 5 and fm >= 4:
        return "champions"
    if r >= 3 and fm >= 4:
        return "loyal"
    if r >= 4 and fm >= 2:
        return "potential loyalist"
    if r == 5:
        return "new"
    if r == 4:
        return "promising"
    if r == 3 and fm == 3:
        return "need attention"
    if r == 3:
        return "about to sleep"
    if fm == 5:
        return "can't lose"
    if fm >= 3:
        return "at risk"
    return "hibernating" if r == 2 else "lost"


_SEGMENT_GRID = np.array([[segment_for(r, fm) for fm in range(1, 6)] for r in range(1, 6)], dtype=object)


def quantile_score(values: pd.Series, bins: int, higher_is_better: bool = True) -> np.ndarray:
    """1..bins by percentile rank. Tied values share the score of the lowest rank in the tie, so
    the (often many) one-order customers all get F = 1 instead of being spread arbitrarily."""
    ranks = values.rank(method="min", ascending=higher_is_better).to_numpy()
    return np.clip(np.ceil(ranks / len(values) * bins), 1, bins).astype("int64")


def _to_grid(score: np.ndarray, bins: int) -> np.ndarray:
    # The named grid is defined on 1..5; other bin counts are mapped onto it proportionally.
    if bins == 5:
        return score
    return np.clip(np.ceil(score / bins * 5), 1, 5).astype("int64")


def run(df: pd.DataFrame, columns: dict, params: dict) -> dict[str, pd.DataFrame]:
    cid = columns["customer_id"]
    monetary = numeric_column(df, columns["monetary"]).fillna(0.0)
    if "order_date" in columns:
        when = datetime_column(df, columns["order_date"])
        frame = pd.DataFrame({"cid": df[cid].to_numpy(), "when": when.to_numpy(), "m": monetary.to_numpy()})
        frame = frame[frame["when"].notna()]
        cust = frame.groupby("cid", sort=True).agg(last=("when", "max"), frequency=("when", "size"), monetary=("m", "sum"))
    else:
        when = datetime_column(df, columns["last_order_date"])
        freq = numeric_column(df, columns["order_count"])
        frame = pd.DataFrame({"cid": df[cid].to_numpy(), "last": when.to_numpy(), "frequency": freq.to_numpy(), "monetary": monetary.to_numpy()})
        if frame["cid"].duplicated().any():
            dup = frame.loc[frame["cid"].duplicated(), "cid"].iloc[0]
            raise MiningInputError(f"customer-level RFM input has customer '{dup}' more than once in column '{cid}'")
        cust = frame.set_index("cid").sort_index()
        cust = cust[cust["last"].notna() & (cust["frequency"] > 0)]
    if cust.empty:
        raise MiningInputError("no customer has a dated order")
    as_of = pd.Timestamp(params["as_of"]) if params["as_of"] else cust["last"].max().normalize() + pd.Timedelta(days=1)
    recency = (as_of - cust["last"]).dt.total_seconds() / 86400.0
    bins = params["bins"]
    r = quantile_score(recency, bins, higher_is_better=False)
    f = quantile_score(cust["frequency"], bins)
    m = quantile_score(cust["monetary"], bins)
    fm = np.rint((f + m) / 2 + 1e-9).astype("int64")  # round half up
    r5 = _to_grid(r, bins)
    segment = _SEGMENT_GRID[r5 - 1, _to_grid(fm, bins) - 1]
    # A recent customer with a single order is new (or promising) whatever that order was worth.
    single = cust["frequency"].to_numpy() == 1
    segment = np.where(single & (r5 == 5), "new", np.where(single & (r5 == 4), "promising", segment))
    out = pd.DataFrame(
        {
            cid: cust.index.to_numpy(),
            "last_order_at": cust["last"].to_numpy(),
            "recency_days": np.floor(recency.to_numpy()).astype("int64"),
            "frequency": cust["frequency"].to_numpy().astype("int64"),
            "monetary": cust["monetary"].round(2).to_numpy(),
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "rfm_score": [f"{a}{b}{c}" for a, b, c in zip(r, f, m)],
            "segment": segment.astype(str),
            "as_of": as_of,
        }
    )
    total_rev = out["monetary"].sum()
    summary = (
        out.groupby("segment")
        .agg(
            customers=(cid, "size"),
            mean_recency_days=("recency_days", "mean"),
            mean_frequency=("frequency", "mean"),
            mean_monetary=("monetary", "mean"),
            revenue=("monetary", "sum"),
        )
        .reset_index()
    )
    summary["customer_share"] = summary["customers"] / len(out)
    summary["revenue_share"] = summary["revenue"] / total_rev if total_rev else 0.0
    order = {s: i for i, s in enumerate(SEGMENTS)}
    summary = summary.sort_values("segment", key=lambda s: s.map(order)).reset_index(drop=True)
    return {"customers": out, "summary": summary}


def _role_check(columns: dict) -> list[str]:
    order_level = "order_date" in columns
    customer_level = "last_order_date" in columns or "order_count" in columns
    if order_level and customer_level:
        return ["give either order_date (one row per order) or last_order_date + order_count (one row per customer), not both"]
    if not order_level and not ("last_order_date" in columns and "order_count" in columns):
        return ["give order_date (one row per order) or both last_order_date and order_count (one row per customer)"]
    return []


ALGORITHM = Algorithm(
    name="rfm",
    summary="RFM scores and named customer segments (champions, loyal, at risk, hibernating, lost, ...)",
    roles=(
        Role("customer_id", "customer key"),
        Role("monetary", "order revenue (order level) or total revenue (customer level)"),
        Role("order_date", "order timestamp, one row per order", required=False),
        Role("last_order_date", "latest order timestamp, one row per customer", required=False),
        Role("order_count", "number of orders, one row per customer", required=False),
    ),
    params=(
        Param("as_of", "date", "reference date for recency; default: day after the latest order", nullable=True),
        Param("bins", "int", "score levels per dimension", default=5, minimum=2, maximum=10),
    ),
    outputs=(
        Output("customers", "one row per customer: recency/frequency/monetary, 1-5 scores, segment"),
        Output("summary", "one row per segment: customers, shares, mean R/F/M, revenue"),
    ),
    func=run,
    role_check=_role_check,
    doc=__doc__,
)
