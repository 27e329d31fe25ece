"""Run configuration: where the simulator writes and how big the simulated platform is."""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

PLATFORM_TZ = ZoneInfo("Asia/Shanghai")
HISTORY_DAYS = 730  # two years
REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("ZHISHU_DATA_DIR") or REPO_ROOT / "data")


def local_today() -> dt.date:
    return dt.datetime.now(PLATFORM_TZ).date()


def local_now_naive() -> dt.datetime:
    """Wall-clock platform-local time without tzinfo (how OLTP columns store it)."""
    return dt.datetime.now(PLATFORM_TZ).replace(tzinfo=None)


@dataclass(frozen=True)
class OutputPaths:
    out_dir: Path
    source_url: str
    clickstream_dir: Path

    @property
    def landing_dir(self) -> Path:
        return self.clickstream_dir / "landing"

    @property
    def ground_truth_path(self) -> Path:
        return self.out_dir / "ground_truth.json"

    @classmethod
    def resolve(cls, out: str | Path | None = None, source_url: str | None = None,
                clickstream_dir: str | Path | None = None) -> "OutputPaths":
        """Explicit arguments win; environment variables only fill in when --out is not given.

        (With an explicit --out everything goes under it, so a test's temporary folder is never
        redirected by a developer's ZHISHU_SOURCE_URL.)
        """
        explicit_out = out is not None
        out_dir = Path(out) if explicit_out else data_dir() / "source"
        if source_url is None:
            env_url = None if explicit_out else os.environ.get("ZHISHU_SOURCE_URL")
            source_url = env_url or f"sqlite:///{(out_dir / 'oltp.sqlite').resolve()}"
        if clickstream_dir is None:
            env_dir = None if explicit_out else os.environ.get("ZHISHU_CLICKSTREAM_DIR")
            clickstream_dir = Path(env_dir) if env_dir else out_dir / "clickstream"
        return cls(out_dir=out_dir.resolve(), source_url=source_url, clickstream_dir=Path(clickstream_dir).resolve())


@dataclass(frozen=True)
class Volumes:
    """Entity counts and rates derived from --scale (1.0 = the demo platform)."""

    scale: float

    def _n(self, base: float, minimum: int) -> int:
        return max(minimum, int(round(base * self.scale)))

    def _sqrt(self, base: float, minimum: int) -> int:
        return max(minimum, int(round(base * math.sqrt(self.scale))))

    @property
    def customers(self) -> int:
        return self._n(20_000, 150)

    @property
    def partners(self) -> int:
        return self._n(220, 16)

    @property
    def products_per_category(self) -> int:
        return self._sqrt(90, 10)

    @property
    def campaigns_per_channel(self) -> int:
        return 16  # the marketing calendar does not shrink with the customer base; audiences do

    @property
    def orders_per_day(self) -> float:
        """Average planted orders per day over the two years (before stock-outs)."""
        return 400.0 * self.scale

    @property
    def anonymous_sessions_per_day(self) -> float:
        return 100.0 * self.scale


@dataclass(frozen=True)
class GenerateConfig:
    seed: int = 42
    scale: float = 1.0
    end_date: dt.date | None = None
    paths: OutputPaths | None = None

    def __post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError(f"--scale must be positive, got {self.scale}")
        if self.end_date is None:
            object.__setattr__(self, "end_date", local_today())
        if self.paths is None:
            object.__setattr__(self, "paths", OutputPaths.resolve())

    @property
    def volumes(self) -> Volumes:
        return Volumes(self.scale)

    @property
    def end(self) -> np.datetime64:
        """History covers [start, end): the last simulated day is end_date - 1."""
        return np.datetime64(self.end_date, "D")

    @property
    def start(self) -> np.datetime64:
        return self.end - np.timedelta64(HISTORY_DAYS, "D")
