-- Product feedback items, one row per item,, with time to first response against the platform's
-- 24-hour target. An unanswered item is overdue once the data's as-of time (latest feedback
-- update seen) is more than 24 h after submission.
with feedback as (

    select * from {{ ref('stg_oltp__product_feedback') }}

),

as_of as (

    select max(updated_at) as as_of_at from feedback

)

select
    feedback.feedback_id,
    feedback.customer_id,
    feedback.product_id,
    feedback.source,
    feedback.topic,
    feedback.rating,
    feedback.content,
    feedback.feedback_status,
    feedback.submitted_at,
    {{ to_date('feedback.submitted_at') }} as submitted_on,
    feedback.first_response_at,
    feedback.first_response_at is not null as is_responded,
    cast({{ elapsed_hours('feedback.submitted_at', 'feedback.first_response_at') }} as double precision) as hours_to_first_response,
    coalesce({{ elapsed_hours('feedback.submitted_at', 'feedback.first_response_at') }} <= 24, false) as is_responded_within_24h,
    (
        feedback.first_response_at is null
        and {{ elapsed_hours('feedback.submitted_at', 'as_of.as_of_at') }} > 24
    ) as is_overdue_unanswered
from feedback
cross join as_of
