"""Trackers shaped exactly like the ones the Rasa server sends to the action server."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def domain_dict() -> dict[str, Any]:
    """The project's domain as Rasa serialises it into every action call."""
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain.yml")).as_dict()


def user(text: str, intent: str, entities: list[dict] | None = None,
         confidence: float = 0.98) -> dict[str, Any]:  # fmt: skip
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
        },
    }


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def bot(response: str, text: str = "...") -> dict[str, Any]:
    return {"event": "bot", "text": text, "metadata": {"utter_action": response}}


def form_start(request: str, message: str, entities: list[dict] | None = None) -> list[dict]:
    """Events up to the activation of order_form for an order request."""
    return [
        action("action_session_start"),
        {"event": "session_started"},
        action("action_listen"),
        user(message, request, entities),
        slot("order_request", request),
        action("order_form"),
        {"event": "active_loop", "name": "order_form"},
    ]


def asked_for_order_id() -> list[dict]:
    return [
        slot("requested_slot", "order_id"),
        bot("utter_ask_order_id"),
        action("action_listen"),
    ]


def tracker_dict(events: list[dict], sender_id: str = "customer-1") -> dict[str, Any]:
    slots: dict[str, Any] = {name: spec.get("initial_value")
                             for name, spec in domain_dict()["slots"].items()}  # fmt: skip
    active_loop: dict[str, Any] = {}
    latest_message: dict[str, Any] = {}
    for event in events:
        if event["event"] == "slot":
            slots[event["name"]] = event["value"]
        elif event["event"] == "active_loop":
            active_loop = {"name": event["name"]} if event["name"] else {}
        elif event["event"] == "user":
            latest_message = event["parse_data"]
    return {
        "sender_id": sender_id,
        "slots": slots,
        "latest_message": latest_message,
        "events": events,
        "paused": False,
        "followup_action": None,
        "active_loop": active_loop,
        "latest_action_name": next(
            (e["name"] for e in reversed(events) if e["event"] == "action"), None
        ),
    }
