"""Each personalization action over HTTP, with Rasa's own request payloads, against a real
profile store (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys

from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SlotSet,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.endpoint import create_app
from sqlalchemy import select

from actions.runtime import Runtime, use
from personalization.conversation.personalizer import Personalizer
from personalization.store import Store
from personalization.store import schema as t
from tests import shop
from tests.action_calls import after_session_start, run, run_slots, said, tracker
from tests.trackers import ROOT


def tickets(store, customer):
    with store.engine.connect() as conn:
        return conn.execute(select(t.tickets).where(t.tickets.c.customer_id == customer,
                                                    t.tickets.c.route.isnot(None))).all()


def test_session_start_sets_the_profile_slots_for_a_verified_customer(client, domain):
    signed = shop.metadata(shop.VIP, "web-1")
    state = DialogueStateTracker.from_events("web-1", [
        SlotSet("session_started_metadata", {**signed, "timezone": "Europe/Rome"})],
        slots=domain.slots)  # fmt: skip
    payload = RemoteAction("action_session_start", None)._action_call_format(state, domain)
    _, response = client.post("/webhook", json=payload)
    events = response.json["events"]
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    slots = after_session_start(domain, events)
    assert slots["session_started_metadata"] == {"timezone": "Europe/Rome"}  # no signature
    assert (slots["first_name"], slots["tone"], slots["route"], slots["vip"]) == (
        "Margaret", "formal", "vip_agent", True)
    assert slots["churn_band"] == "low" and slots["known_customer"] is True


def test_session_start_without_a_valid_signature_sets_no_personal_data(client, domain):
    state = DialogueStateTracker.from_events("C-VIP", [SlotSet("session_started_metadata", {
        "customer_id": shop.VIP, "customer_signature": "0" * 64})], slots=domain.slots)
    payload = RemoteAction("action_session_start", None)._action_call_format(state, domain)
    _, response = client.post("/webhook", json=payload)
    slots = after_session_start(domain, response.json["events"])
    assert slots["known_customer"] is False and slots["first_name"] is None
    assert slots["route"] == "standard" and slots["personalized"] is False


def test_every_message_updates_the_route_trigger_and_gate(client, domain):
    clear, _ = run_slots(client, domain, "action_personalize",
                   tracker(domain, shop.VIP, said("this is unacceptable", "complaint")))
    assert clear["handoff"] is True and clear["personalized"] is True
    unclear, _ = run_slots(client, domain, "action_personalize",
                           tracker(domain, shop.VIP, said("meh", "complaint", confidence=0.4)))
    assert unclear["handoff"] is False and unclear["personalized"] is False


def test_two_misunderstandings_raise_the_complexity(client, domain):
    state = tracker(domain, shop.REGULAR, said("blub", "nlu_fallback", 0.3),
                    ActionExecuted("utter_ask_rephrase"), ActionExecuted("action_listen"),
                    said("blab", "nlu_fallback", 0.3), ActionExecuted("utter_offer_human"),
                    ActionExecuted("action_listen"), said("my card got declined", "payment_issue"),
                    ActionExecuted("action_listen"), said("and my invoice is wrong",
                                                          "check_invoice"))  # fmt: skip
    slots, _ = run_slots(client, domain, "action_personalize", state)
    # 2 misunderstood + 2 problems + 1 open ticket = complexity 5: escalation
    assert slots["route"] == "escalation"


def test_order_answers_come_from_the_customers_own_orders(client, domain):
    form_done = [SlotSet("order_request", "cancel_order"), SlotSet("order_id", "10000002")]
    mine = tracker(domain, shop.VIP, said("cancel 10000002", "cancel_order"), *form_done)
    _, responses = run(client, domain, "action_answer_order", mine)
    assert responses[0]["response"] == "utter_order_open"
    assert responses[0]["order_items"] == "Milk Frother (x2)"
    assert responses[0]["order_total"] == "€78.00"
    theirs = tracker(domain, shop.NEW, said("cancel 10000002", "cancel_order"), *form_done)
    _, responses = run(client, domain, "action_answer_order", theirs)
    assert responses == [{**responses[0], "response": "utter_order_not_on_account"}]
    assert "order_items" not in responses[0]
    visitor = tracker(domain, None, said("cancel 10000002", "cancel_order"), *form_done)
    _, responses = run(client, domain, "action_answer_order", visitor)
    assert responses[0]["response"] == "utter_order_request_done"


def test_a_handoff_records_the_route_and_the_reason_on_a_ticket(client, domain, store):
    state = tracker(domain, shop.LEAVING, said("my card was declined", "payment_issue"),
                    ActionExecuted("utter_payment_issue"), ActionExecuted("action_listen"),
                    said("get me a person", "contact_human_agent"),
                    SlotSet("route", "escalation"))  # fmt: skip
    slots, responses = run(client, domain, "action_handoff", state)
    assert slots == {"handoff": False} and responses == []
    [ticket] = tickets(store, shop.LEAVING)
    assert (ticket.route, ticket.category, ticket.escalated) == ("escalation", "payment", True)
    assert ticket.reason.startswith("the customer asked for a person; route=escalation by rule: ")
    assert "churn_risk=0.86" in ticket.reason


def test_a_visitors_handoff_records_nothing(client, domain, store):
    visitor = tracker(domain, None, said("human", "contact_human_agent"))
    run(client, domain, "action_handoff", visitor)
    with store.engine.connect() as conn:
        assert conn.execute(select(t.tickets).where(t.tickets.c.route.isnot(None))).all() == []


def test_an_accepted_retention_offer_is_recorded(client, domain, store):
    state = tracker(domain, shop.AT_RISK, said("close my account", "delete_account"),
                    SlotSet("offer", "retention"), ActionExecuted("utter_retention_offer_account"),
                    ActionExecuted("action_listen"), said("ok I stay", "affirm"))  # fmt: skip
    run(client, domain, "action_accept_offer", state)
    assert [r.reason for r in tickets(store, shop.AT_RISK)] == ["accepted the retention offer"]


def test_suggestions_without_models_point_to_the_bestsellers(client, domain):
    _, responses = run(client, domain, "action_suggest_products",
                       tracker(domain, shop.VIP, said("any tips for me?", "ask_recommendation")))
    assert responses[0]["response"] == "utter_suggest_none"


def test_an_unreachable_store_never_makes_an_action_fail(domain, rules):
    down = Store.from_url("postgresql://postgres@127.0.0.1:1/nowhere", check_schema=False)
    use(Runtime(Personalizer(down, rules, shop.SECRET), down, None))
    try:
        client = create_app("actions").test_client
        message = said("cancel 10000002", "cancel_order")
        for name in ("action_personalize", "action_answer_order", "action_handoff",
                     "action_suggest_products", "action_accept_offer"):
            state = tracker(domain, shop.VIP, message, SlotSet("order_id", "10000002"))
            slots, responses = run(client, domain, name, state)
            if name == "action_answer_order":
                assert responses[0]["response"] == "utter_order_request_done"
        slots, _ = run_slots(client, domain, "action_personalize",
                             tracker(domain, shop.VIP, message))  # fmt: skip
        assert slots["personalized"] is False
    finally:
        use(None)


class BrokenStore:
    """A profile store that fails in a way nobody foresaw (not a database error)."""

    def profile(self, *_):
        raise RuntimeError("unforeseen")


def test_a_failing_decision_leaves_a_visitors_slots_not_the_customers(domain, rules, caplog):
    """If action_personalize failed, Rasa would go on with the slots of the message before:
    a customer's name and route for a message nobody signed."""
    use(Runtime(Personalizer(BrokenStore(), rules, shop.SECRET), None, None))
    try:
        client = create_app("actions").test_client
        state = tracker(domain, shop.VIP, SlotSet("first_name", "Margaret"),
                        SlotSet("personalized", True), SlotSet("known_customer", True),
                        SlotSet("route", "vip_agent"), said("hello", "greet"))  # fmt: skip
        slots, _ = run_slots(client, domain, "action_personalize", state)
    finally:
        use(None)
    assert (slots["first_name"], slots["personalized"], slots["known_customer"]) == (
        None, False, False)
    assert slots["route"] == "standard" and "visitor's answers" in caplog.text


