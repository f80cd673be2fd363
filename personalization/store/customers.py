"""Customers, their preferences and model scores; the full-profile read."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from personalization.store import schema as t
from personalization.store.profile import OrderSummary, Profile, TicketSummary
from personalization.store.sql import (
    UpsertCounts,
    chunks,
    insert_ignoring_duplicates,
    upsert,
    utcnow,
)

CUSTOMER_FIELDS = (
    "name", "email", "country", "region", "language", "birth_year", "age_band",
    "account_tier", "loyalty_status", "signup_date", "churned", "attributes",
)  # fmt: skip
PREFERENCE_FIELDS = ("tone", "language", "product_interests")
SCORE_FIELDS = ("segment", "persona", "churn_risk", "model_version", "computed_at")
RECENT = 5


def upsert_customers(conn: Connection, rows: list[dict]) -> UpsertCounts:
    """Insert or update customers by customer_id; fields a row does not carry stay as they are."""
    now = utcnow()
    prepared = []
    for row in rows:
        unknown = set(row) - set(CUSTOMER_FIELDS) - {"customer_id"}
        if unknown:
            raise ValueError(f"Unknown customer fields: {sorted(unknown)}")
        prepared.append({"created_at": now, "updated_at": now, "attributes": {}, **row})
    return upsert(
        conn, t.customers, prepared, key=["customer_id"],
        compare=[f for f in CUSTOMER_FIELDS], stamp="updated_at",
    )  # fmt: skip


def merge_attributes(conn: Connection, customer_id: str, attributes: dict) -> None:
    """Add or replace some CRM attributes of an existing customer, keeping the others."""
    current = conn.execute(
        select(t.customers.c.attributes).where(t.customers.c.customer_id == customer_id)
    ).scalar_one()
    merged = {**(current or {}), **attributes}
    if merged != current:
        conn.execute(
            t.customers.update()
            .where(t.customers.c.customer_id == customer_id)
            .values(attributes=merged, updated_at=utcnow())
        )


def ensure_customers(conn: Connection, customer_ids: Iterable[str]) -> None:
    """Create empty customer rows for ids seen first in events or orders."""
    wanted = set(customer_ids)
    for part in chunks(sorted(wanted)):
        query = select(t.customers.c.customer_id).where(t.customers.c.customer_id.in_(part))
        wanted -= set(conn.execute(query).scalars())
    now = utcnow()
    rows = [{"customer_id": cid, "attributes": {}, "created_at": now, "updated_at": now}
            for cid in sorted(wanted)]  # fmt: skip
    insert_ignoring_duplicates(conn, t.customers, rows)


def set_preferences(conn: Connection, customer_id: str, **fields) -> None:
    unknown = set(fields) - set(PREFERENCE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown preference fields: {sorted(unknown)}")
    ensure_customers(conn, [customer_id])
    row = {"customer_id": customer_id, "updated_at": utcnow(), "product_interests": [], **fields}
    upsert(conn, t.preferences, [row], key=["customer_id"], compare=list(fields),
           stamp="updated_at")  # fmt: skip


def save_scores(conn: Connection, rows: list[dict]) -> UpsertCounts:
    return upsert(conn, t.scores, rows, key=["customer_id"], compare=SCORE_FIELDS)


def customer_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(t.customers)).scalar()


def customer_exists(conn: Connection, customer_id: str) -> bool:
    query = select(t.customers.c.customer_id).where(t.customers.c.customer_id == customer_id)
    return conn.execute(query).first() is not None


def load_profile(conn: Connection, customer_id: str) -> Profile | None:
    """Everything about one customer, each part read by its customer_id index."""
    c, p, s, h = t.customers, t.preferences, t.scores, t.interaction_history
    o, k = t.orders, t.tickets
    mine = o.c.customer_id == c.c.customer_id
    order_count = select(func.count()).where(mine).scalar_subquery()
    lifetime_value = select(func.sum(o.c.total)).where(mine).scalar_subquery()
    open_tickets = (select(func.count())
                    .where(k.c.customer_id == c.c.customer_id, k.c.resolved_at.is_(None))
                    .scalar_subquery())  # fmt: skip
    row = conn.execute(
        select(c, p.c.tone, p.c.language.label("preferred_language"), p.c.product_interests,
               s.c.segment, s.c.persona, s.c.churn_risk, s.c.model_version,
               s.c.computed_at.label("scored_at"), h.c.last_interaction_at, h.c.conversations,
               h.c.requests_by_intent, h.c.escalations, h.c.fallbacks,
               order_count.label("order_count"), lifetime_value.label("lifetime_value"),
               open_tickets.label("open_tickets"))
        .select_from(c.outerjoin(p).outerjoin(s).outerjoin(h))
        .where(c.c.customer_id == customer_id)
    ).mappings().first()  # fmt: skip
    if row is None:
        return None
    fields = {k: v for k, v in row.items() if k not in ("created_at", "updated_at", "churned")}
    fields["product_interests"] = tuple(fields["product_interests"] or ())
    fields["requests_by_intent"] = fields["requests_by_intent"] or {}
    fields["attributes"] = fields["attributes"] or {}
    for counter in ("conversations", "escalations", "fallbacks"):
        fields[counter] = fields[counter] or 0
    fields["lifetime_value"] = float(fields["lifetime_value"] or 0)
    return Profile(
        **fields,
        recent_orders=_recent_orders(conn, customer_id),
        recent_tickets=_recent_tickets(conn, customer_id),
        consent={r.purpose: r.granted for r in conn.execute(
            select(t.consent_state).where(t.consent_state.c.customer_id == customer_id))},
    )  # fmt: skip


def _recent_orders(conn: Connection, customer_id: str) -> tuple[OrderSummary, ...]:
    o = t.orders
    orders = conn.execute(
        select(o.c.order_id, o.c.status, o.c.total, o.c.currency, o.c.placed_at)
        .where(o.c.customer_id == customer_id)
        .order_by(o.c.placed_at.desc())
        .limit(RECENT)
    ).all()
    items: dict[str, list[tuple[str, int]]] = {r.order_id: [] for r in orders}
    if orders:
        i = t.order_items
        for r in conn.execute(select(i).where(i.c.order_id.in_(list(items)))):
            items[r.order_id].append((r.product_id, r.quantity))
    return tuple(
        OrderSummary(r.order_id, r.status, float(r.total) if r.total is not None else None,
                     r.currency, r.placed_at, tuple(sorted(items[r.order_id])))
        for r in orders
    )  # fmt: skip


def _recent_tickets(conn: Connection, customer_id: str) -> tuple[TicketSummary, ...]:
    k = t.tickets
    rows = conn.execute(
        select(k.c.ticket_id, k.c.category, k.c.created_at, k.c.resolved_at, k.c.escalated,
               k.c.csat)
        .where(k.c.customer_id == customer_id)
        .order_by(k.c.created_at.desc())
        .limit(RECENT)
    ).all()  # fmt: skip
    return tuple(TicketSummary(*r) for r in rows)
