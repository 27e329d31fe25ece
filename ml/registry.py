"""Versioned model artifacts with gate-controlled promotion.

Layout (outside git, under ``$ZHISHU_DATA_DIR/models`` by default)::

    models/<family>/<version>/model.joblib     the fitted object (joblib pickle)
    models/<family>/<version>/metadata.json    version, training window, metrics, gate, library versions
    models/<family>/CURRENT                    the promoted (serving) version, one line
    models/<family>/promotions.jsonl           append-only promotion log

A version is saved whatever its quality, so failed candidates stay inspectable. Only
:func:`ModelRegistry.promote` moves ``CURRENT``, and it refuses a version whose gate did not
pass; :func:`ModelRegistry.load_current` therefore keeps returning the previous good version
when a new one fails its gate.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import secrets
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib

REPO_ROOT = Path(__file__).resolve().parents[1]
TRACKED_LIBRARIES = (
    "numpy", "pandas", "scikit-learn", "scipy", "joblib", "prophet", "statsforecast", "holidays",
    "cmdstanpy", "statsmodels",
)
_FAMILY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass
class GateResult:
    """Outcome of a model family's quality gate."""

    family: str
    passed: bool
    reasons: list[str] = field(default_factory=list)  # why it failed (empty when passed)
    checks: dict[str, dict] = field(default_factory=dict)  # name -> {value, threshold, op, passed}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_checks(cls, family: str, checks: dict[str, dict]) -> GateResult:
        reasons = [f"{name}: {c['value']!r} is not {c['op']} {c['threshold']!r}"
                   for name, c in checks.items() if not c["passed"]]
        return cls(family=family, passed=not reasons, reasons=reasons, checks=checks)


def check(value, op: str, threshold) -> dict:
    """One gate check. A missing/NaN value fails (an unmeasured model is not a good model)."""
    ops = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}
    try:
        number = float(value)
        passed = number == number and ops[op](number, float(threshold))  # number == number: not NaN
    except (TypeError, ValueError):
        number, passed = None, False
    return {"value": number, "op": op, "threshold": threshold, "passed": bool(passed)}


class PromotionRefused(RuntimeError):
    """Raised by promote() for a version whose quality gate did not pass."""


def default_models_dir() -> Path:
    data_dir = os.environ.get("ZHISHU_DATA_DIR") or str(REPO_ROOT / "data")
    return Path(data_dir) / "models"


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _json_default(value: Any):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


@dataclass
class ModelVersion:
    family: str
    version: str
    path: Path
    metadata: dict

    def load(self) -> Any:
        return joblib.load(self.path / "model.joblib")


class ModelRegistry:
    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_models_dir()

    def _family_dir(self, family: str) -> Path:
        if not _FAMILY_PATTERN.match(family):
            raise ValueError(f"invalid model family name {family!r} (lowercase letters, digits, _)")
        return self.root / family

    def save(
        self,
        family: str,
        model: Any,
        *,
        metrics: dict,
        gate: GateResult | dict,
        training_window: dict | None = None,
        params: dict | None = None,
        version: str | None = None,
    ) -> ModelVersion:
        """Store a model and its metadata as a new immutable version (not promoted)."""
        family_dir = self._family_dir(family)
        family_dir.mkdir(parents=True, exist_ok=True)
        created = datetime.now(timezone.utc)
        version = version or f"{created:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"
        if not re.match(r"^[A-Za-z0-9_.-]+$", version):
            raise ValueError(f"invalid version {version!r}")
        target = family_dir / version
        if target.exists():
            raise FileExistsError(f"{family} version {version} already exists")
        gate_dict = gate.to_dict() if isinstance(gate, GateResult) else dict(gate)
        metadata = {
            "family": family,
            "version": version,
            "created_at": created.isoformat(),
            "training_window": training_window or {},
            "metrics": metrics,
            "gate": gate_dict,
            "params": params or {},
            "library_versions": library_versions(),
        }
        # Write into a hidden temp dir and rename, so a crash never leaves a half-written version.
        staging = Path(tempfile.mkdtemp(dir=family_dir, prefix=f".{version}."))
        try:
            joblib.dump(model, staging / "model.joblib")
            (staging / "metadata.json").write_text(
                json.dumps(metadata, indent=2, default=_json_default, ensure_ascii=False), encoding="utf-8"
            )
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return ModelVersion(family, version, target, json.loads((target / "metadata.json").read_text("utf-8")))

    def get(self, family: str, version: str) -> ModelVersion:
        path = self._family_dir(family) / version
        meta_path = path / "metadata.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"no {family} model version {version!r} under {path.parent}")
        return ModelVersion(family, version, path, json.loads(meta_path.read_text("utf-8")))

    def list_versions(self, family: str) -> list[str]:
        family_dir = self._family_dir(family)
        if not family_dir.exists():
            return []
        return sorted(p.name for p in family_dir.iterdir() if p.is_dir() and not p.name.startswith("."))

    def promote(self, family: str, version: str) -> ModelVersion:
        """Make ``version`` the serving version; refuses (PromotionRefused) if its gate failed."""
        candidate = self.get(family, version)
        gate = candidate.metadata.get("gate") or {}
        if not gate.get("passed"):
            reasons = "; ".join(gate.get("reasons") or ["no passing gate result recorded"])
            raise PromotionRefused(f"{family} {version} not promoted: quality gate failed ({reasons})")
        family_dir = self._family_dir(family)
        _write_atomic(family_dir / "CURRENT", version + "\n")
        entry = {"version": version, "promoted_at": datetime.now(timezone.utc).isoformat(),
                 "previous": self._current_name(family)}
        with open(family_dir / "promotions.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
        return candidate

    def _current_name(self, family: str) -> str | None:
        pointer = self._family_dir(family) / "CURRENT"
        return pointer.read_text("utf-8").strip() or None if pointer.exists() else None

    def current(self, family: str) -> ModelVersion | None:
        """The promoted version's handle, or None if nothing was ever promoted."""
        name = self._current_name(family)
        return self.get(family, name) if name else None

    def load_current(self, family: str) -> tuple[Any, dict] | None:
        """(model, metadata) of the serving version, or None if nothing was ever promoted."""
        current = self.current(family)
        return (current.load(), current.metadata) if current else None

    def register(self, family: str, model: Any, *, metrics: dict, gate: GateResult, **kwargs) -> dict:
        """Save a new version and promote it if its gate passed; report what serves afterwards."""
        saved = self.save(family, model, metrics=metrics, gate=gate, **kwargs)
        promoted = False
        if gate.passed:
            self.promote(family, saved.version)
            promoted = True
        serving = self._current_name(family)
        return {"version": saved.version, "promoted": promoted, "serving_version": serving,
                "gate_passed": gate.passed, "gate_reasons": gate.reasons, "path": str(saved.path)}


# Module-level shortcuts on the default registry ($ZHISHU_DATA_DIR/models).
def save(family: str, model: Any, **kwargs) -> ModelVersion:
    return ModelRegistry().save(family, model, **kwargs)


def promote(family: str, version: str) -> ModelVersion:
    return ModelRegistry().promote(family, version)


def load_current(family: str) -> tuple[Any, dict] | None:
    return ModelRegistry().load_current(family)
