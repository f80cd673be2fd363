"""Read what the library needs from a Rasa tracker."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

from personalization.conversation.facts import Context

METADATA_SLOT = "session_started_metadata"
FALLBACK = "nlu_fallback"


def session_metadata(tracker: Tracker) -> dict[str, Any]:
    """What the channel sent when the session started; else with the latest message (after a
    /restart, Rasa starts the new session without the metadata)."""
    metadata = tracker.get_slot(METADATA_SLOT)
    if isinstance(metadata, dict) and metadata:
        return metadata
    latest = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    metadata = latest.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def session_events(tracker: Tracker) -> list[dict]:
    """Events since the latest session start (or restart), that event first."""
    events = tracker.events
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") in ("session_started", "restart"):
            return events[i:]
    return list(events)


def session_start_time(tracker: Tracker) -> datetime | None:
    events = session_events(tracker)
    stamp = events[0].get("timestamp") if events else None
    return datetime.fromtimestamp(stamp, timezone.utc) if isinstance(stamp, int | float) else None


def user_intents(tracker: Tracker) -> list[str]:
    return [(e.get("parse_data") or {}).get("intent", {}).get("name") or ""
            for e in session_events(tracker) if e.get("event") == "user"]  # fmt: skip


def conversation_context(tracker: Tracker, metadata: dict[str, Any] | None = None) -> Context:
    intent = (tracker.latest_message or {}).get("intent") or {}
    intents = user_intents(tracker)
    failed = 0
    for name in reversed(intents):
        if name != FALLBACK:
            break
        failed += 1
    zone = (metadata or session_metadata(tracker)).get("timezone")
    return Context(
        intent=intent.get("name"),
        intent_confidence=intent.get("confidence"),
        failed_attempts=failed,
        misunderstood=intents.count(FALLBACK),
        problems_raised=frozenset(filter(None, intents)),
        channel=tracker.get_latest_input_channel(),
        timezone=zone if isinstance(zone, str) else None,
        started_at=session_start_time(tracker),
    )
