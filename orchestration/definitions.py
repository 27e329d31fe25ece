"""The Zhishu code location: every domain contributes a `defs` object, merged here.

Adding a domain is one line below (e.g. `experiments.defs`). Resources and the executor are
defined once, here, from the environment switch (orchestration/environment.py).

Runs use the in-process executor: DuckDB admits one writing process, so writer steps could not
run in parallel anyway, and skipping a subprocess per step keeps the ~35-step graph fast on small
machines. Across runs, the `warehouse_writer` pool (limit 1, set in
orchestration/dagster_home/dagster.yaml) serialises writers of different runs.
"""

import dagster as dg

from orchestration import dbt, experiments, ingestion, mining, models, quality, schedules, serving
from orchestration.resources import build_resources

defs = dg.Definitions.merge(
    dg.Definitions(resources=build_resources(), executor=dg.in_process_executor),
    ingestion.defs,
    dbt.defs,
    serving.defs,
    schedules.defs,
    experiments.defs,
    mining.defs,
    models.defs,
    quality.defs,
)
