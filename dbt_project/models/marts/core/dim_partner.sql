-- Conformed partner dimension.
select
    partner_id,
    partner_name,
    partner_type,
    tier,
    region,
    joined_at,
    {{ to_date('joined_at') }} as joined_on,
    is_active
from {{ ref('stg_oltp__partners') }}
