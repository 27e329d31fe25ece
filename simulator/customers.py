"""Customers: sign-ups over time, acquisition channel, partner referral, PII, hidden traits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.calendar import seconds_in_day
from simulator.marketing import Campaigns, signup_channel_weights
from simulator.partners import Partners
from simulator.texts import CITIES, EMAIL_DOMAINS, GIVEN, PHONE_PREFIXES, SURNAMES, WAREHOUSES
from simulator.util import weighted_choice
from simulator.world import World

INITIAL_BASE_SHARE = 0.35   # customers who signed up during the year before the window
PARTNER_REFERRED_SHARE = 0.15
DEVICES = np.array(["ios", "android", "web", "mini_program"])
DEVICE_SHARE = np.array([0.33, 0.37, 0.15, 0.15])


@dataclass
class Population:
    """Hidden per-customer traits used by every behavioural domain (index = customer_id - 1)."""

    customer_id: np.ndarray
    signup_day: np.ndarray       # day offset; negative for the initial base
    signed_up_at: np.ndarray     # datetime64[s]
    propensity: np.ndarray       # relative order rate
    engagement: np.ndarray       # relative session rate
    satisfaction: np.ndarray     # latent, drives NPS / CSAT noise
    device: np.ndarray           # preferred device
    warehouse_idx: np.ndarray    # serving warehouse (index into catalog.warehouse_id)
    partner_id: np.ndarray       # 0 when not referred
    anonymous_id: np.ndarray

    @property
    def n(self) -> int:
        return len(self.customer_id)


def build_customers(world: World, partners: Partners, campaigns: Campaigns) -> Population:
    rng = world.rng("customers")
    n = world.config.volumes.customers
    n_days = world.n_days
    # sign-up day: the initial base over the previous year, then growth-shaped daily sign-ups
    initial = rng.random(n) < INITIAL_BASE_SHARE
    channels, channel_weights = signup_channel_weights(world, campaigns)
    cal = world.calendar
    daily = cal.trend * cal.weekly * (channel_weights.sum(axis=1) / channel_weights.sum(axis=1).mean())
    daily = daily * np.where(cal.spring_festival < 1, 0.6, 1.0)
    signup_day = np.where(initial, -rng.integers(1, 366, size=n), weighted_choice(rng, daily, n))
    # customer ids follow sign-up order, as an OLTP sequence would
    signed_up_at = np.sort(world.at(signup_day, seconds_in_day(rng, n)))
    signup_day = world.day_of(signed_up_at)
    customer_id = np.arange(1, n + 1)

    # acquisition channel: partner referrals first (partner must already exist), else per-day weights
    referred = rng.random(n) < PARTNER_REFERRED_SHARE
    partner_id = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(referred):
        ok = partners.joined_day < signup_day[i]
        if ok.any():
            w = partners.pull * ok
            partner_id[i] = partners.partner_id[weighted_choice(rng, w, 1)[0]]
    referred = partner_id > 0
    in_window = np.clip(signup_day, 0, n_days - 1)
    cum = np.cumsum(channel_weights, axis=1)
    u = rng.random(n) * cum[in_window, -1]
    channel_idx = (cum[in_window] < u[:, None]).sum(axis=1)
    acquisition = np.array(channels)[np.minimum(channel_idx, len(channels) - 1)]
    acquisition = np.where(referred, "affiliate", acquisition)

    # where they live and which warehouse serves them
    city_idx = weighted_choice(rng, np.array([c[2] for c in CITIES], dtype=float), n)
    city = np.array([c[0] for c in CITIES])[city_idx]
    region = np.array([c[1] for c in CITIES])[city_idx]
    region_to_wh = {r: i for i, w in enumerate(WAREHOUSES) for r in w[4]}
    home_wh = np.array([region_to_wh[r] for r in region])
    warehouse_idx = np.where(rng.random(n) < 0.85, home_wh, rng.integers(0, len(WAREHOUSES), size=n))

    # hidden traits: order propensity and engagement are correlated log-normals
    z1, z2, z3 = rng.standard_normal((3, n))
    propensity = np.exp(0.85 * z1 - 0.85**2 / 2)
    engagement = np.exp(0.6 * (0.6 * z1 + 0.8 * z2) - 0.6**2 / 2)
    satisfaction = 0.5 * z1 + np.sqrt(0.75) * z3

    # PII
    s_idx = rng.integers(len(SURNAMES), size=n)
    g1 = rng.integers(len(GIVEN), size=n)
    g2 = rng.integers(len(GIVEN), size=n)
    two_chars = rng.random(n) < 0.6
    names = [SURNAMES[s][0] + GIVEN[a][0] + (GIVEN[b][0] if t else "") for s, a, b, t in zip(s_idx, g1, g2, two_chars)]
    handles = [f"{SURNAMES[s][1]}{GIVEN[a][1]}{GIVEN[b][1] if t else ''}{cid}" for s, a, b, t, cid in zip(s_idx, g1, g2, two_chars, customer_id)]
    domains = np.array(EMAIL_DOMAINS)[rng.integers(len(EMAIL_DOMAINS), size=n)]
    emails = [f"{h}@{d}" for h, d in zip(handles, domains)]
    phones = [f"{PHONE_PREFIXES[p]}{num:08d}" for p, num in zip(rng.integers(len(PHONE_PREFIXES), size=n), rng.integers(0, 10**8, size=n))]
    device = DEVICES[weighted_choice(rng, DEVICE_SHARE, n)]
    anonymous_id = np.char.add("a_", np.char.mod("%012x", rng.integers(0, 2**47, size=n) * 2 + 1))

    updated = signed_up_at.copy()
    edited = rng.random(n) < 0.25  # profile edits after sign-up (address, phone ...)
    edit_day = rng.integers(np.maximum(signup_day, 0) + 1, n_days + 1, size=n)
    edited &= edit_day < n_days
    updated[edited] = world.at(edit_day[edited], rng.integers(0, 86_400, size=int(edited.sum())))
    updated = np.maximum(updated, signed_up_at)
    world.add("customers", pd.DataFrame({
        "customer_id": customer_id, "full_name": names, "email": emails, "phone": phones,
        "city": city, "region": region, "acquisition_channel": acquisition,
        "partner_id": pd.array(np.where(referred, partner_id, 0), dtype="Int64"),
        "signed_up_at": signed_up_at, "created_at": signed_up_at, "updated_at": updated,
    }))
    world.tables["customers"].loc[~referred, "partner_id"] = pd.NA
    world.truth.meta["acquisition_channels"] = pd.Series(acquisition).value_counts().sort_index().to_dict()
    return Population(customer_id=customer_id, signup_day=signup_day, signed_up_at=signed_up_at,
                      propensity=propensity, engagement=engagement, satisfaction=satisfaction, device=device,
                      warehouse_idx=warehouse_idx, partner_id=partner_id, anonymous_id=anonymous_id)
