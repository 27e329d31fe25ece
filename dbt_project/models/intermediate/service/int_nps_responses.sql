-- NPS answers classified (promoter 9-10, passive 7-8, detractor 0-6) and linked to the customer's
-- latest support ticket opened in the 30 days before the answer, so NPS can be cut by support
-- channel, team, queue and category.
with nps as (

    select * from {{ ref('stg_oltp__nps_responses') }}

),

tickets as (

    select * from {{ ref('stg_oltp__support_tickets') }}

),

recent_tickets as (

    select
        nps.nps_id,
        tickets.ticket_id,
        tickets.channel,
        tickets.assigned_team_id,
        tickets.queue,
        tickets.category,
        row_number() over (
            partition by nps.nps_id
            order by tickets.opened_at desc, tickets.ticket_id desc
        ) as recency_rank
    from nps
    inner join tickets
        on nps.customer_id = tickets.customer_id
        and tickets.opened_at <= nps.responded_at
        and tickets.opened_at > {{ dbt.dateadd('day', -30, 'nps.responded_at') }}

)

select
    nps.nps_id,
    nps.customer_id,
    nps.score,
    nps.survey_channel,
    nps.comment,
    nps.responded_at,
    {{ to_date('nps.responded_at') }} as responded_on,
    cast(case
        when nps.score >= 9 then 'promoter'
        when nps.score >= 7 then 'passive'
        else 'detractor'
    end as {{ dbt.type_string() }}) as nps_category,
    cast(case when nps.score >= 9 then 100 when nps.score >= 7 then 0 else -100 end as integer) as nps_points,
    recent_tickets.ticket_id as recent_ticket_id,
    recent_tickets.channel as recent_ticket_channel,
    recent_tickets.assigned_team_id as recent_ticket_team_id,
    recent_tickets.queue as recent_ticket_queue,
    recent_tickets.category as recent_ticket_category
from nps
left join recent_tickets
    on nps.nps_id = recent_tickets.nps_id
    and recent_tickets.recency_rank = 1
