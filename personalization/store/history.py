"""Interaction history derived from conversations, and the updater's bookkeeping."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from personalization.store import schema as t
from personalization.store.sql import insert_if_new, insert_ignoring_duplicates, upsert, utcnow


@dataclass
class Delta:
    conversations: int = 0
    messages: int = 0
    escalations: int = 0
    fallbacks: int = 0
    intents: Counter = field(default_factory=Counter)
    last_interaction_at: datetime | None = None

    def add(self, other: Delta) -> None:
        self.conversations += other.conversations
        self.messages += other.messages
        self.escalations += other.escalations
        self.fallbacks += other.fallbacks
        self.intents.update(other.intents)
        moments = [m for m in (self.last_interaction_at, other.last_interaction_at) if m]
        self.last_interaction_at = max(moments) if moments else None


def claim_keys(conn: Connection, source: str, keys: list[str]) -> set[str]:
    """Record the keys as applied; returns those that were not recorded before."""
    now = utcnow()
    # in one global order, so concurrent updaters wait for each other instead of deadlocking
    return {key for key in sorted(set(keys)) if insert_if_new(
        conn, t.applied_events, {"source": source, "event_key": key, "applied_at": now})}


def add_to_history(conn: Connection, deltas: dict[str, Delta]) -> None:
    if not deltas:
        return
    h = t.interaction_history
    customers = set(conn.execute(
        select(t.customers.c.customer_id).where(t.customers.c.customer_id.in_(list(deltas)))
    ).scalars())  # a consented id that is not (yet) a customer has nothing to attach to
    now = utcnow()
    insert_ignoring_duplicates(conn, h, [
        {"customer_id": c, "conversations": 0, "messages": 0, "escalations": 0, "fallbacks": 0,
         "requests_by_intent": {}, "updated_at": now}
        for c in sorted(customers)
    ])  # fmt: skip
    rows = conn.execute(
        select(h).where(h.c.customer_id.in_(sorted(customers)))
        .order_by(h.c.customer_id).with_for_update()
    ).all()  # locked until commit, so concurrent updaters add up instead of overwriting
    for old in rows:
        delta = deltas[old.customer_id]
        intents = Counter(old.requests_by_intent or {})
        intents.update(delta.intents)
        moments = [m for m in (old.last_interaction_at, delta.last_interaction_at) if m]
        conn.execute(h.update().where(h.c.customer_id == old.customer_id).values(
            conversations=old.conversations + delta.conversations,
            messages=old.messages + delta.messages,
            escalations=old.escalations + delta.escalations,
            fallbacks=old.fallbacks + delta.fallbacks,
            requests_by_intent=dict(intents),
            last_interaction_at=max(moments) if moments else None,
            updated_at=now,
        ))  # fmt: skip


def get_offset(conn: Connection, source: str) -> int:
    query = select(t.source_offsets.c.position).where(t.source_offsets.c.source == source)
    return conn.execute(query).scalar() or 0


def set_offset(conn: Connection, source: str, position: int) -> None:
    upsert(conn, t.source_offsets, [{"source": source, "position": position}], key=["source"],
           compare=["position"])  # fmt: skip


def link_conversations(conn: Connection, links: dict[str, str]) -> None:
    """Record which customer each conversation (Rasa sender id) was verified to belong to."""
    now = utcnow()
    upsert(conn, t.conversation_links,
           [{"sender_id": s, "customer_id": c, "linked_at": now} for s, c in links.items()],
           key=("sender_id",), compare=("customer_id",), stamp="linked_at")  # fmt: skip


def linked_customers(conn: Connection, senders: set[str]) -> dict[str, str]:
    if not senders:
        return {}
    links = t.conversation_links
    return dict(conn.execute(select(links.c.sender_id, links.c.customer_id)
                             .where(links.c.sender_id.in_(sorted(senders)))).all())  # fmt: skip
