"""Support tickets (queue-specific Chinese/English text, SLA timings, reopens) and CSAT responses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator import schema
from simulator.calendar import HOURLY_SUPPORT_WEIGHTS, seconds_in_day
from simulator.catalog import Catalog
from simulator.customers import Population
from simulator.lifecycle import Lifecycle
from simulator.texts import (AMBIGUOUS_TEMPLATES, CATEGORIES, ERROR_CODES, TICKET_CLOSERS, TICKET_OPENERS,
                             TICKET_TEMPLATES)
from simulator.util import SECOND, ensure_each
from simulator.world import World

GENERAL_TICKET_RATE = 0.0026           # per live customer-day
ORDER_TICKET_SHARE = 0.045             # of paid orders
AMBIGUOUS_SHARE = 0.04
ENGLISH_SPEAKER_SHARE = 0.3
SLA_HOURS = {"low": 72, "normal": 48, "high": 24, "urgent": 8}
PRIORITY_SHARE = {"low": 0.20, "normal": 0.55, "high": 0.20, "urgent": 0.05}
FIRST_RESPONSE_MEDIAN_H = {"low": 8.0, "normal": 4.0, "high": 1.5, "urgent": 0.5}
RESOLUTION_MEDIAN_H = {"low": 18.0, "normal": 11.0, "high": 5.5, "urgent": 1.8}
CHANNEL_SHARE = {"email": 0.20, "phone": 0.15, "live_chat": 0.20, "wechat": 0.18, "app": 0.12, "web_form": 0.10, "social": 0.05}
CHANNEL_RESPONSE_FACTOR = {"email": 1.0, "phone": 0.1, "live_chat": 0.2, "wechat": 0.6, "app": 0.8, "web_form": 1.0, "social": 0.7}
QUEUE_RESOLUTION_FACTOR = {"billing": 0.8, "technical": 1.5, "shipping": 1.0, "account": 0.7, "returns": 1.2, "product": 0.8}
POOR_HANDLING_FACTOR = 3.0             # slower first response and resolution for "poor support" tickets
REOPEN_RATE = 0.05
EN_NOUNS = {
    "electronics": ["earbuds", "smart watch", "power bank", "phone case", "tablet", "keyboard"],
    "apparel": ["sneakers", "down jacket", "hoodie", "jeans", "shirt", "socks"],
    "beauty": ["cleanser", "toner", "face cream", "serum", "sunscreen", "lipstick"],
    "home": ["coffee machine", "bedding set", "storage box", "thermos", "air fryer", "desk lamp"],
    "food": ["coffee beans", "nut gift box", "tea", "milk", "snack pack", "honey"],
    "sports": ["yoga mat", "yoga block", "treadmill", "dumbbells", "badminton racket", "backpack"],
}
assert set(EN_NOUNS) == set(CATEGORIES)


def build_tickets(world: World, pop: Population, life: Lifecycle, catalog: Catalog, orders: pd.DataFrame,
                  items: pd.DataFrame) -> None:
    rng = world.rng("support")
    n_days = world.n_days
    live = life.activity > 0
    parts = []

    # (a) order-related tickets: shipping, returns, billing, product questions about an order
    paid = orders[orders["paid_at"].notna()]
    has_return = (paid["refund_amount"] > 0).to_numpy()
    p = np.where(has_return, 0.15, ORDER_TICKET_SHARE)
    pick = rng.random(len(paid)) < p
    sel = paid[pick]
    ret = has_return[pick]
    queue = np.where(ret & (rng.random(len(sel)) < 0.8), "returns",
                     rng.choice(["shipping", "returns", "billing", "product"], size=len(sel), p=[0.55, 0.12, 0.13, 0.20]))
    opened = sel["paid_at"].to_numpy() + rng.integers(3600, 10 * 86_400, size=len(sel)) * SECOND
    parts.append(pd.DataFrame({"customer_idx": sel["customer_idx"].to_numpy(), "order_id": sel["order_id"].to_numpy(),
                               "queue": queue, "opened_at": opened, "poor": False}))
    # (b) general tickets from live customers
    counts = rng.poisson(GENERAL_TICKET_RATE * live)
    cust, day = np.nonzero(counts)
    opened = world.at(day, _support_seconds(rng, len(day)))
    parts.append(pd.DataFrame({"customer_idx": cust, "order_id": 0,
                               "queue": rng.choice(["billing", "technical", "account", "product"], size=len(cust), p=[0.28, 0.37, 0.23, 0.12]),
                               "opened_at": opened, "poor": False}))
    # (c) badly handled tickets before churn (driver) and (d) as noise for customers who stay
    driver = np.flatnonzero(life.driver_poor_support)
    n_each = rng.integers(1, 3, size=len(driver))
    d_cust = np.repeat(driver, n_each)
    churn_day = world.day_of(life.churn_at[d_cust])
    d_day = churn_day - rng.integers(3, 61, size=len(d_cust))
    noise = np.flatnonzero(life.noise_poor_ticket)
    noise_day = rng.integers(0, n_days, size=len(noise))
    poor_queue = ["technical", "billing", "shipping", "returns"]
    parts.append(pd.DataFrame({"customer_idx": np.r_[d_cust, noise], "order_id": 0,
                               "queue": rng.choice(poor_queue, size=len(d_cust) + len(noise)),
                               "opened_at": world.at(np.r_[d_day, noise_day], _support_seconds(rng, len(d_cust) + len(noise))),
                               "poor": True}))
    t = pd.concat(parts, ignore_index=True)
    t = t[(t["opened_at"] >= world.start_s) & (t["opened_at"] < world.end_s)]
    t_day = world.day_of(t["opened_at"].to_numpy())
    t = t[live[t["customer_idx"].to_numpy(), t_day]]  # churned customers no longer write in
    t = t.sort_values(["opened_at", "customer_idx"], kind="stable").reset_index(drop=True)
    n = len(t)

    queue = t["queue"].to_numpy().astype(object)
    poor = t["poor"].to_numpy()
    channel = ensure_each(rng, rng.choice(list(CHANNEL_SHARE), size=n, p=list(CHANNEL_SHARE.values())), schema.SUPPORT_CHANNELS)
    queue = ensure_each(rng, queue, schema.TICKET_QUEUES)
    priority = rng.choice(list(PRIORITY_SHARE), size=n, p=list(PRIORITY_SHARE.values())).astype(object)
    bump = poor & (rng.random(n) < 0.4)
    priority[bump] = "high"
    priority = ensure_each(rng, priority, schema.TICKET_PRIORITIES)
    categories = np.array([rng.choice(list(TICKET_TEMPLATES[q])) for q in queue], dtype=object)
    english = world.rng("languages").random(pop.n) < ENGLISH_SPEAKER_SHARE
    language = np.where(english[t["customer_idx"].to_numpy()], "en", "zh")
    team_ids = {q: catalog.team_id[catalog.team_queue == q] for q in schema.TICKET_QUEUES}
    team_speed = dict(zip(catalog.team_id, catalog.team_speed))
    team = np.array([team_ids[q][0 if rng.random() < 0.6 else 1] for q in queue])
    speed = np.array([team_speed[x] for x in team])

    # timings (hours)
    handling = np.where(poor, POOR_HANDLING_FACTOR, 1.0)
    fr_median = np.array([FIRST_RESPONSE_MEDIAN_H[p] for p in priority]) * np.array([CHANNEL_RESPONSE_FACTOR[c] for c in channel])
    first_response_h = fr_median * speed * handling * np.exp(rng.normal(0, 0.8, n))
    res_median = np.array([RESOLUTION_MEDIAN_H[p] for p in priority]) * np.array([QUEUE_RESOLUTION_FACTOR[q] for q in queue])
    resolve_h = first_response_h + res_median * speed * handling * np.exp(rng.normal(0, 0.7, n))
    reopen = rng.random(n) < np.where(poor, 0.25, REOPEN_RATE)
    second_reopen = reopen & (rng.random(n) < 0.2)
    reopen1_h = resolve_h + rng.uniform(2, 48, n)
    reresolve1_h = reopen1_h + np.exp(rng.normal(np.log(6), 0.7, n))
    reopen2_h = reresolve1_h + rng.uniform(2, 48, n)
    reresolve2_h = reopen2_h + np.exp(rng.normal(np.log(5), 0.7, n))

    opened = t["opened_at"].to_numpy().astype("datetime64[s]")
    end = world.end_s
    def hours(h) -> np.ndarray:
        return opened + (np.asarray(h) * 3600).astype(np.int64) * SECOND

    fr_at, res_at = hours(first_response_h), hours(resolve_h)
    ro1_at, rr1_at, ro2_at, rr2_at = hours(reopen1_h), hours(reresolve1_h), hours(reopen2_h), hours(reresolve2_h)
    # state as of the end of the history
    reopen_count = (reopen & (ro1_at < end)).astype(int) + (second_reopen & (ro2_at < end)).astype(int)
    currently_reopened = (reopen & (ro1_at < end) & (rr1_at >= end)) | (second_reopen & (ro2_at < end) & (rr2_at >= end))
    last_res = np.where(second_reopen & (rr2_at < end), rr2_at,
                        np.where(reopen & (rr1_at < end), rr1_at, res_at))
    status = np.full(n, "open", dtype=object)
    status[fr_at < end] = "pending"
    status[(res_at < end)] = "resolved"
    status[currently_reopened] = "reopened"
    resolved_final = (last_res < end) & ~currently_reopened
    closed = resolved_final & (last_res + 72 * 3600 * SECOND < end)
    status[closed] = "closed"
    first_response_at = np.where(fr_at < end, fr_at, np.datetime64("NaT"))
    resolved_at = np.where(resolved_final, last_res, np.datetime64("NaT"))
    events = np.stack([opened, np.where(fr_at < end, fr_at, opened), np.where(res_at < end, res_at, opened),
                       np.where(reopen & (ro1_at < end), ro1_at, opened), np.where(reopen & (rr1_at < end), rr1_at, opened),
                       np.where(second_reopen & (ro2_at < end), ro2_at, opened),
                       np.where(second_reopen & (rr2_at < end), rr2_at, opened),
                       np.where(closed, last_res + 72 * 3600 * SECOND, opened)])
    updated = events.max(axis=0)
    unassigned = (status == "open") & (rng.random(n) < 0.3)
    sla = np.array([SLA_HOURS[p] for p in priority])

    subjects, bodies, ambiguous = _texts(rng, t, queue, categories, language, catalog, items,
                                         world.tables["customers"]["city"].to_numpy())
    cust_idx = t["customer_idx"].to_numpy()
    frame = pd.DataFrame({
        "ticket_id": np.arange(1, n + 1),
        "customer_id": pop.customer_id[cust_idx],
        "order_id": pd.array(t["order_id"].to_numpy(), dtype="Int64"),
        "channel": channel, "queue": queue, "category": categories, "priority": priority, "language": language,
        "subject": subjects, "body": bodies,
        "assigned_team_id": pd.array(np.where(unassigned, 0, team), dtype="Int64"),
        "ticket_status": status, "reopen_count": reopen_count, "sla_hours": sla,
        "opened_at": opened, "first_response_at": first_response_at, "resolved_at": resolved_at,
        "created_at": opened, "updated_at": updated,
    })
    frame.loc[frame["order_id"] == 0, "order_id"] = pd.NA
    frame.loc[unassigned, "assigned_team_id"] = pd.NA
    world.add("support_tickets", frame)
    _build_csat(world, rng, frame, poor, pop, cust_idx, reopen_count, sla)

    res_hours = (resolved_at - opened) / np.timedelta64(1, "h")
    done = ~np.isnat(resolved_at)
    breach = res_hours[done] > sla[done]
    world.truth.support.update({
        "queues": list(schema.TICKET_QUEUES),
        "categories_by_queue": {q: list(TICKET_TEMPLATES[q]) for q in TICKET_TEMPLATES},
        "routing_label": "support_tickets.queue; the text (subject + body) is drawn from queue/category-specific templates in the ticket's language",
        "ambiguous_ticket_ids": frame["ticket_id"].to_numpy()[ambiguous].tolist(),
        "ambiguous_share": round(float(ambiguous.mean()), 4),
        "sla_hours_by_priority": SLA_HOURS,
        "sla_breach_definition": "resolved_at - opened_at > sla_hours (hours)",
        "realised_sla_breach_rate_resolved": round(float(breach.mean()), 4) if done.any() else None,
        "first_response_median_hours_by_priority": FIRST_RESPONSE_MEDIAN_H,
        "resolution_median_hours_by_priority": RESOLUTION_MEDIAN_H,
        "channel_first_response_factor": CHANNEL_RESPONSE_FACTOR,
        "queue_resolution_factor": QUEUE_RESOLUTION_FACTOR,
        "reopen_rate": REOPEN_RATE,
        "realised_reopen_share": round(float((reopen_count > 0).mean()), 4),
        "poor_support_ticket_ids": frame["ticket_id"].to_numpy()[poor].tolist(),
        "csat_model": "poor-support tickets score 1-2; otherwise round(4.5 - 1.3*breach - 0.8*reopened - 0.35*ln(resolution_h / median_h) + 0.3*satisfaction + N(0, 0.6)) clipped to 1..5",
        "tickets": n,
    })


def _support_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    return seconds_in_day(rng, n, HOURLY_SUPPORT_WEIGHTS)


def _texts(rng, t: pd.DataFrame, queue, categories, language, catalog: Catalog, items: pd.DataFrame,
           cities: np.ndarray):
    """Subject and body per ticket from its queue/category templates (or an ambiguous template)."""
    n = len(t)
    ambiguous = rng.random(n) < AMBIGUOUS_SHARE
    first_product = items.groupby("order_id")["product_id"].first()
    order_ids = t["order_id"].to_numpy()
    product_of = np.where(order_ids > 0, first_product.reindex(order_ids).fillna(0).to_numpy(dtype=np.int64), 0)
    random_product = rng.integers(1, len(catalog.product_id) + 1, size=n)
    product_id = np.where(product_of > 0, product_of, random_product)
    customer_city = cities[t["customer_idx"].to_numpy()]
    plans = ["Basic", "Pro", "Enterprise", "Team", "Business"]
    subjects, bodies = [], []
    for i in range(n):
        lang = language[i]
        pid = int(product_id[i]) - 1
        cat = catalog.category[pid]
        slots = {
            "order": f"#{order_ids[i]}" if order_ids[i] > 0 else f"#{int(rng.integers(10_000, 999_999))}",
            "product": catalog.noun[pid] if lang == "zh" else EN_NOUNS[cat][int(rng.integers(len(EN_NOUNS[cat])))],
            "amount": f"{int(rng.integers(9, 3000))}.{int(rng.choice([0, 50, 90])):02d}",
            "days": int(rng.integers(3, 10)),
            "plan": plans[int(rng.integers(len(plans)))],
            "error": ERROR_CODES[int(rng.integers(len(ERROR_CODES)))],
            "city": customer_city[i],
        }
        if ambiguous[i]:
            options = [tpl for tpl in AMBIGUOUS_TEMPLATES if queue[i] in tpl[0]]
            if not options:
                ambiguous[i] = False
            else:
                tpl = options[int(rng.integers(len(options)))]
                subj_list, body_list = tpl[1] if lang == "zh" else tpl[2]
        if not ambiguous[i]:
            subj_list, body_list = TICKET_TEMPLATES[queue[i]][categories[i]][lang]
        subject = subj_list[int(rng.integers(len(subj_list)))].format(**slots)
        body = body_list[int(rng.integers(len(body_list)))].format(**slots)
        opener = TICKET_OPENERS[lang][int(rng.integers(len(TICKET_OPENERS[lang])))]
        closer = TICKET_CLOSERS[lang][int(rng.integers(len(TICKET_CLOSERS[lang])))]
        subjects.append(subject)
        bodies.append(f"{opener}{body}{closer}")
    return subjects, bodies, ambiguous


def _build_csat(world: World, rng, tickets: pd.DataFrame, poor: np.ndarray, pop: Population, cust_idx: np.ndarray,
                reopen_count: np.ndarray, sla: np.ndarray) -> None:
    resolved = tickets["resolved_at"].notna().to_numpy()
    opened = tickets["opened_at"].to_numpy()
    resolved_at = tickets["resolved_at"].to_numpy()
    res_h = np.where(resolved, (resolved_at - opened) / np.timedelta64(1, "h"), 0.0)
    median = np.array([RESOLUTION_MEDIAN_H[p] for p in tickets["priority"]]) * np.array([QUEUE_RESOLUTION_FACTOR[q] for q in tickets["queue"]])
    breach = res_h > sla
    answer = resolved & (rng.random(len(tickets)) < np.where(poor, 0.7, 0.45))
    responded = resolved_at + np.exp(rng.normal(np.log(6 * 3600), 1.0, len(tickets))).astype(np.int64) * SECOND
    answer &= responded < world.end_s
    score = np.rint(4.5 - 1.3 * breach - 0.8 * (reopen_count > 0) - 0.35 * np.log(np.maximum(res_h, 0.1) / median)
                    + 0.3 * pop.satisfaction[cust_idx] + rng.normal(0, 0.6, len(tickets)))
    score = np.where(poor, rng.integers(1, 3, len(tickets)), np.clip(score, 1, 5)).astype(int)
    idx = np.flatnonzero(answer)
    idx = idx[np.argsort(responded[idx], kind="stable")]  # ids follow insertion (response) time
    world.add("csat_responses", pd.DataFrame({
        "csat_id": np.arange(1, len(idx) + 1),
        "ticket_id": tickets["ticket_id"].to_numpy()[idx],
        "customer_id": tickets["customer_id"].to_numpy()[idx],
        "score": score[idx],
        "responded_at": responded[idx], "created_at": responded[idx], "updated_at": responded[idx],
    }))
    world.truth.support["realised_mean_csat"] = round(float(score[idx].mean()), 3) if len(idx) else None
