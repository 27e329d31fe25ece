"""Shared state of one generation run: configuration, calendar, random streams, finished tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.calendar import SimCalendar
from simulator.config import HISTORY_DAYS, GenerateConfig
from simulator.ground_truth import GroundTruth
from simulator.util import DAY_S, SECOND, stream


@dataclass
class World:
    config: GenerateConfig
    calendar: SimCalendar = field(init=False)
    truth: GroundTruth = field(default_factory=GroundTruth)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.calendar = SimCalendar(self.config.start, HISTORY_DAYS)

    @property
    def n_days(self) -> int:
        return self.calendar.n_days

    @property
    def start_s(self) -> np.datetime64:
        return self.calendar.start.astype("datetime64[s]")

    @property
    def end_s(self) -> np.datetime64:
        """The end of simulated history (exclusive): nothing is dated at or after this instant."""
        return self.calendar.end.astype("datetime64[s]")

    def rng(self, name: str) -> np.random.Generator:
        return stream(self.config.seed, name)

    def at(self, day, seconds=0) -> np.ndarray:
        """datetime64[s] for day offsets (from the history start) plus seconds within the day."""
        return self.start_s + (np.asarray(day, dtype=np.int64) * DAY_S + np.asarray(seconds, dtype=np.int64)) * SECOND

    NEVER = 10**9  # day index returned for NaT ("never happens")

    def day_of(self, ts: np.ndarray) -> np.ndarray:
        """Day offset from the history start (floor); NaT maps to NEVER."""
        ts = np.asarray(ts).astype("datetime64[s]")
        missing = np.isnat(ts)
        days = ((np.where(missing, self.start_s, ts) - self.start_s) // np.timedelta64(1, "D")).astype(np.int64)
        return np.where(missing, self.NEVER, days)

    def cap(self, ts: np.ndarray) -> np.ndarray:
        """Clamp timestamps to just before the end of history."""
        return np.minimum(np.asarray(ts).astype("datetime64[s]"), self.end_s - SECOND)

    def add(self, name: str, frame: pd.DataFrame) -> None:
        self.tables[name] = frame.reset_index(drop=True)
