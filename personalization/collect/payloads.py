"""The payloads that change records, declared with pydantic: order and ticket properties,
identify traits and consent preferences (Segment's Spec names). Each field has its type,
length and range; an error names its place, e.g. `properties.products[0].quantity`.

The envelope of every call (ids, names, timestamps) is checked in segment.py by hand: it
runs for every event, and pydantic 1.10 costs about 2 µs a field (measured: 26 µs for a
track call's envelope, 5 µs by hand), a third more than an event costs end to end today.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    Extra,
    StrictBool,
    ValidationError,
    conint,
    conlist,
    constr,
    validator,
)

from personalization.collect.fields import (
    MAX_PRODUCTS,
    MAX_QUANTITY,
    NOT_BLANK,
    BirthDate,
    Currency,
    JsonObject,
    Language,
    Money,
    PreferredLanguage,
    RecordId,
    SignupDate,
    Status,
    text,
)
from personalization.collect.jsonvalues import Invalid, json_type, member

ORDER_STATUS_BY_EVENT = {
    "Order Completed": "paid",
    "Order Updated": None,  # keeps the status unless the event names one
    "Order Shipped": "dispatched",
    "Order Delivered": "delivered",
    "Order Cancelled": "cancelled",
    "Order Refunded": "refunded",
}
ORDER_UPSERTS = ("Order Completed", "Order Updated")
TICKET_EVENTS = ("Ticket Created", "Ticket Escalated", "Ticket Resolved")
EFFECT_EVENTS = (*ORDER_STATUS_BY_EVENT, *TICKET_EVENTS)
class _Payload(BaseModel):
    class Config:
        extra = Extra.ignore  # other keys stay in the stored event, checked as free-form
        allow_mutation = False


class Product(_Payload):
    product_id: RecordId
    name: text(200) | None = None
    category: text(64) | None = None
    price: Money | None = None
    quantity: conint(strict=True, ge=1, le=MAX_QUANTITY) = 1


class OrderProperties(_Payload):
    """Order Completed and Order Updated: the order and its products."""

    order_id: RecordId
    products: conlist(Product, max_items=MAX_PRODUCTS) = []
    total: Money | None = None
    revenue: Money | None = None
    currency: Currency | None = None
    status: Status | None = None
    shipping_address: JsonObject | None = None


class OrderStatusProperties(_Payload):
    """Order Shipped, Delivered, Cancelled and Refunded: a known order's new status."""

    order_id: RecordId
    status: Status | None = None


class TicketProperties(_Payload):
    ticket_id: RecordId
    category: text(64) | None = None
    channel: text(32) | None = None
    csat: conint(strict=True, ge=1, le=5) | None = None


class Address(_Payload):
    country: text(64) | None = None
    state: text(64) | None = None
    region: text(64) | None = None


class Traits(_Payload):
    """identify traits with a column or a preference; any other trait is kept in the
    customer's `attributes`."""

    name: text(200) | None = None
    firstName: text(99) | None = None  # with lastName, within the name column
    lastName: text(99) | None = None
    email: text(320) | None = None
    country: text(64) | None = None
    region: text(64) | None = None
    address: Address | None = None
    language: Language | None = None
    preferred_language: PreferredLanguage | None = None
    plan: text(32) | None = None
    account_tier: text(32) | None = None
    loyalty_status: text(32) | None = None
    loyaltyStatus: text(32) | None = None
    age_band: text(16) | None = None
    birthday: BirthDate | None = None
    createdAt: SignupDate | None = None
    tone: text(16) | None = None
    interests: list[text(64)] | None = None

    @validator("interests", pre=True)
    def one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Consent(_Payload):
    """Segment's Consent Management: `context.consent.categoryPreferences`."""

    categoryPreferences: dict[constr(strict=True, min_length=1, max_length=32), StrictBool] = {}

    class Config:
        @staticmethod
        def schema_extra(schema: dict, _model: type) -> None:
            schema["properties"]["categoryPreferences"]["propertyNames"] = {
                "minLength": 1, "maxLength": 32, "pattern": NOT_BLANK}

    @validator("categoryPreferences")
    def one_answer_per_purpose(cls, prefs: dict) -> dict:
        purposes = [key.strip().lower() for key in prefs]
        if "" in purposes or len(set(purposes)) < len(purposes):
            raise ValueError("names each purpose once (names are case-insensitive), not blank")
        return prefs


def model_for(kind: str, name: str | None) -> type[_Payload] | None:
    if kind == "identify":
        return Traits
    if name in ORDER_UPSERTS:
        return OrderProperties
    if name in ORDER_STATUS_BY_EVENT:
        return OrderStatusProperties
    if name in TICKET_EVENTS:
        return TicketProperties
    return None


def parse(model: type[_Payload], data: dict, field: str) -> Any:
    try:
        return model.parse_obj(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise Invalid(field + _place(first["loc"]), _problem(first)) from None


def consent_decisions(consent: Any, field: str) -> tuple[tuple[str, bool], ...]:
    """(purpose, granted) for each purpose the event's consent preferences answer."""
    if consent is None:
        return ()
    if type(consent) is not dict:
        raise Invalid(field, f"must be a JSON object, not {json_type(consent)}")
    prefs = parse(Consent, consent, field).categoryPreferences
    return tuple((key.strip().lower(), granted) for key, granted in prefs.items())


def _place(loc: tuple) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else member(p) for p in loc
             if p not in ("__root__", "__key__")]  # fmt: skip
    return "".join(parts)


def _problem(error: dict) -> str:
    message = error["msg"]
    if error["type"] == "value_error.missing":
        return "is required"
    if error["type"] == "type_error.none.not_allowed":
        return "must not be null"
    return message
