"""Shopping behaviour: browsing sessions, the products viewed in them and the orders they lead to.

A session has a category (the customer's favourite or one drawn from their persona's
affinities) and views a few products of it, popular ones more often. A session that converts
buys some of the products just viewed, sometimes with an add-on from a complementary
category. So views predict purchases, and co-viewed / co-bought products are related.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from personalization.demo_data.catalog import (
    BUSINESS,
    CATEGORIES,
    COMPLEMENTS,
    FASHION,
    PERSONAS,
    Catalog,
    affinity_matrix,
)
from personalization.demo_data.people import Population
from personalization.demo_data.sampling import (
    DAY,
    HOUR,
    group_max,
    increasing_ids,
    pick_by_group,
    rank_in_group,
    segment_starts,
)
from personalization.store.commerce import ORDER_STATUSES

YEAR = 365.25 * DAY
FAVOURITE_SHARE = 0.3
_SHARES_BY_AGE = (  # order statuses for orders < 1 day, 1-4 days, 4-30 days and older
    {"placed": 0.35, "paid": 0.60, "cancelled": 0.05},
    {"paid": 0.10, "dispatched": 0.75, "delivered": 0.10, "cancelled": 0.05},
    {"dispatched": 0.02, "delivered": 0.90, "cancelled": 0.05, "returned": 0.02, "refunded": 0.01},
    {"delivered": 0.91, "cancelled": 0.05, "returned": 0.01, "refunded": 0.03},
)
STATUS_BY_AGE = np.array([[shares.get(s, 0.0) for s in ORDER_STATUSES]
                          for shares in _SHARES_BY_AGE])  # fmt: skip
# how long after the order its last status change happened: (low, high) hours
_DELAY_HOURS = {"placed": (0, 0), "paid": (0.02, 0.5), "dispatched": (12, 48),
                "delivered": (48, 144), "cancelled": (0.2, 24), "returned": (190, 720),
                "refunded": (290, 960)}  # fmt: skip
DELAY_LOW, DELAY_HIGH = (np.array([_DELAY_HOURS[s][i] for s in ORDER_STATUSES]) * HOUR
                         for i in (0, 1))  # fmt: skip


@dataclass
class Sessions:
    customer: np.ndarray
    start_s: np.ndarray
    category: np.ndarray
    n_views: np.ndarray
    converts: np.ndarray

    def subset(self, keep: np.ndarray) -> Sessions:
        return Sessions(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


def plan_sessions(rng: np.random.Generator, pop: Population, now_s: int) -> Sessions:
    """Every session each customer would have between sign-up and now, if they stayed."""
    rate = np.array([p.sessions_per_year for p in PERSONAS])[pop.persona] * pop.engagement
    span = np.maximum(now_s - 3 * HOUR - pop.signup_s, 0)
    count = np.minimum(rng.poisson(rate * span / YEAR), 400)
    customer = np.repeat(np.arange(pop.n), count)
    start = pop.signup_s[customer] + (rng.random(len(customer)) * span[customer]).astype(np.int64)
    from_persona = pick_by_group(rng, pop.persona[customer], affinity_matrix())
    category = np.where(rng.random(len(customer)) < FAVOURITE_SHARE,
                        pop.favourite[customer], from_persona)  # fmt: skip
    n_views = np.minimum(1 + rng.poisson(0.8, len(customer)), 8)
    conversion = np.array([p.conversion for p in PERSONAS])[pop.persona[customer]]
    conversion = np.minimum(conversion * (0.75 + 0.12 * np.minimum(n_views, 4)), 0.95)
    converts = rng.random(len(customer)) < conversion
    return Sessions(customer, start, category, n_views, converts)


def last_order_s(sessions: Sessions, n: int) -> np.ndarray:
    """Start of each customer's latest converting session (-1 when none)."""
    return group_max(sessions.customer[sessions.converts], sessions.start_s[sessions.converts], n)


@dataclass
class Views:
    session: np.ndarray
    customer: np.ndarray
    product: np.ndarray
    time_s: np.ndarray


@dataclass
class Orders:
    session: np.ndarray
    customer: np.ndarray
    placed_s: np.ndarray
    updated_s: np.ndarray
    status: np.ndarray  # index into ORDER_STATUSES
    number: np.ndarray  # the 8-digit order number
    total_cents: np.ndarray
    item_order: np.ndarray  # order_items: index of the order, product, quantity, unit price
    item_product: np.ndarray
    item_quantity: np.ndarray
    item_cents: np.ndarray


