"""Hand-offs to people: a ticket that records the route and why, and retention acceptance.

Which response the customer sees is decided in data/rules/routing.yml from the `route`
slot; these actions only record what happened.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.context import decision_for, identity_of, user_intents
from actions.runtime import runtime
from personalization.store.commerce import open_ticket

log = logging.getLogger(__name__)


def _record(tracker: Tracker, route: str, reason: str, channel: str) -> str | None:
    """Open a ticket for a verified customer; None for a visitor or when the store is down."""
    rt = runtime()
    identity = identity_of(tracker)
    if not identity.verified or rt.store is None:
        return None
    topics = rt.personalizer.rules.settings.topics
    category = next((topics[i] for i in reversed(user_intents(tracker)) if i in topics), None)
    try:
        with rt.store.begin() as conn:
            return open_ticket(conn, identity.customer_id, category, route, reason, channel)
    except SQLAlchemyError as error:
        log.warning("Could not record the hand-off ticket (%s): %s", type(error).__name__,
                    str(error).splitlines()[0])  # fmt: skip
        return None


def handoff_reason(tracker: Tracker) -> str:
    """Why the customer is handed over, and why to this route (from the decision)."""
    decision = decision_for(tracker)
    parts = []
    if tracker.get_slot("handoff"):
        trigger = decision.because("handoff")
        parts.append(f"trigger: {trigger.source}" if trigger else "trigger")
    elif _last_offer(tracker) == "utter_offer_human":
        parts.append("the customer accepted the offer of a person "
                     f"({decision.facts.get('complexity', 0)} complexity)")
    else:
        parts.append("the customer asked for a person")
    route = decision.because("route")
    if route:
        parts.append(str(route))
    return "; ".join(parts)


def record_handoff(tracker: Tracker) -> None:
    """A ticket with the route and the reason (a callback outside support hours)."""
    route = tracker.get_slot("route") or "standard"
    available = tracker.get_slot("agents_available") is not False
    reason = handoff_reason(tracker)
    if not available:
        reason = "callback requested outside support hours; " + reason
    ticket = _record(tracker, route, reason, "chat" if available else "callback")
    log.info("hand-off to %s (ticket %s): %s", route, ticket or "none", reason)


def _last_offer(tracker: Tracker) -> str | None:
    """The response the assistant sent last before the customer's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        await asyncio.to_thread(record_handoff, tracker)
        return [SlotSet("handoff", False)]


class ActionAcceptOffer(Action):
    def name(self) -> str:
        return "action_accept_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        offer = tracker.get_slot("offer") or "none"
        ticket = await asyncio.to_thread(_record, tracker, "standard",
                                         f"accepted the {offer} offer", "chat")  # fmt: skip
        log.info("%s offer accepted (ticket %s)", offer, ticket or "none")
        return []
