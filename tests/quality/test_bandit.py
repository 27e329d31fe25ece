"""bandit finds no medium- or high-severity issue that has not been reviewed.

Accepted findings are either marked in the code (`# nosec BXXX - reason`) or listed with a
reason in quality/bandit_accepted.yaml (at most `max_findings` per file and test id)."""

from __future__ import annotations

import json
import subprocess  # nosec B404 - runs the bandit executable of this venv with fixed arguments
import sys
from collections import defaultdict
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "quality" / "bandit.yaml"
ACCEPTED = REPO / "quality" / "bandit_accepted.yaml"
TARGETS = ["orchestration", "ml", "quality", "simulator", "superset", "scripts"]


def run_bandit() -> dict:
    bandit = Path(sys.executable).with_name("bandit")
    command = [str(bandit), "-c", str(CONFIG), "-r", *TARGETS, "-ll", "-f", "json", "-q"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)  # nosec B603 - fixed argv
    assert result.stdout, f"bandit produced no report (exit {result.returncode}): {result.stderr[-3000:]}"
    return json.loads(result.stdout)


def test_no_unexplained_medium_or_high_findings():
    report = run_bandit()
    assert not report["errors"], f"bandit could not scan: {report['errors']}"
    accepted = {(e["file"], e["test_id"]): e for e in yaml.safe_load(ACCEPTED.read_text())}
    for entry in accepted.values():
        assert entry.get("reason", "").strip(), f"accepted finding without a reason: {entry}"

    found: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for finding in report["results"]:
        assert finding["issue_severity"] in ("MEDIUM", "HIGH")
        found[(finding["filename"].removeprefix("./"), finding["test_id"])].append(finding)

    problems = []
    for (path, test_id), findings in sorted(found.items()):
        entry = accepted.get((path, test_id))
        limit = int(entry["max_findings"]) if entry else 0
        if len(findings) > limit:
            problems += [f"{path}:{f['line_number']} {test_id} ({f['issue_severity']}): {f['issue_text']}"
                         for f in findings]
            if entry:
                problems.append(f"  ({len(findings)} {test_id} findings in {path}, {limit} reviewed)")
    assert not problems, "unreviewed bandit findings (fix, or mark `# nosec BXXX - reason`):\n" + "\n".join(problems)


def test_our_own_quality_code_needs_no_exceptions():
    assert not any(entry["file"].startswith("quality/") for entry in yaml.safe_load(ACCEPTED.read_text()))
