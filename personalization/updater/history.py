"""What one Rasa conversation event changes in a customer's interaction history, and
applying a batch of them with exactly-once effect.

Whose history: the customer the conversation was verified to belong to. A message's metadata
(and the `session_started_metadata` slot, the first event of a session) carries the id the
website signed; with PERSONALIZATION_IDENTITY_SECRET the updater checks the signature and
links the conversation's sender id to that customer (conversation_links), so the events
before and after it, in this batch or a later one, count for them. A conversation never
linked counts for its sender id (the REST channel's terminal chat uses the customer id), if
that is a consented customer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.engine import Connection

from personalization.conversation.identity import identify
from personalization.store.history import (
    Delta,
    add_to_history,
    claim_keys,
    link_conversations,
    linked_customers,
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


def signed_metadata(event: dict) -> dict | None:
    """The metadata a website signed, where an event carries it."""
    if event.get("event") == "user":
        metadata = event.get("metadata")
    elif event.get("event") == "slot" and event.get("name") == "session_started_metadata":
        metadata = event.get("value")
    else:
        return None
    return metadata if isinstance(metadata, dict) and metadata.get("customer_id") else None


def verified_links(events: list[dict], secret: bytes | None) -> dict[str, str]:
    """sender id -> customer id, from the signed metadata in `events` (the last one wins)."""
    links: dict[str, str] = {}
    if not secret:
        return links
    for event in events:
        sender, metadata = event.get("sender_id"), signed_metadata(event)
        if sender and metadata is not None:
            customer = identify(metadata, None, secret).customer_id
            if customer:
                links[sender] = customer
    return links


@dataclass
class ApplyResult:
    applied: int = 0
    duplicates: int = 0
    without_consent: int = 0


def apply_events(conn: Connection, source: str, items: list[tuple[str, dict]],
                 secret: bytes | None = None) -> ApplyResult:  # fmt: skip
    """Apply (key, event) pairs once each: a key applied before is skipped. `secret`: the
    identity secret that verifies the signed customer ids in the events' metadata.

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
    verified = verified_links([e for _, e in items], secret)
    senders = {s for e in fresh.values() if (s := e.get("sender_id"))}
    links = {**linked_customers(conn, senders - verified.keys()), **verified}

    def customer_of(event: dict) -> str | None:
        sender = event.get("sender_id") or None
        return links.get(sender, sender)

    candidates = {c for e in fresh.values() if (c := customer_of(e))} | set(verified.values())
    allowed = consented(conn, candidates, PURPOSE)
    link_conversations(conn, {s: c for s, c in verified.items() if c in allowed})
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


