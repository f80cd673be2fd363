"""Segment HTTP Tracking API messages: validated into TrackedEvent, or rejected with a reason.

Follows the Segment Spec (https://segment.com/docs/connections/spec/): `identify`, `track`
and `page` calls with `userId` / `anonymousId`, `traits`, `properties`, `context`,
`timestamp` and `messageId`; `batch` carries a list of such calls, each with its `type`.

The envelope is checked here by hand, for speed (payloads.py says why); the payloads that
change records (orders, tickets, traits, consent) by the pydantic models of payloads.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from personalization.collect import payloads
from personalization.collect.fields import MAX_ID_LENGTH
from personalization.collect.jsonvalues import (
    Invalid,
    check_object,
    json_type,
    parse_body,
    unusable_text,
)

__all__ = ["CALL_TYPES", "Invalid", "TrackedEvent", "parse_body", "parse_message"]

CALL_TYPES = ("identify", "track", "page")
MAX_MESSAGE_BYTES = 32 * 1024  # Segment's limit for one call
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_EVENTS = 100
# an anonymous visitor's consent is kept under "anonymous:<id>", in the 64 characters of an id
MAX_ANONYMOUS_ID_LENGTH = MAX_ID_LENGTH - len("anonymous:")
MAX_MESSAGE_ID_LENGTH = 128
MAX_NAME_LENGTH = 128  # event and page names
MAX_CLOCK_AHEAD = timedelta(minutes=5)  # how far a client's clock may run ahead of ours
EARLIEST = datetime(1970, 1, 1)


@dataclass(slots=True)  # not frozen, which costs a microsecond an event: nothing changes one
class TrackedEvent:
    type: str
    message_id: str
    user_id: str | None
    anonymous_id: str | None
    name: str | None  # the track event or page name
    properties: dict[str, Any]  # traits for identify
    context: dict[str, Any]
    timestamp: datetime
    payload: Any = None  # the validated model of payloads.py, for calls that change records
    consent: tuple[tuple[str, bool], ...] = ()  # (purpose, granted) the event carries


def parse_message(message: Any, call_type: str | None = None, path: str = "",
                  now: datetime | None = None) -> TrackedEvent:  # fmt: skip
    """Validate one call. `call_type` comes from the endpoint; in a batch, from `type`.
    `now`: when the request arrived (naive UTC), for the timestamp's checks."""
    if type(message) is not dict:
        what = json_type(message)
        raise Invalid(path.rstrip(".") or "body", f"must be a JSON object, not {what}")
    kind = call_type or message.get("type")
    if kind not in CALL_TYPES:
        raise Invalid(f"{path}type", f"must be one of {', '.join(CALL_TYPES)}, not {kind!r:.40}")
    if call_type and message.get("type") not in (None, call_type):
        raise Invalid(f"{path}type", f"is {message['type']!r:.40} on the /v1/{call_type} endpoint")

    user_id = _optional_id(message, "userId", path, MAX_ID_LENGTH)
    anonymous_id = _optional_id(message, "anonymousId", path, MAX_ANONYMOUS_ID_LENGTH)
    if user_id is None and anonymous_id is None:
        raise Invalid(f"{path}userId", "either userId or anonymousId is required")

    message_id = message.get("messageId")
    if message_id is None:
        message_id = str(uuid.uuid4())  # no id, so no protection against repeats
    else:
        message_id = _text(message_id, f"{path}messageId", MAX_MESSAGE_ID_LENGTH)

    payload_key = "traits" if kind == "identify" else "properties"
    payload = check_object(message.get(payload_key), f"{path}{payload_key}")
    context = check_object(message.get("context"), f"{path}context")

    name = None
    if kind == "track":
        if message.get("event") is None:
            raise Invalid(f"{path}event", "a track call needs the event name as a string")
        name = _text(message["event"], f"{path}event", MAX_NAME_LENGTH)
    elif kind == "page" and message.get("name") is not None:
        name = _text(message["name"], f"{path}name", MAX_NAME_LENGTH)

    now = now or _utc_naive(datetime.now(timezone.utc))
    timestamp = now if "timestamp" not in message else parse_timestamp(
        message["timestamp"], path, now)  # fmt: skip

    model, effect = payloads.model_for(kind, name), None
    if model is not None:
        if user_id is None:
            what = f"{name!r} events" if name else f"{kind} calls"
            raise Invalid(f"{path}userId", f"is required for {what}")
        effect = payloads.parse(model, payload, f"{path}{payload_key}")
    consent = payloads.consent_decisions(context.get("consent"), f"{path}context.consent")
    return TrackedEvent(kind, message_id, user_id, anonymous_id, name, payload, context,
                        timestamp, effect, consent)  # fmt: skip


def parse_timestamp(value: Any, path: str = "", now: datetime | None = None) -> datetime:
    """An ISO-8601 time as naive UTC, from 1970 up to a few minutes ahead of `now`."""
    field = f"{path}timestamp"
    if type(value) is not str:
        raise Invalid(field, f"must be an ISO-8601 string, not {json_type(value)}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text) if len(text) <= 40 else None
        if parsed is None:
            raise ValueError
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        moment = _utc_naive(parsed)
    except (ValueError, OverflowError):  # OverflowError: an offset past year 1 or 9999
        raise Invalid(field, f"{value[:50]!r} is not an ISO-8601 date and time, such as "
                      "2026-11-27T10:15:00Z") from None  # fmt: skip
    latest = (now or _utc_naive(datetime.now(timezone.utc))) + MAX_CLOCK_AHEAD
    if moment > latest:
        raise Invalid(field, f"{value[:50]!r} is more than {MAX_CLOCK_AHEAD.seconds // 60} "
                      "minutes ahead of the server's clock: check the sender's clock")
    if moment < EARLIEST:
        raise Invalid(field, f"{value[:50]!r} is before 1970")
    return moment


def _optional_id(message: dict, key: str, path: str, limit: int) -> str | None:
    value = message.get(key)
    if value is None:
        return None
    if type(value) is int and value >= 0:
        value = str(value)
    value = _text(value, f"{path}{key}", limit, strip=True)
    return value or None


def _text(value: Any, field: str, limit: int, strip: bool = False) -> str:
    if type(value) is not str:
        raise Invalid(field, f"must be a string, not {json_type(value)}")
    if strip:
        value = value.strip()
    elif not value or value.isspace():
        raise Invalid(field, "must not be empty")
    if len(value) > limit:
        raise Invalid(field, f"is longer than {limit} characters")
    if problem := unusable_text(value):
        raise Invalid(field, problem)
    return value


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
