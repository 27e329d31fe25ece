"""Pure pandas glue between the marts and ml/: forecast series, product-level demand, metric rows.

Kept apart from orchestration/models.py (the Dagster assets) so it can be read and tested without
Dagster. Nothing here trains a model: ml/ does that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

# Series levels of the demand forecast. The 85 % accuracy target applies to CATEGORY (a category's
# total across warehouses); category x warehouse feeds inventory; TOTAL is the platform's demand.
CATEGORY, CATEGORY_WAREHOUSE, TOTAL = "category", "category_warehouse", "total"
TOTAL_PARTITION = "_total"  # forecast partition of the platform-total series (not a category)


# --- forecast series -----------------------------------------------------------------------------

def series_id(level: str, category: str | None = None, warehouse_id: int | None = None) -> str:
    if level == TOTAL:
        return "total"
    if level == CATEGORY:
        return str(category)
    return f"{category}|{int(warehouse_id)}"


def build_demand_series(demand: pd.DataFrame) -> pd.DataFrame:
    """Daily demand rows (date_day, category, warehouse_id, units) -> regular series.

    Returns series_id, series_level, category, warehouse_id, forecast_partition, ds, y: one row per
    series and day from the series' first day to the mart's last day (days without sales are 0,
    including trailing ones, so every series ends on the same forecast origin).
    """
    frame = demand.assign(
        ds=pd.to_datetime(demand["date_day"]).dt.normalize(),
        units=pd.to_numeric(demand["units"], errors="raise").astype(float),
    )
    if frame.empty:
        raise ValueError("fct_category_daily_demand is empty: nothing to forecast")
    last_day = frame["ds"].max()
    levels = [
        (CATEGORY, ["category"]),
        (CATEGORY_WAREHOUSE, ["category", "warehouse_id"]),
        (TOTAL, []),
    ]
    pieces = []
    for level, keys in levels:
        grouped = frame.groupby(keys + ["ds"], dropna=False)["units"].sum().reset_index()
        groups = grouped.groupby(keys, dropna=False) if keys else [((), grouped)]
        for key, group in groups:
            key = key if isinstance(key, tuple) else (key,)
            values = dict(zip(keys, key, strict=True))
            index = pd.date_range(group["ds"].min(), last_day, freq="D")
            y = group.set_index("ds")["units"].reindex(index, fill_value=0.0)
            category = values.get("category")
            warehouse = values.get("warehouse_id")
            pieces.append(pd.DataFrame({
                "series_id": series_id(level, category, warehouse),
                "series_level": level,
                "category": category,
                "warehouse_id": None if warehouse is None else int(warehouse),
                "forecast_partition": TOTAL_PARTITION if level == TOTAL else str(category),
                "ds": index,
                "y": y.to_numpy(float),
            }))
    out = pd.concat(pieces, ignore_index=True)
    out["warehouse_id"] = out["warehouse_id"].astype("Int64")
    return out


def series_labels(series: pd.DataFrame) -> pd.DataFrame:
    """One row per series: series_id, series_level, category, warehouse_id, forecast_partition."""
    return series.drop_duplicates("series_id")[
        ["series_id", "series_level", "category", "warehouse_id", "forecast_partition"]
    ].reset_index(drop=True)


def shuffle_within_series(series: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Test hook: permute each series' values in time, destroying trend and seasonality."""
    rng = np.random.default_rng(seed)
    out = series.copy()
    out["y"] = out.groupby("series_id")["y"].transform(lambda y: rng.permutation(y.to_numpy()))
    return out


# --- product-level demand for inventory --------------------------------------------------------------

def product_shares(sales: pd.DataFrame, start, end) -> pd.DataFrame:
    """Each product's share of its category x warehouse units in [start, end).

    ``sales``: date_day, product_id, warehouse_id, category, units_sold. Products without sales in
    the window get no row (no demand to plan for).
    """
    days = pd.to_datetime(sales["date_day"])
    window = sales[(days >= pd.Timestamp(start)) & (days < pd.Timestamp(end))]
    units = window.groupby(["product_id", "warehouse_id", "category"])["units_sold"].sum().astype(float)
    units = units[units > 0].reset_index()
    totals = units.groupby(["category", "warehouse_id"])["units_sold"].transform("sum")
    return units.assign(share=units["units_sold"] / totals)[["product_id", "warehouse_id", "category", "share"]]


