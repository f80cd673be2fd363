"""What one Rasa conversation event changes in a customer's interaction history, and
applying a batch of them with exactly-once effect.

Whose history: identity is a property of each message. The Rasa server stores each message's
metadata with the result of checking its signature (rasa_extensions/tracker_store.py: the
`identity` record, which no sender can forge), and the updater reads that record only: a
message counts for the customer it was verified to come from, and for nobody without one
(whatever the sender id or earlier messages say). A new session (whose first message's
record is in the `session_started_metadata` slot event before it) and a hand-off count for
the customer the latest message before them came from: conversation_links keeps, per
conversation, the customer its latest message was verified to come from (none after a
visitor's message), so this holds across batches.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.engine import Connection

from personalization.conversation.identity import event_identity
from personalization.store.customer_locks import lock_for_writing
from personalization.store.history import (
    Delta,
    add_to_history,
    claim_keys,
    link_conversations,
    linked_customers,
    unlink_conversations,
)
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


def customers_of(events: list[dict], linked: dict[str, str]) -> tuple[list, dict]:
    """The customer each event counts for, in order, and who the latest message of each
    conversation that has one here came from. A message counts for its own verified record;
    a new session for the record Rasa put in the `session_started_metadata` slot just before
    `action_session_start` (none: a visitor's session); another event for the latest message
    or session before it in its conversation (`linked`: before these events)."""
    current: dict[str, str | None] = dict(linked)
    latest: dict[str, str | None] = {}
    starting: dict[str, str | None] = {}  # the session start's record, until the action
    found = []
    for event in events:
        sender = event.get("sender_id") or ""
        says, customer = event_identity(event)
        if says and event.get("event") == "slot":
            starting[sender] = customer
            found.append(customer)
            continue
        if says or (event.get("event") == "action"
                    and event.get("name") == "action_session_start"):  # fmt: skip
            current[sender] = latest[sender] = customer if says else starting.pop(sender, None)
        found.append(current.get(sender))
    return found, latest


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
    events = list(fresh.values())
    senders = {s for e in events if (s := e.get("sender_id"))}
    before = linked_customers(conn, senders)
    owners, latest = customers_of(events, before)
    # every customer these writes touch, locked at once and before consent is read: an
    # erasure of one of them either ends first or waits for this (no deadlock)
    lock_for_writing(conn, {*owners, *latest.values(), *before.values()})
    allowed = consented(conn, {c for c in (*owners, *latest.values()) if c}, PURPOSE)
    link_conversations(conn, {s: c for s, c in latest.items() if s and c in allowed})
    unlink_conversations(conn, {s for s, c in latest.items() if s and c not in allowed})
    deltas: dict[str, Delta] = {}
    for event, customer in zip(events, owners, strict=True):
        delta = delta_of(event)
        if customer not in allowed:
            result.without_consent += 1
        elif delta is not None:
            deltas.setdefault(customer, Delta()).add(delta)
            result.applied += 1
    add_to_history(conn, deltas)
    return result
