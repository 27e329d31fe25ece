"""`python -m ml experiment ...`: both CSV forms, JSON output, and bad input.

Subprocess tests run the real command line; the remaining bad-input cases call the same
`main(argv)` in-process to keep the suite fast."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ml.experiments.cli import main

from conftest import REPO_ROOT

REQUIRED_JSON_FIELDS = {"variant", "n", "mean", "abs_lift", "rel_lift", "ci_low", "ci_high", "p_value",
                        "chance_to_win", "risk", "srm_p_value"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "ml", "experiment", *map(str, args)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def summary_csv(tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text("variant,users,sum,sum_squares\ncontrol,3407,1396.87,52377.9767\nb,3461,2422.7,134698.29\n")
    return path


@pytest.fixture
def users_csv(tmp_path):
    rng = np.random.default_rng(4)
    pre = rng.normal(20, 5, (3, 800))
    value = 0.8 * pre + rng.normal([[0.0], [1.0], [0.0]], 4, (3, 800))
    frame = pd.concat([pd.DataFrame({"variant": v, "value": value[i].round(4), "pre": pre[i].round(4)})
                       for i, v in enumerate(["control", "fast", "slow"])])
    path = tmp_path / "users.csv"
    frame.to_csv(path, index=False)
    return path, frame


def write(tmp_path, text, name="input.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


class TestSubprocess:
    def test_summary_csv_prints_a_readable_table(self, summary_csv):
        proc = run("analyze", "--csv", summary_csv)
        assert proc.returncode == 0, proc.stderr
        assert "summary rows, metric type mean" in proc.stdout
        assert "| b " in proc.stdout and "+70.73%" in proc.stdout and "[-3.53%, +144.99%]" in proc.stdout
        assert "SRM check: ok" in proc.stdout

    def test_per_user_csv_with_json_lines(self, users_csv):
        path, frame = users_csv
        proc = run("analyze", "--csv", path, "--json", "--control", "control")
        assert proc.returncode == 0, proc.stderr
        records = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [r["variant"] for r in records] == ["control", "fast", "slow"]
        assert all(REQUIRED_JSON_FIELDS <= set(r) for r in records)
        fast = records[1]
        assert fast["n"] == 800 and fast["cuped_applied"] and fast["variance_reduction"] > 0.3
        assert fast["ci_low"] < fast["rel_lift"] < fast["ci_high"]
        assert records[0]["p_value"] is None and records[0]["status"] == "baseline"

    def test_per_user_csv_matches_scipy_without_covariate(self, tmp_path, users_csv):
        _, frame = users_csv
        path = tmp_path / "plain.csv"
        frame.drop(columns="pre").to_csv(path, index=False)
        proc = run("analyze", "--csv", path, "--json", "--difference", "absolute")
        fast = json.loads(proc.stdout.splitlines()[1])
        ref = stats.ttest_ind(frame.loc[frame["variant"] == "fast", "value"],
                              frame.loc[frame["variant"] == "control", "value"], equal_var=False)
        assert fast["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)

    @pytest.mark.parametrize("engine", ["bayesian", "sequential"])
    def test_engines(self, summary_csv, engine):
        proc = run("analyze", "--csv", summary_csv, "--engine", engine, "--json")
        b = json.loads(proc.stdout.splitlines()[1])
        assert proc.returncode == 0 and b["engine"] == engine and 0 < b["chance_to_win"] < 1

    def test_negative_count_exits_non_zero_naming_line_and_column(self, tmp_path):
        path = write(tmp_path, "variant,users,sum\ncontrol,1000,100\nb,-3,10\n")
        proc = run("analyze", "--csv", path, "--metric-type", "proportion")
        assert proc.returncode == 2
        assert str(path) in proc.stderr and "line 3" in proc.stderr and "'users' is a negative count" in proc.stderr

    def test_missing_file(self, tmp_path):
        proc = run("analyze", "--csv", tmp_path / "nope.csv")
        assert proc.returncode == 2 and "file not found" in proc.stderr


class TestBadInputInProcess:
    @pytest.mark.parametrize("text, args, words", [
        ("variant,users\ncontrol,10\nb,12\n", [], "cannot tell the form"),
        ("users,sum\n10,1\n12,2\n", [], "no variant column"),
        ("variant,value\ncontrol,1\nb,abc\n", [], "line 3: column 'value' is not a number: 'abc'"),
        ("variant,value\ncontrol,1\nb,\n", [], "line 3: column 'value' is empty"),
        ("variant,value\ncontrol,1\nb,3\n", ["--metric-type", "proportion"], "needs 0/1 values"),
        ("variant,users,sum\ncontrol,100,120\nb,100,10\n", ["--metric-type", "proportion"], "line 2"),
        ("variant,users,sum\nx,100,10\nb,100,12\n", [], "control variant"),
        ("variant,users,sum\ncontrol,100,10\n", [], "only the control variant"),
        ("variant,users,sum\ncontrol,100,10\ncontrol,100,12\n", [], "appears more than once"),
        ("variant,users,sum\ncontrol,100,10\nb,100,12\n", ["--metric-type", "mean"], "sum_squares"),
        ("", [], "file is empty"),
        ("variant,users,sum\n", [], "no data rows"),
    ])
    def test_exit_code_two_with_message(self, tmp_path, capsys, text, args, words):
        path = write(tmp_path, text)
        assert main(["analyze", "--csv", str(path), *args]) == 2
        err = capsys.readouterr().err
        assert words in err and str(path) in err

    def test_all_zero_metric_runs_but_exits_one(self, tmp_path, capsys):
        path = write(tmp_path, "variant,users,sum,sum_squares\ncontrol,1000,0,0\nb,1000,0,0\n")
        assert main(["analyze", "--csv", str(path)]) == 1
        out, err = capsys.readouterr()
        assert "zero_variance" in out and "zero variance" in err

    def test_zero_exposures_exit_one(self, tmp_path, capsys):
        path = write(tmp_path, "variant,users,sum\ncontrol,1000,100\nb,0,0\n")
        assert main(["analyze", "--csv", str(path)]) == 1
        assert "no exposed units" in capsys.readouterr().err

    def test_srm_is_a_warning(self, tmp_path, capsys):
        path = write(tmp_path, "variant,users,sum\ncontrol,10000,1000\nb,10500,1100\n")
        assert main(["analyze", "--csv", str(path), "--json"]) == 0
        out, err = capsys.readouterr()
        assert "sample ratio mismatch" in err
        assert json.loads(out.splitlines()[1])["decision"] == "untrustworthy"

    def test_bad_options(self, summary_csv, capsys):
        assert main(["analyze", "--csv", str(summary_csv), "--engine", "magic"]) == 2
        assert main(["analyze", "--csv", str(summary_csv), "--prior-mean", "0.1"]) == 2
        assert "--prior-variance" in capsys.readouterr().err

    def test_accepts_leading_experiment_word(self, summary_csv, capsys):
        assert main(["experiment", "analyze", "--csv", str(summary_csv), "--json"]) == 0


class TestPowerCommand:
    def test_sample_size_and_mde(self, capsys):
        assert main(["power", "--baseline", "0.1", "--mde", "0.05", "--json"]) == 0
        n = json.loads(capsys.readouterr().out)["n_per_arm"]
        assert main(["power", "--baseline", "0.1", "--n", str(n), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["mde"] == pytest.approx(0.05, rel=0.01)

    def test_bad_planning_input(self, capsys):
        assert main(["power", "--baseline", "2", "--mde", "0.05"]) == 2
        assert "baseline proportion" in capsys.readouterr().err
