"""Personalization at the start of a session and on every message.

`action_session_start` identifies the customer, loads the profile and sets every profile
slot. `action_personalize` runs after each user message (it is the custom slot mapping of
the `personalized` slot, so action_extract_slots calls it) and decides again for that
message's own identity: a message without a valid signature is an anonymous visitor's, so
the slots of a customer are replaced by a visitor's at once. Only the slots whose value
changes are sent.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import (
    METADATA_SLOT,
    conversation_context,
    decision_for,
    message_metadata,
    user_intents,
)
from actions.privacy import ERASURE_SLOT, QUESTION_SLOT, answer_of
from actions.runtime import read, runtime
from personalization.conversation.decision import SLOTS
from personalization.conversation.facts import Context
from personalization.conversation.identity import ANONYMOUS, SIGNED_KEYS
from personalization.privacy.consent import DEFERRED, NEEDED

log = logging.getLogger(__name__)
EXPLANATION_SLOT = "explanation"  # set only when the runtime explains (the "why" panel)
NOT_CARRIED = {METADATA_SLOT, "requested_slot", QUESTION_SLOT, ERASURE_SLOT, EXPLANATION_SLOT,
               *SLOTS}  # fmt: skip




class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        metadata = message_metadata(tracker)
        zone = metadata.get("timezone")
        decision = await read(decision_for, tracker, Context(
            channel=tracker.get_latest_input_channel(),
            timezone=zone if isinstance(zone, str) else None))  # fmt: skip
        # SessionStarted resets every slot to its initial value: only the others are set
        initial = {name: spec.get("initial_value")
                   for name, spec in (domain.get("slots") or {}).items()}  # fmt: skip
        values = {}
        if (domain.get("session_config") or {}).get("carry_over_slots_to_new_session"):
            values = {name: value for name, value in tracker.slots.items()
                      if name not in NOT_CARRIED}  # fmt: skip
        if metadata:  # (its timezone, for later messages); never the signature
            values[METADATA_SLOT] = {k: v for k, v in metadata.items() if k not in SIGNED_KEYS}
        values.update((name, decision.slots.get(name)) for name in SLOTS)
        if runtime().explain:
            values[EXPLANATION_SLOT] = decision.explanation()
        if decision.slots.get("consent") == NEEDED:  # first chat, or a new privacy notice
            dispatcher.utter_message(response="utter_ask_consent")
            values[QUESTION_SLOT] = True
        events: list[EventType] = [SessionStarted()]
        events += [SlotSet(name, value) for name, value in values.items()
                   if not _same(value, initial.get(name))]  # fmt: skip
        events.append(ActionExecuted("action_listen"))
        return events


def _same(value: Any, initial: Any) -> bool:
    return type(value) is type(initial) and value == initial


class ActionPersonalize(Action):
    def name(self) -> str:
        return "action_personalize"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        try:
            decision = await read(decision_for, tracker)
        except Exception:  # noqa: BLE001 - a bug must not leave a customer's slots in place
            log.exception("action_personalize failed: this message gets a visitor's answers")
            decision = runtime().personalizer.decide(ANONYMOUS, conversation_context(tracker))
        values = {name: decision.slots.get(name) for name in SLOTS}
        if values["consent"] == NEEDED and tracker.get_slot("consent") == DEFERRED:
            values["consent"] = DEFERRED  # "ask me later" holds for this conversation
        events = [SlotSet(name, value) for name, value in values.items()
                  if not _same(value, tracker.get_slot(name))]  # fmt: skip
        if runtime().explain and tracker.get_slot(EXPLANATION_SLOT) != decision.explanation():
            events.append(SlotSet(EXPLANATION_SLOT, decision.explanation()))
        if tracker.get_slot(QUESTION_SLOT) and answer_of(tracker) is None \
                and len(user_intents(tracker)) > 1:  # (the first message came before it)
            events.append(SlotSet(QUESTION_SLOT, False))  # asked something else: not an answer
        return events
