"""dbt models as Dagster assets (dagster-dbt): DbtProject + a translator + `dbt build`.

The manifest is read from dbt_project/target/manifest.json. Under `dagster dev` it is re-parsed at
load time (prepare_if_dev, orchestration/dbt_project.py) so model edits show up; everywhere else it
must have been prepared beforehand
(`dagster-dbt project prepare-and-package --file orchestration/dbt_project.py`), so loading the code
location never runs dbt.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.dbt_project import dbt_executable, zhishu_dbt_project
from orchestration.environment import Environment
from orchestration.ingestion import WAREHOUSE_WRITER_POOL, raw_asset_key

RAW_SCHEMA = "raw"


def _dagster_meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    # dbt >= 1.10 keeps `meta` under `config`; older manifests had it top-level. Honour both.
    config_meta = (props.get("config") or {}).get("meta") or {}
    return {**(props.get("meta") or {}).get("dagster", {}), **config_meta.get("dagster", {})}


class ZhishuDbtTranslator(DagsterDbtTranslator):
    """Keys: sources in `raw` are the ingestion assets raw/<table>; models are <schema>/<name>.
    Groups: meta.dagster.group (set per domain folder in dbt_project.yml), else the folder path."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        meta_key = _dagster_meta(dbt_resource_props).get("asset_key")
        if meta_key:
            return dg.AssetKey(meta_key)
        if dbt_resource_props["resource_type"] == "source" and dbt_resource_props.get("schema") == RAW_SCHEMA:
            return raw_asset_key(dbt_resource_props.get("identifier") or dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        group = _dagster_meta(dbt_resource_props).get("group")
        if group:
            return group
        folders = list(dbt_resource_props.get("fqn", []))[1:-1]  # drop package and model name
        return "_".join(folders) or "dbt"


dbt_translator = ZhishuDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_code_references=True)
)


@dbt_assets(
    manifest=zhishu_dbt_project.manifest_path,
    project=zhishu_dbt_project,
    dagster_dbt_translator=dbt_translator,
    name="zhishu_dbt_models",
    # dbt writes the same DuckDB file as ingestion: one writer at a time.
    pool=WAREHOUSE_WRITER_POOL,
)
def zhishu_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    # `build` runs models and their tests in DAG order; tests surface as asset checks.
    yield from dbt.cli(["build"], context=context).stream()


def dbt_resource(env: Environment) -> DbtCliResource:
    """The dbt CLI for the environment's target (profiles.yml: targets duckdb and postgres)."""
    return DbtCliResource(
        project_dir=zhishu_dbt_project, target=env.dbt_target, dbt_executable=dbt_executable()
    )


defs = dg.Definitions(assets=[zhishu_dbt_models])
