"""An erasure racing the writers that create or attach a customer's data: tracked events,
CRM imports and the updater's interaction history and conversation links.

Two real transactions on two connections (threads), on PostgreSQL: the erasure holding its
transaction open while a write for the same customer starts, and the reverse order (a
third transaction holds a row the writer needs, pausing it mid-way with the customer's rows
written but not committed). Afterwards no table holds the erased id, and the other
customer of the same batch got their data. On SQLite one writer at a time serializes them.
"""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine

from personalization.collect.ingest import Ingestor
from personalization.collect.segment import parse_message
from personalization.hashing import IdHasher
from personalization.imports.mapping import parse_mapping
from personalization.imports.runner import run_import
from personalization.store import Store, migrate
from personalization.store import schema as t
from personalization.store.customers import upsert_customers
from personalization.store.history import Delta, add_to_history, link_conversations
from personalization.store.subject import erase_customer
from personalization.store.tracking import consented, record_consent
from tests.databases import create_postgres_database, drop_postgres_database

HASHER = IdHasher(b"race-test-hash-key-0123456789")
ERASED, KEPT = "C-ERASED-7", "C-KEPT-8"
PURPOSE = "personalization"
T0 = datetime(2026, 11, 20, 9, 0)


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request, tmp_path) -> Iterator[Store]:
    url = (create_postgres_database() if request.param == "postgresql"
           else f"sqlite:///{tmp_path / 'profiles.db'}")  # fmt: skip
    migrate.upgrade(url)
    store = Store.from_url(url)
    with store.begin() as conn:
        upsert_customers(conn, [{"customer_id": c, "name": n, "email": f"{c.lower()}@example.com"}
                                for c, n in ((ERASED, "Erin Erased"), (KEPT, "Kim Kept"))])
        for customer in (ERASED, KEPT):
            record_consent(conn, customer, PURPOSE, True, "web", at=T0)
        add_to_history(conn, {KEPT: Delta(conversations=1, messages=1)})
    yield store
    store.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


def postgresql_only(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the writer cannot be paused mid-way "
                    "while the erasure runs (the erasure-first tests cover SQLite)")


class Worker(threading.Thread):
    """A function in its own thread (its own connection); its result or error kept."""

    def __init__(self, name: str, work: Callable[[], object]) -> None:
        super().__init__(name=name, daemon=True)
        self.work, self.result, self.error = work, None, None

    def run(self) -> None:
        try:
            self.result = self.work()
        except Exception as error:  # noqa: BLE001 - raised again in the test's thread
            self.error = error

    def outcome(self, timeout: float = 60) -> object:
        self.join(timeout)
        assert not self.is_alive(), f"{self.name} did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def waiting_on_locks(engine: Engine, count: int, timeout: float = 3.0) -> bool:
    """Wait until `count` sessions of the database wait for a lock (PostgreSQL)."""
    deadline = time.monotonic() + timeout
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND wait_event_type = 'Lock'")  # fmt: skip
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(query).scalar() >= count:
                return True
        time.sleep(0.05)
    return False


class HeldErasure:
    """erase_customer in a transaction that stays open until `commit()`."""

    def __init__(self, store: Store) -> None:
        self.erased, self.release = threading.Event(), threading.Event()

        def erase() -> dict:
            with store.begin() as conn:
                counts = erase_customer(conn, ERASED, HASHER(ERASED))
                self.erased.set()
                self.release.wait(30)
            return counts

        self.worker = Worker("erasure", erase)
        self.worker.start()
        assert self.erased.wait(30), "the erasure did not run"

    def commit(self) -> None:
        self.release.set()
        self.worker.outcome()


class Pause:
    """A third transaction holding a row (or a key) the writer needs, until `end()`."""

    def __init__(self, store: Store, statement: str, **params) -> None:
        self.conn = store.engine.connect()
        self.transaction = self.conn.begin()
        self.conn.execute(text(statement), params)

    def end(self) -> None:
        self.transaction.rollback()
        self.conn.close()


