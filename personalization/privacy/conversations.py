"""A customer's conversations in Rasa's own databases: the SQL tracker store and the SQL
event broker's table (both are tables named `events`, in their own databases).

A conversation (a Rasa sender id) belongs to a customer only when one of its messages was
verified to come from them: the Rasa server stores each message with the result of checking
its signature (`{"identity": {"verified": true, "customer_id": ...}}` in the message's metadata
and in the `session_started_metadata` slot, rasa_extensions/tracker_store.py). A sender id, or
an id a sender merely claimed, makes nothing the customer's. Candidates are found with a LIKE
on the event JSON (the id as JSON writes it) and confirmed by decoding the events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import URL, Engine

from personalization.conversation.identity import event_identity
from personalization.rasa_endpoints import EndpointsError, read_endpoints
from personalization.store.engine import create_engine
from personalization.store.sql import chunks

TABLE = "events"
VERIFIED_STORE = "rasa_extensions.tracker_store.VerifiedSQLTrackerStore"  # keeps no signature
SQL_TYPES = ("sql", VERIFIED_STORE.lower())
TRACKER_STORE, EVENT_BROKER = "tracker store", "event broker"


class ConversationStoreError(ValueError):
    """A Rasa store that cannot be used for access or erasure; the message says why."""


def _events_table(tracker_store: bool) -> Table:
    # the columns used here; the tracker store also has the event's time, type, intent, action
    extra = [Column("timestamp", Float), Column("type_name", String(255)),
             Column("intent_name", String(255)), Column("action_name", String(255))]
    return Table(TABLE, MetaData(), Column("id", Integer, primary_key=True),
                 Column("sender_id", String(255)), Column("data", Text),
                 *(extra if tracker_store else []))  # fmt: skip


def verified_for(event: Any, customer_id: str) -> bool:
    """True if a decoded event is a message (or session start) verified to be the customer's."""
    return event_identity(event)[1] == customer_id


def _like(customer_id: str) -> str:
    """A LIKE pattern for the id as it appears in JSON text (Rasa writes ASCII JSON)."""
    written = json.dumps(customer_id)[1:-1]
    escaped = written.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class ConversationStore:
    """One of Rasa's `events` tables: `role` is "tracker store" or "event broker"."""

    role: str
    engine: Engine

    def __post_init__(self) -> None:
        self.table = _events_table(self.role == TRACKER_STORE)

    def exists(self) -> bool:
        return inspect(self.engine).has_table(TABLE)

    def senders_of(self, customer_id: str) -> list[str]:
        """The sender ids of the customer's conversations."""
        if not self.exists():
            return []
        e = self.table
        found: set[str] = set()
        with self.engine.connect() as conn:
            rows = conn.execute(select(e.c.sender_id, e.c.data)
                                .where(e.c.data.like(_like(customer_id), escape="\\")))
            for sender, data in rows:
                if sender not in found and verified_for(_decode(data), customer_id):
                    found.add(sender)
        return sorted(found)

    def events(self, senders: Iterable[str]) -> Iterator[tuple[str, dict]]:
        """(sender id, decoded event) of those conversations, in the order stored."""
        e, senders = self.table, sorted(set(senders))
        if not senders or not self.exists():
            return
        with self.engine.connect() as conn:
            for part in chunks(senders):
                query = select(e.c.sender_id, e.c.data).where(e.c.sender_id.in_(list(part)))
                for sender, data in conn.execute(query.order_by(e.c.id)):
                    yield sender, _decode(data)

    def last_event_at(self, sender: str) -> float | None:
        """The time (Unix seconds) of the sender's latest event in the tracker store."""
        if self.role != TRACKER_STORE or not self.exists():
            return None
        e = self.table
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(e.c.timestamp))
                                .where(e.c.sender_id == sender)).scalar()  # fmt: skip

    def activity(self, action_prefixes: tuple[str, ...]) -> dict[str, Any]:
        """Counts over every conversation of the tracker store: conversations, user messages
        by intent, and the actions whose names start with one of `action_prefixes`."""
        if self.role != TRACKER_STORE or not self.exists():
            return {"conversations": 0, "intents": {}, "actions": {}}
        e = self.table
        with self.engine.connect() as conn:
            conversations = conn.execute(select(func.count(func.distinct(e.c.sender_id)))
                                         ).scalar()  # fmt: skip
            intents = dict(conn.execute(
                select(e.c.intent_name, func.count()).where(e.c.type_name == "user")
                .group_by(e.c.intent_name)).all())  # fmt: skip
            actions = dict(conn.execute(
                select(e.c.action_name, func.count())
                .where(e.c.type_name == "action",
                       or_(*(e.c.action_name.startswith(p) for p in action_prefixes)))
                .group_by(e.c.action_name)).all())  # fmt: skip
        return {"conversations": conversations, "intents": intents, "actions": actions}

    def delete(self, senders: Iterable[str]) -> int:
        e, senders = self.table, sorted(set(senders))
        if not senders or not self.exists():
            return 0
        deleted = 0
        with self.engine.begin() as conn:
            for part in chunks(senders):
                deleted += conn.execute(e.delete().where(e.c.sender_id.in_(list(part)))).rowcount
        return deleted

    def dispose(self) -> None:
        self.engine.dispose()


