"""From a request's body to the events it carries, and what was wrong with the others."""

from __future__ import annotations

from datetime import datetime

from personalization.collect.keys import check_browser_call
from personalization.collect.segment import (
    MAX_BATCH_EVENTS,
    Invalid,
    TrackedEvent,
    parse_message,
)


def parse_request(call: str, body: dict, browser: bool,
                  now: datetime) -> tuple[list[TrackedEvent], list[dict]]:  # fmt: skip
    """The usable events, and a rejection (index, field, problem, status) for each other
    call of a batch. A single call that cannot be used raises Invalid."""
    if call != "batch":
        if browser:
            check_browser_call(body, call)
        return [parse_message(body, call, now=now)], []
    items = body.get("batch")
    if not isinstance(items, list):
        raise Invalid("batch", "must be an array of calls")
    if not items:
        raise Invalid("batch", "is empty")
    if len(items) > MAX_BATCH_EVENTS:
        raise Invalid("batch", f"has {len(items)} events; the limit is {MAX_BATCH_EVENTS}", 413)
    shared = body.get("context") if isinstance(body.get("context"), dict) else {}
    events, rejected = [], []
    for index, item in enumerate(items):
        path = f"batch[{index}]."
        try:
            own = item.get("context") if isinstance(item, dict) else None
            if shared and isinstance(item, dict) and isinstance(own, (dict, type(None))):
                item = {**item, "context": {**shared, **(own or {})}}
            if browser:
                check_browser_call(item, None, path)
            events.append(parse_message(item, path=path, now=now))
        except Invalid as invalid:
            field = invalid.field
            if not field.startswith("batch["):
                field = path + field
            rejected.append({"index": index, "field": field, "problem": invalid.problem,
                             "status": invalid.status})  # fmt: skip
    return events, rejected
