-- Logged-in sessions: one row per (customer, session) with when it started, from clickstream.
-- A session belongs to the customer who was logged in on its events.
select
    customer_id,
    session_id,
    min(occurred_at) as session_started_at,
    max(occurred_at) as session_ended_at,
    count(*) as events_count
from {{ ref('int_clickstream_events') }}
where customer_id is not null
group by customer_id, session_id