def browse(rng: np.random.Generator, sessions: Sessions, catalog: Catalog) -> Views:
    session = np.repeat(np.arange(len(sessions.customer)), sessions.n_views)
    category = sessions.category[session]
    slot = pick_by_group(rng, category, catalog.popularity)
    product = catalog.by_category[category, slot]
    gaps = rng.integers(20, 240, len(session))
    running = np.cumsum(gaps)
    first = segment_starts(sessions.n_views)
    elapsed = running - np.repeat(running[first] - gaps[first], sessions.n_views)
    time_s = sessions.start_s[session] + elapsed
    return Views(session, sessions.customer[session], product, time_s)


def buy(
    rng: np.random.Generator,
    sessions: Sessions,
    views: Views,
    catalog: Catalog,
    pop: Population,
    now_s: int,
) -> Orders:
    """One order per converting session, made of the first views of it and maybe an add-on."""
    n_sessions = len(sessions.customer)
    order_of_session = np.full(n_sessions, -1)
    converting = np.flatnonzero(sessions.converts)
    order_of_session[converting] = np.arange(len(converting))
    customer = sessions.customer[converting]

    wanted = 1 + rng.binomial(sessions.n_views[converting] - 1, 0.3)
    rank = rank_in_group(sessions.n_views)
    view_order = order_of_session[views.session]
    wanted_of_session = np.zeros(n_sessions, dtype=np.int64)
    wanted_of_session[converting] = wanted
    take = (view_order >= 0) & (rank < wanted_of_session[views.session])
    item_order, item_product = view_order[take], views.product[take]
    last_view = views.time_s[segment_starts(sessions.n_views) + sessions.n_views - 1]

    addon = rng.random(len(converting)) < 0.15
    complement = np.array([CATEGORIES.index(COMPLEMENTS[c]) for c in CATEGORIES])
    addon_category = complement[sessions.category[converting][addon]]
    addon_product = catalog.by_category[
        addon_category, pick_by_group(rng, addon_category, catalog.popularity)
    ]
    item_order = np.concatenate([item_order, np.flatnonzero(addon)])
    item_product = np.concatenate([item_product, addon_product])
    key = np.unique(item_order.astype(np.int64) * 100_000 + item_product)  # one row per product
    item_order, item_product = key // 100_000, key % 100_000

    persona = pop.persona[customer[item_order]]
    bulk = np.array([p.bulk for p in PERSONAS])[persona]
    business = persona == BUSINESS
    cheap = catalog.price_cents[item_product] < 20_000
    extra = rng.random(len(item_order)) < bulk * np.where(cheap | business, 1.0, 0.2)
    quantity = 1 + extra * (1 + rng.poisson(np.where(business, 2.5, 0.4)))
    on_sale = rng.random(len(item_order)) < np.array(
        [p.discount_seeking for p in PERSONAS])[persona] * 0.5 + 0.05  # fmt: skip
    discount = np.where(on_sale, rng.choice([0.1, 0.15, 0.2, 0.25, 0.3], len(item_order)), 0.0)
    unit_cents = np.round(catalog.price_cents[item_product] * (1 - discount)).astype(np.int64)
    total_cents = np.bincount(item_order, weights=quantity * unit_cents,
                              minlength=len(converting)).astype(np.int64)  # fmt: skip

    placed = np.minimum(last_view[converting] + rng.integers(60, 900, len(converting)),
                        now_s - 60)  # fmt: skip
    status, updated = _statuses(rng, placed, pop, customer, now_s)
    number = increasing_ids(rng, np.argsort(placed, kind="stable"), 10_000_000, 99_999_999)
    return Orders(converting, customer, placed, updated, status, number, total_cents,
                  item_order, item_product, quantity, unit_cents)  # fmt: skip


def _statuses(
    rng: np.random.Generator, placed: np.ndarray, pop: Population, customer: np.ndarray,
    now_s: int,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    age_days = (now_s - placed) / DAY
    age_group = np.searchsorted(np.array([1, 4, 30]), age_days, side="right")
    status = pick_by_group(rng, age_group, STATUS_BY_AGE)
    fashion = pop.persona[customer] == FASHION
    p_return = np.clip(0.025 * pop.friction[customer] + 0.04 * fashion, 0, 0.3)
    delivered = status == ORDER_STATUSES.index("delivered")
    comes_back = (age_group >= 2) & delivered & (rng.random(len(placed)) < p_return)
    later = np.where(age_group == 2, ORDER_STATUSES.index("returned"),
                     ORDER_STATUSES.index("refunded"))  # fmt: skip
    status = np.where(comes_back, later, status)
    low, high = DELAY_LOW[status], DELAY_HIGH[status]
    updated = placed + (low + rng.random(len(placed)) * (high - low)).astype(np.int64)
    return status, np.minimum(updated, now_s)
