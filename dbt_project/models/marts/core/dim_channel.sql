-- Conformed marketing/acquisition channel dimension, keyed by channel_code. 'organic' is added so
-- every customers.acquisition_channel has a row; it is not a paid/owned marketing channel.
with marketing_channels as (

    select
        channel_code,
        channel_id,
        channel_name,
        channel_name_zh,
        channel_type,
        true as is_marketing_channel
    from {{ ref('stg_oltp__marketing_channels') }}

),

organic as (

    select
        cast('organic' as {{ dbt.type_string() }}) as channel_code,
        cast(null as {{ dbt.type_bigint() }}) as channel_id,
        cast('Organic' as {{ dbt.type_string() }}) as channel_name,
        cast('自然流量' as {{ dbt.type_string() }}) as channel_name_zh,
        cast('organic' as {{ dbt.type_string() }}) as channel_type,
        false as is_marketing_channel

)

select * from marketing_channels
union all
select * from organic
where not exists (select 1 from marketing_channels where channel_code = 'organic')
