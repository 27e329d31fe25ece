-- Conformed warehouse dimension.
select
    warehouse_id,
    warehouse_code,
    warehouse_name,
    city,
    region
from {{ ref('stg_oltp__warehouses') }}
