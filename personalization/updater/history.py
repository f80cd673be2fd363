"""What one Rasa conversation event changes in a customer's interaction history, and
applying a batch of them with exactly-once effect."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.engine import Connection

from personalization.store.history import Delta, add_to_history, claim_keys
from personalization.store.tracking import consented

PURPOSE = "personalization"
FALLBACK_INTENT = "nlu_fallback"
HANDOFF_ACTIONS = {"action_handoff"}  # the assistant handing the customer to a person (any route)


def delta_of(event: dict) -> Delta | None:
    """The change a Rasa event makes, or None if it changes nothing."""
    kind = event.get("event")
    if kind == "session_started":
        return Delta(conversations=1)
    if kind == "action" and event.get("name") in HANDOFF_ACTIONS:
        return Delta(escalations=1)
    if kind != "user":
        return None
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    moment = event.get("timestamp")
    return Delta(
        messages=1,
        fallbacks=int(intent == FALLBACK_INTENT),
        intents=Counter({intent: 1} if intent and intent != FALLBACK_INTENT else {}),
        last_interaction_at=(datetime.fromtimestamp(moment, timezone.utc).replace(tzinfo=None)
                             if isinstance(moment, (int, float)) else None),
    )  # fmt: skip


def customer_of(event: dict) -> str | None:
    return event.get("sender_id") or None


@dataclass
class ApplyResult:
    applied: int = 0
    duplicates: int = 0
    without_consent: int = 0


def apply_events(conn: Connection, source: str, items: list[tuple[str, dict]]) -> ApplyResult:
    """Apply (key, event) pairs once each: a key applied before is skipped.

    Call it inside a transaction: the effect and the record of the keys commit together, so
    a crash before the commit leaves nothing behind and a redelivery after it is recognised.
    """
    result = ApplyResult()
    claimed = claim_keys(conn, source, [k for k, _ in items])  # concurrent updaters: one wins
    fresh: dict[str, dict] = {}
    for key, event in items:
        if key in claimed and key not in fresh:
            fresh[key] = event
        else:
            result.duplicates += 1
    allowed = consented(conn, {c for e in fresh.values() if (c := customer_of(e))}, PURPOSE)
    deltas: dict[str, Delta] = {}
    for event in fresh.values():
        customer, delta = customer_of(event), delta_of(event)
        if customer not in allowed:
            result.without_consent += 1
        elif delta is not None:
            deltas.setdefault(customer, Delta()).add(delta)
            result.applied += 1
    add_to_history(conn, deltas)
    return result


