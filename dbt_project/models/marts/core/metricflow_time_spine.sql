-- Daily time spine for MetricFlow (the semantic layer joins metrics to it for time grains).
select date_day
from {{ ref('dim_date') }}
