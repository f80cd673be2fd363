"""Consent and erasure through a running Rasa server and action server on the REST channel,
and the NLU telling the privacy requests apart from closing an account."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, select

from personalization.store import schema as t
from personalization.store.customers import upsert_customers
from personalization.store.tracking import record_consent
from tests import privacy_world as pw
from tests import shop
from tests.replies import conversation, default, texts
from tests.trackers import ROOT


def new_customer(assistant, name: str, consented: bool) -> pw.Person:
    customer_id = f"C-{conversation()[4:]}"
    email = f"{name.lower().replace(' ', '.')}.{customer_id[-4:]}@example.com"
    with assistant.store.begin() as conn:
        upsert_customers(conn, [{"customer_id": customer_id, "name": name, "email": email,
                                 "country": "NL", "account_tier": "Plus"}])  # fmt: skip
        if consented:
            record_consent(conn, customer_id, "personalization", True, "web", shop.NOTICE)
    return pw.Person(customer_id, email, name)


def test_a_first_time_customer_is_asked_and_yes_and_stop_both_take_effect(assistant):
    me, sender = new_customer(assistant, "Noor Vermeulen", consented=False), conversation()
    meta = shop.metadata(me.customer_id, sender)

    first = assistant.say(sender, "hello", meta)
    assert first[0]["text"].startswith("Before we start: may I use")
    assert [b["payload"] for b in first[0]["buttons"]] == [
        "/give_consent", "/withdraw_consent", "/consent_later"]
    assert first[1]["text"] == default("utter_greet") and "Noor" not in str(first)

    assert "Thanks, Noor!" in texts(assistant.say(sender, "yes", meta))[0]
    assert "Noor" in texts(assistant.say(sender, "hi again", meta))[0]

    stopped = texts(assistant.say(sender, "please stop personalizing", meta))
    assert stopped[0].startswith("Understood. I won't use your personal data")
    assert texts(assistant.say(sender, "hello", meta)) == [default("utter_greet")]
    with assistant.store.engine.connect() as conn:
        decisions = conn.execute(select(t.consent_records.c.granted).where(
            t.consent_records.c.customer_id == me.customer_id)
            .order_by(t.consent_records.c.id)).scalars().all()  # fmt: skip
    assert decisions == [True, False]


def test_no_to_the_question_gives_the_default_answers(assistant):
    me, sender = new_customer(assistant, "Pieter de Wit", consented=False), conversation()
    meta = shop.metadata(me.customer_id, sender)
    assert assistant.say(sender, "hey", meta)[0]["text"].startswith("Before we start")
    assert texts(assistant.say(sender, "no", meta))[0].startswith("Understood.")
    assert texts(assistant.say(sender, "hello", meta)) == [default("utter_greet")]
    # the next conversation does not ask again: the answer stands
    later = conversation()
    again = texts(assistant.say(later, "hello", shop.metadata(me.customer_id, later)))
    assert again == [default("utter_greet")]


def test_erasure_from_the_chat_leaves_no_trace_once_swept(assistant):
    me, sender = new_customer(assistant, "Femke Jansen", consented=True), conversation()
    meta = shop.metadata(me.customer_id, sender)
    assert "Femke" in texts(assistant.say(sender, "hello", meta))[0]
    assert texts(assistant.say(sender, f"my email is {me.email}", meta))
    asked = texts(assistant.say(sender, "please erase all my personal data", meta))
    assert asked[0].startswith("I can erase the personal data")
    done = texts(assistant.say(sender, "yes", meta))
    assert done[0].startswith("Done: your personal data is erased")
    assert "Femke" not in texts(assistant.say(sender, "hi", meta))[0]

    stores = {name: f"sqlite:///{assistant.work / name}.db"
              for name in ("profiles", "conversations", "rasa_events")}  # fmt: skip
    assert pw.scan(stores, me), "the conversation is kept until it is over"
    swept = subprocess.run(
        [sys.executable, "-m", "personalization", "sweep", "--quiet-after", "0",
         "--endpoints", str(assistant.work / "endpoints.yml")],
        cwd=ROOT, env={**assistant.env, "PATH": "/usr/bin:/bin"}, capture_output=True,
        text=True, timeout=120)  # fmt: skip
    assert swept.returncode == 0 and "Deleted 1 erased conversation" in swept.stdout, swept.stderr
    assert pw.scan(stores, me) == []
    with assistant.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.pending_sweeps)).scalar() == 0


PHRASES = {
    "request_data_deletion": ["could you wipe all the personal details you hold on me",
                              "I'd like my personal information erased, GDPR",
                              "delete all data you have stored about me please"],
    "delete_account": ["please close down my customer account",
                       "how do I deactivate my account", "i want to terminate my membership"],
    "withdraw_consent": ["I don't want my data used to personalise things",
                         "turn off the personalized answers please"],
    "request_data_export": ["can I have a copy of the data you hold about me",
                            "what personal information do you keep about me"],
}  # fmt: skip


def test_erasing_data_closing_the_account_and_opting_out_are_told_apart(assistant):
    predicted = {text: assistant.parse(text)["intent"]["name"]
                 for texts_ in PHRASES.values() for text in texts_}  # fmt: skip
    wrong = {text: got for intent, texts_ in PHRASES.items() for text in texts_
             if (got := predicted[text]) != intent}  # fmt: skip
    assert wrong == {}
