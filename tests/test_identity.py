"""Identity is a property of each message: a signature the website made for this customer,
this conversation and a short time; anything else is an anonymous visitor. And what is kept
of it once the message has been handled: the verification result, never the signature."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from personalization.conversation.identity import (
    ANONYMOUS,
    Identity,
    event_identity,
    identify,
    sign,
    signed_metadata,
    stored_metadata,
    verified_customer,
)
from tests import shop
from tests.trackers import ROOT

NOW = 1_790_000_000.0


def sign_command(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "personalization", "sign", *args], cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def check(metadata, session="web-1", secret=shop.SECRET, lifetime=3600, now=NOW) -> Identity:
    return identify(metadata, session, secret, lifetime, now)


def test_a_signature_for_this_customer_conversation_and_time_verifies():
    identity = check(shop.metadata("C-1", "web-1", now=NOW))
    assert identity.verified and identity.customer_id == "C-1"
    assert identity.reason == "signature verified"


def test_the_documented_signing_recipe_is_what_is_checked():
    """docs/personalization.md: HMAC-SHA256 of "customer id|session id|expiry", hex."""
    import hashlib
    import hmac

    expires = int(NOW) + 600
    digest = hmac.new(shop.SECRET, f"C-1|web-1|{expires}".encode(), hashlib.sha256).hexdigest()
    assert digest == sign(shop.SECRET, "C-1", "web-1", expires)
    metadata = {"customer_id": "C-1", "signature_expires": expires, "customer_signature": digest}
    assert check(metadata).customer_id == "C-1"


def test_a_signature_made_for_another_conversation_is_an_anonymous_visitor():
    identity = check(shop.metadata("C-1", "web-1", now=NOW), session="web-2")
    assert not identity.verified and "another conversation" in identity.reason


def test_an_expired_signature_is_an_anonymous_visitor():
    metadata = shop.metadata("C-1", "web-1", lifetime=60, now=NOW)
    assert check(metadata, now=NOW + 59).verified
    expired = check(metadata, now=NOW + 60)
    assert not expired.verified and expired.reason == "signature expired"


def test_a_signature_valid_for_longer_than_the_lifetime_is_refused():
    metadata = shop.metadata("C-1", "web-1", lifetime=30 * 24 * 3600, now=NOW)
    identity = check(metadata, lifetime=3600)
    assert not identity.verified and "longer than 3600 s" in identity.reason


def test_a_changed_expiry_breaks_the_signature():
    metadata = shop.metadata("C-1", "web-1", lifetime=60, now=NOW)
    assert not check({**metadata, "signature_expires": metadata["signature_expires"] + 3600},
                     now=NOW + 120).verified  # fmt: skip


@pytest.mark.parametrize(("metadata", "reason"), [
    ({}, "no customer id"),
    (None, "no customer id"),
    ({"customer_id": "C-1"}, "without a signature"),
    ({"customer_id": "C-1", "customer_signature": "00" * 32, "signature_expires": int(NOW) + 9},
     "wrong signature"),
    ({**shop.metadata("C-1", "web-1", now=NOW), "customer_id": "C-2"}, "wrong signature"),
    ({**shop.metadata("C-1", "web-1", now=NOW), "customer_signature": "ünïcode"},
     "wrong signature"),
    ({**shop.metadata("C-1", "web-1", now=NOW), "customer_signature": 12345},
     "without a signature"),
    ({**shop.metadata("C-1", "web-1", now=NOW), "signature_expires": "soon"}, "expiry"),
    ({**shop.metadata("C-1", "web-1", now=NOW), "signature_expires": True}, "expiry"),
    ({"customer_id": "x" * 65, "customer_signature": "ab"}, "too long"),
    (shop.metadata("C-1", "web-1", secret=b"another-secret-of-the-same-size", now=NOW),
     "wrong signature"),
])  # fmt: skip
def test_an_id_without_a_valid_signature_is_an_anonymous_visitor(metadata, reason):
    identity = check(metadata)
    assert identity.customer_id is None and reason in identity.reason


def test_the_sender_id_is_never_a_claim():
    """The terminal chat once used the customer id as the sender id: that proves nothing."""
    assert check({}, session="C-1") is ANONYMOUS
    signature = sign(shop.SECRET, "C-1", "C-1", int(NOW) + 60)
    assert not check({"customer_signature": signature, "signature_expires": int(NOW) + 60},
                     session="C-1").verified  # fmt: skip


def test_ids_holding_the_separator_cannot_be_confused():
    """ "A|x" in session "y" and "A" in session "x|y" would sign the same text."""
    with pytest.raises(ValueError):
        signed_metadata(shop.SECRET, "A|x", "y")
    expires = int(NOW) + 60
    forged = {"customer_id": "A", "signature_expires": expires,
              "customer_signature": sign(shop.SECRET, "A", "x|y", expires)}  # fmt: skip
    assert not check(forged, session="x|y").verified


def test_without_a_secret_nobody_is_verified():
    assert check(shop.metadata("C-1", "web-1", now=NOW), secret=None).reason == (
        "identity verification is not configured")


def test_what_is_stored_holds_the_result_never_the_signature():
    metadata = {**shop.metadata("C-1", "web-1", now=NOW), "timezone": "Europe/Paris"}
    kept = stored_metadata(metadata, check(metadata))
    assert kept == {"timezone": "Europe/Paris",
                    "identity": {"verified": True, "customer_id": "C-1"}}  # fmt: skip
    assert metadata["customer_signature"] not in json.dumps(kept)
    assert verified_customer(kept) == "C-1"
    failed = stored_metadata(metadata, check(metadata, session="web-2"))
    assert "customer_id" not in json.dumps(failed) and verified_customer(failed) is None
    assert failed["identity"]["verified"] is False
    assert stored_metadata({"timezone": "UTC"}, ANONYMOUS) == {"timezone": "UTC"}


def test_a_record_a_sender_forged_is_replaced():
    forged = {"identity": {"verified": True, "customer_id": "C-VIP"}}
    assert verified_customer(forged) == "C-VIP"  # so it must never reach the store as sent:
    assert stored_metadata(forged, check(forged)) == {}
    assert verified_customer(stored_metadata(forged, check(forged))) is None


def test_stored_events_say_who_sent_them():
    record = {"identity": {"verified": True, "customer_id": "C-1"}}
    assert event_identity({"event": "user", "metadata": record}) == (True, "C-1")
    assert event_identity({"event": "user"}) == (True, None)  # a visitor's message
    assert event_identity({"event": "slot", "name": "session_started_metadata",
                           "value": record}) == (True, "C-1")  # fmt: skip
    assert event_identity({"event": "slot", "name": "first_name", "value": record}) == (
        False, None)
    assert event_identity({"event": "action", "name": "action_handoff"}) == (False, None)


def test_the_sign_command_prints_what_a_website_sends():
    before = time.time()
    done = sign_command("C-1", "--session", "web-7", PERSONALIZATION_SIGNATURE_LIFETIME="900",
                        PERSONALIZATION_IDENTITY_SECRET=shop.SECRET.decode())  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1
    metadata = json.loads(done.stdout)
    assert set(metadata) == {"customer_id", "customer_signature", "signature_expires"}
    assert before + 899 <= metadata["signature_expires"] <= time.time() + 901
    assert identify(metadata, "web-7", shop.SECRET, 900).customer_id == "C-1"
    assert not identify(metadata, "web-8", shop.SECRET, 900).verified


def test_the_sign_command_says_what_is_wrong():
    secret = {"PERSONALIZATION_IDENTITY_SECRET": shop.SECRET.decode()}
    done = sign_command("C-1", "--session", "a|b", **secret)
    assert done.returncode == 2 and "hold no '|'" in done.stderr
    done = sign_command("C-1", "--session", "web-7", PERSONALIZATION_SIGNATURE_LIFETIME="ever",
                        **secret)  # fmt: skip
    assert done.returncode == 2
    assert "PERSONALIZATION_SIGNATURE_LIFETIME must be a whole number" in done.stderr
    assert sign_command("C-1", "--session", "web-7").returncode == 2  # no secret
    done = sign_command("C-1", **secret)
    assert done.returncode == 2 and "--session" in done.stderr


def stored_events(path) -> list[dict]:
    """The events of a SQLite tracker store, as saved, in order."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT data FROM events ORDER BY id")).scalars().all()
    engine.dispose()
    return [json.loads(row) for row in rows]


