"""Marketing campaigns over all 11 channels: touches (send/open/click), daily spend, order uplift."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator import schema
from simulator.util import SECOND
from simulator.world import World


@dataclass(frozen=True)
class ChannelParams:
    reach: float          # share of live customers a campaign targets
    sends: float          # mean sends per targeted customer
    open_rate: float      # P(open | send) for a fully engaged customer
    click_rate: float     # P(click | open)
    order_uplift: float   # relative increase of the order rate for 7 days after a click
    cost_per_mille: int   # cents per 1000 impressions
    impressions_per_send: int
    signup_weight: float  # share of new customers acquired through the channel (before campaign boosts)


CHANNEL_PARAMS = {
    "email": ChannelParams(0.30, 2.0, 0.22, 0.15, 0.8, 1_000, 1, 0.03),
    "sms": ChannelParams(0.15, 1.0, 0.35, 0.06, 0.6, 5_000, 1, 0.03),
    "wechat": ChannelParams(0.20, 2.0, 0.45, 0.12, 0.9, 200, 1, 0.10),
    "app_push": ChannelParams(0.25, 3.0, 0.12, 0.20, 0.7, 50, 1, 0.01),
    "web_push": ChannelParams(0.08, 2.0, 0.08, 0.18, 0.5, 50, 1, 0.02),
    "douyin": ChannelParams(0.06, 3.0, 0.30, 0.05, 1.2, 4_000, 40, 0.12),
    "weibo": ChannelParams(0.04, 2.0, 0.15, 0.06, 0.8, 2_000, 30, 0.06),
    "xiaohongshu": ChannelParams(0.05, 2.0, 0.25, 0.10, 1.3, 6_000, 30, 0.08),
    "search_ads": ChannelParams(0.04, 2.0, 0.60, 0.30, 1.6, 8_000, 25, 0.12),
    "affiliate": ChannelParams(0.02, 1.0, 0.50, 0.25, 1.4, 5_000, 20, 0.0),  # partner referrals set this
    "offline_event": ChannelParams(0.01, 1.0, 0.70, 0.30, 1.0, 30_000, 5, 0.04),
}
ORGANIC_SIGNUP_WEIGHT = 0.30
ACQUISITION_BOOST = 3.0  # an acquisition campaign triples its channel's share of sign-ups while it runs
UPLIFT_DAYS = 7
OBJECTIVES = {"owned": ["retention", "winback", "promotion"], "paid": ["acquisition", "promotion", "acquisition"],
              "earned": ["acquisition", "promotion"]}
SEGMENTS = {"retention": ["champions", "loyal", "potential_loyalists"], "winback": ["at_risk", "hibernating"],
            "promotion": [None, "champions", "loyal"], "acquisition": [None]}


@dataclass
class Campaigns:
    campaign_id: np.ndarray
    channel: np.ndarray
    objective: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray   # inclusive, may be beyond the history


def plan_campaigns(world: World) -> Campaigns:
    rng = world.rng("campaigns")
    channel_types = dict(zip(world.tables["marketing_channels"]["channel_code"], world.tables["marketing_channels"]["channel_type"]))
    per_channel = world.config.volumes.campaigns_per_channel
    rows = []
    for channel in schema.MARKETING_CHANNELS:
        for k in range(per_channel):
            # spread a channel's campaigns over the two years, one slot each
            slot = world.n_days / per_channel
            first = int(k * slot + rng.integers(0, max(1, int(slot * 0.5))))
            length = int(rng.integers(7, 31))
            objective = OBJECTIVES[channel_types[channel]][k % len(OBJECTIVES[channel_types[channel]])]
            segment = SEGMENTS[objective][rng.integers(len(SEGMENTS[objective]))]
            rows.append(dict(channel_code=channel, objective=objective, target_segment=segment,
                             first=first, last=first + length - 1))
    frame = pd.DataFrame(rows).sort_values(["first", "channel_code"], kind="stable").reset_index(drop=True)
    frame.insert(0, "campaign_id", np.arange(1, len(frame) + 1))
    frame["campaign_name"] = [f"{r.channel_code} {r.objective} #{r.campaign_id} ({world.calendar.start + r.first})"
                              for r in frame.itertuples()]
    frame["starts_on"] = world.calendar.start + frame["first"].to_numpy()
    frame["ends_on"] = world.calendar.start + frame["last"].to_numpy()
    frame["created_at"] = world.at(frame["first"].to_numpy() - rng.integers(3, 15, size=len(frame)), 10 * 3600)
    frame["updated_at"] = frame["created_at"]
    world.tables["_campaign_plan"] = frame
    return Campaigns(campaign_id=frame["campaign_id"].to_numpy(), channel=frame["channel_code"].to_numpy(),
                     objective=frame["objective"].to_numpy(), first_day=frame["first"].to_numpy(),
                     last_day=frame["last"].to_numpy())


def signup_channel_weights(world: World, campaigns: Campaigns) -> tuple[list[str], np.ndarray]:
    """Per day x channel weights for a new customer's acquisition channel ('organic' last)."""
    channels = [c for c in schema.MARKETING_CHANNELS if c != "affiliate"]
    base = np.array([CHANNEL_PARAMS[c].signup_weight for c in channels] + [ORGANIC_SIGNUP_WEIGHT])
    weights = np.tile(base, (world.n_days, 1))
    for ch, obj, first, last in zip(campaigns.channel, campaigns.objective, campaigns.first_day, campaigns.last_day):
        if obj == "acquisition" and ch in channels:
            weights[max(first, 0):min(last + 1, world.n_days), channels.index(ch)] *= ACQUISITION_BOOST
    return channels + ["organic"], weights


