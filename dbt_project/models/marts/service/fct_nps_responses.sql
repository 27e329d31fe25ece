-- NPS answers, one row per answer, classified and linked to the customer's recent ticket.
select
    nps_id,
    customer_id,
    score,
    survey_channel,
    comment,
    responded_at,
    responded_on,
    nps_category,
    nps_points,
    nps_category = 'promoter' as is_promoter,
    nps_category = 'passive' as is_passive,
    nps_category = 'detractor' as is_detractor,
    recent_ticket_id,
    recent_ticket_channel,
    recent_ticket_team_id,
    recent_ticket_queue,
    recent_ticket_category
from {{ ref('int_nps_responses') }}