def where_found(store: Store, needle: str) -> list[str]:
    """Every row of every table that holds `needle` anywhere (also inside JSON)."""
    hits = []
    with store.engine.connect() as conn:
        for table in inspect(store.engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                if any(needle in str(value) for value in row):
                    hits.append(f"{table}: {dict(row._mapping)}")
    return hits


def count(store: Store, table, **where) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with store.engine.connect() as conn:
        return conn.execute(query).scalar()


def assert_erased_and_neighbour_kept(store: Store) -> None:
    assert where_found(store, ERASED) == []
    with store.engine.connect() as conn:
        assert consented(conn, [KEPT], PURPOSE) == {KEPT}
    assert count(store, t.customers, customer_id=KEPT) == 1


# --- tracked events --------------------------------------------------------------------------

def events(prefix: str) -> list:
    """An identify call for the erased customer, then a page view of the kept one."""
    return [
        parse_message({"type": "identify", "userId": ERASED, "messageId": f"{prefix}-erased",
                       "traits": {"name": "Erin Erased", "plan": "Plus"},
                       "timestamp": (T0 + timedelta(hours=1)).isoformat()}, "identify"),
        parse_message({"type": "track", "userId": KEPT, "event": "Product Viewed",
                       "messageId": f"{prefix}-kept", "properties": {"product_id": "P1"},
                       "timestamp": (T0 + timedelta(hours=2)).isoformat()}, "track"),
    ]  # fmt: skip


def test_events_arriving_during_an_erasure_are_dropped(store):
    erasure = HeldErasure(store)
    writer = Worker("ingest", lambda: Ingestor(store, HASHER).ingest(events("during")))
    writer.start()
    if store.engine.dialect.name == "postgresql":
        waiting_on_locks(store.engine, 1)  # the fix: the writer waits for the erasure
    erasure.commit()
    result = writer.outcome()

    assert_erased_and_neighbour_kept(store)
    assert result.stored == 1 and "erased" in result.dropped[0][1]
    assert count(store, t.events, message_id="during-kept") == 1


def test_an_erasure_during_an_event_write_erases_what_it_wrote(store):
    postgresql_only(store)
    # the kept customer's event id is being inserted by another transaction: the writer
    # waits there with the erased customer's rows written, before its commit
    pause = Pause(store, "INSERT INTO events (message_id, customer_id, type, properties, "
                  "context, timestamp, received_at) VALUES ('before-kept', :c, 'track', '{}', "
                  "'{}', now(), now())", c=KEPT)  # fmt: skip
    result = erased_while_paused(store, pause, "ingest",
                                 lambda: Ingestor(store, HASHER).ingest(events("before")))

    assert_erased_and_neighbour_kept(store)
    assert result.stored == 2  # both were written before the erasure, which then erased one
    assert count(store, t.events, message_id="before-kept") == 1


class PrivacyErasure:
    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self) -> dict:
        with self.store.begin() as conn:
            return erase_customer(conn, ERASED, HASHER(ERASED))


def erased_while_paused(store: Store, pause: Pause, name: str, write: Callable[[], object]):
    """`write` runs until it waits at the row `pause` holds, with the erased customer's rows
    written but not committed; then an erasure starts (the fix: it waits for the writer),
    the pause ends and both finish. Returns what `write` returned."""
    writer = Worker(name, write)
    writer.start()
    assert waiting_on_locks(store.engine, 1), f"the {name} did not reach the paused row"
    eraser = Worker("erasure", PrivacyErasure(store))
    eraser.start()
    waiting_on_locks(store.engine, 2, timeout=1.5)
    pause.end()
    result = writer.outcome()
    eraser.outcome()
    return result


# --- CRM imports -----------------------------------------------------------------------------

