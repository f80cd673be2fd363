"""Segment-style tracked events derived from the behaviour: product views, cart adds, orders,
page views (shop pages per session, help pages before tickets) and feature use.

Only customers whose current consent to personalization is a grant have events (the collector
drops the others). Events with the same content share one properties dict: copy before editing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from personalization.demo_data.activity import Orders, Sessions, Views
from personalization.demo_data.catalog import CATEGORIES, Catalog
from personalization.demo_data.geography import COUNTRIES
from personalization.demo_data.people import DEVICES, Population
from personalization.demo_data.sampling import (
    pick_by_group,
    segment_starts,
    to_datetime,
    unassigned,
    uuid_strings,
)
from personalization.demo_data.support import TICKET_CATEGORIES, Tickets

NAMES = ("Product Viewed", "Product Added", "Order Completed", "Page Viewed", "Feature Used")
VIEWED, ADDED, COMPLETED, PAGE, FEATURE = range(len(NAMES))
PAGES = (("/", "Home"), ("/deals", "Deals"), ("/new", "New In"), ("/account/orders", "My Orders"))
FEATURES = ("wishlist", "compare", "size_guide", "price_alert", "order_tracking", "bulk_quote")
FEATURE_BY_PERSONA = np.array([
    [0.25, 0.45, 0.0, 0.15, 0.15, 0.0], [0.4, 0.15, 0.05, 0.15, 0.25, 0.0],
    [0.4, 0.05, 0.35, 0.1, 0.1, 0.0], [0.2, 0.2, 0.05, 0.45, 0.1, 0.0],
    [0.1, 0.3, 0.0, 0.05, 0.25, 0.3],
])  # fmt: skip


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):  # a lookup table of shared dicts, not per row
        out[i] = value
    return out


def _contexts(pop: Population) -> np.ndarray:
    """One shared context dict per (language, country, device), looked up per customer."""
    language, languages = pd.factorize(pop.language)
    key = (language * len(COUNTRIES) + pop.country) * len(DEVICES) + pop.device
    uniques, inverse = np.unique(key, return_inverse=True)
    table = []
    for k in uniques:
        rest, device = divmod(int(k), len(DEVICES))
        lang, country = divmod(rest, len(COUNTRIES))
        library = ("analytics.js", "5.2.0") if DEVICES[device] == "desktop" else (
            "analytics-react-native", "2.17.0")  # fmt: skip
        table.append({"locale": f"{languages[lang]}-{COUNTRIES[country].code}",
                      "device": {"type": DEVICES[device]},
                      "library": {"name": library[0], "version": library[1]}})  # fmt: skip
    return _objects(table)[inverse]


def build_events(
    rng: np.random.Generator, seed: int, pop: Population, catalog: Catalog, sessions: Sessions,
    views: Views, orders: Orders, tickets: Tickets, customer_ids: np.ndarray,
    granted: np.ndarray, now_s: int,
) -> pd.DataFrame:  # fmt: skip
    products = catalog.products
    product_props = _objects([
        {"product_id": p, "name": n, "category": c, "price": float(x)}
        for p, n, c, x in zip(products.product_id, products.name, products.category,
                              products.price, strict=True)
    ])  # fmt: skip
    parts: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []  # customer, name, props, t
    parts.append((views.customer, VIEWED, product_props[views.product], views.time_s))

    # cart adds: every ordered item, and the first viewed product of some abandoned sessions
    item_customer = orders.customer[orders.item_order]
    added_at = orders.placed_s[orders.item_order] - rng.integers(10, 59, len(item_customer))
    code = orders.item_product * 1000 + np.minimum(orders.item_quantity, 999)
    uniques, inverse = np.unique(code, return_inverse=True)
    added_props = _objects([{**product_props[c // 1000], "quantity": c % 1000}
                            for c in uniques.tolist()])[inverse]  # fmt: skip
    first_view = segment_starts(sessions.n_views)
    abandoned = np.flatnonzero(~sessions.converts & (rng.random(len(first_view)) < 0.25))
    cart_props = _objects([{**p, "quantity": 1} for p in product_props])
    parts.append((item_customer, ADDED, added_props, added_at))
    parts.append((sessions.customer[abandoned], ADDED,
                  cart_props[views.product[first_view[abandoned]]],
                  views.time_s[first_view[abandoned]] + 15))  # fmt: skip

    n_items = np.bincount(orders.item_order, minlength=len(orders.customer))
    order_props = _objects([
        {"order_id": str(o), "total": t / 100, "currency": "EUR", "products": int(k)}
        for o, t, k in zip(orders.number.tolist(), orders.total_cents.tolist(),
                           n_items.tolist(), strict=True)
    ])  # fmt: skip
    parts.append((orders.customer, COMPLETED, order_props, orders.placed_s))

    shop_pages = _objects([{"path": p, "title": t} for p, t in PAGES]
                          + [{"path": f"/c/{c}", "title": c.title()} for c in CATEGORIES])
    browsing = np.flatnonzero(rng.random(len(sessions.customer)) < 0.25)
    page = np.where(rng.random(len(browsing)) < 0.5, len(PAGES) + sessions.category[browsing],
                    rng.integers(0, len(PAGES), len(browsing)))  # fmt: skip
    parts.append((sessions.customer[browsing], PAGE, shop_pages[page],
                  sessions.start_s[browsing] - rng.integers(5, 60, len(browsing))))
    help_pages = _objects([{"path": f"/help/{c}", "title": f"Help: {c.title()}"}
                           for c in TICKET_CATEGORIES])  # fmt: skip
    parts.append((tickets.customer, PAGE, help_pages[tickets.category],
                  tickets.created_s - rng.integers(60, 1800, len(tickets.customer))))

    using = np.flatnonzero(rng.random(len(sessions.customer)) < 0.08)
    feature = pick_by_group(rng, pop.persona[sessions.customer[using]], FEATURE_BY_PERSONA)
    feature_props = _objects([{"feature": f} for f in FEATURES])
    parts.append((sessions.customer[using], FEATURE, feature_props[feature],
                  sessions.start_s[using] + rng.integers(30, 600, len(using))))

    customer = np.concatenate([p[0] for p in parts])
    name = np.concatenate([np.full(len(p[0]), p[1], dtype=np.int8) for p in parts])
    props = np.concatenate([p[2] for p in parts])
    time_s = np.minimum(np.concatenate([p[3] for p in parts]), now_s - 1)
    keep = granted[customer]
    order = np.argsort(time_s[keep], kind="stable")
    customer, name = customer[keep][order], name[keep][order]
    props, time_s = props[keep][order], time_s[keep][order]

    anonymous = uuid_strings(seed + 1_000_003, 0, pop.n)
    return pd.DataFrame({
        "id": unassigned(len(customer)),
        "message_id": uuid_strings(seed, 0, len(customer)),
        "customer_id": customer_ids[customer],
        "anonymous_id": anonymous[customer],
        "type": np.where(name == PAGE, "page", "track").astype(object),
        "name": np.array(NAMES, dtype=object)[name],
        "properties": props,
        "context": _contexts(pop)[customer],
        "timestamp": to_datetime(time_s),
        "received_at": to_datetime(time_s + rng.integers(0, 4, len(customer))),
    })  # fmt: skip

