"""Products, orders with their items, and support tickets."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from personalization.store import schema as t
from personalization.store.customers import ensure_customers
from personalization.store.profile import OrderSummary
from personalization.store.sql import UpsertCounts, upsert, utcnow

ORDER_FIELDS = ("customer_id", "status", "total", "currency", "placed_at", "shipping_address")
TICKET_FIELDS = (
    "customer_id", "category", "channel", "created_at", "resolved_at", "escalated", "csat",
    "route", "reason",
)  # fmt: skip
ORDER_STATUSES = ("placed", "paid", "dispatched", "delivered", "cancelled", "returned", "refunded")


def upsert_products(conn: Connection, rows: list[dict]) -> UpsertCounts:
    return upsert(conn, t.products, rows, key=["product_id"], compare=["name", "category", "price"])


def upsert_orders(conn: Connection, orders: list[dict]) -> UpsertCounts:
    """Orders keyed by order_id; an order that carries `items` has its items replaced."""
    ensure_customers(conn, (o["customer_id"] for o in orders))
    now = utcnow()
    rows = [{"updated_at": now, **{k: v for k, v in o.items() if k != "items"}} for o in orders]
    counts = upsert(conn, t.orders, rows, key=["order_id"],
                    compare=[f for f in ORDER_FIELDS], stamp="updated_at")  # fmt: skip
    with_items = {o["order_id"]: o["items"] for o in orders if o.get("items") is not None}
    for order_id, items in with_items.items():
        conn.execute(delete(t.order_items).where(t.order_items.c.order_id == order_id))
        merged: dict[str, dict] = {}
        for item in items:  # the same product twice in one order: add the quantities
            entry = merged.setdefault(
                item["product_id"],
                {"order_id": order_id, "product_id": item["product_id"], "quantity": 0,
                 "unit_price": item.get("unit_price")},
            )  # fmt: skip
            entry["quantity"] += int(item.get("quantity") or 1)
        if merged:
            conn.execute(t.order_items.insert(), list(merged.values()))
    return counts


def set_order_status(conn: Connection, order_id: str, status: str) -> bool:
    """Change an order's status; False when the order is unknown."""
    result = conn.execute(
        t.orders.update()
        .where(t.orders.c.order_id == order_id)
        .values(status=status, updated_at=utcnow())
    )
    return result.rowcount > 0


def upsert_tickets(conn: Connection, rows: list[dict]) -> UpsertCounts:
    ensure_customers(conn, (r["customer_id"] for r in rows))
    return upsert(conn, t.tickets, rows, key=["ticket_id"], compare=[f for f in TICKET_FIELDS])


def update_ticket(conn: Connection, ticket_id: str, **changes) -> bool:
    """Change some fields of a ticket; False when the ticket is unknown."""
    unknown = set(changes) - set(TICKET_FIELDS)
    if unknown:
        raise ValueError(f"Unknown ticket fields: {sorted(unknown)}")
    result = conn.execute(
        t.tickets.update().where(t.tickets.c.ticket_id == ticket_id).values(**changes)
    )
    return result.rowcount > 0


def open_ticket(conn: Connection, customer_id: str, category: str | None, route: str,
                reason: str, channel: str = "chat") -> str:  # fmt: skip
    """A ticket for a hand-off from the assistant; returns its id."""
    ticket_id = f"H{uuid.uuid4().hex[:15].upper()}"
    conn.execute(t.tickets.insert().values(
        ticket_id=ticket_id, customer_id=customer_id, category=category, channel=channel,
        created_at=utcnow(), escalated=route == "escalation", route=route, reason=reason[:500],
    ))  # fmt: skip
    return ticket_id


def customer_order(conn: Connection, customer_id: str, order_id: str) -> OrderSummary | None:
    """The order if it belongs to this customer; None for someone else's or a missing one."""
    o, i = t.orders, t.order_items
    row = conn.execute(
        select(o.c.order_id, o.c.status, o.c.total, o.c.currency, o.c.placed_at)
        .where(o.c.order_id == order_id, o.c.customer_id == customer_id)
    ).first()
    if row is None:
        return None
    items = conn.execute(select(i.c.product_id, i.c.quantity).where(i.c.order_id == order_id))
    return OrderSummary(row.order_id, row.status, row.total, row.currency, row.placed_at,
                        tuple(sorted((r.product_id, r.quantity) for r in items)))  # fmt: skip


def product_names(conn: Connection, product_ids: list[str]) -> dict[str, str]:
    p = t.products
    rows = conn.execute(select(p.c.product_id, p.c.name).where(p.c.product_id.in_(product_ids)))
    return {r.product_id: r.name or r.product_id for r in rows}
