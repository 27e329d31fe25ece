-- Conformed calendar: one row per day, with the Chinese shopping calendar that drives demand
-- (Spring Festival holiday week, the 618 and Double 11 sales periods).
{% set spring_festival_days = [
    '2020-01-25', '2021-02-12', '2022-02-01', '2023-01-22', '2024-02-10', '2025-01-29',
    '2026-02-17', '2027-02-06', '2028-01-26', '2029-02-13', '2030-02-03'] %}

with spine as (

    {{ day_spine(var('date_spine_start'), var('date_spine_end')) }}

),

spring_festival as (

    {% for d in spring_festival_days %}
    select cast('{{ d }}' as date) as new_year_day{% if not loop.last %} union all{% endif %}
    {% endfor %}

),

calendar as (

    select
        spine.date_day,
        {{ date_part_int('year', 'spine.date_day') }} as year_number,
        {{ date_part_int('quarter', 'spine.date_day') }} as quarter_number,
        {{ date_part_int('month', 'spine.date_day') }} as month_number,
        {{ date_part_int('day', 'spine.date_day') }} as day_of_month,
        {{ date_part_int('doy', 'spine.date_day') }} as day_of_year,
        {{ iso_day_of_week('spine.date_day') }} as day_of_week,
        {{ to_date(dbt.date_trunc('week', 'spine.date_day')) }} as week_start,
        {{ to_date(dbt.date_trunc('month', 'spine.date_day')) }} as month_start,
        {{ to_date(dbt.date_trunc('quarter', 'spine.date_day')) }} as quarter_start,
        {{ to_date(dbt.date_trunc('year', 'spine.date_day')) }} as year_start,
        -- the statutory holiday runs from New Year's Eve to the sixth day of the first month
        spring_festival.new_year_day as spring_festival_new_year_day
    from spine
    left join spring_festival
        on spine.date_day between {{ add_days(-1, 'spring_festival.new_year_day') }}
                              and {{ add_days(6, 'spring_festival.new_year_day') }}

)

select
    date_day,
    year_number,
    quarter_number,
    month_number,
    day_of_month,
    day_of_year,
    day_of_week,
    case day_of_week
        when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday' when 4 then 'Thursday'
        when 5 then 'Friday' when 6 then 'Saturday' else 'Sunday'
    end as day_of_week_name,
    day_of_week in (6, 7) as is_weekend,
    week_start,
    month_start,
    quarter_start,
    year_start,
    cast(year_number as {{ dbt.type_string() }}) || '-'
        || lpad(cast(month_number as {{ dbt.type_string() }}), 2, '0') as year_month,
    cast(case
        when spring_festival_new_year_day is not null then 'spring_festival'
        when month_number = 6 and day_of_month <= 18 then '618'
        when month_number = 11 and day_of_month <= 11 then 'double_11'
    end as {{ dbt.type_string() }}) as shopping_event,
    (spring_festival_new_year_day = date_day
        or (month_number = 6 and day_of_month = 18)
        or (month_number = 11 and day_of_month = 11)) is true as is_shopping_event_peak,
    spring_festival_new_year_day is not null as is_spring_festival_holiday
from calendar