@dataclass
class Clicks:
    customer_idx: np.ndarray
    clicked_at: np.ndarray
    channel: np.ndarray
    campaign_id: np.ndarray


def simulate_touches(world: World, campaigns: Campaigns, alive_act: np.ndarray, customer_id: np.ndarray) -> tuple[Clicks, np.ndarray]:
    """Touches for every campaign; returns the clicks and a (customer x day) order-rate uplift matrix."""
    rng = world.rng("touches")
    n_cust, n_days = alive_act.shape
    plan = world.tables["_campaign_plan"]
    parts = []
    for row in plan.itertuples():
        params = CHANNEL_PARAMS[row.channel_code]
        first, last = max(row.first, 0), min(row.last, n_days - 1)
        if first > last:
            continue
        act_at_start = alive_act[:, first]
        weight = (act_at_start > 0).astype(float)
        if row.objective == "winback":
            weight *= np.clip(1.3 - act_at_start, 0.05, None)  # win-back targets customers who are fading
        eligible = int((weight > 0).sum())
        audience_size = rng.binomial(eligible, params.reach) if eligible else 0
        if audience_size == 0:
            continue
        audience = rng.choice(n_cust, size=audience_size, replace=False, p=weight / weight.sum())
        sends = 1 + rng.poisson(params.sends - 1, size=audience_size)
        member = np.repeat(audience, sends)
        day = rng.integers(first, last + 1, size=len(member))
        live = alive_act[member, day]
        member, day, live = member[live > 0], day[live > 0], live[live > 0]
        sent_at = world.at(day, rng.integers(9 * 3600, 21 * 3600, size=len(member)))
        opened = rng.random(len(member)) < params.open_rate * np.clip(live, 0, 1.2)
        open_at = sent_at + np.exp(rng.normal(np.log(2 * 3600), 1.0, size=len(member))).astype(np.int64) * SECOND
        clicked = opened & (rng.random(len(member)) < params.click_rate)
        click_at = open_at + rng.integers(5, 900, size=len(member)) * SECOND
        for mask, when, kind in ((np.ones(len(member), bool), sent_at, "send"), (opened, open_at, "open"), (clicked, click_at, "click")):
            parts.append(pd.DataFrame({"campaign_id": row.campaign_id, "customer_idx": member[mask],
                                       "channel_code": row.channel_code, "touch_type": kind, "touched_at": when[mask]}))
    touches = pd.concat(parts, ignore_index=True)
    touches = touches[touches["touched_at"] < world.end_s]
    touches = touches.sort_values(["touched_at", "campaign_id", "customer_idx"], kind="stable").reset_index(drop=True)
    touches["customer_id"] = customer_id[touches["customer_idx"].to_numpy()]
    touches.insert(0, "touch_id", np.arange(1, len(touches) + 1))
    touches["created_at"] = touches["touched_at"]
    touches["updated_at"] = touches["touched_at"]
    world.add("marketing_touches", touches.drop(columns="customer_idx"))

    clicks = touches[touches["touch_type"] == "click"]
    c_idx = clicks["customer_idx"].to_numpy()
    c_day = world.day_of(clicks["touched_at"].to_numpy())
    uplift = np.zeros((n_cust, n_days), dtype=np.float32)
    gain = np.array([CHANNEL_PARAMS[c].order_uplift for c in clicks["channel_code"]], dtype=np.float32)
    for k in range(UPLIFT_DAYS):
        ok = c_day + k < n_days
        np.add.at(uplift, (c_idx[ok], c_day[ok] + k), gain[ok])
    world.truth.marketing.update({
        "channel_params": {c: vars(p) for c, p in CHANNEL_PARAMS.items()},
        "uplift_window_days": UPLIFT_DAYS,
        "uplift_definition": "a click multiplies the customer's order rate by (1 + order_uplift) for the click day and the next 6 days (uplifts of overlapping clicks add up)",
        "open_rate_definition": "P(open | send) = open_rate x the customer's current activity level (declining customers open less)",
        "acquisition_boost": ACQUISITION_BOOST,
        "touches_by_type": touches["touch_type"].value_counts().sort_index().to_dict(),
        "realised_open_rate_by_channel": _rate(touches, "open", "send"),
        "realised_click_rate_by_channel": _rate(touches, "click", "open"),
    })
    return Clicks(customer_idx=c_idx, clicked_at=clicks["touched_at"].to_numpy(),
                  channel=clicks["channel_code"].to_numpy(), campaign_id=clicks["campaign_id"].to_numpy()), uplift


