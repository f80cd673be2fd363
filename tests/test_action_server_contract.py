"""The action server's HTTP contract: Rasa's own request payloads in, events Rasa accepts out.

Payloads are built by Rasa's RemoteAction from a Rasa tracker, exactly as the Rasa server
sends them, and posted over HTTP to the app `rasa run actions` serves.
"""

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.endpoint import create_app

from tests.trackers import ROOT


@pytest.fixture(scope="module")
def client():
    app = create_app("actions")
    return app.test_client


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


def form_answer_tracker(domain, answers):
    """A tracker as FormAction sends it to validate_order_form after the last answer."""
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("where's my order", {"name": "track_order", "confidence": 0.97}),
        SlotSet("order_request", "track_order"),
        ActionExecuted("order_form"),
        ActiveLoop("order_form"),
        SlotSet("requested_slot", "order_id"),
        BotUttered("What's the order number?", metadata={"utter_action": "utter_ask_order_id"}),
        ActionExecuted("action_listen"),
    ]
    for i, text in enumerate(answers):
        events += [UserUttered(text, {"name": "track_order", "confidence": 0.6})]
        if i < len(answers) - 1:  # earlier answers were rejected
            events += [
                ActionExecuted("order_form"),
                SlotSet("order_id", None),
                BotUttered("Hmm...", metadata={"utter_action": "utter_invalid_order_id"}),
                ActionExecuted("action_listen"),
            ]
    events += [SlotSet("requested_slot", "order_id"), ActionExecuted("order_form")]
    events += [SlotSet("order_id", answers[-1])]
    return DialogueStateTracker.from_events("contract-test", events, slots=domain.slots)


def post_action(client, domain, tracker, name="validate_order_form"):
    payload = RemoteAction(name, None)._action_call_format(tracker, domain)
    _, response = client.post("/webhook", json=payload)
    return response


def test_health(client):
    _, response = client.get("/health")
    assert response.status == 200
    assert response.json == {"status": "ok"}


def test_valid_answer_returns_events_rasa_can_read(client, domain):
    response = post_action(client, domain, form_answer_tracker(domain, ["#1048 2913"]))
    assert response.status == 200
    body = response.json
    events = [Event.from_parameters(e) for e in body["events"]]
    assert SlotSet("order_id", "10482913") in events
    assert SlotSet("order_id_unresolved", False) in events
    assert body["responses"] == []


def test_invalid_answer_asks_rasa_to_send_the_explanation(client, domain):
    response = post_action(client, domain, form_answer_tracker(domain, ["last tuesday"]))
    assert response.status == 200
    assert [r["response"] for r in response.json["responses"]] == ["utter_invalid_order_id"]
    assert SlotSet("order_id", None) in [Event.from_parameters(e) for e in response.json["events"]]


def test_second_invalid_answer_ends_the_form(client, domain):
    tracker = form_answer_tracker(domain, ["last tuesday", "i really dont know"])
    response = post_action(client, domain, tracker)
    events = [Event.from_parameters(e) for e in response.json["events"]]
    assert SlotSet("order_id_unresolved", True) in events
    assert SlotSet("requested_slot", None) in events
    assert response.json["responses"] == []


def test_unknown_action_is_a_404_with_its_name(client, domain):
    response = post_action(client, domain, form_answer_tracker(domain, ["x"]), "action_nope")
    assert response.status == 404
    assert response.json["action_name"] == "action_nope"
