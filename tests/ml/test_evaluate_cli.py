"""`python -m ml evaluate ...` end to end on real public datasets, and its bad-input handling."""

import json

import numpy as np
import pandas as pd
import pytest
from ml_testdata import run_cli

from ml.evaluate.cli import main as evaluate_main
from ml.routing.synthetic import synthetic_tickets


def _json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_forecast_on_air_passengers(real_data_dir):
    report = _json(run_cli("forecast", "--csv", str(real_data_dir / "air_passengers.csv"), "--date-col", "month",
                           "--value-col", "passengers", "--freq", "M", "--json"))
    for key in ("wape", "mape", "smape", "mase", "baseline_wape"):
        assert isinstance(report[key], float)
    assert report["n_series"] == 1 and report["folds"] == 4 and report["horizon"] == 12
    assert set(report["candidates"]) == {"prophet", "auto_ets", "auto_theta", "ensemble", "seasonal_naive"}
    assert report["chosen_models"]["total"] in report["candidates"]
    # A classic, strongly seasonal series: the chosen model must beat seasonal naive and the 85 % target.
    assert report["wape"] < report["baseline_wape"]
    assert 1 - report["wape"] > 0.85
    assert report["platform_target"]["passed"]


def test_forecast_weekly_multi_series_human_report(tmp_path):
    rng = np.random.default_rng(4)
    weeks = pd.date_range("2023-01-01", periods=130, freq="W-SUN")  # Sunday-labelled weeks
    rows = []
    for store, level in (("north", 500.0), ("south", 300.0)):
        yearly = 1 + 0.3 * np.sin(2 * np.pi * np.arange(130) / 52)
        rows.append(pd.DataFrame({"week": weeks.strftime("%Y-%m-%d"), "store": store,
                                  "units": np.round(level * yearly * rng.lognormal(0, 0.05, 130))}))
    path = tmp_path / "weekly.csv"
    pd.concat(rows).to_csv(path, index=False)
    result = run_cli("forecast", "--csv", str(path), "--date-col", "week", "--value-col", "units",
                     "--series-col", "store", "--freq", "W", "--n-jobs", "1", "--folds", "2")
    assert result.returncode == 0, result.stderr
    assert "WAPE" in result.stdout and "seasonal_naive" in result.stdout
    assert "north" in result.stdout and "south" in result.stdout and "folds 2" in result.stdout


def test_churn_on_mlc_churn(real_data_dir):
    report = _json(run_cli("churn", "--csv", str(real_data_dir / "mlc_churn.csv"), "--label-col", "churn", "--json"))
    assert report["positive_class"] == "yes"  # "yes"/"no" labels understood
    assert report["roc_auc"] >= 0.88
    assert report["accuracy"] > 0.85 and report["pr_auc"] > 0.6
    assert report["roc_auc"] > report["baseline"]["roc_auc"]
    assert report["n_test"] == 1250
    assert report["top_features"][0]["importance"] > 0


def test_routing_on_bilingual_tickets(tmp_path):
    path = tmp_path / "tickets.csv"
    synthetic_tickets(700, seed=8).to_csv(path, index=False)
    report = _json(run_cli("routing", "--csv", str(path), "--text-col", "subject,body", "--label-col", "queue",
                           "--time-col", "opened_at", "--json"))
    assert report["split"].startswith("time holdout")
    assert report["accuracy"] > 0.9 and report["macro_f1"] > 0.88
    assert len(report["per_queue_recall"]) == 6


def test_routing_on_real_review_texts_with_test_file(real_data_dir):
    test_file = real_data_dir / "fine_foods_test.csv"
    report = _json(run_cli("routing", "--csv", str(real_data_dir / "fine_foods_train.csv"), "--test-csv",
                           str(test_file), "--text-col", "review", "--label-col", "score", "--json"))
    majority_share = pd.read_csv(test_file)["score"].value_counts(normalize=True).max()
    assert report["n_test"] == 1000
    assert report["accuracy"] > majority_share + 0.1  # learns from text, not just the class prior
    assert report["macro_f1"] > 0.7
    # The auto threshold trades coverage for accuracy on the routed share.
    assert report["auto_routed_accuracy"] >= report["accuracy"]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    files = {
        "empty.csv": "",
        "header_only.csv": "day,sales\n",
        "non_numeric.csv": "day,sales\n2025-01-01,3\n2025-01-02,lots\n",
        "bad_dates.csv": "day,sales\n2025-01-01,3\nyesterday,4\n",
        "one_class.csv": "x,churn\n" + "".join(f"{i},no\n" for i in range(30)),
        "three_classes.csv": "x,churn\n" + "".join(f"{i},{'abc'[i % 3]}\n" for i in range(30)),
        "one_queue.csv": "text,queue\n" + "".join(f"ticket {i},billing\n" for i in range(30)),
    }
    for name, content in files.items():
        (folder / name).write_text(content)
    return folder


@pytest.mark.parametrize(("args", "file", "expected"), [
    (["forecast", "--date-col", "day", "--value-col", "sales"], "empty.csv", "empty"),
    (["forecast", "--date-col", "day", "--value-col", "sales"], "header_only.csv", "no data rows"),
    (["forecast", "--date-col", "day", "--value-col", "revenue"], "non_numeric.csv", "'revenue'"),
    (["forecast", "--date-col", "day", "--value-col", "sales"], "non_numeric.csv", "'sales' must be numeric"),
    (["forecast", "--date-col", "day", "--value-col", "sales"], "bad_dates.csv", "'day' has 1 value(s) that are not"),
    (["forecast", "--date-col", "day", "--value-col", "sales"], "missing.csv", "file not found"),
    (["churn", "--label-col", "churn"], "one_class.csv", "only one class"),
    (["churn", "--label-col", "churn"], "three_classes.csv", "must be binary"),
    (["churn", "--label-col", "left"], "one_class.csv", "'left'"),
    (["routing", "--text-col", "text", "--label-col", "queue"], "one_queue.csv", "only one class"),
    (["routing", "--text-col", "body", "--label-col", "queue"], "one_queue.csv", "'body'"),
])
def test_bad_input_exits_2_naming_file_and_problem(bad_inputs, args, file, expected, capsys):
    # In-process (same main() the module entry point calls) to keep the many cases fast.
    path = bad_inputs / file
    code = evaluate_main([args[0], "--csv", str(path), *args[1:]])
    captured = capsys.readouterr()
    assert code == 2, (captured.out, captured.err)
    assert str(path) in captured.err and expected in captured.err
    assert captured.out == ""


def test_bad_input_exit_code_of_the_real_process(bad_inputs):
    result = run_cli("churn", "--csv", str(bad_inputs / "one_class.csv"), "--label-col", "churn", "--json")
    assert result.returncode == 2
    assert "only one class" in result.stderr and "Traceback" not in result.stderr and result.stdout == ""


def test_usage_errors_exit_2_and_help_exits_0(capsys):
    assert evaluate_main(["forecast", "--csv", "x.csv"]) == 2  # required options missing
    assert evaluate_main(["--help"]) == 0
