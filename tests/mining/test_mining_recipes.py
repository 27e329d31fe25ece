"""Recipe loading: good recipes load, each bad one fails alone with its file and problem named."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.mining import ALGORITHMS, PARAM_SPECS, RecipeError, dbt_model_columns, load_recipes, parse_recipe, run_recipe, timed
from ml.mining.spec import resolve_params

REPO = Path(__file__).resolve().parents[2]

GOOD = """
algorithm: kmeans
input: marts.fct_customer_features
columns: {id: customer_id, features: [visits, spend]}
params: {k_max: 4}
schedule: "30 5 * * 1-5"
"""

KNOWN = {"marts.fct_customer_features": ["customer_id", "visits", "spend"], "marts.fct_orders": ["order_id", "customer_id", "ordered_at"]}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_recipes_load_and_match_documented_mart_columns():
    known = dbt_model_columns(REPO / "dbt_project") if (REPO / "dbt_project" / "models").is_dir() else None
    recipes, errors = load_recipes(REPO / "recipes", known_columns=known)
    assert not errors, "\n".join(map(str, errors))
    algorithms = {r.algorithm for r in recipes}
    # The demo needs: segments, baskets, KPI anomalies, CLV, retention cohorts, next-best offers.
    assert {"rfm", "association_rules", "isolation_forest", "clv_bgnbd", "cohort_retention", "item_cf"} <= algorithms
    for r in recipes:
        assert all(t.startswith("analysis.") for t in r.output_tables.values())
        assert r.query.lower().lstrip().startswith(("select", "with"))
        assert r.upstream_tables, r.name


def test_one_bad_recipe_does_not_hide_the_others(tmp_path):
    write(tmp_path, "a_good.yaml", GOOD)
    write(tmp_path, "b_unknown_algorithm.yaml", GOOD.replace("kmeans", "kmeanz"))
    write(tmp_path, "c_missing_column.yaml", GOOD.replace("[visits, spend]", "[visits, spend_amount]"))
    write(tmp_path, "d_wrong_param_type.yaml", GOOD.replace("{k_max: 4}", "{k_max: four}"))
    write(tmp_path, "notes.txt", "not a recipe")
    recipes, errors = load_recipes(tmp_path, known_columns=KNOWN)
    assert [r.name for r in recipes] == ["a_good"]
    by_file = {e.path.name: str(e) for e in errors}
    assert set(by_file) == {"b_unknown_algorithm.yaml", "c_missing_column.yaml", "d_wrong_param_type.yaml"}
    assert "b_unknown_algorithm.yaml" in by_file["b_unknown_algorithm.yaml"]
    assert "unknown algorithm 'kmeanz' (did you mean 'kmeans'?)" in by_file["b_unknown_algorithm.yaml"]
    assert "column 'spend_amount' (role 'features') is not in marts.fct_customer_features" in by_file["c_missing_column.yaml"]
    assert "parameter 'k_max': expected int, got str 'four'" in by_file["d_wrong_param_type.yaml"]
    good = recipes[0]
    assert good.params["k_max"] == 4 and good.params["k_min"] == 2  # defaults filled
    assert good.schedule.kind == "cron" and good.schedule.cron == "30 5 * * 1-5"
    assert good.output_tables == {
        "assignments": "analysis.a_good",
        "profile": "analysis.a_good_profile",
        "selection": "analysis.a_good_selection",
    }
    assert good.query == 'select "customer_id", "visits", "spend" from marts.fct_customer_features'


@pytest.mark.parametrize(
    "change, problem",
    [
        (("{k_max: 4}", "{k_max: true}"), "parameter 'k_max': expected int, got bool True"),
        (("{k_max: 4}", "{k_max: 4, kmax: 5}"), "unknown parameter 'kmax'"),
        (("{k_max: 4}", "{k_max: 400}"), "above the maximum"),
        (("{k_max: 4}", "{standardise: 'yes'}"), "parameter 'standardise': expected bool"),
        (('"30 5 * * 1-5"', '"61 5 * * *"'), "values must be within 0-59"),
        (('"30 5 * * 1-5"', "hourly"), "neither 'daily', 'on_marts_update' nor a valid cron"),
        (("input: marts.fct_customer_features", "input: raw.customers"), "raw holds unhashed PII"),
        (("input: marts.fct_customer_features", "input: marts.fct_customer_feature"), "not a known mart (did you mean 'marts.fct_customer_features'?)"),
        (("input: marts.fct_customer_features", "input: {sql: 'delete from marts.x'}"), "starting with SELECT or WITH"),
        (("input: marts.fct_customer_features", "input: {sql: 'select * from raw.customers'}"), "reads the raw schema"),
        (("input: marts.fct_customer_features", "input: {sql: 'select 1; drop table marts.x'}"), "single statement"),
        (("columns: {id: customer_id, features: [visits, spend]}", "columns: {id: customer_id}"), "column role 'features' is required"),
        (("columns: {id: customer_id, features: [visits, spend]}", "columns: {id: customer_id, features: [a], colour: b}"), "unknown column role 'colour'"),
        (("algorithm: kmeans", "algorithm: kmeans\nparam: {}"), "unknown key 'param' (did you mean 'params'?)"),
        (("algorithm: kmeans", "algorithm: kmeans\nalgorithm: pca"), "duplicate key 'algorithm'"),
        (("columns:", "columns: [oops"), "invalid YAML"),
        (("algorithm: kmeans", "name: Customer Clusters\nalgorithm: kmeans"), "must be a lowercase identifier"),
        (("algorithm: kmeans", "output: " + "x" * 60 + "\nalgorithm: kmeans"), "longer than 63 characters"),
    ],
)
def test_invalid_recipes_name_file_and_problem(tmp_path, change, problem):
    path = write(tmp_path, "broken.yaml", GOOD.replace(*change))
    assert GOOD.replace(*change) != GOOD
    with pytest.raises(RecipeError) as info:
        parse_recipe(path, known_columns=KNOWN)
    assert str(path) in str(info.value)
    assert problem in str(info.value)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    path = write(tmp_path, "many.yaml", "algorithm: kmeans\ninput: marts.x\ncolumns: {features: [a]}\nparams: {k_max: 1.5, n_init: 0}\nschedule: weekly\n")
    with pytest.raises(RecipeError) as info:
        parse_recipe(path)
    assert len(info.value.problems) == 3
    assert "k_max" in str(info.value) and "n_init" in str(info.value) and "schedule" in str(info.value)


def test_duplicate_names_and_output_tables_reject_the_later_file(tmp_path):
    write(tmp_path, "a.yaml", GOOD + "name: clusters\n")
    write(tmp_path, "b.yaml", GOOD + "name: clusters\n")
    write(tmp_path, "c.yaml", GOOD + "output: other_clusters\n")
    write(tmp_path, "d.yaml", GOOD + "name: d\noutput: clusters\n")
    recipes, errors = load_recipes(tmp_path)
    assert [r.path.name for r in recipes] == ["a.yaml", "c.yaml"]
    messages = {e.path.name: str(e) for e in errors}
    assert "recipe name 'clusters' is already used by a.yaml" in messages["b.yaml"]
    assert "output table analysis.clusters is already written by a.yaml" in messages["d.yaml"]
    _, missing = load_recipes(tmp_path / "nowhere")
    assert "recipe folder does not exist" in str(missing[0])


def test_run_recipe_checks_sql_columns_and_returns_warehouse_tables(tmp_path):
    text = GOOD.replace("input: marts.fct_customer_features", "input:\n  sql: select * from marts.fct_customer_features")
    recipe = parse_recipe(write(tmp_path, "clusters.yaml", text))
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"customer_id": np.arange(300), "visits": np.r_[rng.normal(0, 1, 150), rng.normal(6, 1, 150)], "spend": rng.normal(0, 1, 300)})
    run = run_recipe(recipe, frame)
    assert set(run.tables) == {"analysis.clusters", "analysis.clusters_profile", "analysis.clusters_selection"}
    assert run.seconds > 0 and run.metadata["rows:analysis.clusters"] == 300 and run.metadata["input_rows"] == 300
    assert run.tables["analysis.clusters"]["cluster"].nunique() == 2
    with pytest.raises(RecipeError) as info:
        run_recipe(recipe, frame.rename(columns={"spend": "spend_amount"}))
    assert "clusters.yaml" in str(info.value) and "column 'spend' (role 'features') is not in the input sql result" in str(info.value)
    with pytest.raises(RecipeError, match="clusters.yaml.*must be numeric"):
        run_recipe(recipe, frame.assign(spend="n/a"))


def test_param_specs_and_timed_helper():
    assert set(PARAM_SPECS) == set(ALGORITHMS)
    spec = PARAM_SPECS["association_rules"]
    resolved, problems = resolve_params(spec, {"min_support": 1, "max_len": 2})
    assert not problems and resolved["min_support"] == 1.0 and isinstance(resolved["min_support"], float)
    _, problems = resolve_params(PARAM_SPECS["funnel"], {"steps": ["a", 3]})
    assert problems == ["parameter 'steps' item 1: expected str, got int 3"]
    result, seconds = timed(sum, [1, 2, 3])
    assert result == 6 and seconds >= 0
    for alg in ALGORITHMS.values():
        assert alg.doc and alg.outputs and alg.roles, alg.name
