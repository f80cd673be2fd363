"""One customer as a data subject: everything the profile store holds about them, and its
erasure.

What belongs to a customer: their customers row and the rows keyed by their id
(preferences, scores, interaction history, tickets, consent records and state, the links of
their conversations, orders and order items), their tracked events, and the anonymous
events of the browsers they were identified on (events with no customer id and one of their
anonymous ids).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, and_, case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from personalization.store import schema as t
from personalization.store.customer_locks import lock_for_erasure
from personalization.store.sql import insert_ignoring_duplicates, utcnow
from personalization.store.tracking import suppress

# rows keyed by the customer id, deleted with the customer (orders are anonymized instead)
OWNED = (t.preferences, t.scores, t.interaction_history, t.tickets, t.consent_records,
         t.consent_state, t.conversation_links)  # fmt: skip


def plain(value: Any) -> Any:
    """A stored value as JSON can hold it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _rows(conn: Connection, table: Table, where: ColumnElement, order=None) -> list[dict]:
    query = select(table).where(where)
    if order is not None:
        query = query.order_by(order)
    return [{k: plain(v) for k, v in row._mapping.items()} for row in conn.execute(query)]


def _one(conn: Connection, table: Table, customer_id: str) -> dict | None:
    found = _rows(conn, table, table.c.customer_id == customer_id)
    return found[0] if found else None


def _events_of(conn: Connection, customer_id: str) -> ColumnElement:
    e = t.events
    anonymous = sorted(set(conn.execute(
        select(e.c.anonymous_id).where(e.c.customer_id == customer_id,
                                       e.c.anonymous_id.isnot(None))).scalars()))  # fmt: skip
    mine = e.c.customer_id == customer_id
    if not anonymous:
        return mine
    return or_(mine, and_(e.c.customer_id.is_(None), e.c.anonymous_id.in_(anonymous)))


def customer_data(conn: Connection, customer_id: str) -> dict[str, Any] | None:
    """Everything the profile store holds about the customer; None if nothing at all."""
    o, i = t.orders, t.order_items
    orders = _rows(conn, o, o.c.customer_id == customer_id, o.c.placed_at)
    items: dict[str, list] = {order["order_id"]: [] for order in orders}
    if items:
        for item in _rows(conn, i, i.c.order_id.in_(list(items)), i.c.product_id):
            items[item.pop("order_id")].append(item)
    data = {
        "profile": _one(conn, t.customers, customer_id),
        "preferences": _one(conn, t.preferences, customer_id),
        "scores": _one(conn, t.scores, customer_id),
        "interaction_history": _one(conn, t.interaction_history, customer_id),
        "orders": [{**order, "items": items[order["order_id"]]} for order in orders],
        "tickets": _rows(conn, t.tickets, t.tickets.c.customer_id == customer_id,
                         t.tickets.c.created_at),
        "events": _rows(conn, t.events, _events_of(conn, customer_id), t.events.c.id),
        "conversation_links": _rows(conn, t.conversation_links,
                                    t.conversation_links.c.customer_id == customer_id,
                                    t.conversation_links.c.sender_id),
        "consent": {
            "current": _rows(conn, t.consent_state, t.consent_state.c.customer_id == customer_id,
                             t.consent_state.c.purpose),
            "history": _rows(conn, t.consent_records,
                             t.consent_records.c.customer_id == customer_id,
                             t.consent_records.c.id),
        },
    }  # fmt: skip
    held = any(data[k] for k in ("profile", "preferences", "scores", "interaction_history",
                                 "orders", "tickets", "events"))  # fmt: skip
    return data if held or data["consent"]["history"] or data["consent"]["current"] else None


def erase_customer(conn: Connection, customer_id: str, id_hash: str) -> dict[str, int]:
    """Delete the customer from the profile store and put their id on the suppression list,
    in the caller's transaction. Orders stay, anonymized (no customer, no shipping address),
    for the accounts. Returns the rows changed per table.

    First it waits for the writers of the customer's data that are running to commit (on
    PostgreSQL; customer_locks): what they wrote is erased too, and the writers after it
    find the suppression entry."""
    lock_for_erasure(conn, customer_id)
    suppress(conn, [id_hash])
    counts = {"orders_anonymized": conn.execute(
        t.orders.update().where(t.orders.c.customer_id == customer_id)
        .values(customer_id=None, shipping_address=None)).rowcount}  # fmt: skip
    counts["events"] = conn.execute(t.events.delete().where(_events_of(conn, customer_id))
                                    ).rowcount  # fmt: skip
    for table in (*OWNED, t.customers):
        counts[table.name] = conn.execute(
            table.delete().where(table.c.customer_id == customer_id)).rowcount
    return counts


def add_pending_sweep(conn: Connection, sender_id: str) -> None:
    insert_ignoring_duplicates(conn, t.pending_sweeps,
                               [{"sender_id": sender_id, "requested_at": utcnow()}])


def pending_sweeps(conn: Connection) -> list[tuple[str, datetime]]:
    p = t.pending_sweeps
    return [tuple(r) for r in conn.execute(select(p.c.sender_id, p.c.requested_at)
                                           .order_by(p.c.requested_at))]  # fmt: skip


def remove_pending_sweep(conn: Connection, sender_id: str) -> None:
    conn.execute(t.pending_sweeps.delete().where(t.pending_sweeps.c.sender_id == sender_id))


def pending_sweep_status(conn: Connection, overdue_before: datetime
                         ) -> tuple[int, datetime | None, int]:  # fmt: skip
    """(conversations waiting to be swept, when the oldest was asked for, how many were
    asked for before `overdue_before`)."""
    p = t.pending_sweeps
    waiting, oldest, overdue = conn.execute(select(
        func.count(), func.min(p.c.requested_at),
        func.coalesce(func.sum(case((p.c.requested_at < overdue_before, 1), else_=0)), 0),
    )).one()  # fmt: skip
    return int(waiting), oldest, int(overdue)
