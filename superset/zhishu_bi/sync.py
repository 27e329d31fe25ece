"""Write rendered asset texts into superset/assets/ (or check them): only generated files are removed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import settings
from .render import GENERATED_MARK


@dataclass
class SyncResult:
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    checked: bool = False

    def __str__(self) -> str:
        verb = ("out of date" if self.checked else "written")
        return f"{len(self.changed)} {verb}, {len(self.removed)} {'stale' if self.checked else 'removed'}"


def _under(rel: str, prefixes: list[str]) -> bool:
    return any(rel == p or rel.startswith(p) for p in prefixes)


def read_tree(prefixes: list[str], root: Path | None = None) -> dict[str, str]:
    root = root or settings.ASSETS_DIR
    out = {}
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        if _under(rel, prefixes):
            out[rel] = path.read_text(encoding="utf-8")
    return out


def sync_tree(texts: dict[str, str], prefixes: list[str], check: bool, root: Path | None = None) -> SyncResult:
    root = root or settings.ASSETS_DIR
    existing = read_tree(prefixes, root)
    result = SyncResult(checked=check)
    result.changed = sorted(rel for rel, text in texts.items() if existing.get(rel) != text)
    result.removed = sorted(rel for rel, text in existing.items()
                            if rel not in texts and text.startswith(GENERATED_MARK))
    for rel in result.changed + result.removed:
        if check:
            print(f"{'out of date' if rel in texts else 'stale'}: superset/assets/{rel}")
    if not check:
        for rel in result.changed:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(texts[rel], encoding="utf-8")
        for rel in result.removed:
            (root / rel).unlink()
    return result
