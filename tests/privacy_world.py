"""Every store filled for a demo shop, the way the running system fills them: the profile
store (demo data, scores, consent), Rasa's SQL tracker store and SQL event broker (saved
by Rasa's own classes), and trained models. And a scan of every table of every store."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from rasa.core.brokers.sql import SQLEventBroker
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from personalization.hashing import IdHasher
from personalization.privacy.conversations import ConversationStore
from personalization.privacy.requests import PrivacyRequests
from personalization.store import Store, migrate
from personalization.store.engine import create_engine
from personalization.store.tracking import record_consent
from personalization.training.artifacts import load_models, save_models
from personalization.training.scoring import score_customers
from rasa_extensions.tracker_store import VerifiedSQLTrackerStore
from tests import shop
from tests.databases import create_postgres_database, drop_postgres_database

HASHER = IdHasher(b"privacy-test-hash-key-0123456789")
ADMIN = "test:privacy"


@dataclass
class Person:
    customer_id: str
    email: str
    name: str

    def needles(self) -> dict[str, re.Pattern]:
        """What must not be found after erasure: the id as a whole token, email, name."""
        return {
            "id": re.compile(rf"(?<![\w-]){re.escape(self.customer_id)}(?![\w-])"),
            "email": re.compile(re.escape(self.email), re.IGNORECASE),
            "name": re.compile(re.escape(self.name), re.IGNORECASE),
        }


@dataclass
class World:
    store: Store
    stores: dict[str, str]  # name -> URL of every database
    conversations: list[ConversationStore]
    models: Path

    def requests(self) -> PrivacyRequests:
        return PrivacyRequests(self.store, HASHER, self.conversations, self.models)

    def close(self) -> None:
        for c in self.conversations:
            c.dispose()
        self.store.dispose()


def databases(kind: str, folder: Path) -> dict[str, str]:
    names = ("profiles", "conversations", "broker")
    if kind == "sqlite":
        return {name: f"sqlite:///{folder / name}.db" for name in names}
    return {name: create_postgres_database() for name in names}


def drop(kind: str, urls: dict[str, str]) -> None:
    if kind == "postgresql":
        for url in urls.values():
            drop_postgres_database(url)


def rasa_sql_args(url: str) -> dict:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return {"dialect": "sqlite", "db": parsed.database}
    return {"dialect": "postgresql", "host": parsed.host, "port": parsed.port,
            "db": parsed.database, "username": parsed.username}  # fmt: skip


def build(kind: str, folder: Path, demo_store: Store, demo_models: Path) -> World:
    """A copy of the `trained` fixture's shop (data and models) in databases of `kind`."""
    urls = databases(kind, folder)
    migrate.upgrade(urls["profiles"])
    store = Store.from_url(urls["profiles"])
    copy_tables(demo_store, store)
    models = folder / "models"
    shutil.copytree(demo_models, models)
    keyed = load_models(models)  # as `train` leaves them with PERSONALIZATION_HASH_KEY set
    keyed.recommender.key_customers(HASHER)
    save_models(keyed, models)
    score_customers(store, keyed, progress=False)
    conversations = [ConversationStore("tracker store", create_engine(urls["conversations"])),
                     ConversationStore("event broker", create_engine(urls["broker"]))]
    return World(store, urls, conversations, models)


def copy_tables(source: Store, target: Store) -> None:
    from personalization.store import schema as t

    tables = [t.customers, t.preferences, t.products, t.orders, t.order_items, t.tickets,
              t.events, t.consent_records, t.consent_state, t.interaction_history]
    with source.engine.connect() as read, target.begin() as write:
        for table in tables:
            # generated ids are left to the target (PostgreSQL's sequences move on)
            rows = [{k: v for k, v in r._mapping.items() if k != "id"}
                    for r in read.execute(select(table))]
            for start in range(0, len(rows), 500):
                write.execute(table.insert(), rows[start:start + 500])


def person(store: Store, rank: int = 0) -> Person:
    """A customer with orders, tickets, events and a unique name and email."""
    with store.engine.connect() as conn:
        found = conn.execute(text(
            "SELECT c.customer_id, c.email, c.name FROM customers c "
            "WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id) "
            "AND EXISTS (SELECT 1 FROM tickets k WHERE k.customer_id = c.customer_id) "
            "AND EXISTS (SELECT 1 FROM events e WHERE e.customer_id = c.customer_id) "
            "AND (SELECT count(*) FROM customers d WHERE d.name = c.name) = 1 "
            "ORDER BY c.customer_id")).all()  # fmt: skip
    return Person(*found[rank])


def chat(world: World, sender: str, who: Person, metadata: bool = True) -> None:
    """A conversation saved by the Rasa server's SQL tracker store, which streams its events
    to the SQL event broker. The customer types their email and name."""
    broker = SQLEventBroker(**rasa_sql_args(world.stores["broker"]))
    tracker_store = VerifiedSQLTrackerStore(event_broker=broker, identity_secret=shop.SECRET,
                                            **rasa_sql_args(world.stores["conversations"]))
    signed = shop.metadata(who.customer_id, sender) if metadata else None
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_session_start"), SessionStarted(),
        *([SlotSet("session_started_metadata", signed)] if signed else []),
        SlotSet("full_name", who.name),
        ActionExecuted("action_listen"),
        UserUttered(f"hi, I'm {who.name}, my email is {who.email}",
                    {"name": "greet", "confidence": 0.99}, metadata=signed),
        BotUttered(f"Hello {who.name.split()[0]}!"),
    ])  # fmt: skip
    asyncio.run(tracker_store.save(tracker))
    tracker_store.engine.dispose()
    broker.engine.dispose()


def record_chat_consent(world: World, who: Person) -> None:
    with world.store.begin() as conn:
        record_consent(conn, who.customer_id, "personalization", True, "chat", "2026-11")


def scan(urls: dict[str, str], who: Person) -> list[str]:
    """Every row of every table of every database: where the person is still found."""
    hits = []
    for database, url in urls.items():
        engine = create_engine(url)
        with engine.connect() as conn:
            for table in inspect(engine).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    for column, value in row._mapping.items():
                        for what, pattern in who.needles().items():
                            if any(pattern.search(form) for form in _forms(value)):
                                hits.append(f"{database}.{table}.{column}: {what}")
        engine.dispose()
    return hits


def _forms(value) -> list[str]:
    """A value as text, and JSON text decoded too (Rasa writes non-ASCII as \\u escapes)."""
    if value is None:
        return []
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False, default=str)]
    forms = [str(value)]
    if isinstance(value, str) and value[:1] in "[{\"":
        try:
            forms.append(json.dumps(json.loads(value), ensure_ascii=False))
        except ValueError:
            pass
    return forms
