"""The sweeping of conversations erased from the chat: the scaled configuration's updater
always does it, overdue sweeps are logged at every round (count and age, no sender id) and
its health check answers 503 while any is overdue. On the local PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import requests
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from personalization.hashing import IdHasher
from personalization.privacy.conversations import ConversationStore
from personalization.privacy.requests import PrivacyRequests
from personalization.privacy.sweeper import sweep_once, sweep_status
from personalization.store import schema as t
from personalization.store.engine import create_engine
from personalization.store.sql import utcnow
from tests.scaled import updater_deployment

SENDER = "C-SWEPT-42"  # on the REST channel the sender id can be the customer id


def save_conversation(tracker_url: str, sender: str, seconds_ago: float) -> None:
    """A conversation saved by Rasa's SQL tracker store, its last event `seconds_ago`."""
    url = make_url(tracker_url)
    store = SQLTrackerStore(dialect="postgresql", host=url.host, port=url.port,
                            db=url.database, username=url.username)  # fmt: skip
    at = time.time() - seconds_ago
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_session_start", timestamp=at - 5), SessionStarted(timestamp=at - 4),
        ActionExecuted("action_listen", timestamp=at - 3),
        UserUttered("please delete my data", {"name": "request_data_deletion"}, timestamp=at),
    ])  # fmt: skip
    asyncio.run(store.save(tracker))
    store.engine.dispose()


def pending(scaled, sender: str, minutes_ago: float) -> None:
    with scaled.store.begin() as conn:
        conn.execute(t.pending_sweeps.insert().values(
            sender_id=sender, requested_at=utcnow() - timedelta(minutes=minutes_ago)))


def conversation_events(scaled, sender: str) -> int:
    with scaled.tracker.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"),
                            {"s": sender}).scalar()  # fmt: skip


def waiting_sweeps(scaled) -> int:
    with scaled.store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t.pending_sweeps)).scalar()


def test_the_scaled_updater_sweeps_conversations_erased_from_the_chat(tmp_path):
    with updater_deployment(tmp_path, sweep_every=1) as scaled:
        save_conversation(scaled.tracker.url.render_as_string(hide_password=False), SENDER,
                          seconds_ago=3600)  # fmt: skip
        pending(scaled, SENDER, minutes_ago=60)
        deadline = time.monotonic() + 60
        while waiting_sweeps(scaled) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert waiting_sweeps(scaled) == 0, scaled.updater.log_tail()
        assert conversation_events(scaled, SENDER) == 0


def test_overdue_sweeps_make_the_health_check_fail_and_are_logged_without_the_sender(tmp_path):
    with updater_deployment(tmp_path, sweep_every=1) as scaled:
        healthy = requests.get(scaled.updater_health, timeout=10)
        assert healthy.status_code == 200
        assert healthy.json() == {"status": "ok", "sweeper": "running", "pending_sweeps": 0,
                                  "oldest_pending_sweep_seconds": None, "overdue_sweeps": 0,
                                  "overdue_after_seconds": 600.0}  # fmt: skip
        # the customer is still chatting 20 minutes after erasing: not swept, overdue
        save_conversation(scaled.tracker.url.render_as_string(hide_password=False), SENDER,
                          seconds_ago=0)  # fmt: skip
        pending(scaled, SENDER, minutes_ago=20)
        time.sleep(3)  # a sweep round or two
        overdue = requests.get(scaled.updater_health, timeout=10)
        assert overdue.status_code == 503
        body = overdue.json()
        assert (body["status"], body["pending_sweeps"], body["overdue_sweeps"]) == (
            "sweeps overdue", 1, 1)
        assert 1200 <= body["oldest_pending_sweep_seconds"] < 1300
        log = scaled.updater.log_tail(200)
        assert "1 erased conversation(s) have waited more than 10 minutes" in log
        assert "(the oldest 20 minutes)" in log
        assert SENDER not in log and SENDER not in overdue.text
        with scaled.store.begin() as conn:
            conn.execute(t.pending_sweeps.delete())
        assert requests.get(scaled.updater_health, timeout=10).status_code == 200


def test_a_sweep_round_logs_overdue_sweeps_and_the_status_counts_them(store, tmp_path, caplog):
    tracker = ConversationStore("tracker store", create_engine(f"sqlite:///{tmp_path}/t.db"))
    tracker.table.metadata.create_all(tracker.engine)
    senders = {"C-A-1": 1, "C-B-2": 15, "C-C-3": 45}  # minutes since each erasure
    with store.begin() as conn, tracker.engine.begin() as chats:
        for sender, minutes in senders.items():
            conn.execute(t.pending_sweeps.insert().values(
                sender_id=sender, requested_at=utcnow() - timedelta(minutes=minutes)))
            chats.execute(tracker.table.insert().values(  # still chatting
                sender_id=sender, data="{}", timestamp=time.time(), type_name="user"))
    status = sweep_status(store)
    assert (status.pending_sweeps, status.overdue_sweeps, status.healthy) == (3, 2, False)
    assert 2700 <= status.oldest_pending_sweep_seconds < 2760

    privacy = PrivacyRequests(store, IdHasher(b"sweeper-test-hash-key-012345"), [tracker])
    with caplog.at_level(logging.WARNING):
        assert sweep_once(privacy, quiet_seconds=120) == 0
    assert "2 erased conversation(s) have waited more than 10 minutes" in caplog.text
    assert "(the oldest 45 minutes)" in caplog.text
    assert not any(sender in caplog.text for sender in senders)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert sweep_once(privacy, quiet_seconds=0) == 3
    assert caplog.text == "" and sweep_status(store).healthy
    tracker.dispose()
