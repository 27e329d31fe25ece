"""The operational (OLTP) source schema the simulator writes and the pipeline ingests.

This is the contract between the stand-in source systems and the warehouse: ingestion reflects the
real source database, dbt staging models read these columns from the `raw` schema under the same
names. Every table has a single-column integer primary key and an `updated_at` cursor column; rows
are updated in place (statuses, timestamps) the way OLTP rows are. Money is NUMERIC(12,2).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

metadata = MetaData()

MONEY = Numeric(12, 2)
RATE = Numeric(8, 4)


def _audit() -> list[Column]:
    return [
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False, index=True),
    ]


# --- reference values shared with dbt accepted_values tests and quality suites ------------------

MARKETING_CHANNELS = (
    "email", "sms", "wechat", "app_push", "web_push", "douyin", "weibo",
    "xiaohongshu", "search_ads", "affiliate", "offline_event",
)
SALES_CHANNELS = ("app", "web", "mini_program", "offline_store")
ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "returned")
SUPPORT_CHANNELS = ("email", "phone", "live_chat", "wechat", "app", "web_form", "social")
TICKET_STATUSES = ("open", "pending", "resolved", "closed", "reopened")
TICKET_QUEUES = ("billing", "technical", "shipping", "account", "returns", "product")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
BILLING_MODES = ("monthly", "annual", "usage_based", "per_seat")
SUBSCRIPTION_STATUSES = ("trialing", "active", "past_due", "cancelled", "expired")
SUBSCRIPTION_CHANGE_TYPES = (
    "trial_start", "new", "upgrade", "downgrade", "seat_change", "cancel", "reactivate",
)
INVOICE_STATUSES = ("open", "paid", "void", "uncollectible")
PAYMENT_STATUSES = ("succeeded", "failed")
PAYMENT_METHODS = ("alipay", "wechat_pay", "card", "bank_transfer")
PAYMENT_FAILURE_REASONS = (
    "insufficient_funds", "card_expired", "bank_declined", "network_timeout", "fraud_suspected",
)
INVENTORY_MOVEMENT_TYPES = ("receipt", "sale", "return", "adjustment")
PARTNER_TIERS = ("bronze", "silver", "gold", "platinum")
PARTNER_TYPES = ("affiliate", "reseller", "agency", "kol")
COMMISSION_RULE_TYPES = ("percentage", "tiered", "flat_bounty", "recurring")
REFERRAL_STATUSES = ("clicked", "signed_up", "converted")
FEEDBACK_SOURCES = ("app_store", "in_app", "survey", "support", "social")
FEEDBACK_TOPICS = ("usability", "performance", "pricing", "feature_request", "bug", "delivery")
EXPERIMENT_DESIGNS = ("ab", "abn", "factorial", "aa")
TOUCH_TYPES = ("send", "open", "click")
CLICKSTREAM_EVENT_NAMES = (
    "session_start", "page_view", "sign_up", "feature_use", "add_to_cart", "checkout",
    "experiment_exposure",
)

# --- customers, catalogue, stock ----------------------------------------------------------------

customers = Table(
    "customers", metadata,
    Column("customer_id", BigInteger, primary_key=True),
    Column("full_name", String(100), nullable=False),  # PII
    Column("email", String(200), nullable=False),  # PII
    Column("phone", String(30), nullable=False),  # PII
    Column("city", String(50), nullable=False),
    Column("region", String(50), nullable=False),
    Column("acquisition_channel", String(30), nullable=False),  # one of MARKETING_CHANNELS or 'organic'
    Column("partner_id", BigInteger, ForeignKey("partners.partner_id")),  # referred by a partner
    Column("signed_up_at", DateTime, nullable=False),
    *_audit(),
)

products = Table(
    "products", metadata,
    Column("product_id", BigInteger, primary_key=True),
    Column("sku", String(30), nullable=False, unique=True),
    Column("product_name", String(200), nullable=False),
    Column("category", String(50), nullable=False),
    Column("brand", String(50), nullable=False),
    Column("unit_price", MONEY, nullable=False),
    Column("unit_cost", MONEY, nullable=False),
    Column("is_active", Boolean, nullable=False),
    *_audit(),
)

warehouses = Table(
    "warehouses", metadata,
    Column("warehouse_id", BigInteger, primary_key=True),
    Column("warehouse_code", String(20), nullable=False, unique=True),
    Column("warehouse_name", String(100), nullable=False),
    Column("city", String(50), nullable=False),
    Column("region", String(50), nullable=False),
    *_audit(),
)

inventory_movements = Table(
    "inventory_movements", metadata,
    Column("movement_id", BigInteger, primary_key=True),
    Column("product_id", BigInteger, ForeignKey("products.product_id"), nullable=False),
    Column("warehouse_id", BigInteger, ForeignKey("warehouses.warehouse_id"), nullable=False),
    Column("movement_type", String(20), nullable=False),  # INVENTORY_MOVEMENT_TYPES
    Column("quantity", Integer, nullable=False),  # signed: receipts/returns > 0, sales < 0
    Column("order_id", BigInteger),  # set for sales and returns
    Column("moved_at", DateTime, nullable=False),
    *_audit(),
)

# --- orders ---------------------------------------------------------------------------------------

orders = Table(
    "orders", metadata,
    Column("order_id", BigInteger, primary_key=True),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("warehouse_id", BigInteger, ForeignKey("warehouses.warehouse_id"), nullable=False),
    Column("sales_channel", String(20), nullable=False),  # SALES_CHANNELS
    Column("session_id", String(40)),  # clickstream session that led to the order, if any
    Column("order_status", String(20), nullable=False),  # ORDER_STATUSES
    Column("ordered_at", DateTime, nullable=False),
    Column("paid_at", DateTime),
    Column("delivered_at", DateTime),
    Column("coupon_id", BigInteger, ForeignKey("coupons.coupon_id")),
    # items_amount = sum(order_items.line_amount); total = items - coupon_discount + shipping
    Column("items_amount", MONEY, nullable=False),
    Column("coupon_discount_amount", MONEY, nullable=False),
    Column("shipping_amount", MONEY, nullable=False),
    Column("total_amount", MONEY, nullable=False),
    Column("refund_amount", MONEY, nullable=False),  # > 0 once items are returned
    *_audit(),
)

order_items = Table(
    "order_items", metadata,
    Column("order_item_id", BigInteger, primary_key=True),
    Column("order_id", BigInteger, ForeignKey("orders.order_id"), nullable=False),
    Column("product_id", BigInteger, ForeignKey("products.product_id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", MONEY, nullable=False),
    Column("discount_amount", MONEY, nullable=False),  # line-level promotion discount
    Column("line_amount", MONEY, nullable=False),  # quantity * unit_price - discount_amount
    Column("returned_quantity", Integer, nullable=False),
    *_audit(),
)

# --- marketing ------------------------------------------------------------------------------------

marketing_channels = Table(
    "marketing_channels", metadata,
    Column("channel_id", BigInteger, primary_key=True),
    Column("channel_code", String(30), nullable=False, unique=True),  # MARKETING_CHANNELS
    Column("channel_name", String(50), nullable=False),
    Column("channel_name_zh", String(50), nullable=False),
    Column("channel_type", String(20), nullable=False),  # owned, paid, earned
    *_audit(),
)

campaigns = Table(
    "campaigns", metadata,
    Column("campaign_id", BigInteger, primary_key=True),
    Column("campaign_name", String(200), nullable=False),
    Column("channel_code", String(30), nullable=False),
    Column("objective", String(30), nullable=False),  # acquisition, retention, winback, promotion
    Column("target_segment", String(30)),  # RFM segment name the campaign targets, if any
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("budget_amount", MONEY, nullable=False),
    *_audit(),
)

marketing_touches = Table(
    "marketing_touches", metadata,
    Column("touch_id", BigInteger, primary_key=True),
    Column("campaign_id", BigInteger, ForeignKey("campaigns.campaign_id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("channel_code", String(30), nullable=False),
    Column("touch_type", String(10), nullable=False),  # TOUCH_TYPES
    Column("touched_at", DateTime, nullable=False),
    *_audit(),
)

marketing_spend = Table(
    "marketing_spend", metadata,
    Column("spend_id", BigInteger, primary_key=True),
    Column("campaign_id", BigInteger, ForeignKey("campaigns.campaign_id"), nullable=False),
    Column("channel_code", String(30), nullable=False),
    Column("spend_date", Date, nullable=False),
    Column("spend_amount", MONEY, nullable=False),
    Column("impressions", Integer, nullable=False),
    *_audit(),
)

# --- promotions -----------------------------------------------------------------------------------

promotions = Table(
    "promotions", metadata,
    Column("promotion_id", BigInteger, primary_key=True),
    Column("promotion_name", String(200), nullable=False),
    Column("promotion_type", String(30), nullable=False),  # festival, welcome, winback, partner
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    *_audit(),
)

coupons = Table(
    "coupons", metadata,
    Column("coupon_id", BigInteger, primary_key=True),
    Column("promotion_id", BigInteger, ForeignKey("promotions.promotion_id"), nullable=False),
    Column("coupon_code", String(30), nullable=False, unique=True),
    Column("discount_type", String(10), nullable=False),  # percent, fixed
    Column("discount_value", MONEY, nullable=False),  # percent points or CNY
    Column("min_spend_amount", MONEY, nullable=False),
    Column("valid_from", DateTime, nullable=False),
    Column("valid_to", DateTime, nullable=False),
    *_audit(),
)

coupon_redemptions = Table(
    "coupon_redemptions", metadata,
    Column("redemption_id", BigInteger, primary_key=True),
    Column("coupon_id", BigInteger, ForeignKey("coupons.coupon_id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("order_id", BigInteger, ForeignKey("orders.order_id"), nullable=False),
    Column("discount_amount", MONEY, nullable=False),  # equals orders.coupon_discount_amount
    Column("redeemed_at", DateTime, nullable=False),
    *_audit(),
)

# --- customer service and feedback ---------------------------------------------------------------

support_teams = Table(
    "support_teams", metadata,
    Column("team_id", BigInteger, primary_key=True),
    Column("team_name", String(100), nullable=False),
    Column("team_name_zh", String(100), nullable=False),
    Column("primary_queue", String(20), nullable=False),
    Column("region", String(50), nullable=False),
    *_audit(),
)

support_tickets = Table(
    "support_tickets", metadata,
    Column("ticket_id", BigInteger, primary_key=True),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("order_id", BigInteger, ForeignKey("orders.order_id")),
    Column("channel", String(20), nullable=False),  # SUPPORT_CHANNELS
    Column("queue", String(20), nullable=False),  # TICKET_QUEUES: the routing label
    Column("category", String(40), nullable=False),  # finer than queue, e.g. refund_request
    Column("priority", String(10), nullable=False),
    Column("language", String(5), nullable=False),  # zh, en
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("assigned_team_id", BigInteger, ForeignKey("support_teams.team_id")),
    Column("ticket_status", String(20), nullable=False),  # TICKET_STATUSES
    Column("reopen_count", Integer, nullable=False),
    Column("sla_hours", Integer, nullable=False),  # resolution SLA by priority
    Column("opened_at", DateTime, nullable=False),
    Column("first_response_at", DateTime),
    Column("resolved_at", DateTime),
    *_audit(),
)

csat_responses = Table(
    "csat_responses", metadata,
    Column("csat_id", BigInteger, primary_key=True),
    Column("ticket_id", BigInteger, ForeignKey("support_tickets.ticket_id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("score", Integer, nullable=False),  # 1..5
    Column("responded_at", DateTime, nullable=False),
    *_audit(),
)

nps_responses = Table(
    "nps_responses", metadata,
    Column("nps_id", BigInteger, primary_key=True),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("score", Integer, nullable=False),  # 0..10
    Column("survey_channel", String(20), nullable=False),  # email, app, sms
    Column("comment", Text),
    Column("responded_at", DateTime, nullable=False),
    *_audit(),
)

product_feedback = Table(
    "product_feedback", metadata,
    Column("feedback_id", BigInteger, primary_key=True),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id")),
    Column("product_id", BigInteger, ForeignKey("products.product_id")),
    Column("source", String(20), nullable=False),  # FEEDBACK_SOURCES
    Column("topic", String(30), nullable=False),  # FEEDBACK_TOPICS
    Column("rating", Integer),  # 1..5 where the source has one
    Column("content", Text, nullable=False),
    Column("feedback_status", String(20), nullable=False),  # new, acknowledged, planned, closed
    Column("submitted_at", DateTime, nullable=False),
    Column("first_response_at", DateTime),
    *_audit(),
)

# --- billing and subscriptions -------------------------------------------------------------------

subscription_plans = Table(
    "subscription_plans", metadata,
    Column("plan_id", BigInteger, primary_key=True),
    Column("plan_code", String(30), nullable=False, unique=True),
    Column("plan_name", String(100), nullable=False),
    Column("plan_tier", String(20), nullable=False),  # basic, pro, enterprise
    Column("billing_mode", String(20), nullable=False),  # BILLING_MODES
    # monthly: per month; annual: per year; per_seat: per seat per month; usage_based: per unit
    Column("list_price", MONEY, nullable=False),
    Column("trial_days", Integer, nullable=False),  # > 0: the plan starts with a free trial
    *_audit(),
)

subscriptions = Table(
    "subscriptions", metadata,
    Column("subscription_id", BigInteger, primary_key=True),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("plan_id", BigInteger, ForeignKey("subscription_plans.plan_id"), nullable=False),
    Column("subscription_status", String(20), nullable=False),  # SUBSCRIPTION_STATUSES
    Column("seats", Integer, nullable=False),
    Column("mrr_amount", MONEY, nullable=False),  # current monthly recurring revenue, 0 when not active
    Column("started_at", DateTime, nullable=False),
    Column("trial_ends_at", DateTime),
    Column("cancelled_at", DateTime),
    *_audit(),
)

subscription_changes = Table(
    "subscription_changes", metadata,
    # Every change of a subscription's MRR is one row: the MRR bridge is built from these.
    Column("change_id", BigInteger, primary_key=True),
    Column("subscription_id", BigInteger, ForeignKey("subscriptions.subscription_id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("change_type", String(20), nullable=False),  # SUBSCRIPTION_CHANGE_TYPES
    Column("old_plan_id", BigInteger, ForeignKey("subscription_plans.plan_id")),
    Column("new_plan_id", BigInteger, ForeignKey("subscription_plans.plan_id")),
    Column("old_mrr_amount", MONEY, nullable=False),
    Column("new_mrr_amount", MONEY, nullable=False),
    Column("effective_at", DateTime, nullable=False),
    *_audit(),
)

invoices = Table(
    "invoices", metadata,
    Column("invoice_id", BigInteger, primary_key=True),
    Column("subscription_id", BigInteger, ForeignKey("subscriptions.subscription_id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("subtotal_amount", MONEY, nullable=False),
    Column("discount_amount", MONEY, nullable=False),
    Column("amount_due", MONEY, nullable=False),  # subtotal - discount
    Column("invoice_status", String(20), nullable=False),  # INVOICE_STATUSES
    Column("issued_at", DateTime, nullable=False),
    Column("paid_at", DateTime),
    *_audit(),
)

payments = Table(
    "payments", metadata,
    # A payment attempt for either an order or an invoice; failed attempts may be retried.
    Column("payment_id", BigInteger, primary_key=True),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("order_id", BigInteger, ForeignKey("orders.order_id")),
    Column("invoice_id", BigInteger, ForeignKey("invoices.invoice_id")),
    Column("amount", MONEY, nullable=False),
    Column("currency", String(3), nullable=False),  # CNY
    Column("payment_method", String(20), nullable=False),  # PAYMENT_METHODS
    Column("payment_status", String(20), nullable=False),  # PAYMENT_STATUSES
    Column("failure_reason", String(30)),  # PAYMENT_FAILURE_REASONS when failed
    Column("attempt_number", Integer, nullable=False),  # 1 = first attempt, >1 = retry
    Column("attempted_at", DateTime, nullable=False),
    *_audit(),
)

# --- partners -------------------------------------------------------------------------------------

partners = Table(
    "partners", metadata,
    Column("partner_id", BigInteger, primary_key=True),
    Column("partner_name", String(200), nullable=False),
    Column("partner_type", String(20), nullable=False),  # PARTNER_TYPES
    Column("tier", String(20), nullable=False),  # PARTNER_TIERS
    Column("region", String(50), nullable=False),
    Column("joined_at", DateTime, nullable=False),
    Column("is_active", Boolean, nullable=False),
    *_audit(),
)

commission_rules = Table(
    "commission_rules", metadata,
    # percentage: rate x referred customers' order revenue in the period;
    # tiered: the tier's rate (commission_rule_tiers) chosen by the period's referred revenue, applied to all of it;
    # flat_bounty: bounty_amount per referred customer whose first order falls in the period;
    # recurring: rate x referred customers' subscription payments within recurring_months of their sign-up.
    Column("rule_id", BigInteger, primary_key=True),
    Column("partner_id", BigInteger, ForeignKey("partners.partner_id"), nullable=False),
    Column("rule_type", String(20), nullable=False),  # COMMISSION_RULE_TYPES
    Column("rate", RATE),
    Column("bounty_amount", MONEY),
    Column("recurring_months", Integer),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),  # open-ended when null
    *_audit(),
)

commission_rule_tiers = Table(
    "commission_rule_tiers", metadata,
    Column("tier_id", BigInteger, primary_key=True),
    Column("rule_id", BigInteger, ForeignKey("commission_rules.rule_id"), nullable=False),
    Column("min_revenue_amount", MONEY, nullable=False),  # tier applies from this period revenue up
    Column("rate", RATE, nullable=False),
    *_audit(),
)

partner_referrals = Table(
    "partner_referrals", metadata,
    Column("referral_id", BigInteger, primary_key=True),
    Column("partner_id", BigInteger, ForeignKey("partners.partner_id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id")),  # set once signed up
    Column("referral_status", String(20), nullable=False),  # REFERRAL_STATUSES
    Column("referred_at", DateTime, nullable=False),
    Column("converted_at", DateTime),  # first paid order
    *_audit(),
)

# --- experiments ----------------------------------------------------------------------------------

experiments = Table(
    "experiments", metadata,
    Column("experiment_id", BigInteger, primary_key=True),
    Column("experiment_key", String(50), nullable=False, unique=True),
    Column("experiment_name", String(200), nullable=False),
    Column("hypothesis", Text, nullable=False),
    Column("design", String(20), nullable=False),  # EXPERIMENT_DESIGNS
    Column("primary_metric", String(50), nullable=False),  # conversion, revenue_per_user, ...
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime),
    Column("experiment_status", String(20), nullable=False),  # running, stopped, concluded
    *_audit(),
)

experiment_variants = Table(
    "experiment_variants", metadata,
    Column("variant_id", BigInteger, primary_key=True),
    Column("experiment_id", BigInteger, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("variant_key", String(50), nullable=False),
    Column("is_control", Boolean, nullable=False),
    Column("traffic_weight", RATE, nullable=False),
    Column("factor_levels", String(200)),  # factorial designs: JSON such as {"price": "high", "layout": "b"}
    *_audit(),
)

experiment_assignments = Table(
    "experiment_assignments", metadata,
    Column("assignment_id", BigInteger, primary_key=True),
    Column("experiment_id", BigInteger, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("variant_id", BigInteger, ForeignKey("experiment_variants.variant_id"), nullable=False),
    Column("customer_id", BigInteger, ForeignKey("customers.customer_id"), nullable=False),
    Column("assigned_at", DateTime, nullable=False),
    *_audit(),
)

PRIMARY_KEYS: dict[str, str] = {
    name: next(iter(table.primary_key.columns)).name for name, table in metadata.tables.items()
}