def test_the_tracker_store_keeps_results_and_replaces_forged_ones(tmp_path):
    """rasa_extensions/tracker_store.py, saving as the Rasa server does: each new message's
    metadata (and its copy in the parse data and the session start slot) is stored with the
    verification result; a record a sender wrote itself is replaced; stored ones stay."""
    import asyncio

    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_extensions.tracker_store import VerifiedSQLTrackerStore

    store = VerifiedSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "conversations.db"),
                                    identity_secret=shop.SECRET)  # fmt: skip
    signed = {**shop.metadata("C-1", "web-1"), "timezone": "Europe/Paris"}
    forged = {"identity": {"verified": True, "customer_id": "C-VIP"}}
    events = [SlotSet("session_started_metadata", signed), ActionExecuted("action_session_start"),
              SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("hi", {"name": "greet", "confidence": 0.9}, metadata=signed),
              UserUttered("me too", {"name": "greet", "confidence": 0.9}, metadata=forged)]
    tracker = DialogueStateTracker.from_events("web-1", events)
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("web-1"))  # the next message: stored events are kept
    again.update(UserUttered("bye", {"name": "goodbye", "confidence": 0.9},
                             metadata=shop.metadata("C-1", "web-2")))  # fmt: skip
    asyncio.run(store.save(again))
    rows = stored_events(tmp_path / "conversations.db")
    assert all(signed["customer_signature"] not in json.dumps(r) for r in rows)
    verified = {"verified": True, "customer_id": "C-1"}
    assert rows[0]["value"] == {"timezone": "Europe/Paris", "identity": verified}
    messages = [r for r in rows if r["event"] == "user"]
    assert [m.get("metadata", {}).get("identity") for m in messages] == [
        verified, None,  # the forged record is gone: no claim, no record
        {"verified": False, "reason": "customer id with a wrong signature (or another "
                                      "conversation's)"}]  # fmt: skip
    assert messages[0]["parse_data"]["metadata"] == messages[0]["metadata"]


