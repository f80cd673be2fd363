"""Segment HTTP Tracking API messages: validated into TrackedEvent, or rejected with a reason.

Follows the Segment Spec (https://segment.com/docs/connections/spec/): `identify`, `track`
and `page` calls with `userId` / `anonymousId`, `traits`, `properties`, `context`,
`timestamp` and `messageId`; `batch` carries a list of such calls, each with its `type`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

CALL_TYPES = ("identify", "track", "page")
MAX_MESSAGE_BYTES = 32 * 1024  # Segment's limit for one call
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_EVENTS = 100
MAX_ID_LENGTH = 64


class Invalid(ValueError):
    """A message that cannot be used; `field` names the part that is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "problem": self.problem}


@dataclass(frozen=True)
class TrackedEvent:
    type: str
    message_id: str
    user_id: str | None
    anonymous_id: str | None
    name: str | None  # the track event or page name
    properties: dict[str, Any]  # traits for identify
    context: dict[str, Any]
    timestamp: datetime


def parse_body(raw: bytes, limit: int) -> dict[str, Any]:
    if len(raw) > limit:
        raise Invalid("body", f"is {len(raw)} bytes; the limit is {limit} bytes")
    try:
        body = json.loads(raw or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Invalid("body", f"is not valid JSON ({error})") from None
    if not isinstance(body, dict):
        raise Invalid("body", f"must be a JSON object, not {_json_type(body)}")
    return body


def parse_message(message: Any, call_type: str | None = None, path: str = "") -> TrackedEvent:
    """Validate one call. `call_type` comes from the endpoint; in a batch, from `type`."""
    if not isinstance(message, dict):
        raise Invalid(path or "body", f"must be a JSON object, not {_json_type(message)}")
    kind = call_type or message.get("type")
    if kind not in CALL_TYPES:
        raise Invalid(f"{path}type", f"must be one of {', '.join(CALL_TYPES)}, not {kind!r}")
    if call_type and message.get("type") not in (None, call_type):
        raise Invalid(f"{path}type", f"is {message['type']!r} on the /v1/{call_type} endpoint")

    user_id = _optional_id(message, "userId", path)
    anonymous_id = _optional_id(message, "anonymousId", path)
    if user_id is None and anonymous_id is None:
        raise Invalid(f"{path}userId", "either userId or anonymousId is required")

    message_id = message.get("messageId")
    if message_id is None:
        message_id = str(uuid.uuid4())  # no id, so no protection against repeats
    elif not isinstance(message_id, str) or not message_id.strip() or len(message_id) > 128:
        raise Invalid(f"{path}messageId", "must be a non-empty string of at most 128 characters")

    payload_key = "traits" if kind == "identify" else "properties"
    payload = _optional_object(message, payload_key, path)
    context = _optional_object(message, "context", path)

    name = None
    if kind == "track":
        name = message.get("event")
        if not isinstance(name, str) or not name.strip():
            raise Invalid(f"{path}event", "a track call needs the event name as a string")
    elif kind == "page":
        name = message.get("name")
        if name is not None and not isinstance(name, str):
            raise Invalid(f"{path}name", f"must be a string, not {_json_type(name)}")

    if "timestamp" in message:
        timestamp = parse_timestamp(message["timestamp"], path)
    else:
        timestamp = _utc_naive(datetime.now(timezone.utc))
    return TrackedEvent(kind, message_id, user_id, anonymous_id, name, payload, context, timestamp)


def parse_timestamp(value: Any, path: str = "") -> datetime:
    if not isinstance(value, str):
        raise Invalid(f"{path}timestamp", f"must be an ISO-8601 string, not {_json_type(value)}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{path}timestamp", f"{value!r} is not an ISO-8601 date and time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return _utc_naive(parsed)


def _optional_id(message: dict, key: str, path: str) -> str | None:
    value = message.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Invalid(f"{path}{key}", f"must be a string, not {_json_type(value)}")
    value = str(value).strip()
    if not value:
        return None
    if len(value) > MAX_ID_LENGTH:
        raise Invalid(f"{path}{key}", f"is longer than {MAX_ID_LENGTH} characters")
    return value


def _optional_object(message: dict, key: str, path: str) -> dict[str, Any]:
    value = message.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(f"{path}{key}", f"must be a JSON object, not {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
