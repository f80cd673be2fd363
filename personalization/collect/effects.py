"""What tracked events change in a profile, following Segment's Spec names.

- identify: traits update the customer (name, email, country, plan, ...) and preferences;
  traits we have no column for are kept in `attributes`.
- E-commerce events (Order Completed / Updated / Cancelled / Refunded / Shipped / Delivered)
  upsert orders, their items and products.
- Ticket Created / Escalated / Resolved maintain support tickets.
- Everything else (Product Viewed, Page, feature usage, ...) is a behavioural signal:
  stored as an event and read from there by the models.

An event changes only records of the customer it names: an order or a ticket that belongs
to another customer (or to nobody, anonymized after an erasure) is left alone and the
event dropped (`foreign_records`). The payloads were validated in payloads.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from personalization.collect.payloads import (
    ORDER_STATUS_BY_EVENT,
    ORDER_UPSERTS,
    TICKET_EVENTS,
    OrderProperties,
    TicketProperties,
    Traits,
)
from personalization.collect.segment import TrackedEvent
from personalization.store import schema as t
from personalization.store.commerce import (
    set_order_status,
    update_ticket,
    upsert_orders,
    upsert_products,
)
from personalization.store.commerce import upsert_tickets as store_tickets
from personalization.store.customers import (
    merge_attributes,
    set_preferences,
    upsert_customers,
)
from personalization.store.sql import chunks

# identify traits -> customer columns
TRAIT_COLUMNS = {
    "name": "name", "email": "email", "country": "country", "region": "region",
    "language": "language", "plan": "account_tier", "account_tier": "account_tier",
    "loyalty_status": "loyalty_status", "loyaltyStatus": "loyalty_status",
    "age_band": "age_band",
}  # fmt: skip
TRAIT_PREFERENCES = {
    "tone": "tone", "preferred_language": "language", "interests": "product_interests",
}  # fmt: skip
KNOWN_TRAITS = set(Traits.__fields__) | {"id", "userId"}


def apply(conn: Connection, event: TrackedEvent) -> None:
    if event.type == "identify":
        _identify(conn, event, event.payload)
    elif event.name in ORDER_STATUS_BY_EVENT:
        _order(conn, event, event.payload)
    elif event.name in TICKET_EVENTS:
        _ticket(conn, event, event.payload)


def foreign_records(conn: Connection, events: list[TrackedEvent]) -> list[str | None]:
    """For each event (in the order they will be applied): why it may not be applied,
    because the order or ticket it changes belongs to someone else, or None."""
    records = [_record(e) for e in events]
    if not any(records):
        return [None] * len(events)
    owners = {**_owners(conn, t.orders, {r[1] for r in records if r and r[0] == "order"}),
              **_owners(conn, t.tickets, {r[1] for r in records if r and r[0] == "ticket"})}
    reasons: list[str | None] = []
    for event, record in zip(events, records, strict=True):
        if record is not None and record in owners and owners[record] != event.user_id:
            reasons.append(f"{record[0]} {record[1]} belongs to another customer: not changed")
            continue
        if record is not None and record not in owners and (
                record[0] == "ticket" or event.name in ORDER_UPSERTS):
            owners[record] = event.user_id  # this event creates it
        reasons.append(None)
    return reasons


def _record(event: TrackedEvent) -> tuple[str, str] | None:
    """("order", id) or ("ticket", id) of the record the event changes."""
    if event.type != "track":
        return None
    if event.name in ORDER_STATUS_BY_EVENT:
        return ("order", event.payload.order_id)
    if event.name in TICKET_EVENTS:
        return ("ticket", event.payload.ticket_id)
    return None


def _owners(conn: Connection, table, ids: set[str]) -> dict[tuple[str, str], str | None]:
    kind = table.name[:-1]  # orders -> order
    key = table.c[f"{kind}_id"]
    found: dict[tuple[str, str], str | None] = {}
    for part in chunks(sorted(ids)):
        query = select(key, table.c.customer_id).where(key.in_(list(part)))
        for record_id, owner in conn.execute(query):
            found[(kind, record_id)] = owner
    return found


def _identify(conn: Connection, event: TrackedEvent, traits: Traits) -> None:
    given = traits.dict(exclude_none=True)
    row: dict[str, Any] = {"customer_id": event.user_id}
    for trait, column in TRAIT_COLUMNS.items():
        if trait in given:
            row[column] = given[trait]
    if "name" not in row and (traits.firstName or traits.lastName):
        row["name"] = " ".join(n for n in (traits.firstName, traits.lastName) if n)
    if traits.address is not None:
        row.setdefault("country", traits.address.country)
        row.setdefault("region", traits.address.state or traits.address.region)
    if "language" in row:
        row["language"] = row["language"].replace("_", "-").split("-")[0].lower()
    if traits.birthday is not None:
        row["birth_year"] = traits.birthday.year
    if traits.createdAt is not None:
        row["signup_date"] = traits.createdAt
    upsert_customers(conn, [{k: v for k, v in row.items() if v is not None}])
    extra = {k: v for k, v in event.properties.items() if k not in KNOWN_TRAITS}
    if extra:
        merge_attributes(conn, event.user_id, extra)
    prefs = {col: given[trait] for trait, col in TRAIT_PREFERENCES.items() if trait in given}
    if prefs:
        set_preferences(conn, event.user_id, **prefs)


def _order(conn: Connection, event: TrackedEvent, props) -> None:
    status = props.status or ORDER_STATUS_BY_EVENT[event.name]
    if not isinstance(props, OrderProperties):
        set_order_status(conn, props.order_id, status)
        return
    upsert_products(conn, [{"product_id": p.product_id, "name": p.name, "category": p.category,
                            "price": p.price} for p in props.products])  # fmt: skip
    order = {
        "order_id": props.order_id, "customer_id": event.user_id, "status": status or "paid",
        "total": props.total if props.total is not None else props.revenue,
        "currency": props.currency, "placed_at": event.timestamp,
        "shipping_address": props.shipping_address,
        "items": [{"product_id": p.product_id, "quantity": p.quantity, "unit_price": p.price}
                  for p in props.products],
    }  # fmt: skip
    upsert_orders(conn, [{k: v for k, v in order.items() if v is not None}])


def _ticket(conn: Connection, event: TrackedEvent, props: TicketProperties) -> None:
    if event.name == "Ticket Created":
        row = {"ticket_id": props.ticket_id, "customer_id": event.user_id,
               "created_at": event.timestamp, "category": props.category,
               "channel": props.channel}  # fmt: skip
        store_tickets(conn, [{k: v for k, v in row.items() if v is not None}])
        return
    if event.name == "Ticket Escalated":
        changes: dict[str, Any] = {"escalated": True}
    else:
        changes = {"resolved_at": event.timestamp}
        if props.csat is not None:
            changes["csat"] = props.csat
    if not update_ticket(conn, props.ticket_id, **changes):  # created before we were listening
        store_tickets(conn, [{"ticket_id": props.ticket_id, "customer_id": event.user_id,
                              "created_at": event.timestamp, **changes}])  # fmt: skip
