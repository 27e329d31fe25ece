"""Helpers for the simulator tests: generating small datasets, running the CLI, content checksums."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from simulator import schema
from simulator.config import GenerateConfig, OutputPaths
from simulator.generate import generate

REPO_ROOT = Path(__file__).resolve().parents[2]
END_DATE = dt.date(2026, 11, 24)
SMALL_SCALE = 0.02


@dataclass(frozen=True)
class Generated:
    out: Path
    seed: int
    scale: float
    stderr: str = ""

    @property
    def sqlite(self) -> Path:
        return self.out / "oltp.sqlite"

    @property
    def landing(self) -> Path:
        return self.out / "clickstream" / "landing"

    @property
    def ground_truth(self) -> Path:
        return self.out / "ground_truth.json"

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.sqlite)

    def count(self, table: str) -> int:
        with self.connect() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def run_cli(*args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def generate_in_process(out: Path, seed: int, scale: float) -> Generated:
    generate(GenerateConfig(seed=seed, scale=scale, end_date=END_DATE, paths=OutputPaths.resolve(out=out)),
             progress=lambda message: None)
    return Generated(out, seed, scale)


def content_checksums(run: Generated) -> dict[str, str]:
    """One digest per table (rows in primary-key order), for the clickstream files and the truth."""
    digests = {}
    with run.connect() as conn:
        for name in sorted(schema.metadata.tables):
            h = hashlib.sha256()
            for row in conn.execute(f"SELECT * FROM {name} ORDER BY {schema.PRIMARY_KEYS[name]}"):
                h.update(repr(row).encode())
            digests[f"table:{name}"] = h.hexdigest()
    h = hashlib.sha256()
    for path in sorted(run.landing.iterdir()):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    digests["clickstream"] = h.hexdigest()
    digests["ground_truth"] = hashlib.sha256(run.ground_truth.read_bytes()).hexdigest()
    return digests
