"""Calling the action server as the Rasa server does: trackers, Rasa's own request payloads,
and the slots and responses that come back. The fixtures `domain`, `rules` and `client` (an
action server on a filled shop) are in conftest.py."""

from __future__ import annotations

from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from personalization.hashing import IdHasher
from tests import shop

HASHER = IdHasher(b"actions-test-hash-key-0123456789")


def tracker(domain, customer: str | None, *events: Event, sender: str = "web-1"):
    """A conversation of `customer` (None: a visitor) in `sender`: each of their messages
    carries the website's signature, as the chat widget sends it (unless it has metadata)."""
    start = [ActionExecuted("action_session_start"), SessionStarted()]
    if customer:
        start.append(SlotSet("session_started_metadata", shop.metadata(customer, sender)))
        for event in events:
            if isinstance(event, UserUttered) and not event.metadata:
                event.metadata = shop.metadata(customer, sender)
    return DialogueStateTracker.from_events(sender, [*start, ActionExecuted("action_listen"),
                                                     *events], slots=domain.slots)  # fmt: skip


def said(text: str, intent: str, confidence: float = 0.97, **entities) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": confidence},
                       [{"entity": k, "value": v} for k, v in entities.items()])  # fmt: skip


def run(client, domain, name, state) -> tuple[dict, list[dict]]:
    payload = RemoteAction(name, None)._action_call_format(state, domain)
    _, response = client.post("/webhook", json=payload)
    assert response.status == 200, response.text
    slots = {e["name"]: e["value"] for e in response.json["events"] if e["event"] == "slot"}
    return slots, response.json["responses"]


def run_slots(client, domain, name, state) -> tuple[dict, list[dict]]:
    """(every slot once Rasa applied the action's slot events, its responses): actions send
    only the slots that change."""
    slots, responses = run(client, domain, name, state)
    return {**state.current_slot_values(), **slots}, responses


def after_session_start(domain, events: list[dict]) -> dict:
    """The slots once Rasa applied the events: SessionStarted resets them to their initial
    values, then the slot events set theirs."""
    assert events[0]["event"] == "session_started"
    return {**{slot.name: slot.initial_value for slot in domain.slots},
            **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}  # fmt: skip


def session_start(client, domain, customer: str | None, sender: str = "web-1"):
    """(slots after the session start, its responses) for a customer's first message."""
    metadata = shop.metadata(customer, sender) if customer else {}
    state = DialogueStateTracker.from_events(sender, [SlotSet("session_started_metadata",
                                                              metadata)], slots=domain.slots)
    payload = RemoteAction("action_session_start", None)._action_call_format(state, domain)
    _, response = client.post("/webhook", json=payload)
    assert response.status == 200, response.text
    return after_session_start(domain, response.json["events"]), response.json["responses"]
