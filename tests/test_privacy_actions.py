"""Consent, data export and erasure in the conversation: each action over HTTP with Rasa's own
payloads, against a real profile store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from rasa.shared.core.events import SlotSet
from sqlalchemy import select

from personalization.store import audit
from personalization.store import schema as t
from tests import shop
from tests.action_calls import HASHER, run, run_slots, said, session_start, tracker


def consent_rows(store, customer):
    with store.engine.connect() as conn:
        state = conn.execute(select(t.consent_state).where(
            t.consent_state.c.customer_id == customer)).all()  # fmt: skip
        records = conn.execute(select(t.consent_records).where(
            t.consent_records.c.customer_id == customer)).all()  # fmt: skip
    return state, records


def audited(store, customer) -> list[tuple[str, str, str]]:
    with store.engine.connect() as conn:
        return [(e["action"], e["outcome"], e["actor"])
                for e in audit.entries(conn, HASHER(customer))]  # fmt: skip


def names(responses) -> list[str]:
    return [r["response"] for r in responses]


def test_a_first_time_customer_is_asked_and_nothing_personal_is_used_until_yes(client, domain):
    slots, responses = session_start(client, domain, shop.FIRST)
    assert names(responses) == ["utter_ask_consent"]
    assert slots["consent"] == "needed" and slots["consent_question"] is True
    # a gold customer, but without consent: no name, no VIP route, nothing personal
    assert slots["known_customer"] is True and slots["personalized"] is False
    assert (slots["first_name"], slots["vip"], slots["route"]) == (None, False, "standard")
    assert slots["segment"] is None and slots["churn_risk"] is None


def test_a_customer_who_answered_under_the_current_notice_is_not_asked(client, domain):
    slots, responses = session_start(client, domain, shop.VIP)
    assert responses == [] and slots["consent"] == "granted"
    assert slots["consent_question"] is False and slots["first_name"] == "Margaret"


def test_a_new_privacy_notice_asks_everyone_again(client, domain, store):
    from personalization.store.tracking import record_consent

    with store.begin() as conn:  # the VIP's consent was given under an older notice
        record_consent(conn, shop.VIP, "personalization", True, "web", "2020-01")
    slots, responses = session_start(client, domain, shop.VIP)
    assert names(responses) == ["utter_ask_consent"] and slots["first_name"] is None


def test_yes_to_the_question_records_consent_and_personalizes_at_once(client, domain, store):
    state = tracker(domain, shop.FIRST, SlotSet("consent_question", True), said("yes", "affirm"))
    slots, responses = run(client, domain, "action_set_consent", state)
    assert names(responses) == ["utter_consent_given"]
    assert responses[0]["thanks"] == "Thanks, Ines!"  # a response variable
    assert slots["consent_question"] is False and slots["consent"] == "granted"
    assert slots["personalized"] is True and slots["first_name"] == "Ines"
    assert (slots["vip"], slots["route"]) == (True, "vip_agent")
    (state_row,), (record,) = consent_rows(store, shop.FIRST)
    assert state_row.granted is True and state_row.notice_version == shop.NOTICE
    assert (record.granted, record.channel, record.notice_version) == (True, "chat", shop.NOTICE)
    assert audited(store, shop.FIRST) == [("consent", "granted", "customer via chat")]


def test_stop_personalizing_takes_effect_in_the_same_conversation(client, domain, store):
    state = tracker(domain, shop.VIP, said("stop using my data", "withdraw_consent"))
    slots, responses = run(client, domain, "action_set_consent", state)
    assert names(responses) == ["utter_consent_withdrawn"]
    assert slots["personalized"] is False and slots["consent"] == "declined"
    assert (slots["first_name"], slots["full_name"], slots["vip"], slots["route"]) == (
        None, None, False, "standard")
    # the next message is answered without the profile too
    state = tracker(domain, shop.VIP, said("i need a person", "contact_human_agent"))
    later, _ = run_slots(client, domain, "action_personalize", state)
    assert later["personalized"] is False and later["route"] == "standard"
    (state_row,), records = consent_rows(store, shop.VIP)
    assert state_row.granted is False and len(records) == 2
    assert audited(store, shop.VIP) == [("consent", "withdrawn", "customer via chat")]


def test_later_records_no_decision_and_asks_again_next_time(client, domain, store):
    state = tracker(domain, shop.FIRST, SlotSet("consent_question", True),
                    said("/consent_later", "consent_later"))  # fmt: skip
    slots, responses = run(client, domain, "action_set_consent", state)
    assert names(responses) == ["utter_consent_later"] and slots["consent"] == "deferred"
    assert slots["personalized"] is False and consent_rows(store, shop.FIRST) == ([], [])
    assert audited(store, shop.FIRST) == [("consent", "deferred", "customer via chat")]
    _, again = session_start(client, domain, shop.FIRST, sender="web-2")
    assert names(again) == ["utter_ask_consent"]


def test_a_visitor_has_nothing_to_consent_to(client, domain, store):
    state = tracker(domain, None, said("yes use my data", "give_consent"))
    slots, responses = run(client, domain, "action_set_consent", state)
    assert names(responses) == ["utter_consent_visitor"] and slots == {"consent_question": False}


def test_another_message_closes_the_question_but_the_first_does_not(client, domain):
    first = tracker(domain, shop.FIRST, SlotSet("consent_question", True), said("hi", "greet"))
    slots, _ = run_slots(client, domain, "action_personalize", first)
    assert slots["consent_question"] is True
    second = tracker(domain, shop.FIRST, SlotSet("consent_question", True), said("hi", "greet"),
                     said("where is my parcel", "track_order"))  # fmt: skip
    slots, _ = run_slots(client, domain, "action_personalize", second)
    assert slots["consent_question"] is False


def test_a_copy_of_my_data_is_promised_to_the_masked_address_and_audited(client, domain, store):
    state = tracker(domain, shop.FIRST, said("send me my data", "request_data_export"))
    _, responses = run(client, domain, "action_request_data_export", state)
    assert names(responses) == ["utter_data_export_on_its_way"]
    assert responses[0]["email_hint"] == "i***@example.com"
    assert "ines.moreau" not in json.dumps(responses)
    assert audited(store, shop.FIRST) == [("export", "requested", "customer via chat")]

    visitor = tracker(domain, None, said("send me my data", "request_data_export"))
    _, responses = run(client, domain, "action_request_data_export", visitor)
    assert names(responses) == ["utter_privacy_sign_in"]


def test_erasure_in_the_chat_needs_a_yes_and_then_erases(client, domain, store):
    asked = tracker(domain, shop.REGULAR, said("erase my data", "request_data_deletion"))
    slots, responses = run(client, domain, "action_ask_data_deletion", asked)
    assert names(responses) == ["utter_confirm_data_deletion"]
    assert slots == {"erasure_question": True}

    no = tracker(domain, shop.REGULAR, SlotSet("erasure_question", True), said("no", "deny"))
    slots, responses = run(client, domain, "action_answer_data_deletion", no)
    assert names(responses) == ["utter_data_deletion_cancelled"]
    assert store.profile(shop.REGULAR) is not None and audited(store, shop.REGULAR) == []

    yes = tracker(domain, shop.REGULAR, said("erase my data", "request_data_deletion"),
                  SlotSet("erasure_question", True), said("yes", "affirm"),
                  sender="web-erase")  # fmt: skip
    slots, responses = run(client, domain, "action_answer_data_deletion", yes)
    assert names(responses) == ["utter_data_erased"]
    assert slots["erasure_question"] is False and slots["known_customer"] is False
    assert slots["first_name"] is None and slots["personalized"] is False
    assert store.profile(shop.REGULAR) is None
    assert audited(store, shop.REGULAR) == [("erasure", "completed", "customer via chat")]
    with store.engine.connect() as conn:
        assert conn.execute(select(t.pending_sweeps.c.sender_id)).scalars().all() == ["web-erase"]


def test_a_visitor_cannot_erase_anyone(client, domain, store):
    forged = {"customer_id": shop.VIP, "customer_signature": "f" * 64}
    state = tracker(domain, None, SlotSet("session_started_metadata", forged),
                    said("delete my data", "request_data_deletion"))  # fmt: skip
    slots, responses = run(client, domain, "action_ask_data_deletion", state)
    assert names(responses) == ["utter_privacy_sign_in"] and slots == {"erasure_question": False}
    state = tracker(domain, None, SlotSet("session_started_metadata", forged),
                    SlotSet("erasure_question", True), said("yes", "affirm"))  # fmt: skip
    _, responses = run(client, domain, "action_answer_data_deletion", state)
    assert names(responses) == ["utter_privacy_sign_in"]
    assert store.profile(shop.VIP) is not None


def test_a_yes_from_another_customer_than_who_asked_erases_nothing(client, domain, store):
    """A customer asks, then someone else signed in on the same chat session answers yes."""
    asked = said("erase my data", "request_data_deletion")
    asked.metadata = shop.metadata(shop.REGULAR, "web-1")
    state = tracker(domain, shop.NEW, asked, SlotSet("erasure_question", True),
                    said("yes", "affirm"))  # the yes is signed for NEW
    _, responses = run(client, domain, "action_answer_data_deletion", state)
    assert names(responses) == ["utter_data_deletion_cancelled"]
    assert store.profile(shop.NEW) is not None and store.profile(shop.REGULAR) is not None
    assert audited(store, shop.NEW) == [] and audited(store, shop.REGULAR) == []


def test_after_erasure_nothing_is_recorded_about_the_customer_again(client, domain, store):
    yes = tracker(domain, shop.NEW, said("erase my data", "request_data_deletion"),
                  SlotSet("erasure_question", True), said("yes", "affirm"))  # fmt: skip
    run(client, domain, "action_answer_data_deletion", yes)
    again = tracker(domain, shop.NEW, said("you can use my data", "give_consent"))
    _, responses = run(client, domain, "action_set_consent", again)
    assert names(responses) == ["utter_consent_visitor"]
    assert consent_rows(store, shop.NEW) == ([], [])
    assert [a for a, _, _ in audited(store, shop.NEW)] == ["erasure"]


def test_an_unreachable_store_never_makes_a_privacy_action_fail(domain, rules):
    from rasa_sdk.endpoint import create_app

    from actions.runtime import Runtime, use
    from personalization.conversation.personalizer import Personalizer
    from personalization.privacy.requests import PrivacyRequests
    from personalization.store import Store

    down = Store.from_url("postgresql://postgres@127.0.0.1:1/nowhere", check_schema=False)
    use(Runtime(Personalizer(down, rules, shop.SECRET), down, None, HASHER,
                PrivacyRequests(down, HASHER)))
    try:
        client = create_app("actions").test_client
        for name, slot, messages in [
                ("action_set_consent", "consent_question", [said("yes", "affirm")]),
                ("action_request_data_export", None, [said("my data", "request_data_export")]),
                ("action_answer_data_deletion", "erasure_question",
                 [said("erase my data", "request_data_deletion"), said("yes", "affirm")])]:
            opened = [SlotSet(slot, True)] if slot else []
            state = tracker(domain, shop.VIP, *messages[:-1], *opened, messages[-1])
            _, responses = run(client, domain, name, state)
            assert names(responses) == ["utter_privacy_request_failed"], name
    finally:
        use(None)
