"""The experiment and recipe assets merge into the code location: keys, groups, dependencies on the
right dbt models, the warehouse-writer pool, the SRM check, schedules, and the automation that
refreshes experiment results when new exposures reach the mart."""

from __future__ import annotations

import dagster as dg
import pytest

from ml.mining import dbt_model_columns, default_recipes_dir, load_recipes
from orchestration.environment import DBT_PROJECT_DIR

ML_KEYS = {dg.AssetKey(["ml", t]) for t in ("experiment_results", "experiment_factorial_effects", "experiment_factorial_anova")}
EXPERIMENT_UPSTREAM = {
    dg.AssetKey(["marts", "fct_experiment_user"]),
    dg.AssetKey(["staging", "stg_oltp__experiments"]),
    dg.AssetKey(["staging", "stg_oltp__experiment_variants"]),
}
SRM_CHECK = dg.AssetCheckKey(dg.AssetKey(["ml", "experiment_results"]), "no_sample_ratio_mismatch")


@pytest.fixture(scope="module")
def merged(dbt_manifest):
    """ORCH's code location plus our two domains, exactly as definitions.py will merge them."""
    from orchestration import definitions, experiments, mining

    defs = dg.Definitions.merge(definitions.defs, experiments.defs, mining.defs)
    dg.Definitions.validate_loadable(defs)
    return defs


@pytest.fixture(scope="module")
def graph(merged):
    return merged.resolve_asset_graph()


@pytest.fixture(scope="module")
def shipped_recipes():
    recipes, errors = load_recipes(default_recipes_dir(), known_columns=dbt_model_columns(DBT_PROJECT_DIR))
    assert not errors, "\n".join(map(str, errors))
    assert recipes
    return recipes


def test_experiment_assets_depend_on_the_experiment_marts(graph):
    for key in ML_KEYS:
        node = graph.get(key)
        assert node.is_materializable
        assert node.group_name == "experiments"
        assert set(node.parent_keys) == EXPERIMENT_UPSTREAM
    # The upstream keys are the dbt models themselves, not placeholders.
    for key in EXPERIMENT_UPSTREAM:
        assert graph.get(key).is_materializable, f"{key} is not a dbt asset"
    assert SRM_CHECK in graph.asset_check_keys


def test_every_shipped_recipe_is_an_asset_on_its_inputs(graph, shipped_recipes):
    for recipe in shipped_recipes:
        key = dg.AssetKey(["analysis", recipe.name])
        node = graph.get(key)
        assert node.is_materializable and node.group_name == "analysis"
        expected = {dg.AssetKey(table.split(".")) for table in recipe.upstream_tables}
        assert set(node.parent_keys) == expected, recipe.name
        for parent in node.parent_keys:
            assert graph.get(parent).is_materializable, f"{recipe.name}: {parent} is not a dbt asset"
    assert graph.get(dg.AssetKey(["analysis", "recipe_errors"])).is_materializable


def test_our_writers_share_the_warehouse_pool(merged):
    from orchestration import experiments, mining

    mine = [a for d in (experiments.defs, mining.defs) for a in [*(d.assets or []), *(d.asset_checks or [])]]
    ours = [a for a in mine
            if isinstance(a, dg.AssetsDefinition) and any(k.path[0] in ("ml", "analysis") for k in a.keys | {c.asset_key for c in a.check_keys})]
    assert len(ours) >= 3
    for assets_def in ours:
        assert assets_def.node_def.pool == "warehouse_writer", assets_def.node_def.name


def test_recipes_with_their_own_schedule(merged, shipped_recipes):
    from orchestration.mining import SELF_SCHEDULED_RECIPES

    own = {r.name: r for r in shipped_recipes if r.schedule.kind in ("daily", "cron")}
    assert own, "no shipped recipe has its own schedule: this test would prove nothing"
    schedules = {s.name: s for s in merged.schedules}
    for name, recipe in own.items():
        schedule = schedules[f"analysis_{name}_schedule"]
        assert schedule.cron_schedule == recipe.schedule.cron
        assert schedule.execution_timezone == "Asia/Shanghai"
        job = merged.resolve_job_def(f"analysis_{name}")
        assert job.asset_layer.selected_asset_keys == {dg.AssetKey(["analysis", name])}
    graph = merged.resolve_asset_graph()
    assert SELF_SCHEDULED_RECIPES.resolve(graph) == {dg.AssetKey(["analysis", n]) for n in own}
    # on_marts_update recipes have no schedule of their own: the daily refresh runs them.
    daily = merged.resolve_job_def("daily_refresh").asset_layer.selected_asset_keys
    for recipe in shipped_recipes:
        if recipe.schedule.kind == "on_marts_update":
            assert f"analysis_{recipe.name}_schedule" not in schedules
            assert dg.AssetKey(["analysis", recipe.name]) in daily


def _requested(result) -> set:
    return {r.key for r in result.results if r.true_subset.size}


def test_new_exposures_refresh_the_results_without_the_daily_run(merged):
    """Simulates the clickstream fast path updating the experiment mart in a run that does not
    include our assets: the automation sensor then requests the results and the SRM check; an
    unrelated mart update requests nothing."""
    from orchestration import experiments

    assert any(s.name == "experiments_automation_sensor" for s in merged.sensors)
    instance = dg.DagsterInstance.ephemeral()
    everything = [k for k in merged.resolve_asset_graph().get_all_asset_keys()]
    for key in everything:
        instance.report_runless_asset_event(dg.AssetMaterialization(key))
    defs = dg.Definitions.merge(merged, dg.Definitions())  # same graph, evaluated as the sensor does
    selection = dg.AssetSelection.groups("experiments")
    first = dg.evaluate_automation_conditions(defs, instance, asset_selection=selection)
    cursor = first.cursor

    instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["marts", "fct_orders"])))
    unrelated = dg.evaluate_automation_conditions(defs, instance, asset_selection=selection, cursor=cursor)
    assert _requested(unrelated) == set()

    instance.report_runless_asset_event(dg.AssetMaterialization(experiments.EXPERIMENT_USER_KEY))
    refreshed = dg.evaluate_automation_conditions(defs, instance, asset_selection=selection, cursor=unrelated.cursor)
    assert _requested(refreshed) == ML_KEYS | {SRM_CHECK}
