"""`generate`: the whole synthetic store as DataFrames shaped like the profile store's tables."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from sqlalchemy import Table

from personalization.demo_data.activity import (
    Orders,
    browse,
    buy,
    last_order_s,
    plan_sessions,
)
from personalization.demo_data.catalog import CATEGORIES, PERSONA_NAMES, build_catalog
from personalization.demo_data.churn import Churn, churn_logit, decide_churn
from personalization.demo_data.consent import decide_consent
from personalization.demo_data.events import build_events
from personalization.demo_data.geography import COUNTRIES
from personalization.demo_data.people import (
    CITY_REGION,
    CONTRACTS,
    DEVICES,
    PAYMENTS,
    TIERS,
    Population,
    address_dicts,
    interests,
    populate,
)
from personalization.demo_data.sampling import (
    DAY,
    increasing_ids,
    numbered,
    seconds,
    stream,
    to_datetime,
)
from personalization.demo_data.support import (
    CHANNELS,
    TICKET_CATEGORIES,
    place_tickets,
    plan_tickets,
)
from personalization.store import schema as t
from personalization.store.commerce import ORDER_STATUSES

LOYALTY = ((150_000, "gold"), (50_000, "silver"), (15_000, "bronze"))  # cents spent in a year
SPENT = [ORDER_STATUSES.index(s) for s in ("placed", "paid", "dispatched", "delivered")]


@dataclass
class DemoData:
    """One frame per profile-store table (in loading order) and the hidden truth behind them.

    `truth` is not a table: per customer the persona, favourite category, engagement and
    friction that drove the behaviour, the churn probability and the churn date, for checking
    what models recover.
    """

    products: pd.DataFrame
    customers: pd.DataFrame
    preferences: pd.DataFrame
    orders: pd.DataFrame
    order_items: pd.DataFrame
    tickets: pd.DataFrame
    events: pd.DataFrame
    consent_records: pd.DataFrame
    consent_state: pd.DataFrame
    truth: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "truth"}

    def row_counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables().items()}


def _frame(table: Table, **columns) -> pd.DataFrame:
    wanted = [c.name for c in table.columns]
    if set(columns) != set(wanted):
        raise AssertionError(f"{table.name}: {sorted(set(columns) ^ set(wanted))}")
    return pd.DataFrame({name: columns[name] for name in wanted})


def _now(now: datetime | None) -> datetime:
    if now is None:  # today at midnight (UTC), so a day's runs agree
        now = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    return now.replace(microsecond=0)


def generate(customers: int, seed: int = 7, now: datetime | None = None) -> DemoData:
    """A store with `customers` customers whose behaviour carries real signal; see the package
    docstring. Same arguments, same frames."""
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    now = _now(now)
    now_s = seconds(now)
    catalog = build_catalog(seed)
    pop = populate(stream(seed, "people"), customers, now_s, now.year)
    n = pop.n
    ids = numbered("C", np.arange(1, n + 1), max(7, len(str(n))))

    # What everyone would do if they stayed, then who leaves, then what actually happened.
    plan = plan_sessions(stream(seed, "sessions"), pop, now_s)
    planned_orders = np.bincount(plan.customer[plan.converts], minlength=n)
    tickets = plan_tickets(stream(seed, "tickets"), pop, planned_orders)
    logit = churn_logit(pop, planned_orders, last_order_s(plan, n), *tickets.per_customer(n),
                        now_s)  # fmt: skip
    churn = decide_churn(stream(seed, "churn"), pop, logit, now_s)
    end_s = np.minimum(churn.at_s, now_s)
    sessions = plan.subset(plan.start_s < end_s[plan.customer])
    tickets = place_tickets(stream(seed, "ticket-times"), tickets, pop, end_s, churn.churned,
                            now_s)  # fmt: skip
    views = browse(stream(seed, "views"), sessions, catalog)
    orders = buy(stream(seed, "orders"), sessions, views, catalog, pop, now_s)
    consent = decide_consent(stream(seed, "consent"), pop, churn.churned, ids, now_s)
    events = build_events(stream(seed, "events"), seed, pop, catalog, sessions, views, orders,
                          tickets, ids, consent.granted_now, now_s)  # fmt: skip

    rng = stream(seed, "frames")
    order_ids = pd.Series(orders.number).astype(str).to_numpy(dtype=object)
    ticket_numbers = increasing_ids(rng, np.argsort(tickets.created_s, kind="stable"),
                                    1_000_000, 9_999_999)  # fmt: skip
    csat = pd.array(tickets.csat, dtype="Int64")
    csat[tickets.csat == 0] = pd.NA
    return DemoData(
        products=catalog.products,
        customers=_customers(rng, pop, ids, orders, churn, now_s),
        preferences=_preferences(rng, pop, ids, now_s),
        orders=_frame(
            t.orders, order_id=order_ids, customer_id=ids[orders.customer],
            status=np.array(ORDER_STATUSES, dtype=object)[orders.status],
            total=orders.total_cents / 100, currency="EUR", placed_at=to_datetime(orders.placed_s),
            updated_at=to_datetime(orders.updated_s),
            shipping_address=address_dicts(stream(seed, "addresses"), pop)[orders.customer],
        ),
        order_items=_frame(
            t.order_items, order_id=order_ids[orders.item_order],
            product_id=catalog.products.product_id.to_numpy()[orders.item_product],
            quantity=orders.item_quantity, unit_price=orders.item_cents / 100,
        ),
        tickets=_frame(
            t.tickets, ticket_id=numbered("T", ticket_numbers, 7),
            customer_id=ids[tickets.customer],
            category=np.array(TICKET_CATEGORIES, dtype=object)[tickets.category],
            channel=np.array(CHANNELS, dtype=object)[tickets.channel],
            created_at=to_datetime(tickets.created_s),
            resolved_at=pd.to_datetime(to_datetime(tickets.resolved_s)).where(
                tickets.resolved_s >= 0),
            escalated=tickets.escalated, csat=csat, route=None, reason=None,
        ),  # fmt: skip
        events=events,
        consent_records=consent.records,
        consent_state=consent.state,
        truth=pd.DataFrame({
            "customer_id": ids, "persona": np.array(PERSONA_NAMES, dtype=object)[pop.persona],
            "favourite_category": np.array(CATEGORIES, dtype=object)[pop.favourite],
            "engagement": pop.engagement, "friction": pop.friction,
            "churn_probability": churn.probability,
            "churned_at": pd.to_datetime(to_datetime(np.minimum(churn.at_s, now_s))).where(
                churn.churned),
        }),  # fmt: skip
    )


def _customers(
    rng: np.random.Generator, pop: Population, ids: np.ndarray, orders: Orders, churn: Churn,
    now_s: int,
) -> pd.DataFrame:  # fmt: skip
    kept = np.isin(orders.status, SPENT)
    spend = np.bincount(orders.customer[kept], weights=orders.total_cents[kept], minlength=pop.n)
    recent = kept & (orders.placed_s >= now_s - 365 * DAY)
    year_spend = np.bincount(orders.customer[recent], weights=orders.total_cents[recent],
                             minlength=pop.n)  # fmt: skip
    loyalty = np.select([year_spend >= low for low, _ in LOYALTY],
                        [name for _, name in LOYALTY], "none").astype(object)  # fmt: skip
    months = np.maximum((now_s - pop.signup_s) / (30.44 * DAY), 1.0)
    monthly_spend = np.round(spend / 100 / months, 2)
    attributes = [
        {"contract": c, "payment_method": p, "newsletter": nl, "monthly_spend": m,
         "preferred_device": d}
        for c, p, nl, m, d in zip(
            np.array(CONTRACTS, dtype=object)[pop.contract],
            np.array(PAYMENTS, dtype=object)[pop.payment], pop.newsletter.tolist(),
            monthly_spend.tolist(), np.array(DEVICES, dtype=object)[pop.device], strict=True)
    ]  # fmt: skip
    left = np.minimum(churn.at_s + rng.integers(0, 7 * DAY, pop.n), now_s)
    touched = pop.signup_s + (rng.random(pop.n) * (now_s - pop.signup_s)).astype(np.int64)
    codes = np.array([c.code for c in COUNTRIES], dtype=object)
    return _frame(
        t.customers, customer_id=ids, name=pop.name, email=pop.email,
        country=codes[pop.country], region=CITY_REGION[pop.city], language=pop.language,
        birth_year=pop.birth_year, age_band=pop.age_band,
        account_tier=np.array(TIERS, dtype=object)[pop.tier], loyalty_status=loyalty,
        signup_date=to_datetime(pop.signup_s).astype("datetime64[D]").astype("datetime64[ns]"),
        churned=churn.churned, attributes=attributes,
        created_at=to_datetime(pop.signup_s),
        updated_at=to_datetime(np.where(churn.churned, left, touched)),
    )  # fmt: skip


def _preferences(
    rng: np.random.Generator, pop: Population, ids: np.ndarray, now_s: int
) -> pd.DataFrame:
    language = pop.language.copy()
    language[rng.random(pop.n) < 0.08] = "en"
    updated = np.minimum(pop.signup_s + (rng.random(pop.n) * 30 * DAY).astype(np.int64), now_s)
    return _frame(
        t.preferences, customer_id=ids,
        tone=np.where(pop.formal, "formal", "casual").astype(object),
        language=language, product_interests=interests(pop.persona, pop.favourite),
        updated_at=to_datetime(updated),
    )  # fmt: skip
