"""NPS survey responses (trending upwards) and product feedback with first responses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator import schema
from simulator.catalog import Catalog
from simulator.customers import Population
from simulator.lifecycle import Lifecycle
from simulator.support import ENGLISH_SPEAKER_SHARE
from simulator.texts import FEEDBACK_TEMPLATES, NPS_COMMENTS
from simulator.util import SECOND, ensure_each
from simulator.world import World

NPS_INVITE_RATE = 1 / 365          # per live customer-day
NPS_RESPONSE_RATE = 0.35
NPS_TREND_PER_YEAR = 0.6           # mean score points gained per year
FEEDBACK_RATE = 0.0011             # per live customer-day
TOPIC_SHARE = {"usability": 0.20, "performance": 0.15, "pricing": 0.12, "feature_request": 0.25, "bug": 0.18, "delivery": 0.10}
SOURCE_SHARE = {"app_store": 0.15, "in_app": 0.35, "survey": 0.20, "support": 0.20, "social": 0.10}
TOPIC_RATING = {"usability": 3.6, "performance": 3.0, "pricing": 3.2, "feature_request": 3.9, "bug": 2.4, "delivery": 3.0}
FIRST_RESPONSE_MEDIAN_H = 5.0
NO_RESPONSE_SHARE = 0.05


def build_nps(world: World, pop: Population, life: Lifecycle) -> None:
    rng = world.rng("nps")
    english = world.rng("languages").random(pop.n) < ENGLISH_SPEAKER_SHARE
    churn_day = np.where(life.churned, world.day_of(np.where(life.churned, life.churn_at, world.start_s)), 10**6)
    # a rolling survey: each live customer is invited about once a year, on a random day
    invited = (rng.random(life.activity.shape, dtype=np.float32) < NPS_INVITE_RATE) & (life.activity > 0)
    cust, day = np.nonzero(invited)
    act = life.activity[cust, day]
    answer = rng.random(len(cust)) < NPS_RESPONSE_RATE * np.sqrt(np.clip(act, 0, 1))
    cust, day = cust[answer], day[answer]
    when = world.at(day, 10 * 3600) + np.exp(rng.normal(np.log(20 * 3600), 1.0, len(cust))).astype(np.int64) * SECOND
    soon_churn = (churn_day[cust] - day) < 60
    score = np.rint(7.0 + NPS_TREND_PER_YEAR * day / 365.25 + 1.3 * pop.satisfaction[cust] - 2.5 * soon_churn
                    + rng.normal(0, 1.4, len(cust)))
    rows = [pd.DataFrame({"customer_idx": cust, "score": np.clip(score, 0, 10).astype(int), "responded_at": when})]
    nps = pd.concat(rows, ignore_index=True)
    nps = nps[nps["responded_at"] < world.end_s].sort_values(["responded_at", "customer_idx"], kind="stable").reset_index(drop=True)
    n = len(nps)
    band = np.where(nps["score"] >= 9, "promoter", np.where(nps["score"] >= 7, "passive", "detractor"))
    lang = np.where(english[nps["customer_idx"].to_numpy()], "en", "zh")
    with_comment = rng.random(n) < 0.35
    comments = [NPS_COMMENTS[b][l][int(rng.integers(3))] if c else None for b, l, c in zip(band, lang, with_comment)]
    channel = ensure_each(rng, rng.choice(["email", "app", "sms"], size=n, p=[0.45, 0.4, 0.15]), ["email", "app", "sms"])
    world.add("nps_responses", pd.DataFrame({
        "nps_id": np.arange(1, n + 1), "customer_id": pop.customer_id[nps["customer_idx"].to_numpy()],
        "score": nps["score"], "survey_channel": channel, "comment": comments,
        "responded_at": nps["responded_at"], "created_at": nps["responded_at"], "updated_at": nps["responded_at"],
    }))
    quarter = pd.PeriodIndex(pd.to_datetime(nps["responded_at"]), freq="Q").astype(str)
    by_q = nps.assign(q=quarter).groupby("q")["score"].apply(lambda s: round(100 * ((s >= 9).mean() - (s <= 6).mean()), 1))
    world.truth.feedback.update({
        "nps_model": (f"score = round(7.0 + {NPS_TREND_PER_YEAR} x years since history start + 1.3 x satisfaction "
                      "- 2.5 x (churns within 60 days) + N(0, 1.4)), clipped to 0..10; rolling survey: each live customer is "
                      f"invited about once a year and answers with probability {NPS_RESPONSE_RATE} x sqrt(activity)"),
        "nps_trend": "rising",
        "realised_nps_by_quarter": by_q.to_dict(),
    })


def build_product_feedback(world: World, pop: Population, life: Lifecycle, catalog: Catalog) -> None:
    rng = world.rng("product_feedback")
    english = world.rng("languages").random(pop.n) < ENGLISH_SPEAKER_SHARE
    counts = rng.poisson(FEEDBACK_RATE * (life.activity > 0))
    cust, day = np.nonzero(counts)
    submitted = world.at(day, rng.integers(7 * 3600, 23 * 3600, size=len(day)))
    order = np.lexsort((cust, submitted))
    cust, submitted = cust[order], submitted[order]
    n = len(cust)
    topic = ensure_each(rng, rng.choice(list(TOPIC_SHARE), size=n, p=list(TOPIC_SHARE.values())), schema.FEEDBACK_TOPICS)
    source = ensure_each(rng, rng.choice(list(SOURCE_SHARE), size=n, p=list(SOURCE_SHARE.values())), schema.FEEDBACK_SOURCES)
    has_rating = np.isin(source, ["app_store", "in_app", "survey"])
    rating = np.clip(np.rint(np.array([TOPIC_RATING[t] for t in topic]) + 0.6 * pop.satisfaction[cust] + rng.normal(0, 0.8, n)), 1, 5)
    product = np.where((topic == "delivery") | (rng.random(n) < 0.25),
                       catalog.product_id[_popular(rng, catalog, n)], 0)
    lang = np.where(english[cust], "en", "zh")
    content = [FEEDBACK_TEMPLATES[t][l][int(rng.integers(3))] for t, l in zip(topic, lang)]
    responded = rng.random(n) >= NO_RESPONSE_SHARE
    first_response = submitted + np.exp(rng.normal(np.log(FIRST_RESPONSE_MEDIAN_H * 3600), 1.1, n)).astype(np.int64) * SECOND
    responded &= first_response < world.end_s
    status = np.where(~responded, "new",
                      np.where((topic == "feature_request") & (rng.random(n) < 0.3), "planned",
                               np.where(rng.random(n) < 0.55, "closed", "acknowledged")))
    closed_at = first_response + rng.integers(3600, 10 * 86_400, size=n) * SECOND
    updated = np.where(responded, first_response, submitted)
    later = np.isin(status, ["closed", "planned"]) & (closed_at < world.end_s)
    updated = np.where(later, closed_at, updated)
    anonymous_social = (source == "social") & (rng.random(n) < 0.4)
    frame = pd.DataFrame({
        "feedback_id": np.arange(1, n + 1),
        "customer_id": pd.array(np.where(anonymous_social, 0, pop.customer_id[cust]), dtype="Int64"),
        "product_id": pd.array(product, dtype="Int64"),
        "source": source, "topic": topic,
        "rating": pd.array(np.where(has_rating, rating, 0).astype(np.int64), dtype="Int64"),
        "content": content, "feedback_status": status, "submitted_at": submitted,
        "first_response_at": np.where(responded, first_response, np.datetime64("NaT")),
        "created_at": submitted, "updated_at": updated,
    })
    frame.loc[anonymous_social, "customer_id"] = pd.NA
    frame.loc[product == 0, "product_id"] = pd.NA
    frame.loc[~has_rating, "rating"] = pd.NA
    world.add("product_feedback", frame)
    resp_h = (first_response[responded] - submitted[responded]) / np.timedelta64(1, "h")
    world.truth.feedback.update({
        "first_response_target_hours": 24,
        "first_response_model": f"lognormal, median {FIRST_RESPONSE_MEDIAN_H} h, sigma 1.1; {NO_RESPONSE_SHARE:.0%} never answered",
        "realised_share_first_response_within_24h": round(float((resp_h < 24).mean()), 4) if len(resp_h) else None,
        "topic_share": TOPIC_SHARE, "source_share": SOURCE_SHARE, "feedback_items": n,
    })


def _popular(rng: np.random.Generator, catalog: Catalog, n: int) -> np.ndarray:
    cdf = np.cumsum(catalog.popularity)
    return np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), len(cdf) - 1)
