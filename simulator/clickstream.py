"""Behaviour events: sessions of every kind, their events, and the JSON-lines landing files.

Session kinds: browse (customers, with feature use, abandoned carts and experiment exposures),
order (ends in the checkout of an online order), sign-up, campaign click-through and anonymous.
Events are generated as numeric columns and only turned into JSON text file by file.

Planted: the add_to_cart -> checkout step converts far worse on the mini program (FUNNEL_CHECKOUT_RATE).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulator import schema
from simulator.calendar import HOURLY_ORDER_WEIGHTS, seconds_in_day
from simulator.customers import DEVICES, Population
from simulator.experiments import EXPERIMENTS, EXPOSURE_PAGES
from simulator.texts import FEATURES, PAGES, REFERRERS
from simulator.util import uuid4_strings, weighted_choice
from simulator.world import World

DAY_MS = 86_400_000
BROWSE_SESSIONS_PER_DAY = 480.0      # at scale 1, on an average day
FILE_MAX_EVENTS = 50_000
# P(checkout | add_to_cart) per device, session level: the planted funnel drop is the mini program
FUNNEL_CHECKOUT_RATE = {"ios": 0.70, "android": 0.68, "web": 0.65, "mini_program": 0.30}
KIND_BROWSE, KIND_ORDER, KIND_SIGNUP, KIND_CLICK, KIND_ANON = range(5)
EV_START, EV_PAGE, EV_SIGNUP, EV_FEATURE, EV_CART, EV_CHECKOUT, EV_EXPOSURE = range(7)
assert schema.CLICKSTREAM_EVENT_NAMES == ("session_start", "page_view", "sign_up", "feature_use", "add_to_cart",
                                          "checkout", "experiment_exposure")
CHANNEL_REFERRER = {"wechat": "weixin.qq.com", "douyin": "douyin.com", "weibo": "weibo.com",
                    "xiaohongshu": "xiaohongshu.com", "search_ads": "baidu.com", "affiliate": "partner"}


class PageBook:
    """All page paths, addressed by integer code (so events stay numeric until written)."""

    def __init__(self, product_ids: np.ndarray, categories: list[str]):
        self.paths = list(PAGES) + ["/signup", "/checkout", "/deals"] + [f"/app/{f}" for f in FEATURES] \
            + [f"/category/{c}" for c in categories] + [f"/product/{p}" for p in product_ids]
        self.fixed = np.arange(len(PAGES))
        self.signup = len(PAGES)
        self.checkout = len(PAGES) + 1
        self.deals = len(PAGES) + 2
        self.feature0 = len(PAGES) + 3
        self.category0 = self.feature0 + len(FEATURES)
        self.n_categories = len(categories)
        self.product0 = self.category0 + len(categories)
        self.code = {p: i for i, p in enumerate(self.paths)}

    def product(self, product_idx: np.ndarray) -> np.ndarray:
        return self.product0 + np.asarray(product_idx)


@dataclass
class Sessions:
    customer_idx: list = field(default_factory=list)
    start_ms: list = field(default_factory=list)       # anchor: start, or the checkout / sign-up time
    device: list = field(default_factory=list)
    kind: list = field(default_factory=list)
    utm: list = field(default_factory=list)            # marketing channel index or -1
    referrer: list = field(default_factory=list)

    def add(self, customer_idx, start_ms, device, kind, utm=None, referrer=None) -> np.ndarray:
        n = len(start_ms)
        first = sum(len(a) for a in self.start_ms)
        self.customer_idx.append(np.asarray(customer_idx, dtype=np.int64))
        self.start_ms.append(np.asarray(start_ms, dtype=np.int64))
        self.device.append(np.asarray(device, dtype=np.int8))
        self.kind.append(np.full(n, kind, dtype=np.int8))
        self.utm.append(np.full(n, -1, dtype=np.int8) if utm is None else np.asarray(utm, dtype=np.int8))
        self.referrer.append(np.zeros(n, dtype=np.int8) if referrer is None else np.asarray(referrer, dtype=np.int8))
        return np.arange(first, first + n)

    def column(self, name: str) -> np.ndarray:
        return np.concatenate(getattr(self, name))


@dataclass
class EventParts:
    """Event columns accumulated per generator; `a`/`b` carry the event-specific payload."""

    session: list = field(default_factory=list)
    step: list = field(default_factory=list)
    name: list = field(default_factory=list)
    page: list = field(default_factory=list)
    a: list = field(default_factory=list)
    b: list = field(default_factory=list)
    gap_ms: list = field(default_factory=list)   # time since the previous event of the session (-1: random)

    def add(self, session, step, name, page, a=None, b=None, gap_ms=None) -> None:
        n = len(session)
        self.session.append(np.asarray(session, dtype=np.int64))
        self.step.append(np.broadcast_to(np.asarray(step, dtype=np.int32), (n,)).copy())
        self.name.append(np.full(n, name, dtype=np.int8))
        self.page.append(np.broadcast_to(np.asarray(page, dtype=np.int32), (n,)).copy())
        self.a.append(np.zeros(n, np.int64) if a is None else np.broadcast_to(np.asarray(a, dtype=np.int64), (n,)).copy())
        self.b.append(np.zeros(n, np.int64) if b is None else np.broadcast_to(np.asarray(b, dtype=np.int64), (n,)).copy())
        self.gap_ms.append(np.full(n, -1, np.int64) if gap_ms is None else np.broadcast_to(np.asarray(gap_ms, dtype=np.int64), (n,)).copy())


_DEVICE_CODE = {d: i for i, d in enumerate(DEVICES)}


def device_code(names: np.ndarray) -> np.ndarray:
    return np.array([_DEVICE_CODE[d] for d in names], dtype=np.int8)


def session_day_factor(world: World) -> np.ndarray:
    cal = world.calendar
    return np.sqrt(cal.trend) * (0.9 + 0.1 * cal.weekday / 6) * cal.event_multiplier() ** 0.3


def draw_browse_sessions(world: World, pop: Population, activity: np.ndarray) -> Sessions:
    """Browse sessions of customers: Poisson counts per customer-day from engagement x activity."""
    rng = world.rng("browse_sessions")
    rate = pop.engagement[:, None].astype(np.float32) * activity * session_day_factor(world)[None, :].astype(np.float32)
    rate *= np.float32(BROWSE_SESSIONS_PER_DAY * world.config.scale * world.n_days / rate.sum())
    counts = rng.poisson(rate)
    cust, day = np.nonzero(counts)
    reps = counts[cust, day]
    cust, day = np.repeat(cust, reps), np.repeat(day, reps)
    start = day * DAY_MS + seconds_in_day(rng, len(cust), HOURLY_ORDER_WEIGHTS) * 1000 + rng.integers(0, 1000, len(cust))
    order = np.lexsort((cust, start))
    cust, start = cust[order], start[order]
    device = np.where(rng.random(len(cust)) < 0.85, device_code(pop.device)[cust], rng.integers(0, 4, len(cust)))
    sessions = Sessions()
    referrer = np.where(rng.random(len(cust)) < 0.6, 0, rng.integers(1, len(REFERRERS) - 1, len(cust)))
    sessions.add(cust, start, device, KIND_BROWSE, referrer=referrer)
    return sessions


def add_browse_events(world: World, sessions: Sessions, parts: EventParts, pages: PageBook, exposure_sessions: np.ndarray,
                      exposure_exp: np.ndarray, exposure_var: np.ndarray, exposure_ms: np.ndarray,
                      cart_sessions: np.ndarray, product_weights: np.ndarray) -> None:
    rng = world.rng("browse_events")
    kind = sessions.column("kind")
    sess = np.flatnonzero(kind == KIND_BROWSE)
    n = len(sess)
    start = sessions.column("start_ms")
    landing = rng.choice(pages.fixed[:4], size=n)
    parts.add(sess, 0, EV_START, landing, gap_ms=0)
    # exposure right after the session start, at the assignment time
    parts.add(exposure_sessions, 1, EV_EXPOSURE,
              [pages.code[EXPOSURE_PAGES.get(EXPERIMENTS[e].key, "/home")] for e in exposure_exp],
              a=exposure_exp, b=exposure_var, gap_ms=exposure_ms - start[exposure_sessions])
    n_pages = 1 + rng.poisson(0.7, size=n)
    page_sess = np.repeat(sess, n_pages)
    step = 2 + _ranks(n_pages)
    is_product = rng.random(len(page_sess)) < 0.45
    product_idx = weighted_choice(rng, product_weights, len(page_sess))
    page = np.where(is_product, pages.product(product_idx), rng.choice(np.r_[pages.fixed, pages.deals, pages.category0 + np.arange(pages.n_categories)], size=len(page_sess)))
    parts.add(page_sess, step, EV_PAGE, page)
    n_feat = rng.poisson(0.8, size=n)
    feat_sess = np.repeat(sess, n_feat)
    feature = rng.integers(0, len(FEATURES), size=len(feat_sess))
    parts.add(feat_sess, 100 + _ranks(n_feat), EV_FEATURE, pages.feature0 + feature, a=feature)
    # abandoned carts: 1-2 add_to_cart events, never followed by a checkout
    n_cart = 1 + (rng.random(len(cart_sessions)) < 0.3)
    cart_sess = np.repeat(cart_sessions, n_cart)
    cart_product = weighted_choice(rng, product_weights, len(cart_sess))
    parts.add(cart_sess, 200 + _ranks(n_cart), EV_CART, pages.product(cart_product),
              a=cart_product + 1, b=1 + rng.poisson(0.3, size=len(cart_sess)))


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0..k-1 within each group of a repeat() expansion."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def plan_abandoned_carts(world: World, sessions: Sessions, order_sessions: np.ndarray, activity: np.ndarray) -> np.ndarray:
    """Sessions that get an abandoned cart, so P(checkout | cart) per device matches FUNNEL_CHECKOUT_RATE.

    Existing browse sessions on the device are used first; the rest are new short browse sessions of
    customers who ordered on that device, a few days before that order.
    """
    rng = world.rng("funnel")
    kind = sessions.column("kind")
    device = sessions.column("device")
    customer = sessions.column("customer_idx")
    anchor = sessions.column("start_ms")
    chosen = []
    for code, name in enumerate(DEVICES):
        on_device = order_sessions[device[order_sessions] == code]
        rate = FUNNEL_CHECKOUT_RATE[name]
        want = int(round(len(on_device) * (1 - rate) / rate))
        pool = np.flatnonzero((kind == KIND_BROWSE) & (device == code) & (customer >= 0))
        reuse = rng.choice(pool, size=min(want // 2, len(pool)), replace=False)
        chosen.append(reuse)
        missing = want - len(reuse)
        if missing <= 0 or len(on_device) == 0:
            continue
        # oversample, then keep candidates on days the customer was live
        base = rng.choice(on_device, size=2 * missing)
        start = anchor[base] - rng.integers(DAY_MS // 4, 10 * DAY_MS, size=len(base))
        day = start // DAY_MS
        ok = (day >= 0) & (activity[customer[base], np.clip(day, 0, activity.shape[1] - 1)] > 0)
        base, start = base[ok][:missing], start[ok][:missing]
        chosen.append(sessions.add(customer[base], start, np.full(len(base), code), KIND_BROWSE))
    return np.sort(np.concatenate(chosen))


def funnel_truth(events: "EventTable", sessions: Sessions) -> dict:
    """Realised session-level add_to_cart -> checkout conversion per device."""
    device = sessions.column("device")
    carted = np.unique(events.session[events.name == EV_CART])
    checked = np.unique(events.session[events.name == EV_CHECKOUT])
    out = {}
    for code, name in enumerate(DEVICES):
        with_cart = carted[device[carted] == code]
        converted = np.isin(with_cart, checked).sum()
        out[name] = {"planted_checkout_rate_given_cart": FUNNEL_CHECKOUT_RATE[name],
                     "sessions_with_cart": int(len(with_cart)), "sessions_with_checkout": int(converted),
                     "realised_checkout_rate_given_cart": round(float(converted / max(len(with_cart), 1)), 4)}
    return out


def add_order_sessions(world: World, sessions: Sessions, parts: EventParts, pages: PageBook, orders: pd.DataFrame,
                       items: pd.DataFrame, pop: Population) -> np.ndarray:
    """One session per online order ending in its checkout; returns the session index per order (-1 offline)."""
    rng = world.rng("order_sessions")
    online = (orders["sales_channel"] != "offline_store").to_numpy()
    idx = np.flatnonzero(online)
    channel = orders["sales_channel"].to_numpy()[idx]
    cust = orders["customer_idx"].to_numpy()[idx]
    pref = device_code(pop.device)[cust]
    app_device = np.where(pref <= 1, pref, rng.integers(0, 2, size=len(idx)))
    device = np.where(channel == "app", app_device, np.where(channel == "web", 2, 3)).astype(np.int8)
    checkout_ms = _ms(world, orders["ordered_at"].to_numpy()[idx])
    sess = sessions.add(cust, checkout_ms, device, KIND_ORDER, referrer=np.where(rng.random(len(idx)) < 0.7, 0, rng.integers(1, 7, len(idx))))
    session_of_order = np.full(len(orders), -1, dtype=np.int64)
    session_of_order[idx] = sess
    parts.add(sess, 0, EV_START, rng.choice(pages.fixed[:3], size=len(idx)), gap_ms=0)
    n_pv = rng.poisson(0.7, size=len(idx))
    pv_sess = np.repeat(sess, n_pv)
    parts.add(pv_sess, 1 + _ranks(n_pv), EV_PAGE, rng.choice(np.r_[pages.fixed, pages.deals], size=len(pv_sess)))
    # one add_to_cart per order line, then the checkout carrying the order total
    line_order = items["order_idx"].to_numpy()
    line_sess = session_of_order[line_order]
    keep = line_sess >= 0
    product_idx = items["product_id"].to_numpy()[keep] - 1
    parts.add(line_sess[keep], 50 + _ranks_by(line_order[keep]), EV_CART, pages.product(product_idx),
              a=product_idx + 1, b=items["quantity"].to_numpy()[keep])
    parts.add(sess, 99, EV_CHECKOUT, pages.checkout, a=orders["order_id"].to_numpy()[idx],
              b=orders["total_amount"].to_numpy()[idx])
    return session_of_order


def _ranks_by(group: np.ndarray) -> np.ndarray:
    """Rank of each element within its group (groups need not be contiguous)."""
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    counts = np.diff(np.r_[starts, len(g)])
    ranks = np.empty(len(g), dtype=np.int64)
    ranks[order] = _ranks(counts)
    return ranks


def add_signup_sessions(world: World, sessions: Sessions, parts: EventParts, pages: PageBook, pop: Population,
                        acquisition: np.ndarray) -> None:
    rng = world.rng("signup_sessions")
    idx = np.flatnonzero(pop.signup_day >= 0)
    channels = list(schema.MARKETING_CHANNELS) + ["organic"]
    acq = np.array([channels.index(a) for a in acquisition[idx]], dtype=np.int64)
    utm = np.where(acq < len(schema.MARKETING_CHANNELS), acq, -1)
    signup_ms = _ms(world, pop.signed_up_at[idx])
    sess = sessions.add(idx, signup_ms, device_code(pop.device)[idx], KIND_SIGNUP, utm=utm,
                        referrer=rng.integers(0, len(REFERRERS), len(idx)))
    parts.add(sess, 0, EV_START, pages.fixed[0], gap_ms=0)
    parts.add(sess, 1, EV_PAGE, pages.signup)
    parts.add(sess, 2, EV_SIGNUP, pages.signup, a=acq)


def add_click_sessions(world: World, sessions: Sessions, parts: EventParts, pages: PageBook, pop: Population,
                       click_customer: np.ndarray, click_at: np.ndarray, click_channel: np.ndarray,
                       product_weights: np.ndarray) -> None:
    rng = world.rng("click_sessions")
    online = click_channel != "offline_event"
    cust, when, ch = click_customer[online], click_at[online], click_channel[online]
    utm = np.array([schema.MARKETING_CHANNELS.index(c) for c in ch], dtype=np.int64)
    referrer = np.array([REFERRERS.index(CHANNEL_REFERRER.get(c, "direct")) for c in ch], dtype=np.int64)
    start = _ms(world, when) + rng.integers(1_000, 60_000, size=len(cust))
    sess = sessions.add(cust, start, device_code(pop.device)[cust], KIND_CLICK, utm=utm, referrer=referrer)
    parts.add(sess, 0, EV_START, pages.deals, gap_ms=0)
    n_pv = 1 + rng.poisson(1.0, size=len(sess))
    pv_sess = np.repeat(sess, n_pv)
    product_idx = weighted_choice(rng, product_weights, len(pv_sess))
    parts.add(pv_sess, 1 + _ranks(n_pv), EV_PAGE, np.where(rng.random(len(pv_sess)) < 0.6, pages.product(product_idx), pages.deals))


def add_anonymous_sessions(world: World, sessions: Sessions, parts: EventParts, pages: PageBook,
                           product_weights: np.ndarray) -> None:
    rng = world.rng("anonymous_sessions")
    per_day = rng.poisson(world.config.volumes.anonymous_sessions_per_day * session_day_factor(world))
    day = np.repeat(np.arange(world.n_days), per_day)
    start = day * DAY_MS + seconds_in_day(rng, len(day)) * 1000 + rng.integers(0, 1000, len(day))
    sess = sessions.add(np.full(len(day), -1), start, rng.integers(0, 4, len(day)), KIND_ANON,
                        referrer=rng.integers(0, len(REFERRERS) - 1, len(day)))
    parts.add(sess, 0, EV_START, rng.choice(pages.fixed[:4], size=len(sess)), gap_ms=0)
    n_pv = rng.poisson(1.2, size=len(sess))
    pv_sess = np.repeat(sess, n_pv)
    product_idx = weighted_choice(rng, product_weights, len(pv_sess))
    parts.add(pv_sess, 1 + _ranks(n_pv), EV_PAGE, np.where(rng.random(len(pv_sess)) < 0.5, pages.product(product_idx),
                                                           rng.choice(pages.fixed, size=len(pv_sess))))


def _ms(world: World, ts: np.ndarray) -> np.ndarray:
    return ((ts.astype("datetime64[ms]") - world.start_s.astype("datetime64[ms]")) / np.timedelta64(1, "ms")).astype(np.int64)


@dataclass
class EventTable:
    session: np.ndarray
    name: np.ndarray
    page: np.ndarray
    a: np.ndarray
    b: np.ndarray
    t_ms: np.ndarray


def assemble(world: World, sessions: Sessions, parts: EventParts) -> EventTable:
    """Order events within sessions, give them times, and return them sorted by time.

    Sessions anchored on a final event (orders: checkout, sign-ups: sign_up) end exactly at the
    anchor; the others start at their start time. Events outside the history are dropped.
    """
    rng = world.rng("event_times")
    session = np.concatenate(parts.session)
    step = np.concatenate(parts.step)
    order = np.lexsort((step, session))
    session = session[order]
    cols = {k: np.concatenate(getattr(parts, k))[order] for k in ("name", "page", "a", "b", "gap_ms")}
    gap = cols["gap_ms"]
    random_gap = gap < 0
    gap[random_gap] = 1_000 + rng.exponential(35_000, size=int(random_gap.sum())).astype(np.int64)
    first_of_session = np.r_[True, session[1:] != session[:-1]]
    gap[first_of_session] = 0
    offset = np.cumsum(gap)
    session_base = np.maximum.accumulate(np.where(first_of_session, offset, 0))
    offset = offset - session_base
    kind = sessions.column("kind")
    anchor = sessions.column("start_ms")
    last_of_session = np.r_[session[1:] != session[:-1], True]
    duration = np.zeros(len(kind), dtype=np.int64)
    duration[session[last_of_session]] = offset[last_of_session]
    ends_at_anchor = np.isin(kind, [KIND_ORDER, KIND_SIGNUP])
    start = np.where(ends_at_anchor, anchor - duration, anchor)
    t_ms = start[session] + offset
    inside = (t_ms >= 0) & (t_ms < world.n_days * DAY_MS)
    by_time = np.argsort(t_ms[inside], kind="stable")
    sel = np.flatnonzero(inside)[by_time]
    events = EventTable(session=session[sel], name=cols["name"][sel], page=cols["page"][sel], a=cols["a"][sel],
                        b=cols["b"][sel], t_ms=t_ms[sel])
    return events


def write_landing_files(world: World, events: EventTable, sessions: Sessions, session_ids: np.ndarray,
                        anonymous_ids: np.ndarray, pages: PageBook, customer_id: np.ndarray, landing: Path,
                        progress) -> dict:
    """Write events as newline-delimited JSON, about one file per day (at most 50k events each)."""
    landing.mkdir(parents=True, exist_ok=True)
    for old in landing.glob("events_*.jsonl"):
        old.unlink()
    rng = world.rng("event_ids")
    sess_customer = sessions.column("customer_idx")
    sess_kind = sessions.column("kind")
    sess_device = sessions.column("device")
    sess_utm = sessions.column("utm")
    sess_ref = sessions.column("referrer")
    page_json = np.array([f'"{p}"' for p in pages.paths], dtype=object)
    device_names = np.array(DEVICES, dtype=object)
    channels = list(schema.MARKETING_CHANNELS) + ["organic"]
    utm_json = [f'"{c}"' for c in schema.MARKETING_CHANNELS] + ["null"]  # index -1 -> null
    exp_keys = [e.key for e in EXPERIMENTS]
    var_keys = [[v.key for v in e.variants] for e in EXPERIMENTS]
    names = np.array(schema.CLICKSTREAM_EVENT_NAMES, dtype=object)
    # customer id per event: null on a sign-up session's events before the sign_up itself
    day_index = events.t_ms // DAY_MS
    boundaries = np.r_[0, np.flatnonzero(np.diff(day_index)) + 1, len(day_index)]
    start_ts = world.start_s.astype("datetime64[ms]")
    seq = 0
    files = 0
    for lo_day, hi_day in zip(boundaries[:-1], boundaries[1:]):
        for lo in range(lo_day, hi_day, FILE_MAX_EVENTS):
            hi = min(lo + FILE_MAX_EVENTS, hi_day)
            s = events.session[lo:hi]
            name = events.name[lo:hi]
            a = events.a[lo:hi].tolist()
            b = events.b[lo:hi].tolist()
            page = events.page[lo:hi]
            ts = np.datetime_as_string(start_ts + events.t_ms[lo:hi] * np.timedelta64(1, "ms"), unit="ms").tolist()
            cust = sess_customer[s]
            anonymous_before_signup = (sess_kind[s] == KIND_SIGNUP) & (name != EV_SIGNUP)
            cust_json = np.where((cust < 0) | anonymous_before_signup, "null",
                                 customer_id[np.maximum(cust, 0)].astype(str)).tolist()
            props = [None] * (hi - lo)
            ref, utm = sess_ref[s].tolist(), sess_utm[s].tolist()
            page_list = page.tolist()
            for i, code in enumerate(name.tolist()):
                if code == EV_PAGE:
                    props[i] = f'{{"path": {page_json[page_list[i]]}}}'
                elif code == EV_START:
                    props[i] = f'{{"referrer": "{REFERRERS[ref[i]]}", "utm_channel": {utm_json[utm[i]]}}}'
                elif code == EV_CART:
                    props[i] = f'{{"product_id": {a[i]}, "quantity": {b[i]}}}'
                elif code == EV_FEATURE:
                    props[i] = f'{{"feature": "{FEATURES[a[i]]}"}}'
                elif code == EV_CHECKOUT:
                    props[i] = f'{{"order_id": {a[i]}, "amount": "{b[i] // 100}.{b[i] % 100:02d}"}}'
                elif code == EV_SIGNUP:
                    props[i] = f'{{"acquisition_channel": "{channels[a[i]]}"}}'
                else:
                    props[i] = f'{{"experiment_key": "{exp_keys[a[i]]}", "variant_key": "{var_keys[a[i]][b[i]]}"}}'
            ids = uuid4_strings(rng, hi - lo).tolist()
            lines = [
                f'{{"event_id": "{eid}", "event_name": "{n}", "occurred_at": "{t}+08:00", "customer_id": {c}, '
                f'"anonymous_id": "{anon}", "session_id": "{sid}", "device": "{dev}", '
                f'"page": {pg}, "properties": {pr}, "schema_version": 1}}'
                for eid, n, t, c, anon, sid, dev, pg, pr in zip(
                    ids, names[name].tolist(), ts, cust_json, anonymous_ids[s].tolist(), session_ids[s].tolist(),
                    device_names[sess_device[s]].tolist(), page_json[page].tolist(), props)
            ]
            seq += 1
            stamp = ts[0][:19].replace("-", "").replace(":", "")  # events_<YYYYMMDDTHHMMSS>_<seq>
            write_atomic(landing / f"events_{stamp}_{seq:06d}.jsonl", "\n".join(lines) + "\n")
            files += 1
        if lo_day and (day_index[lo_day] % 60 == 0):
            progress(f"clickstream: written through {world.calendar.date(int(day_index[lo_day]))}")
    return {"files": files, "events": int(len(events.t_ms))}


def write_atomic(path: Path, content: str) -> None:
    """Write to a dot-prefixed temporary name, then rename: readers never see partial files."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(content)
    os.replace(tmp, path)