def _rate(touches: pd.DataFrame, num: str, den: str) -> dict[str, float]:
    counts = touches.groupby(["channel_code", "touch_type"]).size().unstack(fill_value=0)
    return {c: round(float(counts.loc[c, num] / counts.loc[c, den]), 4) if counts.loc[c, den] else None for c in counts.index}


def build_campaigns_and_spend(world: World) -> None:
    """Campaign rows (with budgets) and per-day spend once touch volumes are known."""
    rng = world.rng("spend")
    plan = world.tables.pop("_campaign_plan")
    sends = world.tables["marketing_touches"]
    sends = sends[sends["touch_type"] == "send"]
    sends_per_day = sends.groupby(["campaign_id", world.day_of(sends["touched_at"].to_numpy())]).size()
    rows = []
    budgets = []
    for row in plan.itertuples():
        params = CHANNEL_PARAMS[row.channel_code]
        days = np.arange(max(row.first, 0), min(row.last, world.n_days - 1) + 1)
        planned_total = 0
        for day in days:
            touches = int(sends_per_day.get((row.campaign_id, day), 0))
            impressions = int(touches * params.impressions_per_send * rng.uniform(0.8, 1.2)) + int(rng.integers(50, 400))
            spend = impressions * params.cost_per_mille // 1000
            planned_total += spend
            rows.append(dict(campaign_id=row.campaign_id, channel_code=row.channel_code, spend_date=world.calendar.start + day,
                             spend_amount=int(spend), impressions=impressions,
                             created_at=world.at(day + 1, int(rng.integers(3600, 4 * 3600)))))
        full_days = row.last - row.first + 1
        budgets.append(int(planned_total * full_days / max(len(days), 1) * rng.uniform(1.0, 1.25)) // 100 * 100 + 100_000)
    plan["budget_amount"] = np.array(budgets, dtype=np.int64)
    world.add("campaigns", plan.drop(columns=["first", "last"]))
    spend = pd.DataFrame(rows)
    spend = spend[spend["created_at"] < world.end_s].reset_index(drop=True)
    spend.insert(0, "spend_id", np.arange(1, len(spend) + 1))
    spend["updated_at"] = spend["created_at"]
    world.add("marketing_spend", spend)
    world.truth.marketing["spend_by_channel"] = {k: int(v) for k, v in spend.groupby("channel_code")["spend_amount"].sum().items()}
    world.truth.marketing["spend_unit"] = "cents (CNY x 100)"

