"""Promotions (festival sales, welcome, win-back, partner deals) and their coupons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.calendar import SPRING_FESTIVAL
from simulator.util import SECOND
from simulator.world import World

PERCENT_OPTIONS = [500, 800, 1000, 1500]          # percent points x 100 (5.00 .. 15.00 %)
FIXED_OPTIONS = [1_000, 2_000, 3_000, 5_000, 10_000]  # cents
MIN_SPEND_OPTIONS = [0, 9_900, 19_900, 29_900, 49_900]


@dataclass
class Coupons:
    coupon_id: np.ndarray
    percent: np.ndarray        # True: percent discount, False: fixed amount
    value: np.ndarray          # percent points x 100, or cents
    min_spend: np.ndarray      # cents
    first_day: np.ndarray      # first valid day index
    last_day: np.ndarray       # last valid day index
    festival: np.ndarray       # belongs to a festival promotion


def _windows(world: World) -> list[tuple[str, str, dt.datetime, dt.datetime]]:
    start = world.calendar.date(0)
    end = world.calendar.date(world.n_days - 1)
    out = []
    for year in range(start.year - 1, end.year + 1):
        sf = SPRING_FESTIVAL[year]
        out.append((f"{year} 年货节 Spring Festival sale", "festival",
                    dt.datetime.combine(sf - dt.timedelta(days=24), dt.time()), dt.datetime.combine(sf - dt.timedelta(days=6), dt.time(23, 59, 59))))
        out.append((f"{year} 618 年中大促", "festival", dt.datetime(year, 6, 1), dt.datetime(year, 6, 18, 23, 59, 59)))
        out.append((f"{year} 双11 Double 11", "festival", dt.datetime(year, 10, 24), dt.datetime(year, 11, 11, 23, 59, 59)))
        for quarter in range(4):
            first = dt.datetime(year, 3 * quarter + 1, 1)
            last = (dt.datetime(year + (quarter == 3), (3 * quarter + 3) % 12 + 1, 1) - dt.timedelta(seconds=1))
            out.append((f"{year} Q{quarter + 1} 新人礼 welcome offer", "welcome", first, last))
        out.append((f"{year} 春季回归礼 win-back", "winback", dt.datetime(year, 3, 10), dt.datetime(year, 4, 10, 23, 59, 59)))
        out.append((f"{year} 秋季回归礼 win-back", "winback", dt.datetime(year, 9, 1), dt.datetime(year, 9, 30, 23, 59, 59)))
        out.append((f"{year} 合作伙伴专享 partner deal", "partner", dt.datetime(year, 7, 1), dt.datetime(year, 8, 15, 23, 59, 59)))
    lo = dt.datetime.combine(start, dt.time())
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    return sorted((w for w in out if w[3] >= lo and w[2] < hi), key=lambda w: (w[2], w[0]))


def build_promotions(world: World) -> Coupons:
    rng = world.rng("promotions")
    windows = _windows(world)
    n = len(windows)
    starts = np.array([np.datetime64(w[2], "s") for w in windows])
    ends = np.array([np.datetime64(w[3], "s") for w in windows])
    created = starts - rng.integers(3, 20, size=n) * 86_400 * SECOND
    world.add("promotions", pd.DataFrame({
        "promotion_id": np.arange(1, n + 1), "promotion_name": [w[0] for w in windows],
        "promotion_type": [w[1] for w in windows], "starts_at": starts, "ends_at": ends,
        "created_at": created, "updated_at": world.cap(np.maximum(created, np.minimum(ends, world.end_s - SECOND))),
    }))

    rows = []
    for pid, (_name, ptype, _first, _last) in enumerate(windows, start=1):
        for k in range(int(rng.integers(3, 6))):
            percent = bool(rng.random() < 0.45)
            value = int(rng.choice(PERCENT_OPTIONS if percent else FIXED_OPTIONS))
            min_spend = int(rng.choice(MIN_SPEND_OPTIONS))
            if not percent:
                min_spend = max(min_spend, 2 * value)  # fixed coupons need a basket worth twice the coupon
            rows.append(dict(promotion_id=pid, coupon_code=f"{ptype[:2].upper()}{pid:03d}{k}{''.join(rng.choice(list('ABCDEFGHJKLMNPQRSTUVWXYZ'), 4))}",
                             discount_type="percent" if percent else "fixed", discount_value=value,
                             min_spend_amount=min_spend, valid_from=starts[pid - 1], valid_to=ends[pid - 1],
                             created_at=created[pid - 1], updated_at=created[pid - 1], festival=ptype == "festival"))
    coupons = pd.DataFrame(rows)
    coupons.insert(0, "coupon_id", np.arange(1, len(coupons) + 1))
    world.add("coupons", coupons.drop(columns="festival"))
    return Coupons(
        coupon_id=coupons["coupon_id"].to_numpy(),
        percent=(coupons["discount_type"] == "percent").to_numpy(),
        value=coupons["discount_value"].to_numpy(dtype=np.int64),
        min_spend=coupons["min_spend_amount"].to_numpy(dtype=np.int64),
        first_day=world.day_of(coupons["valid_from"].to_numpy()),
        last_day=world.day_of(coupons["valid_to"].to_numpy()),
        festival=coupons["festival"].to_numpy(),
    )
