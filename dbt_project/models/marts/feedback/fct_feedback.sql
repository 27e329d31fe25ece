-- Product feedback facts, one row per item (response-time logic in int_product_feedback).
select
    feedback_id,
    customer_id,
    product_id,
    source,
    topic,
    rating,
    content,
    feedback_status,
    submitted_at,
    submitted_on,
    first_response_at,
    is_responded,
    hours_to_first_response,
    is_responded_within_24h,
    is_overdue_unanswered
from {{ ref('int_product_feedback') }}
