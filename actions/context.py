"""Read what the library needs from a Rasa tracker."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

from actions.runtime import runtime
from personalization.conversation.decision import Decision
from personalization.conversation.facts import Context
from personalization.conversation.identity import SESSION_METADATA_SLOT, Identity

METADATA_SLOT = SESSION_METADATA_SLOT
FALLBACK = "nlu_fallback"


def message_event(tracker: Tracker) -> dict[str, Any]:
    """The event that carries the message being handled: the latest user message; while a
    session starts (before Rasa logs that message), the `session_started_metadata` slot
    event Rasa has just added for it. Identity comes from here only: never from an earlier
    message, a stored slot or the sender id."""
    events = tracker.events
    if events and events[-1].get("event") == "slot" and events[-1].get("name") == METADATA_SLOT:
        return events[-1]
    return next((e for e in reversed(events) if e.get("event") == "user"), {})


def message_metadata(tracker: Tracker) -> dict[str, Any]:
    """What the channel sent with the message being handled."""
    event = message_event(tracker)
    metadata = event.get("value") if event.get("event") == "slot" else event.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def message_time(tracker: Tracker) -> float | None:
    """When Rasa received the message being handled: its signature is checked at that
    moment, as the tracker store checks it when the conversation is saved."""
    stamp = message_event(tracker).get("timestamp")
    return stamp if isinstance(stamp, int | float) else None


def identity_of(tracker: Tracker) -> Identity:
    """Who sent the message being handled (its own signature, for this conversation)."""
    return runtime().personalizer.identify(message_metadata(tracker), tracker.sender_id,
                                           message_time(tracker))  # fmt: skip


def decision_for(tracker: Tracker, context: Context | None = None) -> Decision:
    """The decision for the message being handled: its identity, the profile, the rules."""
    metadata = message_metadata(tracker)
    return runtime().personalizer.personalize(
        metadata, tracker.sender_id, context or conversation_context(tracker, metadata),
        message_time(tracker))  # fmt: skip


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
    zone = (metadata if metadata is not None else message_metadata(tracker)).get("timezone")
    if not zone:  # a widget may send it only when the session starts
        zone = (tracker.get_slot(METADATA_SLOT) or {}).get("timezone")
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
