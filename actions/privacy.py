"""Privacy in the conversation: the customer's yes, no or later to personalization and
"stop personalizing" at any time (effective in the same conversation); a copy of their data;
erasure of their data after an explicit yes. Visitors who are not signed in get nothing
personal and are asked to sign in."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.context import decision_for, identity_of
from actions.runtime import runtime
from personalization.conversation.decision import SLOTS
from personalization.conversation.identity import RECORD_KEY, verified_customer
from personalization.privacy.consent import DECLINED, DEFERRED, GRANTED, record_answer
from personalization.privacy.requests import mask_email
from personalization.store import audit
from personalization.store.customers import customer_email

log = logging.getLogger(__name__)

QUESTION_SLOT = "consent_question"  # the consent question is open (asked, not answered)
ERASURE_SLOT = "erasure_question"  # "shall I erase your data?" is open
ERASURE_REQUEST = "request_data_deletion"
ANSWERS = {"give_consent": GRANTED, "withdraw_consent": DECLINED, "consent_later": DEFERRED}
TO_THE_QUESTION = {"affirm": GRANTED, "deny": DECLINED}
FAILED = "utter_privacy_request_failed"  # a store was down: nothing changed, ask again
RESPONSES = {GRANTED: "utter_consent_given", DECLINED: "utter_consent_withdrawn",
             DEFERRED: "utter_consent_later"}  # fmt: skip


def answer_of(tracker: Tracker) -> str | None:
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    if tracker.get_slot(QUESTION_SLOT) and intent in TO_THE_QUESTION:
        return TO_THE_QUESTION[intent]
    return ANSWERS.get(intent)


def _record(tracker: Tracker, answer: str):
    """Record the verified customer's answer; then decide again with it (None: a visitor, or
    an erased customer)."""
    rt = runtime()
    identity = identity_of(tracker)
    if not identity.verified or rt.store is None:
        return None
    if not record_answer(rt.store, rt.hasher, identity.customer_id, answer,
                         tracker.get_latest_input_channel() or "chat",
                         rt.personalizer.rules.settings.privacy_notice_version):  # fmt: skip
        return None  # an erased customer: nothing is recorded about them again
    return decision_for(tracker)


class ActionSetConsent(Action):
    def name(self) -> str:
        return "action_set_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        closed = [SlotSet(QUESTION_SLOT, False)]
        answer = answer_of(tracker)
        if answer is None:
            dispatcher.utter_message(response="utter_ask_consent")
            return [SlotSet(QUESTION_SLOT, True)]
        try:  # a write: in a thread, as SQLite may wait for its write lock
            decision = await asyncio.to_thread(_record, tracker, answer)
        except SQLAlchemyError as error:
            log.warning("Could not record a consent answer (%s)", type(error).__name__)
            dispatcher.utter_message(response=FAILED)
            return []
        if decision is None:  # nothing personal is used for a visitor: nothing to record
            dispatcher.utter_message(response="utter_consent_visitor")
            return closed
        events = [SlotSet(name, decision.slots.get(name)) for name in SLOTS]
        if answer == DEFERRED:
            events.append(SlotSet("consent", DEFERRED))
        name = decision.slots.get("first_name")
        # the response is filled before these slots apply: the name goes as a variable
        dispatcher.utter_message(response=RESPONSES[answer],
                                 thanks=f"Thanks, {name}!" if name else "Thank you!")
        return [*closed, *events]


def _verified(tracker: Tracker) -> str | None:
    return identity_of(tracker).customer_id


def _actor(tracker: Tracker) -> str:
    return f"customer via {tracker.get_latest_input_channel() or 'chat'}"


def _request_export(tracker: Tracker) -> str | None:
    """Audit the verified customer's request; the address it goes to (masked), or None."""
    rt = runtime()
    customer_id = _verified(tracker)
    if customer_id is None or rt.store is None:
        return None
    with rt.store.engine.connect() as conn:
        email = customer_email(conn, customer_id)
    with rt.store.begin() as conn:
        audit.append(conn, _actor(tracker), "export", rt.hasher(customer_id), "requested",
                     {"channel": tracker.get_latest_input_channel() or "chat"})  # fmt: skip
    return mask_email(email) if email else "the email address on your account"


class ActionRequestDataExport(Action):
    def name(self) -> str:
        return "action_request_data_export"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        try:
            hint = await asyncio.to_thread(_request_export, tracker)
        except SQLAlchemyError as error:
            log.warning("Could not record a data export request (%s)", type(error).__name__)
            dispatcher.utter_message(response=FAILED)
            return []
        if hint is None:
            dispatcher.utter_message(response="utter_privacy_sign_in")
        else:
            dispatcher.utter_message(response="utter_data_export_on_its_way", email_hint=hint)
        return []


class ActionAskDataDeletion(Action):
    def name(self) -> str:
        return "action_ask_data_deletion"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        if _verified(tracker) is None:
            dispatcher.utter_message(response="utter_privacy_sign_in")
            return [SlotSet(ERASURE_SLOT, False)]
        dispatcher.utter_message(response="utter_confirm_data_deletion")
        return [SlotSet(ERASURE_SLOT, True)]


def _asked_by(tracker: Tracker) -> str | None:
    """The customer the latest erasure request of the conversation came from: as stored,
    its verification record; not saved yet, its signature at the time it came."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    for event in reversed(users[:-1]):  # before the answer
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") == ERASURE_REQUEST:
            metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
            if RECORD_KEY in metadata:
                return verified_customer(metadata)
            return runtime().personalizer.identify(metadata, tracker.sender_id,
                                                   event.get("timestamp")).customer_id
    return None


def _erase(tracker: Tracker):
    """Erase the verified customer everywhere; then decide again (they are now unknown)."""
    rt = runtime()
    customer_id = _verified(tracker)
    if customer_id is None or rt.requests is None:
        return None
    rt.requests.erase(customer_id, _actor(tracker), current_sender=tracker.sender_id)
    return decision_for(tracker)


class ActionAnswerDataDeletion(Action):
    def name(self) -> str:
        return "action_answer_data_deletion"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        closed = [SlotSet(ERASURE_SLOT, False)]
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        customer_id = _verified(tracker)
        if intent != "affirm" or not tracker.get_slot(ERASURE_SLOT) \
                or customer_id is not None and customer_id != _asked_by(tracker):  # fmt: skip
            dispatcher.utter_message(response="utter_data_deletion_cancelled")
            return closed  # (a yes from someone other than who asked erases nothing)
        try:
            decision = await asyncio.to_thread(_erase, tracker)
        except Exception as error:  # noqa: BLE001 - the customer hears it failed; nothing half-done
            log.error("An erasure asked for in the chat failed (%s); the audit log has the "
                      "step.", type(error).__name__)  # fmt: skip
            dispatcher.utter_message(response=FAILED)
            return closed
        if decision is None:
            dispatcher.utter_message(response="utter_privacy_sign_in")
            return closed
        dispatcher.utter_message(response="utter_data_erased")
        return [*closed, *(SlotSet(name, decision.slots.get(name)) for name in SLOTS)]