def test_the_action_server_refuses_to_start_with_a_broken_rules_file(tmp_path):
    bad = tmp_path / "rules.yml"
    bad.write_text("version: 1\nrules:\n  - name: a\n    when: {churn_rsk: 1}\n"
                   "    then: {route: standard}\n")  # fmt: skip
    started = subprocess.run(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PERSONALIZATION_RULES": str(bad)})  # fmt: skip
    assert started.returncode == 78
    assert "cannot start: the personalization rules file has problems" in started.stderr
    assert f"{bad}, line 4: unknown field 'churn_rsk'" in started.stderr


def test_the_action_server_refuses_to_start_without_a_hash_key_or_with_a_redis_tracker_store(
        tmp_path):  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "PERSONALIZATION_HASH_KEY"}
    command = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", "1"]
    no_key = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=env)  # fmt: skip
    assert no_key.returncode == 78 and "PERSONALIZATION_HASH_KEY is not set" in no_key.stderr
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: redis\n")
    redis = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**env, "PERSONALIZATION_HASH_KEY": "k" * 32,
                                "PERSONALIZATION_ENDPOINTS": str(endpoints)})  # fmt: skip
    assert redis.returncode == 78 and "SQL tracker store only" in redis.stderr


def test_invoice_questions_name_the_customers_own_latest_orders(client, domain):
    _, latest = run(client, domain, "action_answer_invoice",
                    tracker(domain, shop.VIP, said("send me my invoice", "get_invoice")))
    assert latest[0]["response"] == "utter_invoice_latest"
    assert (latest[0]["order_id"], latest[0]["order_total"]) == ("10000002", "€78.00")
    _, recent = run(client, domain, "action_answer_invoice",
                    tracker(domain, shop.VIP, said("where are my bills", "check_invoice")))
    assert recent[0]["response"] == "utter_invoices_recent"
    assert recent[0]["orders"].startswith("10000002 of ") and "10000001 of " in recent[0]["orders"]
    for who, intent, general in ((None, "get_invoice", "utter_get_invoice"),
                                 (shop.NEW, "check_invoice", "utter_check_invoice")):
        _, answer = run(client, domain, "action_answer_invoice",
                        tracker(domain, who, said("invoice?", intent)))
        assert answer[0]["response"] == general and "orders" not in answer[0]


def test_an_accepted_offer_of_a_person_is_the_reason_on_the_ticket(client, domain, store):
    state = tracker(domain, shop.VIP, said("blub", "nlu_fallback", 0.3),
                    BotUttered("Could you say it in other words?",
                               metadata={"utter_action": "utter_ask_rephrase"}),
                    ActionExecuted("action_listen"), said("blab", "nlu_fallback", 0.3),
                    BotUttered("Would you like a person?",
                               metadata={"utter_action": "utter_offer_human"}),
                    ActionExecuted("action_listen"), said("yes", "affirm"),
                    SlotSet("route", "vip_agent"))  # fmt: skip
    run(client, domain, "action_handoff", state)
    [ticket] = tickets(store, shop.VIP)
    assert ticket.route == "vip_agent"
    assert ticket.reason.startswith("the customer accepted the offer of a person")
