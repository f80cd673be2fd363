"""Identity is verified on every message, through a running Rasa server, action server and
updater on the REST channel: the attacks that used to work (a bare sender id, a signature
of another conversation or an old one, a customer's conversation taken over) get a
visitor's answers, and no signature outlives its message."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from personalization.privacy.conversations import rasa_stores
from personalization.privacy.requests import PrivacyRequests
from personalization.store import schema as t
from personalization.store.customers import upsert_customers
from personalization.store.engine import create_engine
from personalization.store.tracking import record_consent
from tests import shop
from tests.action_calls import HASHER
from tests.replies import conversation, default, texts

REGULAR_ORDERS = ("40000001", "40000002")  # tests/shop.py: Lars Jensen's


def everything(say, sender: str, messages: list[str], metadata: dict | None = None) -> str:
    return " ".join(" ".join(texts(say(sender, m, metadata))) for m in messages)


@pytest.mark.parametrize("sender", ["customer id", "web session"])
def test_a_message_without_a_signature_gets_nothing_of_the_customer(assistant, sender):
    """The terminal chat once used the customer id as Rasa's sender id, and the web chat a
    random session id: anyone posting to either without the signature was the customer."""
    me = shop.REGULAR if sender == "customer id" else conversation()
    signed = texts(assistant.say(me, "hello", shop.metadata(shop.REGULAR, me)))
    assert "Lars" in signed[0]  # the customer, signed in
    # then anyone posts to that conversation without metadata
    assert texts(assistant.say(me, "hello")) == [default("utter_greet")]
    said = everything(assistant.say, me, ["my latest invoice", "what did I order last time",
                                          "where is my order 40000001"])  # fmt: skip
    assert "Lars" not in said and "Jensen" not in said
    assert not any(f"{order} of " in said or f"order {order} (" in said
                   for order in REGULAR_ORDERS)  # fmt: skip
    assert "Espresso" not in said and "€249.00" not in said
    erasure = everything(assistant.say, me, ["delete my data", "yes"])
    assert default("utter_privacy_sign_in") in erasure
    assert assistant.store.profile(shop.REGULAR).first_name == "Lars"  # nothing erased
    # the customer's own next message (signed) is theirs again
    assert "Lars" in texts(assistant.say(me, "hi again", shop.metadata(shop.REGULAR, me)))[0]


def test_a_signature_made_for_another_conversation_is_a_visitor(assistant):
    theirs, mine = conversation(), conversation()
    copied = shop.metadata(shop.VIP, theirs)
    said = everything(assistant.say, mine, ["hello", "where is my order 10000002"], copied)
    assert "Margaret" not in said and "Milk Frother" not in said
    assert said.startswith(default("utter_greet"))


def test_an_expired_signature_is_a_visitor(assistant):
    me = conversation()
    old = shop.metadata(shop.VIP, me, lifetime=600, now=time.time() - 601)
    assert texts(assistant.say(me, "hello", old)) == [default("utter_greet")]
    fresh = shop.metadata(shop.VIP, me)
    assert "Margaret Smith" in texts(assistant.say(me, "hello", fresh))[0]


def kept_text(work: Path) -> dict[str, str]:
    """Every row of every table of Rasa's stores and the profile store, as text."""
    found = {}
    for name in ("conversations", "rasa_events", "profiles"):
        engine = create_engine(f"sqlite:///{work / name}.db")
        with engine.connect() as conn:
            for table in inspect(engine).get_table_names():
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                found[f"{name}.{table}"] = "\n".join(str(tuple(r)) for r in rows)
        engine.dispose()
    return found


def new_customer(assistant) -> str:
    customer = f"C-{conversation()[4:]}"
    with assistant.store.begin() as conn:
        upsert_customers(conn, [{"customer_id": customer, "name": "Wanda Kowalski",
                                 "country": "PL", "account_tier": "Plus"}])  # fmt: skip
        record_consent(conn, customer, "personalization", True, "web", shop.NOTICE)
    return customer


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


def linked(assistant, customer: str) -> set[str]:
    links = t.conversation_links
    with assistant.store.engine.connect() as conn:
        return set(conn.execute(select(links.c.sender_id)
                                .where(links.c.customer_id == customer)).scalars())  # fmt: skip


def test_no_signature_is_kept_only_the_verified_customer(assistant):
    customer, me = new_customer(assistant), conversation()
    signatures = []
    for message in ("hello", "i want to speak to a real person", "thanks"):
        metadata = shop.metadata(customer, me)
        signatures.append(metadata["customer_signature"])
        assistant.say(me, message, metadata)
    wait_for(lambda: assistant.store.profile(customer).requests_by_intent.get("thank_you"),
             "the updater never applied the conversation")  # fmt: skip
    stored = kept_text(assistant.work)
    for where, rows in stored.items():
        assert not any(s in rows for s in signatures), f"a signature is kept in {where}"
    logs = "\n".join(p.read_text(errors="replace") for p in assistant.work.glob("*.log"))
    assert not any(s in logs for s in signatures), "a signature is in a log"
    # what is kept instead: each message's verification result
    tracker = create_engine(f"sqlite:///{assistant.work / 'conversations.db'}")
    with tracker.connect() as conn:
        messages = [json.loads(d) for d in conn.execute(text(
            "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"),
            {"s": me}).scalars()]  # fmt: skip
    tracker.dispose()
    assert [m["metadata"]["identity"] for m in messages] == [
        {"verified": True, "customer_id": customer}] * 3
    requests = PrivacyRequests(assistant.store, HASHER,
                               rasa_stores(Path(assistant.env["PERSONALIZATION_ENDPOINTS"])))
    exported = json.dumps(requests.export(customer, "test"))
    assert me in exported and not any(s in exported for s in signatures)


def test_a_conversation_is_the_customers_only_through_verified_messages(assistant):
    """Unsigned messages under the customer's id as sender id count for nobody, are not in
    their export and are not erased with them; their signed conversation is."""
    customer = new_customer(assistant)
    claimed, mine = customer, conversation()  # the sender id claims to be the customer
    for message in ("hello", "where is my order 12345678", "speak to a human"):
        assistant.say(claimed, message)
    for message in ("hello", "thanks"):
        assistant.say(mine, message, shop.metadata(customer, mine))
    wait_for(lambda: assistant.store.profile(customer).requests_by_intent.get("thank_you"),
             "the updater never applied the signed conversation")  # fmt: skip
    profile = assistant.store.profile(customer)
    assert profile.requests_by_intent == {"greet": 1, "thank_you": 1}
    assert (profile.conversations, profile.escalations) == (1, 0)
    assert linked(assistant, customer) == {mine}
    stores = rasa_stores(Path(assistant.env["PERSONALIZATION_ENDPOINTS"]))
    requests = PrivacyRequests(assistant.store, HASHER, stores)
    exported = requests.export(customer, "test")
    assert [c["sender_id"] for c in exported["conversations"]] == [mine]
    requests.erase(customer, "test")
    tracker = next(s for s in stores if s.role == "tracker store")
    assert list(tracker.events([mine])) == []
    assert len(list(tracker.events([claimed]))) > 5  # someone else's conversation: kept
