"""The table-shaping logic of the experiment asset on small synthetic marts (no warehouse): every
engine present, the engine to read chosen by experiment status, experiments without assignments
left out, an empty mart giving empty tables, and the per-experiment markdown summary."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from ml.experiments import RESULT_COLUMNS
from orchestration.experiments import EXTRA_RESULT_COLUMNS, analyse_all_engines, experiment_markdown

NOW = datetime(2026, 11, 24, 12, 0)


def _mart(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    users = []
    for experiment, variants in {"running_ab": ["control", "new"], "done_ab": ["old", "fast"]}.items():
        for i, variant in enumerate(variants):
            n = 400
            users.append(pd.DataFrame({
                "experiment_key": experiment, "variant_key": variant, "is_control": i == 0,
                "customer_id": np.arange(n) + 10_000 * (i + 1) + (0 if experiment == "running_ab" else 100_000),
                "is_exposed": True, "conversions": rng.binomial(1, 0.3 + 0.05 * i, n),
                "revenue_amount": rng.gamma(2.0, 30.0, n), "sessions": rng.poisson(3, n) + 1,
                "pre_period_revenue_amount": rng.gamma(2.0, 25.0, n), "pre_period_sessions": rng.poisson(2, n),
                "pre_period_orders": rng.poisson(0.4, n),
            }))
    experiments = pd.DataFrame({
        "experiment_key": ["running_ab", "done_ab", "not_started"],
        "design": ["ab", "ab", "ab"],
        "primary_metric": ["conversion", "revenue_per_user", "conversion"],
        "experiment_status": ["running", "concluded", "running"],
    })
    variants = pd.DataFrame({
        "experiment_key": ["running_ab", "running_ab", "done_ab", "done_ab", "not_started", "not_started"],
        "variant_key": ["control", "new", "old", "fast", "a", "b"],
        "is_control": [True, False, True, False, True, False],
        "traffic_weight": [5000, 5000, 5000, 5000, 5000, 5000],
        "factor_levels": [None] * 6,
    })
    return pd.concat(users, ignore_index=True), experiments, variants


def test_all_engines_and_the_engine_to_read():
    users, experiments, variants = _mart(np.random.default_rng(11))
    results, effects, anova = analyse_all_engines(users, experiments, variants, NOW)
    assert list(results.columns) == RESULT_COLUMNS + EXTRA_RESULT_COLUMNS
    assert set(results["experiment_key"]) == {"running_ab", "done_ab"}  # not_started has no assignments
    per_engine = results.groupby("engine").size()
    assert set(per_engine.index) == {"sequential", "frequentist", "bayesian"}
    assert per_engine.nunique() == 1
    chosen = results.loc[results["decision_engine"]].groupby("experiment_key")["engine"].unique()
    assert list(chosen["running_ab"]) == ["sequential"] and list(chosen["done_ab"]) == ["frequentist"]
    primary = results.loc[results["metric_role"] == "primary"].groupby("experiment_key")["metric"].unique()
    assert list(primary["running_ab"]) == ["conversion"] and list(primary["done_ab"]) == ["revenue_per_user"]
    assert (results["analysed_at"] == pd.Timestamp(NOW)).all()
    assert effects.empty and anova.empty  # no factorial design here


def test_empty_mart_gives_empty_tables_with_columns():
    _, experiments, variants = _mart(np.random.default_rng(1))
    empty = pd.DataFrame(columns=["experiment_key", "variant_key", "customer_id"])
    results, effects, anova = analyse_all_engines(empty, experiments, variants, NOW)
    assert results.empty and list(results.columns) == RESULT_COLUMNS + EXTRA_RESULT_COLUMNS
    assert effects.empty and anova.empty


def test_markdown_summary_lists_every_arm_of_the_primary_metric():
    users, experiments, variants = _mart(np.random.default_rng(3))
    results, _, _ = analyse_all_engines(users, experiments, variants, NOW)
    advice = pd.DataFrame({"experiment_key": ["running_ab"], "variant_key": ["new"], "recommendation": ["keep_running"]})
    text = experiment_markdown(results, advice, "running_ab")
    assert "`conversion`" in text and "sequential engine" in text
    assert "| control (control) |" in text and "| new |" in text and "keep_running" in text
    new = results.loc[(results["experiment_key"] == "running_ab") & (results["variant_key"] == "new")
                      & results["decision_engine"] & (results["metric"] == "conversion")].iloc[0]
    assert f"{new['rel_lift'] * 100:+.1f}%" in text
