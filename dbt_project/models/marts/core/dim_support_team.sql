-- Conformed support-team dimension.
select
    team_id,
    team_name,
    team_name_zh,
    primary_queue,
    region
from {{ ref('stg_oltp__support_teams') }}