def _decode(data: str | None) -> Any:
    try:
        return json.loads(data) if data else {}
    except ValueError:
        return {"undecodable": data}


def sql_url(section: dict[str, Any], base: Path) -> str:
    """The SQLAlchemy URL of a `type: SQL` tracker store or event broker of endpoints.yml,
    built as Rasa builds it (a relative SQLite path is relative to `base`)."""
    dialect = section.get("dialect") or "sqlite"
    db = str(section.get("db") or "rasa.db")
    if dialect.startswith("sqlite"):
        path = Path(db)
        return f"sqlite:///{path if path.is_absolute() else base / path}"
    port = section.get("port")
    return URL.create(dialect, username=section.get("username") or None,
                      password=section.get("password") or None,
                      host=section.get("url") or section.get("host"),  # Rasa's key is `url`
                      port=int(port) if port not in (None, "") else None, database=db,
                      query=section.get("query") or {}).render_as_string(hide_password=False)


def rasa_store_urls(endpoints: Path) -> list[tuple[str, str]]:
    """(role, database URL) of the tracker store and SQL event broker that `endpoints`
    configures for Rasa. No tracker store means Rasa keeps conversations in memory only
    (nothing to find); another kind than SQL cannot be searched here and is an error."""
    try:
        config = read_endpoints(endpoints, "tracker_store", "event_broker")
    except EndpointsError as error:
        raise ConversationStoreError(str(error)) from None
    found = []
    for key, role in (("tracker_store", TRACKER_STORE), ("event_broker", EVENT_BROKER)):
        section = config.get(key)
        if not isinstance(section, dict):
            continue
        if str(section.get("type", "")).lower() in SQL_TYPES:
            found.append((role, sql_url(section, endpoints.resolve().parent)))
        elif key == "tracker_store":
            raise ConversationStoreError(
                f"{endpoints}: the tracker store is of type {section.get('type')!r}; customer "
                "data access and erasure search Rasa's SQL tracker store only. Use `type: "
                f"{VERIFIED_STORE}`.")
        # another broker (RabbitMQ) keeps no events once the updater has consumed them
    return found


def check_keeps_no_signatures(endpoints: Path) -> None:
    """The Rasa server must store verification results, not the signatures themselves."""
    section = read_endpoints(endpoints, "tracker_store").get("tracker_store")
    if isinstance(section, dict) and str(section.get("type", "")).lower() == "sql":
        raise ConversationStoreError(
            f"{endpoints}: the tracker store is Rasa's plain `type: SQL`, which would keep each "
            "message's identity signature and none of its verification results (no "
            f"conversation would be found for a customer's data request). Use `type: "
            f"{VERIFIED_STORE}` with the same keys.")


def rasa_stores(endpoints: Path) -> list[ConversationStore]:
    return [ConversationStore(role, create_engine(url)) for role, url in rasa_store_urls(endpoints)]
