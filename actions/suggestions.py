"""Product suggestions: personal for known customers, popular for new ones and visitors."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.context import identity_of
from actions.runtime import runtime
from personalization.conversation.suggestions import PERSONAL, POPULAR, suggest

RESPONSES = {PERSONAL: "utter_suggest_personal", POPULAR: "utter_suggest_popular"}


def _suggestions(tracker: Tracker):
    rt = runtime()
    identity = identity_of(tracker)
    profile, _ = rt.personalizer.load_profile(identity, orders=True)
    if not rt.personalizer.enabled or tracker.get_slot("personalized") is False:
        profile = None  # the confidence gate (or a rule) said: nothing personal now
    return suggest(rt.recommender(), rt.store, profile)


class ActionSuggestProducts(Action):
    def name(self) -> str:
        return "action_suggest_products"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        found = await asyncio.to_thread(_suggestions, tracker)
        response = RESPONSES.get(found.kind, "utter_suggest_none")
        dispatcher.utter_message(response=response, products=found.listed() if found.products
                                 else "", interest=found.interest or "")  # fmt: skip
        return []
