"""Compact dashboard specs (superset/dashboards/*.yaml) → Superset export YAML (charts, dashboards).

A spec names its charts by dataset table name and metric/column names; everything is checked against
the generated datasets (themselves generated from the dbt manifest), so a renamed mart column fails
the build with the spec file, chart and name instead of a broken chart at runtime.

Spec layout:
  key, title, slug, description, refresh_frequency (s), chart_cache_timeout (s),
  requires_datasets: [tables] (skip, with a notice, until these datasets exist),
  roles: [analyst, viewer]  (who may open it; partner_portal: true marks the partner-scoped one)
  filters: [{key, type: time|select, name, dataset, column, default, multi}]
  rows: [{charts: [chart spec + width/height]} | {markdown: "...", height}]   or   tabs: [{title, rows}]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import charts, ids, settings

GRID_WIDTH = 12
DEFAULT_ROLES = ["analyst", "viewer"]
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class SpecError(ValueError):
    pass


@dataclass
class Built:
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)      # file name -> chart YAML
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)  # file name -> dashboard YAML
    access: dict[str, Any] = field(default_factory=lambda: {"dashboards": {}, "partner_datasets": []})
    exposures: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # dashboard key -> datasets it waits for


def load_specs(specs_dir: Path | None = None) -> list[tuple[Path, dict[str, Any]]]:
    root = specs_dir or settings.SPECS_DIR
    out = []
    for path in sorted(root.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(spec, dict):
            raise SpecError(f"{path}: expected a mapping")
        out.append((path, spec))
    return out


def build_all(datasets: dict[str, dict[str, Any]], specs_dir: Path | None = None) -> Built:
    built = Built()
    keys: dict[str, Path] = {}
    partner_tables: set[str] = set()
    for path, spec in load_specs(specs_dir):
        key = spec.get("key")
        if not key or not KEY_RE.match(key):
            raise SpecError(f"{path}: `key` must be snake_case, got {key!r}")
        if key in keys:
            raise SpecError(f"{path}: key {key!r} already used by {keys[key]}")
        keys[key] = path
        missing = [t for t in spec.get("requires_datasets") or [] if t not in datasets]
        if missing:
            # A dashboard over tables other components publish (audit, ml) waits until they are
            # declared in dbt; it is reported, never half-built.
            built.skipped[key] = missing
            continue
        _build_dashboard(path, spec, datasets, built, partner_tables)
    for table in sorted(partner_tables):
        if "partner_id" not in {c["column_name"] for c in datasets[table]["columns"]}:
            raise SpecError(f"partner portal uses dataset {table}, which has no partner_id column for row-level security")
        built.access["partner_datasets"].append(datasets[table]["uuid"])
    return built


def _build_dashboard(path: Path, spec: dict[str, Any], datasets: dict[str, dict[str, Any]], built: Built,
                     partner_tables: set[str]) -> None:
    key = spec["key"]
    for required in ("title",):
        if not spec.get(required):
            raise SpecError(f"{path}: missing `{required}`")
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": spec["title"]}},
    }
    chart_ids: dict[str, int] = {}        # chart key -> placeholder id (import maps to real ids)
    chart_tables: dict[str, str] = {}     # chart key -> dataset table
    chart_times: dict[str, str | None] = {}
    used_tables: set[str] = set()
    counter = {"row": 0, "md": 0}

    def add_rows(rows: list[dict[str, Any]], parent_id: str, parents: list[str], where: str) -> None:
        for r_index, row in enumerate(rows):
            counter["row"] += 1
            row_id = f"ROW-{key}-{counter['row']}"
            row_parents = parents + [parent_id]
            position[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": row_parents,
                                "meta": {"background": "BACKGROUND_TRANSPARENT"}}
            position[parent_id]["children"].append(row_id)
            if "markdown" in row:
                counter["md"] += 1
                md_id = f"MARKDOWN-{key}-{counter['md']}"
                position[md_id] = {"type": "MARKDOWN", "id": md_id, "children": [], "parents": row_parents + [row_id],
                                   "meta": {"code": row["markdown"], "width": row.get("width", GRID_WIDTH),
                                            "height": row.get("height", 12)}}
                position[row_id]["children"].append(md_id)
                continue
            total = 0
            for raw_spec in row.get("charts") or []:
                # dashboard-level `defaults`, then row-level `defaults`, then the chart's own keys
                c_spec = {**(spec.get("defaults") or {}), **(row.get("defaults") or {}), **raw_spec}
                ck = c_spec.get("key")
                cwhere = f"{path.name}: {where} row {r_index + 1} chart {ck!r}"
                if not ck or not KEY_RE.match(ck):
                    raise SpecError(f"{cwhere}: chart `key` must be snake_case")
                if ck in chart_ids:
                    raise SpecError(f"{cwhere}: duplicate chart key")
                table = c_spec.get("dataset")
                if table not in datasets:
                    raise SpecError(f"{cwhere}: dataset {table!r} does not exist (generated datasets: "
                                    f"{', '.join(sorted(datasets)) or 'none'})")
                ds = datasets[table]
                _check_names(c_spec, ds, cwhere)
                params, queries = charts.build(c_spec, ds, cwhere)
                chart_ids[ck] = len(chart_ids) + 1
                chart_tables[ck] = table
                chart_times[ck] = c_spec.get("time", ds.get("main_dttm_col"))
                used_tables.add(table)
                uuid = ids.chart_uuid(key, ck)
                title = c_spec.get("title") or ck
                cache_timeout = c_spec.get("cache_timeout", spec.get("chart_cache_timeout"))
                built.charts[f"{key}__{ck}.yaml"] = {
                    "slice_name": title,
                    "description": c_spec.get("description"),
                    "certified_by": None,
                    "certification_details": None,
                    "viz_type": params["viz_type"],
                    "params": params,
                    "query_context": json.dumps(charts.query_context(params, queries), ensure_ascii=False),
                    "cache_timeout": cache_timeout,
                    "uuid": uuid,
                    "version": "1.0.0",
                    "dataset_uuid": ds["uuid"],
                    "is_managed_externally": True,
                    "external_url": None,
                }
                width = int(c_spec.get("width", 4))
                total += width
                chart_node = f"CHART-{key}-{ck}"
                position[chart_node] = {
                    "type": "CHART", "id": chart_node, "children": [], "parents": row_parents + [row_id],
                    "meta": {"chartId": chart_ids[ck], "uuid": uuid, "sliceName": title, "width": width,
                             "height": int(c_spec.get("height", row.get("height", 50)))},
                }
                position[row_id]["children"].append(chart_node)
            if total > GRID_WIDTH:
                raise SpecError(f"{path.name}: {where} row {r_index + 1} is {total} columns wide (max {GRID_WIDTH})")

    if spec.get("tabs"):
        tabs_id = f"TABS-{key}"
        position[tabs_id] = {"type": "TABS", "id": tabs_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"], "meta": {}}
        position["GRID_ID"]["children"].append(tabs_id)
        for t_index, tab in enumerate(spec["tabs"]):
            tab_id = f"TAB-{key}-{t_index + 1}"
            position[tab_id] = {"type": "TAB", "id": tab_id, "children": [], "parents": ["ROOT_ID", "GRID_ID", tabs_id],
                                "meta": {"text": tab["title"], "defaultText": "Tab title", "placeholder": "Tab title"}}
            position[tabs_id]["children"].append(tab_id)
            add_rows(tab.get("rows") or [], tab_id, ["ROOT_ID", "GRID_ID", tabs_id], f"tab {tab['title']!r}")
    else:
        add_rows(spec.get("rows") or [], "GRID_ID", ["ROOT_ID"], "layout")
    if not chart_ids:
        raise SpecError(f"{path}: no charts")

    native_filters = [_native_filter(path, key, f, datasets, chart_ids, chart_tables, chart_times)
                      for f in spec.get("filters") or []]
    if spec.get("require_filters", True):
        kinds = {f.get("type") for f in spec.get("filters") or []}
        if "time" not in kinds or "select" not in kinds:
            raise SpecError(f"{path}: every dashboard needs a date-range filter and at least one dimension filter")

    uuid = ids.dashboard_uuid(key)
    built.dashboards[f"{key}.yaml"] = {
        "dashboard_title": spec["title"],
        "description": spec.get("description"),
        "css": spec.get("css", ""),
        "slug": spec.get("slug") or key.replace("_", "-"),
        "certified_by": "Zhishu BI",
        "certification_details": f"Built from superset/dashboards/{path.name}",
        "published": True,
        "uuid": uuid,
        "position": position,
        "metadata": {
            "color_scheme": spec.get("color_scheme", "supersetColors"),
            "refresh_frequency": int(spec.get("refresh_frequency", 0)),
            "timed_refresh_immune_slices": [],
            "expanded_slices": {},
            "label_colors": {},
            "shared_label_colors": [],
            "map_label_colors": {},
            "color_scheme_domain": [],
            "cross_filters_enabled": True,
            "native_filter_configuration": native_filters,
            "default_filters": "{}",
            "filter_scopes": {},
        },
        "version": "1.0.0",
        "is_managed_externally": True,
        "external_url": None,
    }
    roles = list(spec.get("roles") or DEFAULT_ROLES)
    if spec.get("partner_portal"):
        roles = sorted(set(roles) | {"partner"})
        partner_tables.update(used_tables)
    elif "partner" in roles:
        raise SpecError(f"{path}: only the partner portal (partner_portal: true) may be opened to partners")
    built.access["dashboards"][uuid] = roles
    built.exposures.append({
        "name": f"superset_{key}",
        "label": spec["title"],
        "type": "dashboard",
        "maturity": "high",
        "url": f"http://localhost:{settings.port()}/superset/dashboard/{spec.get('slug') or key.replace('_', '-')}/",
        "description": (spec.get("description") or spec["title"]).strip(),
        "depends_on": sorted(_dbt_ref(datasets[t]) for t in used_tables),
        "owner": {"name": "Zhishu BI", "email": "bi@zhishu.local"},
    })


def _dbt_ref(dataset: dict[str, Any]) -> str:
    uid = (dataset.get("extra") or {}).get("dbt_unique_id", "")
    parts = uid.split(".")
    if uid.startswith("source.") and len(parts) >= 4:
        return f"source('{parts[2]}', '{parts[3]}')"
    return f"ref('{dataset['table_name']}')"


def _check_names(c_spec: dict[str, Any], ds: dict[str, Any], where: str) -> None:
    columns = {c["column_name"] for c in ds["columns"]}
    metrics = {m["metric_name"] for m in ds["metrics"]}
    for m in (c_spec.get("metrics") or []) + ([c_spec["metric"]] if "metric" in c_spec else []):
        if isinstance(m, str) and m not in metrics:
            raise SpecError(f"{where}: metric {m!r} is not a saved metric of {ds['table_name']} "
                            f"(has: {', '.join(sorted(metrics))})")
        if isinstance(m, dict) and "column" in m and m["column"] not in columns:
            raise SpecError(f"{where}: column {m['column']!r} not in {ds['table_name']}")
    named = list(c_spec.get("groupby") or []) + list(c_spec.get("columns") or [])
    for extra_key in ("x", "time"):
        if c_spec.get(extra_key):
            named.append(c_spec[extra_key])
    order = c_spec.get("order_by")
    if isinstance(order, str) and order not in metrics:
        named.append(order)
    for col in named:
        if col not in columns:
            raise SpecError(f"{where}: column {col!r} not in {ds['table_name']} (has: {', '.join(sorted(columns))})")


def _native_filter(path: Path, key: str, f: dict[str, Any], datasets: dict[str, dict[str, Any]],
                   chart_ids: dict[str, int], chart_tables: dict[str, str], chart_times: dict[str, str | None]) -> dict[str, Any]:
    fkey = f.get("key")
    if not fkey or not KEY_RE.match(fkey):
        raise SpecError(f"{path.name}: filter `key` must be snake_case, got {fkey!r}")
    base = {
        "id": f"NATIVE_FILTER-{key}-{fkey}".replace("_", "-"),
        "name": f.get("name") or fkey,
        "type": "NATIVE_FILTER",
        "description": f.get("description", ""),
        "cascadeParentIds": [],
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
    }
    if f.get("type") == "time":
        # Charts without a time column cannot take a date range: keep them out of scope.
        excluded = [chart_ids[c] for c, t in chart_times.items() if not t]
        base.update({"filterType": "filter_time", "targets": [{}], "controlValues": {"enableEmptyFilter": False},
                     "scope": {"rootPath": ["ROOT_ID"], "excluded": excluded}})
        if f.get("default"):
            base["defaultDataMask"] = {"extraFormData": {"time_range": f["default"]},
                                       "filterState": {"value": f["default"]}, "ownState": {}}
        return base
    if f.get("type") == "select":
        table, column = f.get("dataset"), f.get("column")
        if table not in datasets:
            raise SpecError(f"{path.name}: filter {fkey!r}: dataset {table!r} does not exist")
        if column not in {c["column_name"] for c in datasets[table]["columns"]}:
            raise SpecError(f"{path.name}: filter {fkey!r}: column {column!r} not in {table}")
        # A select filter applies by column name: charts whose dataset lacks the column stay out of scope.
        excluded = [chart_ids[c] for c, t in chart_tables.items()
                    if column not in {col["column_name"] for col in datasets[t]["columns"]}]
        base.update({
            "filterType": "filter_select",
            "targets": [{"column": {"name": column}, "datasetUuid": datasets[table]["uuid"]}],
            "controlValues": {"enableEmptyFilter": False, "defaultToFirstItem": False,
                              "multiSelect": f.get("multi", True), "searchAllOptions": False,
                              "inverseSelection": False},
            "scope": {"rootPath": ["ROOT_ID"], "excluded": excluded},
        })
        return base
    raise SpecError(f"{path.name}: filter {fkey!r}: type must be time or select")
