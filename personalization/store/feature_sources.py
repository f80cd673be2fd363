"""What the feature pipeline reads, customer chunk by customer chunk.

Customers are walked in customer-id order (keyset pagination, no OFFSET); for each chunk the
other tables are read by a customer-id range, which their customer-id indexes serve. Order
and event figures are aggregated in the database; tickets come as rows (a customer has few).
Memory stays bounded by the chunk size however many customers there are.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from personalization.store import schema as t
from personalization.store.customers import granted

RETURNED = ("cancelled", "refunded", "returned")


@dataclass
class SourceChunk:
    customers: pd.DataFrame  # one row per customer: the customers table
    orders: pd.DataFrame  # customer_id, orders, spend, returned, first_order, last_order
    tickets: pd.DataFrame  # one row per ticket
    events: pd.DataFrame  # customer_id, name, count, last
    history: pd.DataFrame  # the interaction_history rows


def read_source_chunk(
    conn: Connection, chunk_customers: int = 50_000, after: str | None = None,
    granted_to: str | None = None,
) -> SourceChunk | None:
    """The next `chunk_customers` customers after the id `after`; None past the last one.
    `granted_to`: only customers whose current consent for that purpose is a grant (the
    related rows of the others are left out too)."""
    c = t.customers
    query = select(c).order_by(c.c.customer_id).limit(chunk_customers)
    if after is not None:
        query = query.where(c.c.customer_id > after)
    if granted_to is not None:
        query = query.where(c.c.customer_id.in_(granted(granted_to)))
    customers = _frame(conn, query, [col.name for col in c.columns])
    if customers.empty:
        return None
    first, last = customers.customer_id.iloc[0], customers.customer_id.iloc[-1]
    ids = set(customers.customer_id)
    related = (frame[frame.customer_id.isin(ids)] for frame in _related(conn, first, last))
    return SourceChunk(customers, *related)  # fmt: skip


def _related(conn: Connection, first: str, last: str) -> tuple[pd.DataFrame, ...]:
    o, k, e, h = t.orders, t.tickets, t.events, t.interaction_history

    def between(column):
        return and_(column >= first, column <= last)

    orders = select(
        o.c.customer_id, func.count().label("orders"), func.sum(o.c.total).label("spend"),
        func.sum(case((o.c.status.in_(RETURNED), 1), else_=0)).label("returned"),
        func.min(o.c.placed_at).label("first_order"), func.max(o.c.placed_at).label("last_order"),
    ).where(between(o.c.customer_id)).group_by(o.c.customer_id)  # fmt: skip
    tickets = select(k.c.customer_id, k.c.category, k.c.created_at, k.c.resolved_at,
                     k.c.escalated, k.c.csat).where(between(k.c.customer_id))  # fmt: skip
    events = select(
        e.c.customer_id, e.c.name, func.count().label("count"),
        func.max(e.c.timestamp).label("last"),
    ).where(between(e.c.customer_id)).group_by(e.c.customer_id, e.c.name)  # fmt: skip
    history = select(h.c.customer_id, h.c.conversations, h.c.escalations, h.c.fallbacks,
                     h.c.last_interaction_at).where(between(h.c.customer_id))  # fmt: skip
    return (
        _frame(conn, orders, ["customer_id", "orders", "spend", "returned", "first_order",
                              "last_order"]),
        _frame(conn, tickets, ["customer_id", "category", "created_at", "resolved_at",
                               "escalated", "csat"]),
        _frame(conn, events, ["customer_id", "name", "count", "last"]),
        _frame(conn, history, ["customer_id", "conversations", "escalations", "fallbacks",
                               "last_interaction_at"]),
    )  # fmt: skip


def _frame(conn: Connection, query, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(query).all(), columns=columns)


def source_fingerprint(conn: Connection) -> dict[str, object]:
    """What a training run saw: row counts and the newest change of the main tables and of
    the consent decisions (who may be used)."""
    c, o, k, e, s = t.customers, t.orders, t.tickets, t.events, t.consent_state
    row = conn.execute(select(
        select(func.count()).select_from(c).scalar_subquery(),
        select(func.max(c.c.updated_at)).scalar_subquery(),
        select(func.count()).select_from(o).scalar_subquery(),
        select(func.max(o.c.updated_at)).scalar_subquery(),
        select(func.count()).select_from(k).scalar_subquery(),
        select(func.count()).select_from(e).scalar_subquery(),
        select(func.max(e.c.id)).scalar_subquery(),
        select(func.count()).select_from(s).scalar_subquery(),
        select(func.max(s.c.recorded_at)).scalar_subquery(),
    )).one()  # fmt: skip
    names = ("customers", "customers_updated", "orders", "orders_updated", "tickets", "events",
             "last_event_id", "consent_decisions", "consent_updated")  # fmt: skip
    return {name: (str(value) if value is not None else None) if "updated" in name else value
            for name, value in zip(names, row, strict=True)}
