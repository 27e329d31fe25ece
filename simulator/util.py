"""Small shared helpers: deterministic random streams, money in integer cents, ids and timestamps.

Money never travels as float: amounts are int64 numbers of cents (rates: ten-thousandths) while the
simulation runs and become exact decimal strings or `Decimal` objects only when written.
"""

from __future__ import annotations

import zlib
from decimal import Decimal

import numpy as np

SECOND = np.timedelta64(1, "s")
DAY_S = 86_400


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per domain, so adding draws in one domain never shifts another.

    The stream key is a CRC of the name (Python's `hash` is salted per process, so not usable).
    """
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))


# --- money ----------------------------------------------------------------------------------------

def cents_to_str(cents, scale: int = 2) -> list[str | None]:
    """Exact decimal text for scaled integers (cents for scale 2); None stays None."""
    values = list(cents) if not isinstance(cents, np.ndarray) else cents
    missing = np.array([v is None for v in values], dtype=bool) if not isinstance(values, np.ndarray) else None
    ints = np.array([0 if v is None else v for v in values], dtype=np.int64) if missing is not None else values.astype(np.int64)
    unit = 10**scale
    whole, frac = np.divmod(np.abs(ints), unit)
    text = np.strings.add(np.strings.add(whole.astype(str), "."), np.strings.zfill(frac.astype(str), scale))
    text = np.where(ints < 0, np.strings.add("-", text), text)
    out = text.tolist()
    if missing is not None and missing.any():
        for i in np.flatnonzero(missing):
            out[i] = None
    return out


def cents_to_decimal(cents: np.ndarray | list[int], scale: int = 2) -> list[Decimal | None]:
    return [None if s is None else Decimal(s) for s in cents_to_str(cents, scale)]


def pct_of(cents: np.ndarray, basis_points: np.ndarray | int) -> np.ndarray:
    """round_half_up(cents * bp / 10000) in integer arithmetic (bp = hundredths of a percent)."""
    cents = np.asarray(cents, dtype=np.int64)
    return (cents * np.asarray(basis_points, dtype=np.int64) + 5_000) // 10_000


def round_price(cents: np.ndarray) -> np.ndarray:
    """Shop-style prices ending in .90 or .00 (e.g. 129.00, 59.90)."""
    cents = np.asarray(cents, dtype=np.int64)
    yuan = np.maximum(cents // 100, 1)
    ends_90 = (yuan % 3) == 0
    return np.where(ends_90, yuan * 100 - 10, yuan * 100).astype(np.int64)


# --- identifiers ----------------------------------------------------------------------------------

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_UUID_DASHES = (8, 13, 18, 23)


def uuid4_strings(rng: np.random.Generator, n: int) -> np.ndarray:
    """n RFC-4122 version-4 UUID strings drawn from `rng` (deterministic), as a numpy str array."""
    if n == 0:
        return np.array([], dtype="U36")
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    keep = [i for i in range(36) if i not in _UUID_DASHES]
    text[:, keep] = digits
    return np.frombuffer(text.tobytes(), dtype="S36").astype("U36")


def hex_ids(rng: np.random.Generator, n: int, prefix: str, width: int = 16) -> np.ndarray:
    """Short random hex identifiers such as anonymous device ids ("a_3f9c...")."""
    if n == 0:
        return np.array([], dtype=f"U{len(prefix) + width}")
    raw = rng.integers(0, 16, size=(n, width), dtype=np.uint8)
    digits = _HEX[raw]
    body = np.frombuffer(digits.tobytes(), dtype=f"S{width}").astype(f"U{width}")
    return np.char.add(prefix, body)


# --- time -----------------------------------------------------------------------------------------

def to_seconds(day: np.ndarray, start: np.datetime64, seconds_in_day: np.ndarray | int = 0) -> np.ndarray:
    """datetime64[s] for day offsets from `start` plus seconds within the day."""
    return (start.astype("datetime64[s]") + np.asarray(day, dtype=np.int64) * DAY_S * SECOND
            + np.asarray(seconds_in_day, dtype=np.int64) * SECOND)


def day_index(ts: np.ndarray, start: np.datetime64) -> np.ndarray:
    """Day offset from `start` of datetime64 values (floor)."""
    return ((ts.astype("datetime64[s]") - start.astype("datetime64[s]")) // np.timedelta64(1, "D")).astype(np.int64)


def clamp_time(ts: np.ndarray, upper: np.datetime64) -> np.ndarray:
    return np.minimum(ts, upper.astype(ts.dtype))


def weighted_choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with probability proportional to `weights` (fast inverse-CDF sampling)."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.minimum(np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right"), len(cdf) - 1)


def ensure_each(rng: np.random.Generator, values: np.ndarray, required, eligible: np.ndarray | None = None) -> np.ndarray:
    """Overwrite a few random positions so every value in `required` occurs at least once.

    Keeps small-scale runs (tests) covering every enumeration value without changing the mix at
    demo scale (where every value already occurs).
    """
    values = values.copy()
    pool = np.arange(len(values)) if eligible is None else np.flatnonzero(eligible)
    missing = [v for v in required if not np.any(values == v)]
    if not missing or len(pool) == 0:
        return values
    spots = rng.choice(pool, size=min(len(missing), len(pool)), replace=False)
    for spot, value in zip(spots, missing):
        values[spot] = value
    return values
