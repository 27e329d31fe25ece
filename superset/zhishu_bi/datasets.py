"""Superset datasets generated from the dbt manifest (dbt_project/target/manifest.json).

One dataset per dbt model (and per documented dbt source) in the serving schemas: columns, types and
descriptions come from the model's YAML (contracts make `data_type` mandatory), saved metrics from the
semantic layer wherever a governed metric maps onto a single mart with plain aggregations. UUIDs are
uuid5 of the model name, so regenerating is idempotent and a new mart column appears after a rebuild.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import ids, settings

SERVING_SCHEMAS = settings.SERVING_SCHEMAS
SKIP_MODELS = {"metricflow_time_spine"}  # MetricFlow plumbing, not an analysis table
TEMPORAL_TYPES = ("date", "timestamp", "datetime", "time")
ROW_COUNT_METRIC = "count"
# Columns that carry source payloads verbatim (quarantined rows may hold names, e-mails, phones).
PII_COLUMNS = {"raw_payload"}


@dataclass
class Metric:
    name: str
    expression: str
    verbose_name: str | None = None
    description: str | None = None
    d3format: str | None = None
    warning_text: str | None = None


@dataclass
class Dataset:
    unique_id: str
    name: str
    schema: str
    description: str | None
    label_zh: str | None
    columns: list[dict[str, Any]]
    metrics: list[Metric] = field(default_factory=list)

    @property
    def uuid(self) -> str:
        return ids.dataset_uuid(self.name)

    @property
    def column_names(self) -> set[str]:
        return {c["name"] for c in self.columns}

    @property
    def metric_names(self) -> set[str]:
        return {m.name for m in self.metrics}


class ManifestError(ValueError):
    pass


def _superset_type(data_type: str | None) -> str | None:
    if not data_type:
        return None
    t = data_type.strip().lower()
    mapping = {"text": "VARCHAR", "string": "VARCHAR", "int": "INTEGER", "int4": "INTEGER", "int8": "BIGINT",
               "float": "DOUBLE", "float8": "DOUBLE", "double precision": "DOUBLE", "bool": "BOOLEAN"}
    return mapping.get(t, data_type.strip().upper())


def _is_temporal(data_type: str | None) -> bool:
    return bool(data_type) and data_type.strip().lower().startswith(TEMPORAL_TYPES)


def _meta(node: dict[str, Any]) -> dict[str, Any]:
    return {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}


def _bilingual(label: str | None, label_zh: str | None) -> str | None:
    if label_zh and label and label_zh not in label:
        return f"{label_zh} {label}"
    return label_zh or label


def load_datasets(manifest: dict[str, Any]) -> list[Dataset]:
    out: dict[str, Dataset] = {}
    nodes = list(manifest.get("nodes", {}).values()) + list(manifest.get("sources", {}).values())
    for node in nodes:
        if node.get("resource_type") not in ("model", "source"):
            continue
        if node.get("schema") not in SERVING_SCHEMAS or node.get("name") in SKIP_MODELS:
            continue
        if (node.get("config") or {}).get("materialized") == "ephemeral":
            continue
        if node.get("config", {}).get("enabled") is False:
            continue
        name = node.get("alias") or node.get("identifier") or node["name"]
        columns = []
        for col in (node.get("columns") or {}).values():
            col_meta = {**(col.get("meta") or {}), **((col.get("config") or {}).get("meta") or {})}
            if col_meta.get("pii") or col_meta.get("contains_pii") or col["name"] in PII_COLUMNS:
                continue  # never offered to dashboards (mark such columns `meta: {pii: true}` in dbt)
            columns.append({
                "name": col["name"],
                "description": (col.get("description") or "").strip() or None,
                "data_type": col.get("data_type"),
                "label_zh": col_meta.get("label_zh"),
            })
        if not columns:
            continue  # a model without YAML columns cannot be described (yet); it appears once documented
        if name in out:
            raise ManifestError(f"two serving relations are named {name!r} ({out[name].unique_id}, {node['unique_id']})")
        meta = _meta(node)
        out[name] = Dataset(
            unique_id=node["unique_id"], name=name, schema=node["schema"],
            description=(node.get("description") or "").strip() or None,
            label_zh=meta.get("label_zh"), columns=columns,
        )
    _attach_metrics(manifest, out)
    return sorted(out.values(), key=lambda d: (d.schema, d.name))


# --- semantic layer → saved metrics ----------------------------------------------------------------

_AGG = {
    "sum": "SUM({e})", "count": "COUNT({e})", "count_distinct": "COUNT(DISTINCT {e})", "average": "AVG({e})",
    "avg": "AVG({e})", "min": "MIN({e})", "max": "MAX({e})",
    "sum_boolean": "SUM(CASE WHEN {e} THEN 1 ELSE 0 END)",
}
_DIM_REF = re.compile(r"\{\{\s*Dimension\(\s*['\"]([A-Za-z0-9_]+)__([A-Za-z0-9_]+)['\"]\s*\)\s*\}\}")


@dataclass
class _Measure:
    model: str
    agg: str
    expr: str
    non_additive: dict[str, Any] | None
    agg_params: dict[str, Any] | None


def _semantic_index(manifest: dict[str, Any], datasets: dict[str, Dataset]) -> tuple[dict[str, _Measure], dict[str, dict[str, str]]]:
    measures: dict[str, _Measure] = {}
    dimensions: dict[str, dict[str, str]] = {}  # model -> dimension name -> SQL expression
    by_uid = {d.unique_id: d.name for d in datasets.values()}
    for sm in (manifest.get("semantic_models") or {}).values():
        model = None
        for dep in (sm.get("depends_on") or {}).get("nodes", []):
            if dep in by_uid:
                model = by_uid[dep]
        if model is None:
            alias = (sm.get("node_relation") or {}).get("alias")
            model = alias if alias in datasets else None
        if model is None:
            continue
        dims = dimensions.setdefault(model, {})
        for dim in sm.get("dimensions") or []:
            dims[dim["name"]] = dim.get("expr") or dim["name"]
        for ent in sm.get("entities") or []:
            dims.setdefault(ent["name"], ent.get("expr") or ent["name"])
        for m in sm.get("measures") or []:
            measures[m["name"]] = _Measure(
                model=model, agg=(m.get("agg") or "").lower(), expr=str(m.get("expr") or m["name"]),
                non_additive=m.get("non_additive_dimension"), agg_params=m.get("agg_params"),
            )
    return measures, dimensions


def _filter_sql(filters: Any, model: str, dimensions: dict[str, dict[str, str]]) -> str | None | bool:
    """WHERE-filters of a metric input as SQL on the mart, None when absent, False when untranslatable."""
    if not filters:
        return None
    where = filters.get("where_filters") if isinstance(filters, dict) else None
    if where is None:
        return False
    parts = []
    for wf in where:
        sql = wf.get("where_sql_template", "")
        dims = dimensions.get(model, {})

        def repl(match: re.Match[str]) -> str:
            dim = match.group(2)
            if dim not in dims:
                raise KeyError(dim)
            return dims[dim]

        try:
            translated = _DIM_REF.sub(repl, sql)
        except KeyError:
            return False
        if "{{" in translated:
            return False  # TimeDimension/Entity/metric references: not a plain column filter
        parts.append(f"({translated})")
    return " AND ".join(parts) if parts else None


def _aggregate(measure: _Measure, where: str | None) -> str | None:
    expr = measure.expr
    if where:
        expr = f"CASE WHEN {where} THEN {expr} END"
        if measure.agg == "sum_boolean":
            return f"SUM(CASE WHEN {where} AND ({measure.expr}) THEN 1 ELSE 0 END)"
    if measure.agg in ("percentile", "median"):
        params = measure.agg_params or {}
        pct = 0.5 if measure.agg == "median" else params.get("percentile")
        if pct is None:
            return None
        func = "percentile_disc" if params.get("use_discrete_percentile") else "percentile_cont"
        return f"{func}({pct}) WITHIN GROUP (ORDER BY {expr})"
    template = _AGG.get(measure.agg)
    return template.format(e=expr) if template else None


def _attach_metrics(manifest: dict[str, Any], datasets: dict[str, Dataset]) -> None:
    measures, dimensions = _semantic_index(manifest, datasets)
    metrics = {m["name"]: m for m in (manifest.get("metrics") or {}).values()}
    resolved: dict[str, tuple[str, str, str | None]] = {}  # metric -> (model, SQL, warning)

    def resolve(name: str, depth: int = 0) -> tuple[str, str, str | None] | None:
        if name in resolved:
            return resolved[name]
        metric = metrics.get(name)
        if metric is None or depth > 8:
            return None
        tp = metric.get("type_params") or {}
        kind = metric.get("type")
        result = None
        if kind == "simple":
            ref = tp.get("measure") or {}
            measure = measures.get(ref.get("name", ""))
            if measure is None:
                return None
            where_parts = [w for w in (_filter_sql(metric.get("filter"), measure.model, dimensions),
                                       _filter_sql(ref.get("filter"), measure.model, dimensions)) if w is not None]
            if any(w is False for w in where_parts):
                return None
            sql = _aggregate(measure, " AND ".join(where_parts) or None)
            if sql is None:
                return None
            warning = None
            if measure.non_additive:
                dim = measure.non_additive.get("name", "time")
                warning = f"Semi-additive over {dim}: only meaningful within a single {dim} period."
            if ref.get("fill_nulls_with") is not None:
                sql = f"COALESCE({sql}, {ref['fill_nulls_with']})"
            result = (measure.model, sql, warning)
        elif kind == "ratio":
            num, den = tp.get("numerator") or {}, tp.get("denominator") or {}
            if num.get("filter") or den.get("filter") or metric.get("filter"):
                return None
            a, b = resolve(num.get("name", ""), depth + 1), resolve(den.get("name", ""), depth + 1)
            if a and b and a[0] == b[0]:
                result = (a[0], f"CAST({a[1]} AS DOUBLE PRECISION) / NULLIF({b[1]}, 0)", a[2] or b[2])
        elif kind == "derived":
            inputs = tp.get("metrics") or []
            expr = tp.get("expr")
            if not expr or metric.get("filter"):
                return None
            subs = {}
            for inp in inputs:
                if inp.get("filter") or inp.get("offset_window") or inp.get("offset_to_grain"):
                    return None
                r = resolve(inp.get("name", ""), depth + 1)
                if r is None:
                    return None
                subs[inp.get("alias") or inp["name"]] = r
            models = {r[0] for r in subs.values()}
            if len(models) != 1:
                return None
            sql = re.sub(r"\b([A-Za-z_][A-Za-z0-9_]*)\b",
                         lambda m: f"CAST({subs[m.group(1)][1]} AS DOUBLE PRECISION)" if m.group(1) in subs else m.group(1),
                         expr)
            warning = next((r[2] for r in subs.values() if r[2]), None)
            result = (models.pop(), sql, warning)
        if result:
            resolved[name] = result
        return result

    for name, metric in sorted(metrics.items()):
        r = resolve(name)
        if r is None:
            continue
        model, sql, warning = r
        meta = _meta(metric)
        datasets[model].metrics.append(Metric(
            name=name, expression=sql,
            verbose_name=_bilingual(metric.get("label"), meta.get("label_zh")),
            description=(metric.get("description") or "").strip() or None,
            d3format=meta.get("d3format") or meta.get("format"),
            warning_text=warning,
        ))


# --- export YAML ---------------------------------------------------------------------------------

def _main_dttm(ds: Dataset) -> str | None:
    temporal = [c["name"] for c in ds.columns if _is_temporal(c["data_type"])]
    preferred = [n for n in temporal if not n.endswith(("_at", "updated", "loaded"))]
    return (preferred or temporal or [None])[0]


def to_export_yaml(ds: Dataset, database_uuid: str) -> dict[str, Any]:
    metrics = list(ds.metrics)
    if ROW_COUNT_METRIC not in ds.metric_names:
        metrics.insert(0, Metric(ROW_COUNT_METRIC, "COUNT(*)", "行数 Row count", "Number of rows."))
    return {
        "table_name": ds.name,
        "main_dttm_col": _main_dttm(ds),
        "description": ds.description,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "catalog": None,
        "schema": ds.schema,
        "sql": None,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": {
            "dbt_unique_id": ds.unique_id,
            "certification": {
                "certified_by": "dbt",
                "details": f"Generated from dbt {ds.unique_id} ({ds.label_zh or ds.name}); edit the dbt YAML, not Superset.",
            }
        },
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": ds.uuid,
        "is_managed_externally": True,
        "external_url": None,
        "metrics": [
            {
                "metric_name": m.name,
                "verbose_name": m.verbose_name,
                "metric_type": None,
                "expression": m.expression,
                "description": m.description,
                "d3format": m.d3format,
                "currency": None,
                "extra": {},
                "warning_text": m.warning_text,
            }
            for m in metrics
        ],
        "columns": [
            {
                "column_name": c["name"],
                "verbose_name": c["label_zh"],
                "is_dttm": _is_temporal(c["data_type"]),
                "is_active": True,
                "type": _superset_type(c["data_type"]),
                "advanced_data_type": None,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": c["description"],
                "python_date_format": None,
                "extra": {},
            }
            for c in ds.columns
        ],
        "version": "1.0.0",
        "database_uuid": database_uuid,
    }
