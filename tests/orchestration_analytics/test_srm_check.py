"""The `no_sample_ratio_mismatch` check fails, naming the experiment, when assignment counts
contradict the planned split, and passes on balanced experiments."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import numpy as np
import pandas as pd

from ml.experiments import analyse_experiment_users
from orchestration.experiments import RESULTS_KEY, experiment_analysis, no_sample_ratio_mismatch, srm_check_result
from orchestration.warehouse import DuckDBWarehouse


def _users(experiment: str, counts: dict[str, int], rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for i, (variant, n) in enumerate(counts.items()):
        rows.append(pd.DataFrame({
            "experiment_key": experiment, "variant_key": variant, "is_control": i == 0,
            "customer_id": np.arange(n) + 100_000 * (i + 1),
            "conversions": rng.binomial(1, 0.2, n), "revenue_amount": rng.gamma(2.0, 50.0, n),
            "sessions": rng.poisson(3, n) + 1, "pre_period_revenue_amount": rng.gamma(2.0, 40.0, n),
            "pre_period_sessions": rng.poisson(2, n), "pre_period_orders": rng.poisson(0.5, n),
        }))
    return pd.concat(rows, ignore_index=True)


def test_check_fails_on_a_skewed_split_and_names_the_experiment():
    rng = np.random.default_rng(5)
    users = pd.concat([
        _users("skewed", {"control": 1000, "treatment": 820}, rng),   # planned 50/50: chi2 p ~ 3e-5
        _users("balanced", {"control": 1000, "treatment": 985}, rng),
    ], ignore_index=True)
    results = analyse_experiment_users(users).results
    check = srm_check_result(results)
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["mismatched_experiments"].data == ["skewed"]
    assert "control=1000, treatment=820" in check.metadata["mismatches"].value

    balanced = srm_check_result(results.loc[results["experiment_key"] == "balanced"])
    assert balanced.passed and balanced.metadata["mismatched_experiments"].data == []


def test_planted_mismatch_in_the_mart_fails_the_check(analytics_pipeline, tmp_path):
    """On a copy of the pipeline's warehouse: drop most of one arm's users from the mart, re-run the
    asset and its check through Dagster."""
    clean = analytics_pipeline.result.get_asset_check_evaluations()
    srm = [e for e in clean if e.check_name == "no_sample_ratio_mismatch"]
    assert srm and srm[0].passed, "the simulator plants no SRM: the check must pass on its data"

    copy = tmp_path / "planted.duckdb"
    shutil.copy(analytics_pipeline.duckdb_path, copy)
    con = duckdb.connect(str(copy))
    experiment, variant = con.execute(
        "select experiment_key, variant_key from marts.fct_experiment_user "
        "where is_exposed and not is_control group by 1, 2 order by count(*) desc limit 1"
    ).fetchone()
    # Keep one in five of that arm: a broken assignment or logging path looks exactly like this.
    con.execute(
        "delete from marts.fct_experiment_user where experiment_key = ? and variant_key = ? and customer_id % 5 <> 0",
        [experiment, variant],
    )
    con.close()

    result = dg.materialize(
        [experiment_analysis, no_sample_ratio_mismatch],
        resources={"warehouse": DuckDBWarehouse(path=str(copy))},
    )
    assert result.success  # an ERROR check reports, it does not fail the run
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "no_sample_ratio_mismatch"]
    assert not evaluation.passed
    assert evaluation.metadata["mismatched_experiments"].data == [experiment]
    assert evaluation.asset_key == RESULTS_KEY

    con = duckdb.connect(str(copy), read_only=True)
    decisions = con.execute(
        "select distinct decision from ml.experiment_results "
        "where experiment_key = ? and not is_control and status = 'ok'",
        [experiment],
    ).fetchall()
    con.close()
    assert decisions == [("untrustworthy",)]
