-- Customer-service day view per channel x assigned team x queue, dense over every day from the
-- first ticket to the data's last day for every combination that ever had a ticket.
--  * volume: tickets created / resolved that day; backlog = tickets open at the end of the day.
--  * SLA and reopen counts belong to the tickets created that day (cohort view).
--  * CSAT: answers given that day for tickets of the group; NPS: answers given that day by
--    customers whose latest ticket (30 days before) belongs to the group.
-- assigned_team_id is null for unassigned tickets (a group of its own); joins use team_key =
-- coalesce(assigned_team_id, -1) so they stay plain equi-joins (hash joins) on both engines.
with tickets as (

    select *, coalesce(assigned_team_id, -1) as team_key
    from {{ ref('int_support_tickets') }}

),

nps as (

    select *, coalesce(recent_ticket_team_id, -1) as team_key
    from {{ ref('int_nps_responses') }}
    where recent_ticket_id is not null

),

csat as (

    select
        {{ to_date('csat.responded_at') }} as date_day,
        tickets.channel,
        tickets.team_key,
        tickets.queue,
        count(*) as csat_responses,
        sum(csat.score) as csat_score_sum,
        sum(case when csat.score >= 4 then 1 else 0 end) as csat_satisfied
    from {{ ref('stg_oltp__csat_responses') }} as csat
    inner join tickets
        on csat.ticket_id = tickets.ticket_id
    group by {{ to_date('csat.responded_at') }}, tickets.channel, tickets.team_key, tickets.queue

),

created as (

    select
        opened_on as date_day,
        channel,
        team_key,
        queue,
        count(*) as tickets_created,
        sum(case when is_sla_breached then 1 else 0 end) as sla_breached_tickets,
        sum(case when sla_status = 'met' then 1 else 0 end) as sla_met_tickets,
        sum(case when is_reopened then 1 else 0 end) as reopened_tickets,
        sum(case when first_response_at is not null then 1 else 0 end) as responded_tickets,
        sum(first_response_minutes) as first_response_minutes_sum,
        sum(case when is_resolved then 1 else 0 end) as resolved_of_created,
        sum(resolution_minutes) as resolution_minutes_sum
    from tickets
    group by opened_on, channel, team_key, queue

),

resolved as (

    select
        resolved_on as date_day,
        channel,
        team_key,
        queue,
        count(*) as tickets_resolved
    from tickets
    where resolved_on is not null
    group by resolved_on, channel, team_key, queue

),

nps_daily as (

    select
        responded_on as date_day,
        recent_ticket_channel as channel,
        team_key,
        recent_ticket_queue as queue,
        count(*) as nps_responses,
        sum(case when nps_category = 'promoter' then 1 else 0 end) as nps_promoters,
        sum(case when nps_category = 'passive' then 1 else 0 end) as nps_passives,
        sum(case when nps_category = 'detractor' then 1 else 0 end) as nps_detractors
    from nps
    group by responded_on, recent_ticket_channel, team_key, recent_ticket_queue

),

bounds as (

    select
        min(opened_on) as first_day,
        greatest(max(opened_on), coalesce(max(resolved_on), max(opened_on))) as last_day
    from tickets

),

groups as (

    select distinct channel, team_key, queue from tickets

),

grid as (

    select dates.date_day, groups.channel, groups.team_key, groups.queue
    from {{ ref('dim_date') }} as dates
    cross join bounds
    cross join groups
    where dates.date_day between bounds.first_day and bounds.last_day

),

joined as (

    select
        grid.date_day,
        grid.channel,
        grid.team_key,
        grid.queue,
        coalesce(created.tickets_created, 0) as tickets_created,
        coalesce(resolved.tickets_resolved, 0) as tickets_resolved,
        coalesce(created.sla_breached_tickets, 0) as sla_breached_tickets,
        coalesce(created.sla_met_tickets, 0) as sla_met_tickets,
        coalesce(created.reopened_tickets, 0) as reopened_tickets,
        coalesce(created.responded_tickets, 0) as responded_tickets,
        coalesce(created.first_response_minutes_sum, 0) as first_response_minutes_sum,
        coalesce(created.resolved_of_created, 0) as resolved_of_created,
        coalesce(created.resolution_minutes_sum, 0) as resolution_minutes_sum,
        coalesce(csat.csat_responses, 0) as csat_responses,
        coalesce(csat.csat_score_sum, 0) as csat_score_sum,
        coalesce(csat.csat_satisfied, 0) as csat_satisfied,
        coalesce(nps_daily.nps_responses, 0) as nps_responses,
        coalesce(nps_daily.nps_promoters, 0) as nps_promoters,
        coalesce(nps_daily.nps_passives, 0) as nps_passives,
        coalesce(nps_daily.nps_detractors, 0) as nps_detractors
    from grid
    {% for part in ['created', 'resolved', 'csat', 'nps_daily'] %}
    left join {{ part }}
        on grid.date_day = {{ part }}.date_day
        and grid.channel = {{ part }}.channel
        and grid.queue = {{ part }}.queue
        and grid.team_key = {{ part }}.team_key
    {% endfor %}

)

select
    date_day,
    channel,
    cast(nullif(team_key, -1) as {{ dbt.type_bigint() }}) as assigned_team_id,
    queue,
    cast(tickets_created as integer) as tickets_created,
    cast(tickets_resolved as integer) as tickets_resolved,
    cast(sum(tickets_created - tickets_resolved) over (
        partition by channel, team_key, queue order by date_day
        rows between unbounded preceding and current row
    ) as integer) as backlog_tickets,
    cast(sla_breached_tickets as integer) as sla_breached_tickets,
    cast(sla_met_tickets as integer) as sla_met_tickets,
    {{ ratio('sla_breached_tickets', 'sla_breached_tickets + sla_met_tickets') }} as sla_breach_rate,
    cast(reopened_tickets as integer) as reopened_tickets,
    {{ ratio('reopened_tickets', 'tickets_created') }} as reopen_rate,
    cast(responded_tickets as integer) as responded_tickets,
    cast(first_response_minutes_sum as double precision) as first_response_minutes_sum,
    cast(resolved_of_created as integer) as resolved_of_created,
    cast(resolution_minutes_sum as double precision) as resolution_minutes_sum,
    cast(csat_responses as integer) as csat_responses,
    cast(csat_score_sum as integer) as csat_score_sum,
    cast(csat_satisfied as integer) as csat_satisfied,
    {{ ratio('csat_score_sum', 'csat_responses') }} as csat_average,
    cast(nps_responses as integer) as nps_responses,
    cast(nps_promoters as integer) as nps_promoters,
    cast(nps_passives as integer) as nps_passives,
    cast(nps_detractors as integer) as nps_detractors
from joined