MAPPING = parse_mapping({
    "kind": "crm", "id": "id", "fields": {"name": "name"},
    "consent": {"column": "opt_in", "purpose": PURPOSE, "translate": {"Y": True, "N": False}},
}, "inline")  # fmt: skip


def crm_file(folder: Path) -> Path:
    path = folder / "crm.csv"
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerows([["id", "name", "opt_in"], [ERASED, "Erin E. Erased", "Y"],
                          [KEPT, "Kim K. Kept", "Y"]])  # fmt: skip
    return path


def imported(store: Store, path: Path) -> Callable[[], object]:
    return lambda: run_import(path, MAPPING, store, HASHER, progress=False)


def test_an_import_during_an_erasure_drops_the_erased_customer(store, tmp_path):
    path = crm_file(tmp_path)
    erasure = HeldErasure(store)
    writer = Worker("import", imported(store, path))
    writer.start()
    if store.engine.dialect.name == "postgresql":
        waiting_on_locks(store.engine, 1)
    erasure.commit()
    report = writer.outcome()

    assert_erased_and_neighbour_kept(store)
    assert report.suppressed == 1 and store.profile(KEPT).name == "Kim K. Kept"


def test_an_erasure_during_an_import_erases_what_it_wrote(store, tmp_path):
    postgresql_only(store)
    path = crm_file(tmp_path)
    # the import waits at the kept customer's row, the erased one's consent written
    pause = Pause(store, "SELECT * FROM customers WHERE customer_id = :c FOR UPDATE", c=KEPT)
    erased_while_paused(store, pause, "import", imported(store, path))

    assert_erased_and_neighbour_kept(store)
    assert store.profile(KEPT).name == "Kim K. Kept"


# --- the updater: conversation links and interaction history ---------------------------------

def updater_write(store: Store) -> Callable[[], None]:
    """What the updater writes for a batch of two web chats, one per customer, as
    updater.history.apply_events does: the consent check, then the links and history."""

    def write() -> None:
        links = {"web-erased": ERASED, "web-kept": KEPT}
        with store.begin() as conn:
            allowed = consented(conn, links.values(), PURPOSE)
            link_conversations(conn, {s: c for s, c in links.items() if c in allowed})
            add_to_history(conn, {c: Delta(conversations=1, messages=2) for c in allowed})

    return write


def test_the_updater_during_an_erasure_attaches_nothing_to_the_erased_customer(store):
    erasure = HeldErasure(store)
    writer = Worker("updater", updater_write(store))
    writer.start()
    if store.engine.dialect.name == "postgresql":
        waiting_on_locks(store.engine, 1)
    erasure.commit()
    writer.outcome()

    assert_erased_and_neighbour_kept(store)
    assert count(store, t.conversation_links, customer_id=KEPT) == 1
    assert store.profile(KEPT).conversations == 2


def test_an_erasure_during_an_updater_write_erases_what_it_wrote(store):
    postgresql_only(store)
    # the updater waits at the kept customer's history, the erased one's link and first
    # history row written
    pause = Pause(store, "SELECT * FROM interaction_history WHERE customer_id = :c FOR UPDATE",
                  c=KEPT)  # fmt: skip
    erased_while_paused(store, pause, "updater", updater_write(store))

    assert_erased_and_neighbour_kept(store)
    assert count(store, t.conversation_links, customer_id=KEPT) == 1
    assert store.profile(KEPT).conversations == 2


# --- consent answered in the chat ------------------------------------------------------------

def test_a_consent_answer_in_the_chat_during_an_erasure_records_nothing(store):
    from personalization.privacy.consent import record_answer

    erasure = HeldErasure(store)
    writer = Worker("chat", lambda: record_answer(store, HASHER, ERASED, "granted", "rest",
                                                  "2026-11"))  # fmt: skip
    writer.start()
    if store.engine.dialect.name == "postgresql":
        waiting_on_locks(store.engine, 1)
    erasure.commit()
    assert writer.outcome() is False  # the suppression list, read under the lock
    assert_erased_and_neighbour_kept(store)
