-- Conformed campaign dimension.
select
    campaign_id,
    campaign_name,
    channel_code,
    objective,
    target_segment,
    starts_on,
    ends_on,
    cast({{ dbt.datediff('starts_on', 'ends_on', 'day') }} + 1 as integer) as duration_days,
    cast(budget_amount as numeric(18,2)) as budget_amount
from {{ ref('stg_oltp__campaigns') }}
