-- Tickets with their service-level measures, one row per ticket.
--  * first_response_minutes / resolution_minutes: exact elapsed minutes from opened_at.
--  * SLA: a ticket must be resolved within sla_hours of opening (the source sets sla_hours by
--    priority). A resolved ticket breached if resolved after the due time; an unresolved ticket
--    breached once the data's as-of time (latest ticket update seen) is past the due time,
--    otherwise it is still open within SLA. Reopened tickets are judged on their last resolution.
--  * CSAT: the latest CSAT answer given for the ticket.
with tickets as (

    select * from {{ ref('stg_oltp__support_tickets') }}

),

as_of as (

    select max(updated_at) as as_of_at from tickets

),

latest_csat as (

    select
        ticket_id,
        score,
        row_number() over (partition by ticket_id order by responded_at desc, csat_id desc) as answer_rank
    from {{ ref('stg_oltp__csat_responses') }}

),

measured as (

    select
        tickets.ticket_id,
        tickets.customer_id,
        tickets.order_id,
        tickets.channel,
        tickets.queue,
        tickets.category,
        tickets.priority,
        tickets.language,
        tickets.assigned_team_id,
        tickets.ticket_status,
        tickets.reopen_count,
        tickets.sla_hours,
        tickets.opened_at,
        tickets.first_response_at,
        tickets.resolved_at,
        {{ dbt.dateadd('hour', 'tickets.sla_hours', 'tickets.opened_at') }} as sla_due_at,
        as_of.as_of_at
    from tickets
    cross join as_of

)

select
    measured.ticket_id,
    measured.customer_id,
    measured.order_id,
    measured.channel,
    measured.queue,
    measured.category,
    measured.priority,
    measured.language,
    measured.assigned_team_id,
    measured.ticket_status,
    measured.reopen_count,
    measured.reopen_count > 0 as is_reopened,
    measured.sla_hours,
    measured.opened_at,
    {{ to_date('measured.opened_at') }} as opened_on,
    measured.first_response_at,
    measured.resolved_at,
    {{ to_date('measured.resolved_at') }} as resolved_on,
    measured.resolved_at is not null as is_resolved,
    cast({{ elapsed_minutes('measured.opened_at', 'measured.first_response_at') }} as double precision) as first_response_minutes,
    cast({{ elapsed_minutes('measured.opened_at', 'measured.resolved_at') }} as double precision) as resolution_minutes,
    cast(measured.sla_due_at as {{ dbt.type_timestamp() }}) as sla_due_at,
    cast(case
        when measured.resolved_at is not null and measured.resolved_at <= measured.sla_due_at then 'met'
        when measured.resolved_at is not null then 'breached'
        when measured.as_of_at > measured.sla_due_at then 'breached'
        else 'open_within_sla'
    end as {{ dbt.type_string() }}) as sla_status,
    (
        (measured.resolved_at is not null and measured.resolved_at > measured.sla_due_at)
        or (measured.resolved_at is null and measured.as_of_at > measured.sla_due_at)
    ) as is_sla_breached,
    latest_csat.score as csat_score
from measured
left join latest_csat
    on measured.ticket_id = latest_csat.ticket_id
    and latest_csat.answer_rank = 1
