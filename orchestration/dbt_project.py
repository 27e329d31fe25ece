"""The dbt project as dagster-dbt sees it (kept apart from the assets so that
`dagster-dbt project prepare-and-package --file orchestration/dbt_project.py` can prepare the
manifest before anything that needs it is imported)."""

import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.environment import DBT_PROJECT_DIR, get_environment


def dbt_executable() -> str:
    """The dbt of this virtualenv (it need not be activated, e.g. under make)."""
    beside_python = Path(sys.executable).with_name("dbt")
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def ensure_dbt_on_path() -> None:
    """dagster-dbt's project preparer runs `dbt` from PATH: put this venv's bin first if needed."""
    if shutil.which("dbt"):
        return
    bin_dir = str(Path(sys.executable).parent)
    if Path(bin_dir, "dbt").exists():
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


ensure_dbt_on_path()
zhishu_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target=get_environment().dbt_target)
# Under `dagster dev` the manifest is re-parsed on load so model edits show up immediately;
# elsewhere it must already exist (prepared by make), and loading never runs dbt.
zhishu_dbt_project.prepare_if_dev()
