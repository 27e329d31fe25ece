"""Orders, order items, order payments, coupon redemptions and the inventory ledger.

The daily number of orders follows the planted demand signal (calendar.py); each customer's share
follows their propensity x current activity x campaign uplift x experiment effects. Amounts are
integer cents throughout: line = qty x price - line discount; items = sum(lines);
total = items - coupon + shipping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator import inventory
from simulator.calendar import seconds_in_day
from simulator.catalog import CATEGORY_UNIT_SHARE, Catalog
from simulator.customers import Population
from simulator.ground_truth import rounded
from simulator.promotions import Coupons
from simulator.texts import CATEGORIES
from simulator.util import SECOND, pct_of
from simulator.world import World

EXTRA_LINES_MEAN = 1.3            # lines per order = 1 + Poisson(1.3)
OFFLINE_SHARE = 0.08
ABANDONED_UNPAID_SHARE = 0.015    # online orders never paid (cancelled after 30 minutes)
ORDER_FIRST_ATTEMPT_FAILURE = 0.002
OUTAGE_FAILURE = 0.30             # first-attempt failure on the planted outage day
OUTAGE_ORDER_FACTOR = 0.20        # orders on the outage day relative to normal
RETRY_SUCCESS = (0.8, 0.6)        # attempts 2 and 3
COUPON_USE = {"normal": 0.10, "festival": 0.30}
FREE_SHIPPING_FROM = 9_900
SHIPPING_FEE = 800
PROMOTED_PRODUCT_SHARE = 0.30
RETURN_RATE = {"electronics": 0.04, "apparel": 0.09, "beauty": 0.02, "home": 0.03, "food": 0.01, "sports": 0.03}
PAYMENT_METHODS = np.array(["alipay", "wechat_pay", "card", "bank_transfer"])


@dataclass
class DemandModel:
    orders_per_day: np.ndarray      # planted expected orders per day (before customer effects)
    line_category_prob: np.ndarray  # day x category
    expected_units: np.ndarray      # category x day
    categories: list[str]
    effect_inflation: np.ndarray | None = None  # per day: demand added by campaigns/experiments/outage


def demand_model(world: World, catalog: Catalog) -> DemandModel:
    cal = world.calendar
    cats = catalog.categories
    expected_qty = np.array([1 + CATEGORIES[c]["extra_qty"] for c in cats])
    shape = np.array([cal.demand(CATEGORIES[c]["festival"], CATEGORIES[c]["spring"]) for c in cats])  # K x D
    shape /= shape.mean(axis=1, keepdims=True)
    share = np.array([CATEGORY_UNIT_SHARE[c] for c in cats])[:, None]
    lines_per_unit = share * shape / expected_qty[:, None]            # relative lines per category
    orders_rel = lines_per_unit.sum(axis=0) / (1 + EXTRA_LINES_MEAN)
    scale = world.config.volumes.orders_per_day / orders_rel.mean()
    orders_per_day = orders_rel * scale
    units = lines_per_unit * expected_qty[:, None] * scale            # = share x shape x scale
    return DemandModel(orders_per_day=orders_per_day, line_category_prob=(lines_per_unit / lines_per_unit.sum(axis=0)).T,
                       expected_units=units, categories=cats)


def pick_outage_day(world: World) -> int:
    rng = world.rng("anomaly")
    cal = world.calendar
    days = np.arange(world.n_days)
    ok = (days > world.n_days - 220) & (days < world.n_days - 45) & np.isin(cal.weekday, [1, 2, 3]) & ~cal.festival_days()
    return int(rng.choice(days[ok]))


def order_rate_matrix(world: World, pop: Population, activity: np.ndarray, demand: DemandModel,
                      uplift: np.ndarray, effect: np.ndarray, outage_day: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected orders per customer and day; returns (rate with all effects, per-day inflation factor)."""
    base = pop.propensity[:, None].astype(np.float32) * activity
    norm = demand.orders_per_day / np.maximum(base.sum(axis=0), 1e-9)
    base *= norm[None, :].astype(np.float32)
    rate = base * (1 + uplift) * effect
    rate[:, outage_day] *= OUTAGE_ORDER_FACTOR
    inflation = rate.sum(axis=0) / np.maximum(base.sum(axis=0), 1e-9)
    demand.effect_inflation = inflation
    return rate, inflation


@dataclass
class OrderBook:
    orders: pd.DataFrame        # table columns + customer_idx helper
    items: pd.DataFrame         # table columns + order_idx helper
    payments: pd.DataFrame      # attempts for orders (order_id set)
    first_paid_at: pd.Series    # customer_id -> first paid order time


