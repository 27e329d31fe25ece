"""Paths shared by the Superset tests; importing this also makes superset/zhishu_bi importable."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUPERSET_DIR = REPO / "superset"
SUPERSET_PYTHON = REPO / ".venv-superset" / "bin" / "python"
MANAGE = SUPERSET_DIR / "manage.py"
DBT_DIR = REPO / "dbt_project"
ARTIFACTS = REPO / "test-artifacts"

if str(SUPERSET_DIR) not in sys.path:
    sys.path.insert(0, str(SUPERSET_DIR))


def unavailable(reason: str) -> None:
    """Missing prerequisites fail in CI (they are part of the product) and skip on a bare checkout."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
