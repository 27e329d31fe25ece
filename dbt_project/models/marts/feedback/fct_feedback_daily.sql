-- Feedback per submission day, source and topic (only combinations with feedback that day).
-- Response measures describe the items submitted that day.
select
    submitted_on as date_day,
    source,
    topic,
    cast(count(*) as integer) as feedback_items,
    cast(sum(case when is_responded then 1 else 0 end) as integer) as responded_items,
    cast(sum(case when is_responded_within_24h then 1 else 0 end) as integer) as responded_within_24h_items,
    cast(sum(case when is_overdue_unanswered then 1 else 0 end) as integer) as overdue_unanswered_items,
    cast(coalesce(sum(hours_to_first_response), 0) as double precision) as hours_to_first_response_sum,
    {{ ratio('sum(case when is_responded_within_24h then 1 else 0 end)', 'count(*)') }} as within_24h_rate,
    cast(count(rating) as integer) as rated_items,
    cast(coalesce(sum(rating), 0) as integer) as rating_sum,
    {{ ratio('sum(rating)', 'count(rating)') }} as average_rating
from {{ ref('int_product_feedback') }}
group by submitted_on, source, topic
