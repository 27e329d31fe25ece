"""The planted demand signal: growth trend x weekly cycle x yearly shape x Chinese shopping events.

Everything here is smooth and deterministic; randomness (Poisson counts) is added by the domains
that draw orders from it, so a forecaster that learns this signal reaches high accuracy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# Lunar New Year's day (正月初一); the simulator refuses dates outside this table.
SPRING_FESTIVAL = {
    2018: dt.date(2018, 2, 16), 2019: dt.date(2019, 2, 5), 2020: dt.date(2020, 1, 25),
    2021: dt.date(2021, 2, 12), 2022: dt.date(2022, 2, 1), 2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29), 2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6), 2028: dt.date(2028, 1, 26), 2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3), 2031: dt.date(2031, 1, 23), 2032: dt.date(2032, 2, 11),
    2033: dt.date(2033, 1, 31), 2034: dt.date(2034, 2, 19), 2035: dt.date(2035, 2, 8),
    2036: dt.date(2036, 1, 28),
}

ANNUAL_GROWTH = 1.30  # demand grows 30% per year
WEEKLY = np.array([0.94, 0.92, 0.94, 0.97, 1.04, 1.11, 1.08])  # Monday .. Sunday
YEARLY_AMPLITUDE = 0.08  # gentle peak in early winter, trough in early summer
YEARLY_PEAK_DOY = 340

# (offset from the event day, multiplier): piecewise-constant windows around each event.
SPRING_FESTIVAL_SHAPE = [
    *[(o, 1.15) for o in range(-24, -9)],   # New-Year goods shopping
    *[(o, 0.85) for o in range(-9, -5)],    # logistics start closing
    *[(o, 0.55) for o in range(-5, -1)],
    *[(o, 0.38) for o in range(-1, 5)],     # the holiday itself: the deepest dip
    *[(o, 0.55) for o in range(5, 9)],
    *[(o, 0.80) for o in range(9, 14)],
]
SHOPPING_618_SHAPE = [
    *[(o, 1.25) for o in range(-17, -2)],   # June 1-15 warm-up
    (-2, 1.60), (-1, 1.75), (0, 2.80), (1, 1.30),
    *[(o, 0.90) for o in range(2, 8)],      # post-event lull
]
DOUBLE_11_SHAPE = [
    *[(o, 1.20) for o in range(-18, -10)],  # Oct 24-31 pre-sale
    *[(o, 1.35) for o in range(-10, -1)],
    (-1, 1.70), (0, 3.50), (1, 1.40),
    *[(o, 0.88) for o in range(2, 10)],
]


@dataclass(frozen=True)
class ShoppingEvent:
    name: str
    day: dt.date
    peak_multiplier: float


class SimCalendar:
    """Day grid of the simulated history and its multiplicative demand components."""

    def __init__(self, start: np.datetime64, n_days: int):
        self.start = np.datetime64(start, "D")
        self.n_days = n_days
        self.dates = self.start + np.arange(n_days)
        self.end = self.start + n_days
        pydates = self.dates.astype(dt.date)
        self.weekday = np.array([d.weekday() for d in pydates])
        self.doy = np.array([d.timetuple().tm_yday for d in pydates])
        years = range(pydates[0].year - 1, pydates[-1].year + 2)
        missing = [y for y in years if y not in SPRING_FESTIVAL]
        if missing:
            raise ValueError(f"end date outside the supported calendar: no Spring Festival date for {missing}")
        self._pydates = pydates
        self.events: list[ShoppingEvent] = []
        self.spring_festival = np.ones(n_days)
        self.festival_618 = np.ones(n_days)
        self.double_11 = np.ones(n_days)
        for year in years:
            self._stamp(self.spring_festival, SPRING_FESTIVAL[year], SPRING_FESTIVAL_SHAPE, "spring_festival")
            self._stamp(self.festival_618, dt.date(year, 6, 18), SHOPPING_618_SHAPE, "618")
            self._stamp(self.double_11, dt.date(year, 11, 11), DOUBLE_11_SHAPE, "double_11")

    def _stamp(self, target: np.ndarray, day: dt.date, shape: list[tuple[int, float]], name: str) -> None:
        origin = (np.datetime64(day, "D") - self.start).astype(int)
        for offset, multiplier in shape:
            idx = origin + offset
            if 0 <= idx < self.n_days:
                target[idx] *= multiplier
        if 0 <= origin < self.n_days:
            self.events.append(ShoppingEvent(name, day, dict(shape)[0] if 0 in dict(shape) else min(m for _, m in shape)))

    # --- components ---------------------------------------------------------------------------
    @property
    def trend(self) -> np.ndarray:
        years_from_mid = (np.arange(self.n_days) - (self.n_days - 1) / 2) / 365.25
        return ANNUAL_GROWTH ** years_from_mid

    @property
    def weekly(self) -> np.ndarray:
        return WEEKLY[self.weekday]

    @property
    def yearly(self) -> np.ndarray:
        return 1 + YEARLY_AMPLITUDE * np.cos(2 * np.pi * (self.doy - YEARLY_PEAK_DOY) / 365.25)

    def event_multiplier(self, festival_exponent: float = 1.0, spring_exponent: float = 1.0) -> np.ndarray:
        """Shopping-event effect; exponents let categories react more or less strongly."""
        return (self.festival_618 * self.double_11) ** festival_exponent * self.spring_festival ** spring_exponent

    def demand(self, festival_exponent: float = 1.0, spring_exponent: float = 1.0) -> np.ndarray:
        return self.trend * self.weekly * self.yearly * self.event_multiplier(festival_exponent, spring_exponent)

    def in_window(self, day: dt.date, before: int, after: int) -> np.ndarray:
        """Mask of days within [day-before, day+after]."""
        origin = (np.datetime64(day, "D") - self.start).astype(int)
        idx = np.arange(self.n_days)
        return (idx >= origin - before) & (idx <= origin + after)

    def festival_days(self) -> np.ndarray:
        """Days inside any shopping-event window (used to keep planted anomalies away from them)."""
        return (self.festival_618 != 1) | (self.double_11 != 1) | (self.spring_festival != 1)

    def date(self, day: int) -> dt.date:
        return self._pydates[day]


HOURLY_ORDER_WEIGHTS = np.array([
    0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2.0, 2.8, 3.4, 3.6,
    3.3, 3.0, 3.0, 3.2, 3.3, 3.1, 3.0, 3.6, 4.4, 4.8, 4.0, 2.2,
])
HOURLY_SUPPORT_WEIGHTS = np.array([
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 1.0, 2.4, 3.6, 4.0, 3.8,
    3.0, 3.4, 3.8, 3.8, 3.5, 3.0, 2.2, 1.8, 1.6, 1.3, 0.9, 0.5,
])


def seconds_in_day(rng: np.random.Generator, n: int, hourly: np.ndarray = HOURLY_ORDER_WEIGHTS) -> np.ndarray:
    """Random second-of-day following an hourly profile."""
    cdf = np.cumsum(hourly) / hourly.sum()
    hour = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), 23)
    return hour * 3600 + rng.integers(0, 3600, size=n)
