"""China public holidays and e-commerce shopping events as a Prophet ``holidays`` frame."""

from __future__ import annotations

import re
from dataclasses import dataclass

import holidays
import pandas as pd


@dataclass(frozen=True)
class ShoppingEvent:
    name: str
    month: int
    day: int
    # Demand builds up during pre-sales before the event day and spills over one day after it.
    lower_window: int
    upper_window: int


SHOPPING_EVENTS = (
    ShoppingEvent("shopping_618", 6, 18, lower_window=-10, upper_window=1),
    ShoppingEvent("shopping_double_11", 11, 11, lower_window=-10, upper_window=1),
)


def _normalise_holiday_name(name: str) -> str:
    # One Prophet effect per holiday across years: drop "(observed)" suffixes and merge the
    # year-specific "Day off (substituted from ...)" bridge days into a single effect.
    if name.startswith("Day off"):
        return "cn_bridge_day_off"
    base = re.sub(r"\s*\(observed\)$", "", name).strip()
    return "cn_" + re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_")


def china_holidays_frame(start_year: int, end_year: int, include_shopping_events: bool = True) -> pd.DataFrame:
    """Prophet holidays frame (holiday, ds, lower_window, upper_window) for the given years.

    Public holidays come from ``holidays.China`` (official days off incl. bridge days);
    shopping events 618 and Double 11 get a pre-sale window before the event day.
    """
    years = list(range(start_year, end_year + 1))
    rows = [
        {"holiday": _normalise_holiday_name(name), "ds": pd.Timestamp(day), "lower_window": 0, "upper_window": 0}
        for day, name in holidays.China(years=years).items()
    ]
    if include_shopping_events:
        rows += [
            {"holiday": ev.name, "ds": pd.Timestamp(year, ev.month, ev.day),
             "lower_window": ev.lower_window, "upper_window": ev.upper_window}
            for year in years
            for ev in SHOPPING_EVENTS
        ]
    return pd.DataFrame(rows).sort_values(["ds", "holiday"]).reset_index(drop=True)