def product_demand(shares: pd.DataFrame, group_stats: pd.DataFrame) -> pd.DataFrame:
    """Scale category x warehouse demand (mean_daily_demand, sigma_daily) to products by share.

    A product's daily demand is modelled as a binomial thinning of its group's demand with
    probability = share, so mean = s * mu and variance = s^2 sigma^2 + s (1 - s) mu: the group's
    forecast uncertainty scaled down, plus the extra noise of splitting it over products.
    """
    joined = shares.merge(group_stats, on=["category", "warehouse_id"], how="inner")
    s = joined["share"].astype(float)
    mu = joined["mean_daily_demand"].astype(float).clip(lower=0)
    sigma = joined["sigma_daily"].astype(float).clip(lower=0)
    joined["mean_daily_demand"] = s * mu
    joined["sigma_daily"] = np.sqrt(s**2 * sigma**2 + s * (1 - s) * mu)
    return joined


def daily_grid(sales: pd.DataFrame, keys: pd.DataFrame, start, end, value: str = "units_sold") -> pd.DataFrame:
    """product_id, warehouse_id, ds, y for every key and day in [start, end) (missing days = 0)."""
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end) - pd.Timedelta(days=1), freq="D")
    grid = keys[["product_id", "warehouse_id"]].drop_duplicates().merge(pd.DataFrame({"ds": days}), how="cross")
    observed = sales.assign(ds=pd.to_datetime(sales["date_day"]))
    observed = observed.groupby(["product_id", "warehouse_id", "ds"])[value].sum().rename("y").reset_index()
    out = grid.merge(observed, on=["product_id", "warehouse_id", "ds"], how="left")
    out["y"] = out["y"].fillna(0.0).astype(float)
    return out


# --- metrics history ---------------------------------------------------------------------------------

def flatten_metrics(metrics: Mapping, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested metrics dict as {"a.b.c": value}; lists and text are left out."""
    flat: dict[str, float] = {}
    for name, value in metrics.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flatten_metrics(value, key + "."))
        elif isinstance(value, (bool, np.bool_)):
            flat[key] = float(value)
        elif isinstance(value, (int, float, np.integer, np.floating)) and value is not None:
            flat[key] = float(value)
    return flat


def metric_rows(family: str, registered: Mapping, metadata: Mapping, serving_version: str | None) -> pd.DataFrame:
    """Rows for ml.model_metrics: every numeric metric and gate check of one trained version."""
    flat = flatten_metrics(metadata.get("metrics") or {})
    for name, check in (metadata.get("gate") or {}).get("checks", {}).items():
        if check.get("value") is not None:
            flat[f"gate.{name}"] = float(check["value"])
    window = metadata.get("training_window") or {}
    trained_at = pd.Timestamp(metadata["created_at"])
    return pd.DataFrame({
        "family": family,
        "version": registered["version"],
        "metric": list(flat),
        "value": list(flat.values()),
        "gate_passed": bool(registered["gate_passed"]),
        "promoted": bool(registered["promoted"]),
        "serving_version": serving_version,
        "trained_at": trained_at,
        "training_window_start": _naive_timestamp(window.get("start")),
        "training_window_end": _naive_timestamp(window.get("end")),
    })


def _naive_timestamp(value) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize(None) if stamp.tzinfo else stamp


# --- warehouse and metadata formatting ---------------------------------------------------------------

def to_arrow(frame: pd.DataFrame, date_columns: Iterable[str] = ()) -> pa.Table:
    """Arrow table for the warehouse: `date_columns` as DATE, pandas NA as null."""
    frame = frame.reset_index(drop=True).copy()
    for column in date_columns:
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return pa.Table.from_pandas(frame, preserve_index=False)


def markdown_table(frame: pd.DataFrame, max_rows: int = 60) -> str:
    def cell(value) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        if isinstance(value, (float, np.floating)):
            return f"{value:.3f}"
        return str(value).replace("|", "\\|")

    head = frame.head(max_rows)
    lines = ["| " + " | ".join(map(str, head.columns)) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in head.itertuples(index=False)]
    if len(frame) > max_rows:
        lines.append(f"\n{max_rows} of {len(frame)} rows")
    return "\n".join(lines)


def bar(fraction: float | None, width: int = 20) -> str:
    """A text bar for markdown 'plots' (fraction clipped to [0, 1])."""
    if fraction is None or not np.isfinite(fraction):
        return ""
    filled = int(round(min(max(fraction, 0.0), 1.0) * width))
    return "█" * filled + "·" * (width - filled)
