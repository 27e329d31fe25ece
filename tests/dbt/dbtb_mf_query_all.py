"""Query metrics through MetricFlow's Python engine, one query per metric, and dump JSON.

Run as a subprocess from the dbt project directory (with DBT_TARGET etc. in the environment) so
dbt's process-global adapter state never mixes the DuckDB and PostgreSQL targets in the test
process:  python dbtb_mf_query_all.py OUT.json GROUP_BY [METRIC ...]   (no metric = all metrics)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import traceback
from decimal import Decimal
from pathlib import Path


def _cell(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def main() -> int:
    out_path, group_by, *metrics = sys.argv[1:]
    from dbt_metricflow.cli.cli_configuration import CLIConfiguration
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    config = CLIConfiguration()
    config.setup(dbt_profiles_path=Path.cwd(), dbt_project_path=Path.cwd(), configure_file_logging=False)
    if not metrics:
        metrics = sorted(m.name for m in config.semantic_manifest.metrics)
    results = {}
    for metric in metrics:
        try:
            request = MetricFlowQueryRequest.create(metric_names=[metric], group_by_names=[group_by])
            table = config.mf.query(request).result_df
            results[metric] = {
                "columns": list(table.column_names),
                "rows": [[_cell(v) for v in row] for row in table.rows],
                "error": None,
            }
        except Exception:  # reported per metric by the test
            results[metric] = {"columns": [], "rows": [], "error": traceback.format_exc(limit=5)}
    Path(out_path).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
