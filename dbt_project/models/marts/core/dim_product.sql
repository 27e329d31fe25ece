-- Conformed product dimension (catalogue with price, cost and margin).
select
    product_id,
    sku,
    product_name,
    category,
    brand,
    cast(unit_price as numeric(18,2)) as unit_price,
    cast(unit_cost as numeric(18,2)) as unit_cost,
    cast(unit_price - unit_cost as numeric(18,2)) as unit_margin,
    is_active,
    created_at,
    updated_at
from {{ ref('stg_oltp__products') }}
