"""Reference data: warehouses, products, marketing channels, subscription plans, support teams."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator import schema
from simulator.texts import BASKET_PAIRS, CATEGORIES, WAREHOUSES
from simulator.util import SECOND, round_price
from simulator.world import World

# share of units per category (kept fairly even so each category sells >= ~200 units a day at scale 1)
CATEGORY_UNIT_SHARE = {"electronics": 0.17, "apparel": 0.18, "beauty": 0.17, "home": 0.16, "food": 0.18, "sports": 0.14}

CHANNELS = [
    # code, English name, Chinese name, type
    ("email", "Email", "电子邮件", "owned"), ("sms", "SMS", "短信", "owned"),
    ("wechat", "WeChat", "微信", "owned"), ("app_push", "App push", "应用推送", "owned"),
    ("web_push", "Web push", "网页推送", "owned"), ("douyin", "Douyin", "抖音", "paid"),
    ("weibo", "Weibo", "微博", "earned"), ("xiaohongshu", "Xiaohongshu", "小红书", "earned"),
    ("search_ads", "Search ads", "搜索广告", "paid"), ("affiliate", "Affiliate", "联盟推广", "paid"),
    ("offline_event", "Offline events", "线下活动", "paid"),
]

PLANS = [
    # code, name, tier, billing mode, list price (cents), trial days
    ("BASIC_M", "Basic monthly", "basic", "monthly", 9_900, 14),
    ("PRO_M", "Pro monthly", "pro", "monthly", 29_900, 14),
    ("ENT_M", "Enterprise monthly", "enterprise", "monthly", 99_900, 0),
    ("BASIC_Y", "Basic annual", "basic", "annual", 99_000, 0),
    ("PRO_Y", "Pro annual", "pro", "annual", 299_000, 0),
    ("ENT_Y", "Enterprise annual", "enterprise", "annual", 999_000, 0),
    ("USAGE_STD", "Usage standard (per 1k API calls)", "basic", "usage_based", 80, 0),
    ("USAGE_PRO", "Usage pro (per 1k API calls)", "pro", "usage_based", 60, 0),
    ("TEAM_SEAT", "Team (per seat)", "pro", "per_seat", 5_900, 30),
    ("BIZ_SEAT", "Business (per seat)", "enterprise", "per_seat", 11_900, 0),
]

# queue -> [(team name, Chinese name, region, speed factor)]; speed > 1 means slower handling.
SUPPORT_TEAMS = {
    "billing": [("Billing Care Shanghai", "上海账务支持组", "East", 0.9), ("Billing Care Chengdu", "成都账务支持组", "Southwest", 1.1)],
    "technical": [("Tech Support L2 Hangzhou", "杭州技术支持二线", "East", 1.0), ("Tech Support L2 Xi'an", "西安技术支持二线", "Northwest", 1.6)],
    "shipping": [("Logistics Desk Guangzhou", "广州物流服务组", "South", 0.9), ("Logistics Desk Wuhan", "武汉物流服务组", "Central", 1.0)],
    "account": [("Account Services Beijing", "北京账户服务组", "North", 0.8), ("Account Services Chengdu", "成都账户服务组", "Southwest", 1.0)],
    "returns": [("Returns Team Shanghai", "上海退换货组", "East", 1.0), ("Returns Team Shenzhen", "深圳退换货组", "South", 1.2)],
    "product": [("Product Experts Beijing", "北京产品顾问组", "North", 0.9), ("Product Experts Hangzhou", "杭州产品顾问组", "East", 1.0)],
}


@dataclass
class Catalog:
    """Arrays the other domains sample from."""

    product_id: np.ndarray
    category: np.ndarray          # category name per product
    noun: np.ndarray
    price: np.ndarray             # cents
    popularity: np.ndarray        # within-category sampling weight (0 for inactive)
    extra_qty: np.ndarray         # per product: Poisson mean of quantity - 1
    categories: list[str]
    warehouse_id: np.ndarray
    warehouse_regions: list[list[str]]
    plan_id: np.ndarray
    plan_code: list[str]
    plan_tier: np.ndarray
    plan_mode: np.ndarray
    plan_price: np.ndarray
    plan_trial: np.ndarray
    team_id: np.ndarray
    team_queue: np.ndarray
    team_speed: np.ndarray
    basket_pairs: list[tuple[int, int, float]]  # (antecedent product id, consequent product id, probability)


def _audit(world: World, rng: np.random.Generator, n: int, days_before=(30, 500)) -> tuple[np.ndarray, np.ndarray]:
    created = world.start_s - rng.integers(days_before[0] * 86_400, days_before[1] * 86_400, size=n) * SECOND
    updated = created + rng.integers(0, 20 * 86_400, size=n) * SECOND
    return created, updated


def build_catalog(world: World) -> Catalog:
    rng = world.rng("catalog")
    # warehouses
    wh_created, wh_updated = _audit(world, rng, len(WAREHOUSES), (400, 900))
    warehouse_id = np.arange(1, len(WAREHOUSES) + 1)
    world.add("warehouses", pd.DataFrame({
        "warehouse_id": warehouse_id,
        "warehouse_code": [w[0] for w in WAREHOUSES],
        "warehouse_name": [w[1] for w in WAREHOUSES],
        "city": [w[2] for w in WAREHOUSES],
        "region": [w[3] for w in WAREHOUSES],
        "created_at": wh_created, "updated_at": wh_updated,
    }))

    # products: every category cycles through its nouns so the planted basket nouns always exist
    per_cat = world.config.volumes.products_per_category
    pair_nouns = {p[0] for p in BASKET_PAIRS} | {p[1] for p in BASKET_PAIRS}
    rows = []
    for cat, spec in CATEGORIES.items():
        lo, hi = spec["price"]
        noun_level = np.exp(rng.uniform(np.log(lo * 1.3), np.log(hi * 0.75), size=len(spec["nouns"])))
        for i in range(per_cat):
            noun_idx = i % len(spec["nouns"])
            noun = spec["nouns"][noun_idx]
            brand = spec["brands"][rng.integers(len(spec["brands"]))]
            price_yuan = float(np.clip(noun_level[noun_idx] * np.exp(rng.normal(0, 0.25)), lo, hi))
            rows.append(dict(category=cat, noun=noun, brand=brand,
                             name=f"{brand} {noun} {chr(65 + rng.integers(0, 26))}{rng.integers(1, 30)}",
                             price_cents=int(price_yuan * 100), rank=i, is_pair=(cat, noun) in pair_nouns,
                             extra_qty=spec["extra_qty"], sku=f"SKU-{cat[:3].upper()}-{i + 1:04d}"))
    products = pd.DataFrame(rows)
    n_products = len(products)
    products["product_id"] = np.arange(1, n_products + 1)
    price = round_price(products["price_cents"].to_numpy())
    cost = (price * rng.uniform(0.45, 0.70, size=n_products)).astype(np.int64)
    # Zipf-like popularity within a category, shuffled; basket-pair products are kept popular.
    popularity = 1.0 / (rng.permutation(n_products) % per_cat + 3.0) ** 0.9
    popularity = np.where(products["is_pair"], np.maximum(popularity, 0.25), popularity)
    inactive = (~products["is_pair"].to_numpy()) & (rng.random(n_products) < 0.03)
    popularity = np.where(inactive, 0.0, popularity)
    p_created, p_updated = _audit(world, rng, n_products)
    world.add("products", pd.DataFrame({
        "product_id": products["product_id"], "sku": products["sku"], "product_name": products["name"],
        "category": products["category"], "brand": products["brand"],
        "unit_price": price, "unit_cost": cost, "is_active": ~inactive,
        "created_at": p_created, "updated_at": p_updated,
    }))

    # marketing channels
    ch_created, ch_updated = _audit(world, rng, len(CHANNELS), (500, 900))
    world.add("marketing_channels", pd.DataFrame({
        "channel_id": np.arange(1, len(CHANNELS) + 1),
        "channel_code": [c[0] for c in CHANNELS], "channel_name": [c[1] for c in CHANNELS],
        "channel_name_zh": [c[2] for c in CHANNELS], "channel_type": [c[3] for c in CHANNELS],
        "created_at": ch_created, "updated_at": ch_updated,
    }))

    # subscription plans
    pl_created, pl_updated = _audit(world, rng, len(PLANS), (600, 900))
    plan_id = np.arange(1, len(PLANS) + 1)
    world.add("subscription_plans", pd.DataFrame({
        "plan_id": plan_id, "plan_code": [p[0] for p in PLANS], "plan_name": [p[1] for p in PLANS],
        "plan_tier": [p[2] for p in PLANS], "billing_mode": [p[3] for p in PLANS],
        "list_price": np.array([p[4] for p in PLANS], dtype=np.int64),
        "trial_days": [p[5] for p in PLANS], "created_at": pl_created, "updated_at": pl_updated,
    }))

    # support teams
    teams = [(q, *t) for q, ts in SUPPORT_TEAMS.items() for t in ts]
    tm_created, tm_updated = _audit(world, rng, len(teams), (300, 800))
    team_id = np.arange(1, len(teams) + 1)
    world.add("support_teams", pd.DataFrame({
        "team_id": team_id, "team_name": [t[1] for t in teams], "team_name_zh": [t[2] for t in teams],
        "primary_queue": [t[0] for t in teams], "region": [t[3] for t in teams],
        "created_at": tm_created, "updated_at": tm_updated,
    }))

    # planted basket pairs: the most popular product carrying each noun
    pairs = []
    pid, cat_arr, noun_arr = products["product_id"].to_numpy(), products["category"].to_numpy(), products["noun"].to_numpy()

    def top(cat_noun):
        mask = (cat_arr == cat_noun[0]) & (noun_arr == cat_noun[1])
        return int(pid[mask][np.argmax(popularity[mask])])

    for antecedent, consequent, probability in BASKET_PAIRS:
        pairs.append((top(antecedent), top(consequent), probability))

    world.truth.seasonality["category_unit_share"] = CATEGORY_UNIT_SHARE
    world.truth.support["team_speed_factor"] = {t[1]: t[4] for t in teams}
    return Catalog(
        product_id=pid, category=cat_arr, noun=noun_arr, price=price, popularity=popularity,
        extra_qty=products["extra_qty"].to_numpy(dtype=float), categories=list(CATEGORIES),
        warehouse_id=warehouse_id, warehouse_regions=[w[4] for w in WAREHOUSES],
        plan_id=plan_id, plan_code=[p[0] for p in PLANS], plan_tier=np.array([p[2] for p in PLANS]),
        plan_mode=np.array([p[3] for p in PLANS]), plan_price=np.array([p[4] for p in PLANS], dtype=np.int64),
        plan_trial=np.array([p[5] for p in PLANS]),
        team_id=team_id, team_queue=np.array([t[0] for t in teams]), team_speed=np.array([t[4] for t in teams]),
        basket_pairs=pairs,
    )


assert set(CATEGORY_UNIT_SHARE) == set(CATEGORIES)
assert [c[0] for c in CHANNELS] == list(schema.MARKETING_CHANNELS)
assert {p[3] for p in PLANS} == set(schema.BILLING_MODES)
assert set(SUPPORT_TEAMS) == set(schema.TICKET_QUEUES)
