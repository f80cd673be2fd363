"""Conversations stored before identity was checked per message: `upgrade-conversations`
replaces their old signatures by verification results, in the tracker store and the SQL
event broker, so that exports and erasures find them and no signature is kept."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import subprocess
import sys

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from personalization.privacy.conversations import rasa_stores
from personalization.store.engine import create_engine
from tests import shop
from tests.trackers import ROOT


def old_metadata(customer_id: str, secret: bytes = shop.SECRET) -> dict:
    """What the chat widget sent before: the id signed alone, valid forever."""
    return {"customer_id": customer_id, "timezone": "Europe/Brussels",
            "customer_signature": hmac.new(secret, customer_id.encode(),
                                           hashlib.sha256).hexdigest()}  # fmt: skip


def saved_the_old_way(folder, sender: str, metadata: dict) -> None:
    """As the Rasa server saved conversations before: Rasa's own SQL tracker store, which
    kept the metadata as sent, and its SQL event broker."""
    broker = SQLEventBroker(dialect="sqlite", db=str(folder / "broker.db"))
    store = SQLTrackerStore(dialect="sqlite", db=str(folder / "conversations.db"),
                            event_broker=broker)  # fmt: skip
    tracker = DialogueStateTracker.from_events(sender, [
        SlotSet("session_started_metadata", metadata), ActionExecuted("action_session_start"),
        SessionStarted(), ActionExecuted("action_listen"),
        UserUttered("hi, it's Lars", {"name": "greet", "confidence": 0.9}, metadata=metadata)])
    asyncio.run(store.save(tracker))
    store.engine.dispose()
    broker.engine.dispose()


@pytest.fixture
def endpoints(tmp_path):
    path = tmp_path / "endpoints.yml"
    path.write_text(f"tracker_store: {{type: SQL, dialect: sqlite, db: "
                    f"{tmp_path / 'conversations.db'}}}\n"
                    f"event_broker: {{type: SQL, dialect: sqlite, db: {tmp_path / 'broker.db'}}}\n")
    return path


def upgrade(endpoints, secret: bytes = shop.SECRET) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "personalization", "upgrade-conversations",
                           "--endpoints", str(endpoints)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={"PATH": "/usr/bin:/bin",
                          "PERSONALIZATION_IDENTITY_SECRET": secret.decode()})  # fmt: skip


def stored_text(tmp_path) -> str:
    rows = []
    for name in ("conversations", "broker"):
        engine = create_engine(f"sqlite:///{tmp_path / name}.db")
        with engine.connect() as conn:
            rows += conn.execute(text("SELECT data FROM events")).scalars().all()
        engine.dispose()
    return "\n".join(rows)


def test_old_conversations_are_found_for_their_customer_and_keep_no_signature(tmp_path,
                                                                              endpoints):
    saved_the_old_way(tmp_path, "web-old-1", old_metadata("C-1"))
    forged = {**old_metadata("C-1"), "customer_signature": "f" * 64}
    saved_the_old_way(tmp_path, "web-old-2", forged)
    stores = rasa_stores(endpoints)
    assert [s.senders_of("C-1") for s in stores] == [[], []]  # before: not found at all
    assert "customer_signature" in stored_text(tmp_path)

    done = upgrade(endpoints)
    assert done.returncode == 0, done.stderr
    assert "tracker store: 4 event(s)" in done.stdout  # each: the slot and the message
    assert "customer_signature" not in stored_text(tmp_path)
    assert [s.senders_of("C-1") for s in stores] == [["web-old-1"], ["web-old-1"]]
    again = upgrade(endpoints)
    assert again.returncode == 0 and "tracker store: 0 event(s)" in again.stdout
    for store in stores:
        store.dispose()


def test_the_upgrade_needs_the_old_secret(tmp_path, endpoints):
    saved_the_old_way(tmp_path, "web-old-1", old_metadata("C-1"))
    done = subprocess.run([sys.executable, "-m", "personalization", "upgrade-conversations",
                           "--endpoints", str(endpoints)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 2 and "PERSONALIZATION_IDENTITY_SECRET" in done.stderr
    assert "customer_signature" in stored_text(tmp_path)  # nothing changed
