"""Chart form data (`params`) and stored query context for the chart kinds the dashboard specs use.

The dashboard UI builds its queries in the browser from `params`; the stored `query_context` is what
`GET /api/v1/chart/<id>/data/`, cache warm-up and the tests run. Both are produced here from one
compact chart spec, and the query context mirrors what Superset 6.1's frontend sends for the same
form data, so a warm-up fills exactly the cache entries the dashboard reads.

Chart spec keys (YAML):
  key        stable id within the dashboard (uuid5 seed)          title   chart title (bilingual)
  viz        kpi | kpi_trend | line | bar | area | bar_category | pie | table
  dataset    table name of a generated dataset                     time    temporal column (default: the dataset's main one)
  metric / metrics   saved metric name, or {sql: ..., label: ...}, or {agg: SUM, column: ..., label: ...}
  groupby    dimension columns; columns (table raw mode)           x       category column (bar_category)
  grain      P1D | P1W | P1M | PT1H ...                            format  d3 number format
  filters    [{sql: "..."}] extra WHERE clauses                    row_limit, order_desc, stack, ...
  time_range the chart's own default range (e.g. "Last 90 days : tomorrow"); `time: null` = no time column
"""

from __future__ import annotations

import copy
from typing import Any

DEFAULT_TIME_RANGE = "No filter"


class ChartSpecError(ValueError):
    pass


def metric_ref(m: Any, where: str) -> Any:
    """Saved metric name (string) or an ad-hoc metric dict as Superset stores it."""
    if isinstance(m, str):
        return m
    if isinstance(m, dict) and "sql" in m:
        label = m.get("label") or m["sql"]
        return {"expressionType": "SQL", "sqlExpression": m["sql"], "label": label,
                "hasCustomLabel": True, "optionName": f"metric_{_slug(label)}"}
    if isinstance(m, dict) and "agg" in m and "column" in m:
        label = m.get("label") or f"{m['agg'].upper()}({m['column']})"
        return {"expressionType": "SIMPLE", "aggregate": m["agg"].upper(),
                "column": {"column_name": m["column"]}, "label": label,
                "hasCustomLabel": "label" in m, "optionName": f"metric_{_slug(label)}"}
    raise ChartSpecError(f"{where}: metric must be a saved metric name, {{sql, label}} or {{agg, column, label}}: {m!r}")


def metric_label(m: Any) -> str:
    return m if isinstance(m, str) else m["label"]


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text.lower())[:40]


def _temporal_filter(time_col: str | None, time_range: str = DEFAULT_TIME_RANGE) -> list[dict[str, Any]]:
    if not time_col:
        return []
    return [{"clause": "WHERE", "subject": time_col, "operator": "TEMPORAL_RANGE",
             "comparator": time_range, "expressionType": "SIMPLE"}]


def _sql_filters(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"clause": "WHERE", "expressionType": "SQL", "sqlExpression": f["sql"],
             "subject": None, "operator": None, "comparator": None}
            for f in spec.get("filters") or []]


def _query_filters(time_col: str | None, time_range: str = DEFAULT_TIME_RANGE) -> list[dict[str, Any]]:
    return [{"col": time_col, "op": "TEMPORAL_RANGE", "val": time_range}] if time_col else []


def _where(spec: dict[str, Any]) -> str:
    clauses = [f"({f['sql']})" for f in spec.get("filters") or []]
    return " AND ".join(clauses)


def _base_query(spec: dict[str, Any], time_col: str | None, grain: str | None = None) -> dict[str, Any]:
    """The query object fields Superset 6.1's buildQueryContext always sends (keys match the browser's)."""
    extras = {"having": "", "where": _where(spec)}
    if grain:
        extras["time_grain_sqla"] = grain
    return {
        "annotation_layers": [],
        "applied_time_extras": {},
        "columns": [],
        "custom_form_data": {},
        "custom_params": {},
        "extras": extras,
        "filters": _query_filters(time_col, spec.get("time_range", DEFAULT_TIME_RANGE)),
        "group_others_when_limit_reached": False,
        "metrics": [],
        "order_desc": True,
        "series_limit": 0,
        "url_params": {},
    }


def _axis_column(column: str, grain: str | None) -> dict[str, Any]:
    col = {"columnType": "BASE_AXIS", "expressionType": "SQL", "isColumnReference": True,
           "label": column, "sqlExpression": column}
    if grain:
        col["timeGrain"] = grain
    return col


