"""Whole conversations through the REST channel of a running Rasa server + action server."""

from __future__ import annotations

import time

from personalization.store.customers import upsert_customers
from personalization.store.tracking import record_consent
from tests import shop
from tests.replies import conversation, default, texts, variations


def test_tracking_an_order_after_one_wrong_number(assistant):
    me = conversation()
    assert texts(assistant.say(me, "hello there")) == [default("utter_greet")]

    asked = texts(assistant.say(me, "where the heck is my parcel"))
    assert asked == [
        "Sure, let's find that order. What's the order number? It has 8 digits, like "
        "10482913, and it's in your confirmation email."
    ]

    reasked = texts(assistant.say(me, "hmm maybe 1234?"))
    assert reasked[0] in variations("utter_invalid_order_id")
    assert reasked[1] == asked[0]  # the form asks again

    done = texts(assistant.say(me, "oh wait it's #5550-1234"))
    assert len(done) == 1
    assert done[0] in variations("utter_order_request_done", order_id="55501234")
    assert done[0].startswith("You can follow order 55501234 live")


def test_number_in_the_first_message_is_answered_at_once_and_reused(assistant):
    me = conversation()
    first = texts(assistant.say(me, "I need to cancel order 20482917 please"))
    assert first == [
        t for t in variations("utter_order_request_done", order_id="20482917")
        if t.startswith("To cancel order")
    ]
    second = texts(assistant.say(me, "and where is it right now?"))
    assert second[0].startswith("You can follow order 20482917")


def test_two_invalid_numbers_lead_to_a_human_not_a_loop(assistant):
    me = conversation()
    assistant.say(me, "i want a refund")
    assistant.say(me, "last tuesday")
    offer = assistant.say(me, "it was the blue jacket")
    assert texts(offer) == [default("utter_offer_human")]
    assert [b["payload"] for b in offer[0]["buttons"]] == ["/affirm", "/deny"]

    handoff = texts(assistant.say(me, "/affirm"))  # the "Yes, connect me" button
    assert handoff == [default("utter_handoff_standard")]


def test_a_customer_without_the_number_gets_help_then_a_person(assistant):
    me = conversation()
    assistant.say(me, "i need to change the address for my delivery")
    help_ = texts(assistant.say(me, "no idea, i dont have it"))
    assert help_ == list(variations("utter_order_id_help"))
    offer = texts(assistant.say(me, "nope, can't find it anywhere"))
    assert offer == [default("utter_offer_human")]


def test_questions_thanks_and_goodbye(assistant):
    me = conversation()
    assert texts(assistant.say(me, "can i pay with paypal or klarna?")) == list(
        variations("utter_payment_methods")
    )
    assert texts(assistant.say(me, "cool thx")) == list(variations("utter_you_are_welcome"))
    assert texts(assistant.say(me, "no that's all, bye")) == [default("utter_goodbye")]


def wait_for_history(assistant, customer_id: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        profile = assistant.store.profile(customer_id)
        if profile.escalations:
            return profile
        time.sleep(0.3)
    raise AssertionError(f"no escalation recorded for {customer_id} within {timeout} s")


def known_customer(assistant, consent: bool) -> str:
    me = conversation()
    with assistant.store.begin() as conn:
        upsert_customers(conn, [{"customer_id": me}])
        if consent:
            record_consent(conn, me, "personalization", True, "test")
    return me


def test_conversations_reach_the_customers_interaction_history(assistant):
    """Rasa's SQL event broker -> updater -> profile store, while the conversation goes on."""
    private, me = known_customer(assistant, consent=False), known_customer(assistant, consent=True)
    for who in (private, me):
        session = conversation()
        for message in ("hi", "where is order 30482913", "i want to speak to a real person"):
            assistant.say(session, message, shop.metadata(who, session))
    profile = wait_for_history(assistant, me)
    assert profile.conversations == 1 and profile.escalations == 1
    assert profile.requests_by_intent == {"greet": 1, "track_order": 1, "contact_human_agent": 1}
    assert profile.last_interaction_at is not None
    # the updater got past the earlier conversation of the customer without consent
    untouched = assistant.store.profile(private)
    assert (untouched.conversations, untouched.requests_by_intent) == (0, {})


def test_a_web_chat_counts_for_the_customer_its_signature_names(assistant):
    """On the web chat Rasa's sender id is a random session id: each message's verified
    signature says whose it is, so its events reach their history."""
    me, session = known_customer(assistant, consent=True), conversation()
    assistant.say(session, "hello", shop.metadata(me, session))
    assistant.say(session, "i want to speak to a real person", shop.metadata(me, session))
    profile = wait_for_history(assistant, me)
    assert profile.conversations == 1 and profile.escalations == 1
    assert profile.requests_by_intent == {"greet": 1, "contact_human_agent": 1}
    other = conversation()
    forged = {**shop.metadata(me, other), "customer_signature": "0" * 64}
    assistant.say(other, "hello", forged)  # counts for nobody
    assistant.say(session, "thanks", shop.metadata(me, session))
    deadline = time.monotonic() + 30
    while assistant.store.profile(me).requests_by_intent.get("thank_you") != 1:
        assert time.monotonic() < deadline, "the third message never reached the history"
        time.sleep(0.3)
    assert assistant.store.profile(me).requests_by_intent.get("greet") == 1
