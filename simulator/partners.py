"""Partners (affiliates, resellers, agencies, KOLs), their commission rules and referrals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator import schema
from simulator.texts import CITIES, REGIONS
from simulator.util import SECOND, ensure_each
from simulator.world import World

TIER_WEIGHT = {"bronze": 0.45, "silver": 0.30, "gold": 0.18, "platinum": 0.07}
TYPE_WEIGHT = {"affiliate": 0.40, "reseller": 0.20, "agency": 0.15, "kol": 0.25}
RULE_WEIGHT = {"percentage": 0.35, "tiered": 0.25, "flat_bounty": 0.20, "recurring": 0.20}
# how many referred customers a partner brings, relative to a bronze affiliate
REFERRAL_PULL = {"bronze": 1.0, "silver": 1.6, "gold": 2.6, "platinum": 4.0}
NAME_WORDS = ["云帆", "星选", "优品", "新锐", "汇通", "智联", "达人", "橙子", "青禾", "远航", "晨光", "锦程", "蓝鲸", "知行"]
NAME_SUFFIX = {"affiliate": "推广", "reseller": "商贸", "agency": "数字营销", "kol": "MCN"}


@dataclass
class Partners:
    partner_id: np.ndarray
    joined_day: np.ndarray   # day offset (negative = before the window)
    pull: np.ndarray         # relative referral weight


def build_partners(world: World) -> Partners:
    rng = world.rng("partners")
    n = world.config.volumes.partners
    tiers = ensure_each(rng, rng.choice(list(TIER_WEIGHT), size=n, p=list(TIER_WEIGHT.values())), schema.PARTNER_TIERS)
    types = ensure_each(rng, rng.choice(list(TYPE_WEIGHT), size=n, p=list(TYPE_WEIGHT.values())), schema.PARTNER_TYPES)
    # most partners predate the window so early customers can be referred
    joined_day = np.where(rng.random(n) < 0.6, -rng.integers(30, 700, size=n), rng.integers(0, int(world.n_days * 0.8), size=n))
    joined_at = world.at(joined_day, rng.integers(9 * 3600, 18 * 3600, size=n))
    is_active = rng.random(n) > 0.08
    updated_at = np.where(is_active, joined_at + rng.integers(0, 30 * 86_400, size=n) * SECOND,
                          world.at(rng.integers(np.maximum(joined_day, 0) + 30, world.n_days + 30, size=n).clip(max=world.n_days - 1)))
    updated_at = world.cap(np.maximum(updated_at, joined_at))
    partner_id = np.arange(1, n + 1)
    cities = [c[0] for c in CITIES]
    names = [f"{cities[rng.integers(len(cities))]}{NAME_WORDS[rng.integers(len(NAME_WORDS))]}{NAME_SUFFIX[t]}{i:03d}"
             for i, t in zip(partner_id, types)]
    world.add("partners", pd.DataFrame({
        "partner_id": partner_id, "partner_name": names, "partner_type": types, "tier": tiers,
        "region": rng.choice(REGIONS, size=n), "joined_at": joined_at, "is_active": is_active,
        "created_at": joined_at, "updated_at": updated_at,
    }))
    _build_rules(world, rng, partner_id, joined_day, tiers)
    pull = np.array([REFERRAL_PULL[t] for t in tiers]) * np.where(types == "kol", 1.4, 1.0) * np.where(is_active, 1.0, 0.3)
    return Partners(partner_id=partner_id, joined_day=joined_day, pull=pull)


def _build_rules(world: World, rng: np.random.Generator, partner_id: np.ndarray, joined_day: np.ndarray,
                 tiers: np.ndarray) -> None:
    n = len(partner_id)
    types = rng.choice(list(RULE_WEIGHT), size=n, p=list(RULE_WEIGHT.values()))
    types[: len(schema.COMMISSION_RULE_TYPES)] = schema.COMMISSION_RULE_TYPES  # every rule type exists
    # a quarter of partners renegotiated once inside the window: old rule closed, new rule opened
    changes = (rng.random(n) < 0.25) | (np.arange(n) == len(schema.COMMISSION_RULE_TYPES))
    change_day = rng.integers(np.maximum(joined_day, 0) + 60, world.n_days - 30, size=n)
    changes &= change_day < world.n_days - 30
    rules, rule_tiers = [], []
    tier_boost = {"bronze": 0, "silver": 100, "gold": 200, "platinum": 300}  # basis points

    def rule(pid, rtype, valid_from_day, valid_to_day, boost):
        rule_id = len(rules) + 1
        rate = bounty = months = None
        if rtype == "percentage":
            rate = int(rng.integers(5, 13)) * 100 + boost          # 5%-12% (+ tier), in 1e-4 units
        elif rtype == "recurring":
            rate = int(rng.integers(10, 26)) * 100 + boost
            months = int(rng.choice([6, 12]))
        elif rtype == "flat_bounty":
            bounty = int(rng.choice([3_000, 5_000, 8_000, 12_000, 20_000]))
        else:  # tiered: 2-3 tiers by the period's referred revenue
            n_tiers = int(rng.integers(2, 4))
            base = int(rng.integers(4, 7)) * 100 + boost
            thresholds = [0, int(rng.choice([1_000_000, 2_000_000])), int(rng.choice([5_000_000, 8_000_000]))]
            for k in range(n_tiers):
                rule_tiers.append(dict(rule_id=rule_id, min_revenue_amount=thresholds[k], rate=base + 300 * k))
        created = world.at(valid_from_day, 10 * 3600)
        updated = created if valid_to_day is None else world.at(valid_to_day, 12 * 3600)
        rules.append(dict(rule_id=rule_id, partner_id=pid, rule_type=rtype, rate=rate, bounty_amount=bounty,
                          recurring_months=months, valid_from=world.calendar.start + valid_from_day,
                          valid_to=None if valid_to_day is None else world.calendar.start + valid_to_day,
                          created_at=created, updated_at=updated))

    for i in range(n):
        boost = tier_boost[tiers[i]]
        if changes[i]:
            old_type = rng.choice(list(RULE_WEIGHT))
            rule(partner_id[i], old_type, int(joined_day[i]), int(change_day[i]) - 1, boost)
            rule(partner_id[i], types[i], int(change_day[i]), None, boost)
        else:
            rule(partner_id[i], types[i], int(joined_day[i]), None, boost)
    frame = pd.DataFrame(rules)
    for col in ("rate", "bounty_amount", "recurring_months"):
        frame[col] = frame[col].astype("Int64")
    frame["valid_to"] = pd.to_datetime(frame["valid_to"])
    frame["valid_from"] = pd.to_datetime(frame["valid_from"])
    world.add("commission_rules", frame)
    tiers_frame = pd.DataFrame(rule_tiers)
    tiers_frame.insert(0, "tier_id", np.arange(1, len(tiers_frame) + 1))
    created = frame.set_index("rule_id").loc[tiers_frame["rule_id"], "created_at"].to_numpy()
    tiers_frame["created_at"] = created
    tiers_frame["updated_at"] = created
    world.add("commission_rule_tiers", tiers_frame)
    world.truth.partners["commission_rule_semantics"] = {
        "percentage": "rate x referred customers' order revenue (orders.total_amount of paid orders) in the period",
        "tiered": "rate of the highest tier whose min_revenue_amount <= the period's referred revenue, applied to all of it",
        "flat_bounty": "bounty_amount per referred customer whose first paid order falls in the period",
        "recurring": "rate x referred customers' succeeded subscription (invoice) payments within recurring_months of sign-up",
    }
    world.truth.partners["rules_by_type"] = frame["rule_type"].value_counts().sort_index().to_dict()


def build_referrals(world: World, customers: pd.DataFrame, first_paid_at: pd.Series) -> None:
    """One referral per referred customer (signed_up / converted) plus clicks that never signed up."""
    rng = world.rng("referrals")
    referred = customers[customers["partner_id"].notna()]
    n_ref = len(referred)
    referred_at = referred["signed_up_at"].to_numpy() - rng.integers(600, 10 * 86_400, size=n_ref) * SECOND
    converted_at = first_paid_at.reindex(referred["customer_id"]).to_numpy()
    status = np.where(pd.isna(converted_at), "signed_up", "converted")
    partners = world.tables["partners"]
    n_clicks = max(len(partners), 2 * n_ref)
    click_partner = np.concatenate([partners["partner_id"].to_numpy(),
                                    rng.choice(partners["partner_id"].to_numpy(), size=n_clicks - len(partners))])
    joined = partners.set_index("partner_id").loc[click_partner, "joined_at"].to_numpy()
    click_day = rng.integers(0, world.n_days, size=n_clicks)
    click_at = np.maximum(world.at(click_day, rng.integers(0, 86_400, size=n_clicks)), joined + 3600 * SECOND)
    keep = click_at < world.end_s
    frame = pd.DataFrame({
        "partner_id": np.concatenate([referred["partner_id"].to_numpy(dtype=np.int64), click_partner[keep]]),
        "customer_id": pd.array(np.concatenate([referred["customer_id"].to_numpy(), np.zeros(keep.sum(), dtype=np.int64)]), dtype="Int64"),
        "referral_status": np.concatenate([status, np.full(keep.sum(), "clicked")]),
        "referred_at": np.concatenate([referred_at, click_at[keep]]),
        "converted_at": np.concatenate([converted_at, np.full(keep.sum(), np.datetime64("NaT"), dtype="datetime64[s]")]),
    })
    frame.loc[frame["referral_status"] == "clicked", "customer_id"] = pd.NA
    frame = frame.sort_values(["referred_at", "partner_id"], kind="stable").reset_index(drop=True)
    frame.insert(0, "referral_id", np.arange(1, len(frame) + 1))
    signed = customers.set_index("customer_id")["signed_up_at"]
    last_change = frame["converted_at"].copy()
    no_conv = last_change.isna() & frame["customer_id"].notna()
    last_change[no_conv] = signed.reindex(frame.loc[no_conv, "customer_id"].astype(np.int64)).to_numpy()
    frame["created_at"] = frame["referred_at"]
    frame["updated_at"] = last_change.fillna(frame["referred_at"])
    world.add("partner_referrals", frame)
    world.truth.partners.update({
        "partners": len(partners),
        "referred_customers": int(n_ref),
        "converted_referrals": int((status == "converted").sum()),
        "referral_pull_by_tier": REFERRAL_PULL,
    })