def simulate_orders(world: World, pop: Population, catalog: Catalog, coupons: Coupons, rate: np.ndarray,
                    demand: DemandModel, outage_day: int, payment_method: np.ndarray) -> OrderBook:
    rng = world.rng("orders")
    n_days = world.n_days
    counts = rng.poisson(rate)
    cust, day = np.nonzero(counts)
    reps = counts[cust, day]
    cust, day = np.repeat(cust, reps), np.repeat(day, reps)
    t_ordered = world.at(day, seconds_in_day(rng, len(day)))
    order = np.lexsort((cust, t_ordered))
    cust, day, t_ordered = cust[order], day[order], t_ordered[order]
    n = len(cust)

    # channel: mostly the customer's device, some offline store purchases
    device = pop.device[cust]
    channel = np.select([device == "web", device == "mini_program"], ["web", "mini_program"], "app").astype(object)
    switch = rng.random(n) < 0.12
    channel[switch] = rng.choice(["app", "web", "mini_program"], size=int(switch.sum()))
    channel[rng.random(n) < OFFLINE_SHARE] = "offline_store"
    warehouse_idx = pop.warehouse_idx[cust]

    # --- lines -----------------------------------------------------------------------------------
    n_lines = 1 + rng.poisson(EXTRA_LINES_MEAN, size=n)
    line_order = np.repeat(np.arange(n), n_lines)
    cat_cdf = np.cumsum(demand.line_category_prob, axis=1)[day[line_order]]
    category = (cat_cdf < rng.random(len(line_order))[:, None]).sum(axis=1).clip(max=len(catalog.categories) - 1)
    product_idx = np.empty(len(line_order), dtype=np.int64)
    for k, cat in enumerate(catalog.categories):
        members = np.flatnonzero(catalog.category == cat)
        sel = np.flatnonzero(category == k)
        cdf = np.cumsum(catalog.popularity[members])
        product_idx[sel] = members[np.minimum(np.searchsorted(cdf, rng.random(len(sel)) * cdf[-1], side="right"), len(members) - 1)]
    # planted basket pairs: the consequent joins the basket with a fixed probability
    extra_orders, extra_products = [], []
    for antecedent, consequent, probability in catalog.basket_pairs:
        with_a = np.unique(line_order[product_idx == antecedent - 1])
        add = with_a[rng.random(len(with_a)) < probability]
        extra_orders.append(add)
        extra_products.append(np.full(len(add), consequent - 1))
    line_order = np.concatenate([line_order, *extra_orders])
    product_idx = np.concatenate([product_idx, *extra_products])
    qty = 1 + rng.poisson(catalog.extra_qty[product_idx])
    lines = pd.DataFrame({"order_idx": line_order, "product_idx": product_idx, "quantity": qty})
    lines = lines.groupby(["order_idx", "product_idx"], sort=True, as_index=False)["quantity"].sum()
    line_order = lines["order_idx"].to_numpy()
    product_idx = lines["product_idx"].to_numpy()
    qty = lines["quantity"].to_numpy().astype(np.int64)

    # --- payment outcome per order ---------------------------------------------------------------
    end = world.end_s
    offline = channel == "offline_store"
    abandoned = ~offline & (rng.random(n) < ABANDONED_UNPAID_SHARE)
    t1 = t_ordered + np.where(offline, 0, rng.integers(5, 120, size=n)) * SECOND
    p_fail = np.where(day == outage_day, OUTAGE_FAILURE, ORDER_FIRST_ATTEMPT_FAILURE)
    fail1 = ~offline & (rng.random(n) < p_fail)
    t2 = t1 + rng.integers(60, 600, size=n) * SECOND
    fail2 = fail1 & (rng.random(n) >= RETRY_SUCCESS[0])
    t3 = t2 + rng.integers(60, 900, size=n) * SECOND
    fail3 = fail2 & (rng.random(n) >= RETRY_SUCCESS[1])
    paid_time = np.where(~fail1, t1, np.where(~fail2, t2, t3))
    paid = ~abandoned & ~fail3 & (paid_time < end)
    cancelled = (abandoned & (t_ordered + 1800 * SECOND < end)) | (fail3 & (t3 + 60 * SECOND < end))
    cancel_time = np.where(abandoned, t_ordered + 1800 * SECOND, t3 + 60 * SECOND)
    pending = ~paid & ~cancelled
    paid_at = np.where(paid, paid_time, np.datetime64("NaT"))

    # fulfilment timeline (known before stock is checked; stock only removes lines)
    ship_at = paid_time + rng.integers(4 * 3600, 36 * 3600, size=n) * SECOND
    delivered_at = np.where(offline, paid_time, ship_at + rng.integers(24 * 3600, 4 * 86_400, size=n) * SECOND)
    product_cat = np.array([catalog.categories.index(c) for c in catalog.category])
    p_return = np.array([RETURN_RATE[c] for c in catalog.categories])[product_cat[product_idx]]
    returned = paid[line_order] & (rng.random(len(line_order)) < p_return)
    return_at = delivered_at[line_order] + rng.integers(86_400, 14 * 86_400, size=len(line_order)) * SECOND
    returned &= return_at < end
    partial = returned & (qty > 1) & (rng.random(len(qty)) < 0.3)
    returned_qty = np.where(returned, np.where(partial, 1 + (rng.random(len(qty)) * (qty - 1)).astype(np.int64), qty), 0)

    # --- stock: lines of paid orders leave the warehouse at payment time ------------------------
    n_wh = len(catalog.warehouse_id)
    series = product_idx * n_wh + warehouse_idx[line_order]
    wh_share = np.bincount(pop.warehouse_idx, weights=pop.propensity, minlength=n_wh)
    wh_share = wh_share / wh_share.sum()
    prod_share = np.zeros(len(catalog.product_id))
    for k, cat in enumerate(catalog.categories):
        members = catalog.category == cat
        prod_share[members] = catalog.popularity[members] / catalog.popularity[members].sum()
    expected_series = (demand.expected_units[product_cat] * prod_share[:, None])[:, None, :] * wh_share[None, :, None]
    expected_series = expected_series.reshape(len(catalog.product_id) * n_wh, n_days)
    is_paid_line = paid[line_order]
    pl = np.flatnonzero(is_paid_line)
    stock = inventory.simulate_stock(
        world, expected_series, series[pl], world.day_of(paid_time[line_order[pl]]),
        (paid_time[line_order[pl]] - world.start_s) // SECOND, qty[pl],
        np.where(returned[pl], world.day_of(return_at[pl]), n_days + 1), returned_qty[pl])
    keep_line = np.ones(len(line_order), dtype=bool)
    keep_line[pl[~stock.fulfilled]] = False
    lines_left = np.bincount(line_order[keep_line], minlength=n)
    keep_order = lines_left > 0
    lost_orders = int((~keep_order).sum())

    # --- renumber what survives --------------------------------------------------------------------
    new_id = np.cumsum(keep_order)  # order_id for kept orders (1-based)
    keep_line &= keep_order[line_order]
    li = np.flatnonzero(keep_line)
    l_order = line_order[li]
    l_product = product_idx[li]
    l_qty = qty[li]
    l_returned_qty = returned_qty[li]
    l_return_at = return_at[li]
    price = catalog.price[l_product]
    promoted = world.rng("promoted_products").random(len(catalog.product_id)) < PROMOTED_PRODUCT_SHARE
    promo_bp = world.rng("promoted_depth").choice([1000, 1500, 2000], size=len(catalog.product_id))
    festival_day = np.zeros(n_days, dtype=bool)
    for f, l in zip(coupons.first_day[coupons.festival], coupons.last_day[coupons.festival]):
        festival_day[max(f, 0):min(l + 1, n_days)] = True
    line_discount_bp = np.where(festival_day[day[l_order]] & promoted[l_product], promo_bp[l_product], 0)
    gross = l_qty * price
    l_discount = pct_of(gross, line_discount_bp)
    l_amount = gross - l_discount
    # bincount sums in float64, which is exact for integer cents far below 2**53
    items_amount = np.bincount(l_order, weights=l_amount, minlength=n).astype(np.int64)

    # coupons on orders that are not cancelled
    want = keep_order & ~cancelled & (rng.random(n) < np.where(festival_day[day], COUPON_USE["festival"], COUPON_USE["normal"]))
    coupon_idx = np.full(n, -1)
    w = np.flatnonzero(want)
    valid = (coupons.first_day[None, :] <= day[w][:, None]) & (coupons.last_day[None, :] >= day[w][:, None])
    has_valid = valid.any(axis=1)
    pick = (np.cumsum(valid, axis=1) < (rng.random(len(w)) * valid.sum(axis=1)).astype(np.int64)[:, None] + 1).sum(axis=1)
    pick = np.minimum(pick, len(coupons.coupon_id) - 1)
    ok = has_valid & (coupons.min_spend[pick] <= items_amount[w])
    coupon_idx[w[ok]] = pick[ok]
    has_coupon = coupon_idx >= 0
    ci = np.maximum(coupon_idx, 0)
    coupon_discount = np.where(has_coupon, np.where(coupons.percent[ci], pct_of(items_amount, coupons.value[ci]),
                                                    np.minimum(coupons.value[ci], items_amount)), 0).astype(np.int64)
    shipping = np.where(offline | (items_amount - coupon_discount >= FREE_SHIPPING_FROM), 0, SHIPPING_FEE).astype(np.int64)
    total = items_amount - coupon_discount + shipping

    # refunds and statuses as of the end of history
    line_refund = (l_amount * l_returned_qty) // np.maximum(l_qty, 1)
    refund = np.bincount(l_order, weights=line_refund, minlength=n).astype(np.int64)
    fully_returned = np.bincount(l_order, weights=(l_returned_qty == l_qty), minlength=n) == lines_left
    last_return = pd.Series(l_return_at[l_returned_qty > 0]).groupby(l_order[l_returned_qty > 0]).max()
    status = np.full(n, "paid", dtype=object)
    status[paid & (ship_at < end)] = "shipped"
    status[paid & (delivered_at < end)] = "delivered"
    status[paid & (refund > 0) & fully_returned] = "returned"
    status[cancelled] = "cancelled"
    status[pending] = "pending"
    updated = t_ordered.copy()
    updated = np.where(paid, paid_time, updated)
    updated = np.where(paid & (ship_at < end), ship_at, updated)
    updated = np.where(paid & (delivered_at < end), delivered_at, updated)
    updated = np.where(cancelled, cancel_time, updated)
    lr = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    lr[last_return.index.to_numpy()] = last_return.to_numpy()
    updated = np.where(~np.isnat(lr), np.maximum(updated, lr), updated)
    # the last failed attempt of a still-pending order also touches it
    updated = np.where(pending & fail1 & (t2 < end), np.maximum(updated, t1), updated)
    updated = np.where(pending & fail2 & (t3 < end), np.maximum(updated, t2), updated)

    ko = np.flatnonzero(keep_order)
    customer_id = pop.customer_id
    orders = pd.DataFrame({
        "order_id": new_id[ko],
        "customer_id": customer_id[cust[ko]],
        "warehouse_id": catalog.warehouse_id[warehouse_idx[ko]],
        "sales_channel": channel[ko],
        "session_id": None,
        "order_status": status[ko],
        "ordered_at": t_ordered[ko],
        "paid_at": paid_at[ko],
        "delivered_at": np.where(paid[ko] & (delivered_at[ko] < end), delivered_at[ko], np.datetime64("NaT")),
        "coupon_id": pd.array(np.where(has_coupon[ko], coupons.coupon_id[ci[ko]], 0), dtype="Int64"),
        "items_amount": items_amount[ko], "coupon_discount_amount": coupon_discount[ko],
        "shipping_amount": shipping[ko], "total_amount": total[ko], "refund_amount": refund[ko],
        "created_at": t_ordered[ko], "updated_at": updated[ko],
        "customer_idx": cust[ko],
    })
    orders.loc[~has_coupon[ko], "coupon_id"] = pd.NA
    items = pd.DataFrame({
        "order_item_id": np.arange(1, len(li) + 1),
        "order_id": new_id[l_order],
        "product_id": catalog.product_id[l_product],
        "quantity": l_qty, "unit_price": price, "discount_amount": l_discount, "line_amount": l_amount,
        "returned_quantity": l_returned_qty,
        "created_at": t_ordered[l_order],
        "updated_at": np.where(l_returned_qty > 0, l_return_at, t_ordered[l_order]),
        "order_idx": new_id[l_order] - 1,
    })
    world.add("order_items", items.drop(columns="order_idx"))

    # --- payment attempts --------------------------------------------------------------------------
    method = payment_method[cust]
    method = np.where(offline & (method == "bank_transfer"), "card", method)
    reasons = np.array(["insufficient_funds", "card_expired", "bank_declined", "network_timeout", "fraud_suspected"])
    reason_p = np.array([0.35, 0.15, 0.25, 0.18, 0.07])
    att = []
    attempted = ~abandoned & keep_order
    for number, t, failed, prev_failed in ((1, t1, fail1, np.ones(n, bool)), (2, t2, fail2, fail1), (3, t3, fail3, fail2)):
        mask = attempted & prev_failed & (t < end)
        idx = np.flatnonzero(mask)
        outage = day[idx] == outage_day
        reason = np.where(outage & (rng.random(len(idx)) < 0.85), "network_timeout", reasons[rng.choice(len(reasons), size=len(idx), p=reason_p)])
        att.append(pd.DataFrame({
            "order_idx": idx, "attempt_number": number, "attempted_at": t[idx],
            "payment_status": np.where(failed[idx], "failed", "succeeded"),
            "failure_reason": np.where(failed[idx], reason, None),
        }))
    pay = pd.concat(att, ignore_index=True)
    oi = pay["order_idx"].to_numpy()
    pay["customer_id"] = customer_id[cust[oi]]
    pay["order_id"] = new_id[oi]
    pay["amount"] = total[oi]
    pay["payment_method"] = method[oi]
    # a failed attempt is often retried with another method
    switch = (pay["attempt_number"] > 1).to_numpy() & (rng.random(len(pay)) < 0.4)
    pay.loc[switch, "payment_method"] = rng.choice(["alipay", "wechat_pay", "card"], size=int(switch.sum()))

    # --- inventory ledger ----------------------------------------------------------------------
    sale_line = keep_line & is_paid_line
    sale_idx = np.flatnonzero(sale_line[li])  # positions within kept lines
    mv = [pd.DataFrame({
        "series": series[li][sale_idx], "movement_type": "sale", "quantity": -l_qty[sale_idx],
        "order_id": new_id[l_order[sale_idx]], "moved_at": paid_time[l_order[sale_idx]], "prio": 1})]
    ret_idx = np.flatnonzero(l_returned_qty > 0)
    mv.append(pd.DataFrame({
        "series": series[li][ret_idx], "movement_type": "return", "quantity": l_returned_qty[ret_idx],
        "order_id": new_id[l_order[ret_idx]], "moved_at": l_return_at[ret_idx], "prio": 2}))
    mv.append(pd.DataFrame({
        "series": stock.receipt_series, "movement_type": "receipt", "quantity": stock.receipt_qty,
        "order_id": 0, "moved_at": world.at(stock.receipt_day), "prio": 0}))
    mv.append(pd.DataFrame({
        "series": stock.adjustment_series, "movement_type": "adjustment", "quantity": stock.adjustment_qty,
        "order_id": 0, "moved_at": world.at(stock.adjustment_day, 86_399), "prio": 3}))
    movements = pd.concat(mv, ignore_index=True)
    movements = movements.sort_values(["moved_at", "prio", "series", "order_id"], kind="stable").reset_index(drop=True)
    movements = pd.DataFrame({
        "movement_id": np.arange(1, len(movements) + 1),
        "product_id": catalog.product_id[movements["series"].to_numpy() // n_wh],
        "warehouse_id": catalog.warehouse_id[movements["series"].to_numpy() % n_wh],
        "movement_type": movements["movement_type"],
        "quantity": movements["quantity"].astype(np.int64),
        "order_id": pd.array(movements["order_id"].to_numpy(), dtype="Int64"),
        "moved_at": movements["moved_at"].to_numpy(),
        "created_at": movements["moved_at"].to_numpy(),
        "updated_at": movements["moved_at"].to_numpy(),
    })
    movements.loc[movements["order_id"] == 0, "order_id"] = pd.NA
    world.add("inventory_movements", movements)

    # --- coupon redemptions ----------------------------------------------------------------------
    red = np.flatnonzero(has_coupon & keep_order)
    world.add("coupon_redemptions", pd.DataFrame({
        "redemption_id": np.arange(1, len(red) + 1),
        "coupon_id": coupons.coupon_id[coupon_idx[red]],
        "customer_id": customer_id[cust[red]],
        "order_id": new_id[red],
        "discount_amount": coupon_discount[red],
        "redeemed_at": t_ordered[red], "created_at": t_ordered[red], "updated_at": t_ordered[red],
    }))

    first_paid = orders[orders["paid_at"].notna()].groupby("customer_id")["paid_at"].min()
    expected_on_outage_day = float(rate[:, outage_day].sum())
    _record_truth(world, demand, catalog, items, orders, stock, lost_orders, outage_day, expected_on_outage_day)
    return OrderBook(orders=orders, items=items, payments=pay, first_paid_at=first_paid)


def _record_truth(world: World, demand: DemandModel, catalog: Catalog, items: pd.DataFrame, orders: pd.DataFrame,
                  stock: inventory.StockResult, lost_orders: int, outage_day: int, expected_on_outage_day: float) -> None:
    cal = world.calendar
    truth = world.truth
    inflation = demand.effect_inflation if demand.effect_inflation is not None else np.ones(world.n_days)
    paid = orders.set_index("order_id")["paid_at"]
    sold = items[items["order_id"].map(paid).notna()]
    sold_day = world.day_of(orders.set_index("order_id").loc[sold["order_id"], "ordered_at"].to_numpy())
    cat_of = dict(zip(catalog.product_id, catalog.category))
    units = pd.DataFrame({"cat": sold["product_id"].map(cat_of).to_numpy(), "day": sold_day, "q": sold["quantity"].to_numpy()})
    realised = units.groupby(["cat", "day"])["q"].sum().unstack(fill_value=0).reindex(columns=range(world.n_days), fill_value=0)
    truth.seasonality.update({
        "definition": ("expected daily units sold per product category = trend x weekly x yearly x shopping events "
                       "(category-specific exponents); realised units are Poisson-like noise around it, minus rare stock-outs"),
        "annual_growth": 1.30,
        "weekly_multipliers_mon_to_sun": [0.94, 0.92, 0.94, 0.97, 1.04, 1.11, 1.08],
        "yearly": "1 + 0.08 cos(2 pi (day_of_year - 340) / 365.25)",
        "events": [{"name": e.name, "date": e.day, "multiplier_on_day": e.peak_multiplier} for e in cal.events],
        "category_event_exponents": {c: {"618_double_11": CATEGORIES[c]["festival"], "spring_festival": CATEGORIES[c]["spring"]}
                                     for c in demand.categories},
        "dates": [str(d) for d in cal.dates],
        "expected_daily_units": {c: rounded(demand.expected_units[k] * inflation, 2) for k, c in enumerate(demand.categories)},
        "expected_daily_units_definition": ("planted smooth signal x the day's multiplier from campaign clicks, "
                                            "experiment effects and the outage day (the demand customers generate)"),
        "average_daily_units_realised": {c: round(float(realised.loc[c].mean()), 2) for c in realised.index},
        "units_definition": "order_items.quantity of orders with paid_at set, dated by orders.ordered_at",
    })
    truth.inventory.update({
        "policy": {"lead_time_days": "2 + Poisson(2)", "supplier_delay_share": inventory.SUPPLIER_DELAY_SHARE,
                   "reorder_point": "expected demand over lead time + 7 days + 2 sqrt(that) + 2",
                   "order_up_to": "reorder point + 14 days of expected demand"},
        "stockout_series_days": stock.stockout_series_days,
        "lost_units": stock.lost_units,
        "orders_lost_entirely_to_stockouts": lost_orders,
    })
    day_orders = np.bincount(world.day_of(orders["ordered_at"].to_numpy()), minlength=world.n_days)
    truth.anomalies.append({
        "date": cal.date(outage_day), "kind": "payment_gateway_outage",
        "description": (f"orders fall to {OUTAGE_ORDER_FACTOR:.0%} of normal and {OUTAGE_FAILURE:.0%} of first payment "
                        "attempts fail (mostly network_timeout)"),
        "orders_on_day": int(day_orders[outage_day]),
        "expected_orders_on_day": round(expected_on_outage_day, 2),
        "expected_orders_without_outage": round(expected_on_outage_day / OUTAGE_ORDER_FACTOR, 2),
        "orders_same_weekday_previous_4_weeks_mean": round(float(np.mean([day_orders[outage_day - 7 * k] for k in range(1, 5)])), 2),
    })
    truth.baskets = [{
        "antecedent_product_id": a, "consequent_product_id": b, "planted_conditional_probability": p,
        **_basket_stats(items, a, b),
    } for a, b, p in catalog.basket_pairs]


def _basket_stats(items: pd.DataFrame, a: int, b: int) -> dict:
    n_orders = items["order_id"].nunique()
    with_a = set(items.loc[items["product_id"] == a, "order_id"])
    with_b = set(items.loc[items["product_id"] == b, "order_id"])
    both = len(with_a & with_b)
    support_a, support_b = len(with_a) / n_orders, len(with_b) / n_orders
    support = both / n_orders
    return {"support": round(support, 6), "confidence": round(both / max(len(with_a), 1), 4),
            "lift": round(support / (support_a * support_b), 3) if support_a and support_b else None,
            "orders_with_both": both}
