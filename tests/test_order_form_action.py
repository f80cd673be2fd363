"""validate_order_form, run the way the action server runs it, on real-shaped trackers."""

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.order_form import ValidateOrderForm
from tests.trackers import (
    action,
    asked_for_order_id,
    bot,
    domain_dict,
    form_start,
    slot,
    tracker_dict,
    user,
)


def run_validation(events):
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict(tracker_dict(events))
    result = asyncio.run(ValidateOrderForm().run(dispatcher, tracker, domain_dict()))
    slots = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    responses = [m.get("response") for m in dispatcher.messages]
    return slots, responses


def answer(text, intent="track_order"):
    """The customer answers the form's question; Rasa appends the slot candidate."""
    return [user(text, intent), action("order_form"), slot("order_id", text)]


def test_number_in_the_first_message_is_accepted_at_activation():
    entity = {"entity": "order_id", "value": "#10482913", "start": 18, "end": 27}
    events = form_start("track_order", "where is my order #10482913", [entity])
    events += [action("order_form"), slot("order_id", "#10482913")]
    slots, responses = run_validation(events)
    assert slots["order_id"] == "10482913"
    assert slots["order_id_unresolved"] is False
    assert responses == []


def test_valid_answer_is_normalised_and_fills_the_slot():
    events = form_start("cancel_order", "cancel my order") + asked_for_order_id()
    slots, responses = run_validation(events + answer("it's ORD-5550 1234 thanks"))
    assert slots["order_id"] == "55501234"
    assert slots["order_id_unresolved"] is False
    assert responses == []


def test_first_invalid_answer_explains_and_asks_again():
    events = form_start("track_order", "where is my parcel") + asked_for_order_id()
    slots, responses = run_validation(events + answer("1234"))
    assert slots["order_id"] is None
    assert "order_id_unresolved" not in slots
    assert "requested_slot" not in slots  # the form keeps asking
    assert responses == ["utter_invalid_order_id"]


def test_second_invalid_answer_stops_the_form_instead_of_looping():
    events = form_start("get_refund", "i want my money back") + asked_for_order_id()
    events += answer("dunno")
    events += [slot("order_id", None), bot("utter_invalid_order_id")] + asked_for_order_id()
    slots, responses = run_validation(events + answer("no idea sorry"))
    assert slots["order_id"] is None
    assert slots["order_id_unresolved"] is True
    assert slots["requested_slot"] is None  # ends the form: rules then offer a human
    assert responses == []


def test_invalid_answers_of_an_earlier_form_run_do_not_count():
    earlier = form_start("track_order", "track my order") + asked_for_order_id()
    earlier += answer("dunno") + [slot("order_id", None), bot("utter_invalid_order_id")]
    earlier += [
        user("never mind", "deny"),
        action("action_deactivate_loop"),
        {"event": "active_loop", "name": None},
        slot("requested_slot", None),
    ]
    events = earlier + form_start("change_order", "change my order") + asked_for_order_id()
    slots, responses = run_validation(events + answer("abc"))
    assert "order_id_unresolved" not in slots
    assert responses == ["utter_invalid_order_id"]
