"""Interaction history derived from conversations, and the updater's bookkeeping.

Both writes of customer data here (history, conversation links) take the customers' locks
first and check, after them, that the customer is still there (customer_locks): an erasure
committed meanwhile is not undone, and one that starts meanwhile waits and erases them too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

from personalization.store import schema as t
from personalization.store.customer_locks import lock_for_writing
from personalization.store.sql import (
    chunks,
    insert_if_new,
    insert_ignoring_duplicates,
    upsert,
    utcnow,
)
from personalization.store.tracking import consented

LINK_PURPOSE = "personalization"  # conversations are linked only to customers who allow it


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
    lock_for_writing(conn, deltas)
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
    """Record which customer each conversation (Rasa sender id) was verified to belong to,
    for the customers who (still, under their locks) allow personalization: an erased
    customer has no consent left."""
    if not links:
        return
    before = linked_customers(conn, set(links))  # a conversation linked to someone else
    lock_for_writing(conn, {*links.values(), *before.values()})
    allowed = consented(conn, links.values(), LINK_PURPOSE)
    now = utcnow()
    rows = [{"sender_id": s, "customer_id": links[s], "linked_at": now}
            for s in sorted(links) if links[s] in allowed]  # one order: no deadlocks
    for part in chunks(rows):  # concurrent updaters linking one conversation: the last wins
        conn.execute(_link_statement(conn.dialect.name), list(part))


@cache
def _link_statement(dialect_name: str) -> Insert:
    """INSERT a link, or move an existing one to another customer (a new linked_at)."""
    links = t.conversation_links
    statement = (postgresql if dialect_name == "postgresql" else sqlite).insert(links)
    return statement.on_conflict_do_update(
        index_elements=[links.c.sender_id],
        set_={"customer_id": statement.excluded.customer_id,
              "linked_at": statement.excluded.linked_at},
        where=links.c.customer_id != statement.excluded.customer_id)  # fmt: skip


def linked_customers(conn: Connection, senders: set[str]) -> dict[str, str]:
    if not senders:
        return {}
    links = t.conversation_links
    return dict(conn.execute(select(links.c.sender_id, links.c.customer_id)
                             .where(links.c.sender_id.in_(sorted(senders)))).all())  # fmt: skip


def unlink_conversations(conn: Connection, senders: set[str]) -> None:
    """The latest message of these conversations came from nobody verified."""
    if senders:
        links = t.conversation_links
        conn.execute(links.delete().where(links.c.sender_id.in_(sorted(senders))))
