"""Validation of the order-number form: accept a valid number, re-ask once, then stop."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from personalization.order_numbers import parse_order_number

# After this many invalid answers the form stops and the rules offer a human.
MAX_INVALID_ANSWERS = 2
INVALID_RESPONSE = "utter_invalid_order_id"


def invalid_answers_since_form_start(tracker: Tracker) -> int:
    """How often this form run has already told the customer a number was invalid."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == "order_form":
            break
        if (
            event.get("event") == "bot"
            and (event.get("metadata") or {}).get("utter_action") == INVALID_RESPONSE
        ):
            count += 1
    return count


class ValidateOrderForm(FormValidationAction):
    def name(self) -> str:
        return "validate_order_form"

    def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        order_id = parse_order_number(slot_value)
        if order_id:
            return {"order_id": order_id, "order_id_unresolved": False}
        if invalid_answers_since_form_start(tracker) + 1 >= MAX_INVALID_ANSWERS:
            # Stop asking: the rules in data/rules/order_form.yml offer a human.
            return {"order_id": None, "order_id_unresolved": True, "requested_slot": None}
        dispatcher.utter_message(response=INVALID_RESPONSE)
        return {"order_id": None}