def test_a_tracker_store_that_would_keep_signatures_is_refused(tmp_path, monkeypatch):
    from personalization.privacy.conversations import (
        ConversationStoreError,
        check_keeps_no_signatures,
    )

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store: {type: SQL, dialect: sqlite, db: x.db}\n")
    with pytest.raises(ConversationStoreError, match="VerifiedSQLTrackerStore"):
        check_keeps_no_signatures(endpoints)
    check_keeps_no_signatures(ROOT / "endpoints.yml")
    for name in ("RASA_DB_HOST", "RASA_DB_NAME", "RASA_DB_USER", "RASA_DB_PASSWORD"):
        monkeypatch.setenv(name, "x")
    check_keeps_no_signatures(ROOT / "config" / "scaled" / "endpoints.yml")


def test_the_tracker_store_checks_each_message_when_it_came_and_drops_odd_metadata(tmp_path):
    """The action server checks a signature when the message comes; the save at the end of
    the turn must agree even if the signature expired meanwhile. Metadata that is not an
    object (the REST channel passes anything) is dropped, and the turn is saved."""
    import asyncio

    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_extensions.tracker_store import VerifiedSQLTrackerStore

    store = VerifiedSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "conversations.db"),
                                    identity_secret=shop.SECRET)  # fmt: skip
    came = time.time() - 3600  # an hour ago, signed for a minute
    signed = shop.metadata("C-1", "web-1", lifetime=60, now=came)
    intent = {"name": "greet", "confidence": 0.9}
    tracker = DialogueStateTracker.from_events("web-1", [
        UserUttered("hi", intent, metadata=signed, timestamp=came + 30),
        UserUttered("odd", intent, metadata=["not", "an", "object"]),  # type: ignore[arg-type]
        UserUttered("odd too", intent, metadata="C-1")])  # type: ignore[arg-type]  # fmt: skip
    asyncio.run(store.save(tracker))
    rows = stored_events(tmp_path / "conversations.db")
    assert rows[0]["metadata"]["identity"] == {"verified": True, "customer_id": "C-1"}
    assert [r.get("metadata") or {} for r in rows[1:]] == [{}, {}]
