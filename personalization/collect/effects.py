"""What tracked events change in a profile, following Segment's Spec names.

- identify: traits update the customer (name, email, country, plan, ...) and preferences;
  traits we have no column for are kept in `attributes`.
- E-commerce events (Order Completed / Updated / Cancelled / Refunded / Shipped / Delivered)
  upsert orders, their items and products.
- Ticket Created / Escalated / Resolved maintain support tickets.
- Everything else (Product Viewed, Page, feature usage, ...) is a behavioural signal:
  stored as an event and read from there by the models.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from personalization.collect.segment import Invalid, TrackedEvent
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

ORDER_STATUS_BY_EVENT = {
    "Order Completed": "paid",
    "Order Updated": None,  # keeps the status unless the event names one
    "Order Shipped": "dispatched",
    "Order Delivered": "delivered",
    "Order Cancelled": "cancelled",
    "Order Refunded": "refunded",
}
TICKET_EVENTS = ("Ticket Created", "Ticket Escalated", "Ticket Resolved")
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
KNOWN_TRAITS = set(TRAIT_COLUMNS) | set(TRAIT_PREFERENCES) | {
    "firstName", "lastName", "address", "birthday", "createdAt", "id", "userId",
}  # fmt: skip


def check(event: TrackedEvent) -> None:
    """Reject events whose effect cannot be applied (before anything is stored)."""
    if event.type == "track" and event.name in ORDER_STATUS_BY_EVENT:
        _required_text(event, "order_id")
        if event.name in ("Order Completed", "Order Updated"):
            _require_user(event)
            products = event.properties.get("products", [])
            if not isinstance(products, list) or not all(
                isinstance(p, dict) and p.get("product_id") is not None for p in products
            ):
                raise Invalid("properties.products", "must be a list of objects with product_id")
    elif event.type == "track" and event.name in TICKET_EVENTS:
        _required_text(event, "ticket_id")
        _require_user(event)
        csat = event.properties.get("csat")
        if csat is not None and (not isinstance(csat, int) or not 1 <= csat <= 5):
            raise Invalid("properties.csat", "must be a whole number from 1 to 5")
    elif event.type == "identify":
        _require_user(event)
        if "birthday" in event.properties:
            _birth_year(event.properties["birthday"])
        if "createdAt" in event.properties:
            _date(event.properties["createdAt"], "traits.createdAt")


def apply(conn: Connection, event: TrackedEvent) -> None:
    if event.type == "identify":
        _identify(conn, event)
    elif event.type == "track" and event.name in ORDER_STATUS_BY_EVENT:
        _order(conn, event)
    elif event.type == "track" and event.name in TICKET_EVENTS:
        _ticket(conn, event)


def _identify(conn: Connection, event: TrackedEvent) -> None:
    traits = event.properties
    row: dict[str, Any] = {"customer_id": event.user_id}
    for trait, column in TRAIT_COLUMNS.items():
        if isinstance(traits.get(trait), (str, int, float)):
            row[column] = str(traits[trait])
    if "name" not in row and (traits.get("firstName") or traits.get("lastName")):
        row["name"] = " ".join(str(traits[k]) for k in ("firstName", "lastName") if traits.get(k))
    address = traits.get("address") if isinstance(traits.get("address"), dict) else {}
    row.setdefault("country", address.get("country"))
    row.setdefault("region", address.get("state") or address.get("region"))
    if "language" in row:
        row["language"] = row["language"].replace("_", "-").split("-")[0].lower()
    if "birthday" in traits:
        row["birth_year"] = _birth_year(traits["birthday"])
    if "createdAt" in traits:
        row["signup_date"] = _date(traits["createdAt"], "traits.createdAt")
    upsert_customers(conn, [{k: v for k, v in row.items() if v is not None}])
    extra = {k: v for k, v in traits.items() if k not in KNOWN_TRAITS}
    if extra:
        merge_attributes(conn, event.user_id, extra)
    prefs = {col: traits[trait] for trait, col in TRAIT_PREFERENCES.items() if trait in traits}
    if isinstance(prefs.get("product_interests"), str):
        prefs["product_interests"] = [prefs["product_interests"]]
    if prefs:
        set_preferences(conn, event.user_id, **prefs)


def _order(conn: Connection, event: TrackedEvent) -> None:
    props = event.properties
    order_id = str(props["order_id"])
    status = props.get("status") or ORDER_STATUS_BY_EVENT[event.name]
    if event.name not in ("Order Completed", "Order Updated"):
        set_order_status(conn, order_id, status)
        return
    products = props.get("products", [])
    upsert_products(conn, [
        {"product_id": str(p["product_id"]), "name": p.get("name"), "category": p.get("category"),
         "price": p.get("price")}
        for p in products
    ])  # fmt: skip
    order = {
        "order_id": order_id, "customer_id": event.user_id, "status": status or "paid",
        "total": props.get("total", props.get("revenue")), "currency": props.get("currency"),
        "placed_at": event.timestamp,
        "items": [{"product_id": str(p["product_id"]), "quantity": p.get("quantity", 1),
                   "unit_price": p.get("price")} for p in products],
    }  # fmt: skip
    if isinstance(props.get("shipping_address"), dict):
        order["shipping_address"] = props["shipping_address"]
    upsert_orders(conn, [{k: v for k, v in order.items() if v is not None}])


def _ticket(conn: Connection, event: TrackedEvent) -> None:
    props = event.properties
    ticket_id = str(props["ticket_id"])
    if event.name == "Ticket Created":
        row = {"ticket_id": ticket_id, "customer_id": event.user_id, "created_at": event.timestamp,
               "category": props.get("category"), "channel": props.get("channel")}  # fmt: skip
        store_tickets(conn, [{k: v for k, v in row.items() if v is not None}])
        return
    if event.name == "Ticket Escalated":
        changes: dict[str, Any] = {"escalated": True}
    else:
        changes = {"resolved_at": event.timestamp}
        if props.get("csat") is not None:
            changes["csat"] = props["csat"]
    if not update_ticket(conn, ticket_id, **changes):  # created before we were listening
        store_tickets(conn, [{"ticket_id": ticket_id, "customer_id": event.user_id,
                              "created_at": event.timestamp, **changes}])  # fmt: skip


def _required_text(event: TrackedEvent, key: str) -> None:
    value = event.properties.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise Invalid(f"properties.{key}", f"is required for {event.name!r} events")


def _require_user(event: TrackedEvent) -> None:
    if not event.user_id:
        what = f"{event.name!r} events" if event.name else f"{event.type} calls"
        raise Invalid("userId", f"is required for {what}")


def _birth_year(value: Any) -> int:
    return _date(value, "traits.birthday").year


def _date(value: Any, field: str) -> date:
    if not isinstance(value, str):
        raise Invalid(field, "must be an ISO-8601 date string")
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise Invalid(field, f"{value!r} is not an ISO-8601 date") from None
