"""The planted truth that downstream analytics must recover, written next to the data as JSON."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

SECTIONS = (
    "meta", "seasonality", "experiments", "churn", "support", "baskets", "funnel", "anomalies",
    "marketing", "billing", "partners", "feedback", "inventory",
)


@dataclass
class GroundTruth:
    meta: dict = field(default_factory=dict)
    seasonality: dict = field(default_factory=dict)
    experiments: list = field(default_factory=list)
    churn: dict = field(default_factory=dict)
    support: dict = field(default_factory=dict)
    baskets: list = field(default_factory=list)
    funnel: dict = field(default_factory=dict)
    anomalies: list = field(default_factory=list)
    marketing: dict = field(default_factory=dict)
    billing: dict = field(default_factory=dict)
    partners: dict = field(default_factory=dict)
    feedback: dict = field(default_factory=dict)
    inventory: dict = field(default_factory=dict)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(asdict(self), default=_jsonable, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                       encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> "GroundTruth":
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def _jsonable(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return round(float(value), 6)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.datetime64):
        return str(value.astype("datetime64[s]")).replace("T", " ")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"ground truth value of type {type(value).__name__} is not JSON serialisable")


def rounded(values, digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in np.asarray(values, dtype=float)]