def build(spec: dict[str, Any], dataset: dict[str, Any], where: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(params, queries) for one chart spec against its generated dataset YAML."""
    viz = spec.get("viz")
    builder = BUILDERS.get(viz)
    if builder is None:
        raise ChartSpecError(f"{where}: unknown viz {viz!r}; expected one of {', '.join(sorted(BUILDERS))}")
    params, queries = builder(spec, dataset, where)
    params.setdefault("adhoc_filters", [])
    params["extra_form_data"] = {}
    params["dashboards"] = []
    return params, queries


def _time_col(spec: dict[str, Any], dataset: dict[str, Any], where: str, required: bool) -> str | None:
    col = spec.get("time", dataset.get("main_dttm_col"))
    if required and not col:
        raise ChartSpecError(f"{where}: dataset {dataset['table_name']} has no temporal column; set `time:`")
    return col


def _metrics(spec: dict[str, Any], where: str) -> list[Any]:
    raw = spec.get("metrics") or ([spec["metric"]] if "metric" in spec else [])
    if not raw:
        raise ChartSpecError(f"{where}: no metric")
    return [metric_ref(m, where) for m in raw]


def _kpi(spec, dataset, where):
    time_col = _time_col(spec, dataset, where, required=False)
    metric = _metrics(spec, where)[0]
    params = {
        "viz_type": "big_number_total",
        "metric": metric,
        "adhoc_filters": _temporal_filter(time_col, spec.get("time_range", DEFAULT_TIME_RANGE)) + _sql_filters(spec),
        "header_font_size": 0.4,
        "subheader_font_size": 0.15,
        "y_axis_format": spec.get("format", "SMART_NUMBER"),
        "time_format": "smart_date",
        "subheader": spec.get("subheader", ""),
    }
    q = _base_query(spec, time_col)
    q["metrics"] = [metric]
    return params, [q]


def _kpi_trend(spec, dataset, where):
    time_col = _time_col(spec, dataset, where, required=True)
    metric = _metrics(spec, where)[0]
    grain = spec.get("grain", "P1D")
    params = {
        "viz_type": "big_number",
        "x_axis": time_col,
        "time_grain_sqla": grain,
        "metric": metric,
        "adhoc_filters": _temporal_filter(time_col, spec.get("time_range", DEFAULT_TIME_RANGE)) + _sql_filters(spec),
        "show_trend_line": True,
        "start_y_axis_at_zero": spec.get("start_at_zero", True),
        "compare_lag": spec.get("compare_lag", 1),
        "compare_suffix": spec.get("compare_suffix", "环比 vs previous"),
        "header_font_size": 0.4,
        "subheader_font_size": 0.15,
        "y_axis_format": spec.get("format", "SMART_NUMBER"),
        "time_format": "smart_date",
        "rolling_type": "None",
    }
    q = _base_query(spec, time_col, grain)
    q["columns"] = [_axis_column(time_col, grain)]
    q["metrics"] = [metric]
    q["post_processing"] = [
        {"operation": "pivot",
         "options": {"aggregates": {metric_label(metric): {"operator": "mean"}}, "columns": [],
                     "drop_missing_columns": True, "index": [time_col]}},
        {"operation": "flatten"},
    ]
    return params, [q]


def _timeseries(viz_type):
    def builder(spec, dataset, where):
        time_col = _time_col(spec, dataset, where, required=True)
        metrics = _metrics(spec, where)
        groupby = list(spec.get("groupby") or [])
        grain = spec.get("grain", "P1D")
        params = {
            "viz_type": viz_type,
            "x_axis": time_col,
            "time_grain_sqla": grain,
            "x_axis_sort_asc": True,
            "metrics": metrics,
            "groupby": groupby,
            "adhoc_filters": _temporal_filter(time_col, spec.get("time_range", DEFAULT_TIME_RANGE)) + _sql_filters(spec),
            "order_desc": True,
            "row_limit": spec.get("row_limit", 10000),
            "truncate_metric": True,
            "show_empty_columns": True,
            "comparison_type": "values",
            "annotation_layers": [],
            "forecastPeriods": 10,
            "forecastInterval": 0.8,
            "x_axis_title_margin": 15,
            "y_axis_title_margin": 15,
            "y_axis_title_position": "Left",
            "sort_series_type": "sum",
            "color_scheme": "supersetColors",
            "only_total": True,
            "show_legend": True,
            "legendType": "scroll",
            "legendOrientation": "top",
            "x_axis_time_format": "smart_date",
            "rich_tooltip": True,
            "tooltipTimeFormat": "smart_date",
            "y_axis_format": spec.get("format", "SMART_NUMBER"),
            "truncateXAxis": True,
            "y_axis_bounds": [None, None],
            "rolling_type": None,
            "extra_form_data": {},
        }
        if spec.get("series_limit"):
            params["limit"] = spec["series_limit"]
            params["timeseries_limit_metric"] = metrics[0]
        if viz_type == "echarts_timeseries_bar":
            params["orientation"] = "vertical"
            params["stack"] = "Stack" if spec.get("stack") else None
        if viz_type == "echarts_area":
            params["stack"] = "Stack" if spec.get("stack", True) else None
            params["opacity"] = 0.2
        if viz_type == "echarts_timeseries_line":
            params["markerEnabled"] = False
            params["seriesType"] = "line"
        q = _base_query(spec, time_col, grain)
        q["columns"] = [_axis_column(time_col, grain)] + groupby
        q["metrics"] = metrics
        q["orderby"] = [[metrics[0], False]]
        q["row_limit"] = params["row_limit"]
        q["series_columns"] = groupby
        q["series_limit"] = spec.get("series_limit", 0)
        if spec.get("series_limit"):
            q["series_limit_metric"] = metrics[0]
        q["time_offsets"] = []
        post = [{"operation": "pivot", "options": {
            "aggregates": {metric_label(m): {"operator": "mean"} for m in metrics},
            "columns": groupby, "drop_missing_columns": False, "index": [time_col]}}]
        if groupby and len(metrics) == 1:
            # one metric split by series: the browser drops the metric name from series labels
            post.append({"operation": "rename", "options": {
                "columns": {metric_label(metrics[0]): None}, "inplace": True, "level": 0}})
        post.append({"operation": "flatten"})
        q["post_processing"] = post
        return params, [q]
    return builder


def _bar_category(spec, dataset, where):
    time_col = _time_col(spec, dataset, where, required=False)
    metrics = _metrics(spec, where)
    x = spec.get("x")
    if not x:
        raise ChartSpecError(f"{where}: bar_category needs `x` (a category column)")
    groupby = list(spec.get("groupby") or [])
    params = {
        "viz_type": "echarts_timeseries_bar",
        "x_axis": x,
        "x_axis_sort_asc": False,
        "metrics": metrics,
        "groupby": groupby,
        "adhoc_filters": _temporal_filter(time_col, spec.get("time_range", DEFAULT_TIME_RANGE)) + _sql_filters(spec),
        "order_desc": True,
        "row_limit": spec.get("row_limit", 10000),
        "truncate_metric": True,
        "show_empty_columns": True,
        "comparison_type": "values",
        "annotation_layers": [],
        "orientation": spec.get("orientation", "vertical"),
        "stack": "Stack" if spec.get("stack") else None,
        "color_scheme": "supersetColors",
        "only_total": True,
        "show_legend": bool(groupby) or len(metrics) > 1,
        "legendType": "scroll",
        "legendOrientation": "top",
        "rich_tooltip": True,
        "y_axis_format": spec.get("format", "SMART_NUMBER"),
        "truncateXAxis": True,
        "y_axis_bounds": [None, None],
        "x_axis_title_margin": 15,
        "y_axis_title_margin": 15,
        "y_axis_title_position": "Left",
        "sort_series_type": "sum",
    }
    # Sorting categories by the metric only works without series (Superset hides the option then).
    if not groupby:
        params["x_axis_sort"] = metric_label(metrics[0])
    q = _base_query(spec, time_col)
    q["columns"] = [_axis_column(x, None)] + groupby
    q["metrics"] = metrics
    q["orderby"] = [[metrics[0], False]]
    q["row_limit"] = params["row_limit"]
    q["series_columns"] = groupby
    q["time_offsets"] = []
    post = [{"operation": "pivot", "options": {
        "aggregates": {metric_label(m): {"operator": "mean"} for m in metrics},
        "columns": groupby, "drop_missing_columns": False, "index": [x]}}]
    if groupby and len(metrics) == 1:
        post.append({"operation": "rename", "options": {
            "columns": {metric_label(metrics[0]): None}, "inplace": True, "level": 0}})
    if not groupby:
        post.append({"operation": "sort", "options": {"ascending": False, "by": metric_label(metrics[0])}})
    post.append({"operation": "flatten"})
    q["post_processing"] = post
    return params, [q]


def _pie(spec, dataset, where):
    time_col = _time_col(spec, dataset, where, required=False)
    metric = _metrics(spec, where)[0]
    groupby = list(spec.get("groupby") or [])
    if not groupby:
        raise ChartSpecError(f"{where}: pie needs `groupby`")
    params = {
        "viz_type": "pie",
        "groupby": groupby,
        "metric": metric,
        "adhoc_filters": _temporal_filter(time_col, spec.get("time_range", DEFAULT_TIME_RANGE)) + _sql_filters(spec),
        "row_limit": spec.get("row_limit", 100),
        "sort_by_metric": True,
        "color_scheme": "supersetColors",
        "show_labels_threshold": 5,
        "show_legend": True,
        "legendType": "scroll",
        "legendOrientation": "top",
        "label_type": "key_percent",
        "number_format": spec.get("format", "SMART_NUMBER"),
        "date_format": "smart_date",
        "show_labels": True,
        "labels_outside": True,
        "outerRadius": 70,
        "donut": spec.get("donut", True),
        "innerRadius": 30,
    }
    q = _base_query(spec, time_col)
    q["columns"] = groupby
    q["metrics"] = [metric]
    q["orderby"] = [[metric, False]]
    q["row_limit"] = params["row_limit"]
    label = metric_label(metric)
    q["post_processing"] = [{"operation": "contribution",
                             "options": {"columns": [label], "rename_columns": [f"{label}__contribution"]}}]
    return params, [q]


def _table(spec, dataset, where):
    time_col = _time_col(spec, dataset, where, required=False)
    raw_columns = list(spec.get("columns") or [])
    groupby = list(spec.get("groupby") or [])
    order = spec.get("order_by")
    params = {
        "viz_type": "table",
        "adhoc_filters": _temporal_filter(time_col, spec.get("time_range", DEFAULT_TIME_RANGE)) + _sql_filters(spec),
        "row_limit": spec.get("row_limit", 1000),
        "server_page_length": 10,
        "order_desc": spec.get("order_desc", True),
        "table_timestamp_format": "smart_date",
        "show_cell_bars": spec.get("cell_bars", True),
        "color_pn": True,
        "include_search": True,
        "allow_render_html": False,
        "percent_metrics": [],
        "temporal_columns_lookup": {},
    }
    q = _base_query(spec, time_col)
    q["row_limit"] = params["row_limit"]
    if raw_columns:
        params.update({"query_mode": "raw", "all_columns": raw_columns, "groupby": [], "metrics": [],
                       "order_by_cols": [f'["{order}", {str(not spec.get("order_desc", True)).lower()}]'] if order else []})
        q["columns"] = raw_columns
        del q["metrics"]
        q["orderby"] = [[order, not spec.get("order_desc", True)]] if order else []
        q["post_processing"] = []
        q["time_offsets"] = []
    else:
        metrics = _metrics(spec, where)
        params.update({"query_mode": "aggregate", "groupby": groupby, "metrics": metrics, "all_columns": [],
                       "timeseries_limit_metric": metric_ref(order, where) if order else metrics[0]})
        sort_metric = metric_ref(order, where) if order else metrics[0]
        q["columns"] = groupby
        q["metrics"] = metrics
        q["orderby"] = [[sort_metric, not spec.get("order_desc", True)]]
        q["post_processing"] = []
        q["series_limit_metric"] = sort_metric
        q["time_offsets"] = []
    if spec.get("number_format"):
        params["column_config"] = {metric_label(metric_ref(m, where)): {"d3NumberFormat": spec["number_format"]}
                                   for m in (spec.get("metrics") or [])}
    return params, [q]


BUILDERS = {
    "kpi": _kpi,
    "kpi_trend": _kpi_trend,
    "line": _timeseries("echarts_timeseries_line"),
    "bar": _timeseries("echarts_timeseries_bar"),
    "area": _timeseries("echarts_area"),
    "bar_category": _bar_category,
    "pie": _pie,
    "table": _table,
}


def query_context(params: dict[str, Any], queries: list[dict[str, Any]]) -> dict[str, Any]:
    form_data = copy.deepcopy(params)
    form_data["datasource"] = "0__table"
    form_data["force"] = False
    form_data["result_format"] = "json"
    form_data["result_type"] = "full"
    return {
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "queries": queries,
        "form_data": form_data,
        "result_format": "json",
        "result_type": "full",
    }
