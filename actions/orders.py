"""Answers about orders and invoices, from the customer's own orders only."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.context import identity_of
from actions.runtime import read, runtime
from personalization.conversation.orders import order_stage, order_words
from personalization.store.commerce import customer_order, product_names

log = logging.getLogger(__name__)
# utter_order_open / _shipped / _closed: the answer depends on the order's stage, and in each
# the variation on the request (order_request slot) says what can be done now.
GENERIC, NOT_ON_ACCOUNT = "utter_order_request_done", "utter_order_not_on_account"


def look_up(tracker: Tracker, order_id: str) -> tuple[str, dict[str, str]]:
    """(response, its variables) for this customer and order number."""
    rt = runtime()
    identity = identity_of(tracker)
    if not identity.verified or rt.store is None:
        return GENERIC, {}
    try:
        with rt.store.engine.connect() as conn:
            order = customer_order(conn, identity.customer_id, order_id)
            names = product_names(conn, [p for p, _ in order.items]) if order else {}
    except SQLAlchemyError as error:
        log.warning("Profile store unreachable, generic order answer (%s)", type(error).__name__)
        return GENERIC, {}
    if order is None:
        return NOT_ON_ACCOUNT, {}
    return f"utter_order_{order_stage(order)}", order_words(order, names)


class ActionAnswerOrder(Action):
    def name(self) -> str:
        return "action_answer_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        order_id = tracker.get_slot("order_id")
        if not order_id:
            dispatcher.utter_message(response=GENERIC)
            return []
        response, variables = await read(look_up, tracker, str(order_id))
        dispatcher.utter_message(response=response, **variables)
        return []


def invoice_answer(tracker: Tracker, intent: str) -> tuple[str, dict[str, str]]:
    """The latest orders' invoices for a verified customer; else the general answer."""
    general = "utter_check_invoice" if intent == "check_invoice" else "utter_get_invoice"
    if tracker.get_slot("invoice_id"):
        return general, {}  # a number we do not keep: the general answer names it
    rt = runtime()
    identity = identity_of(tracker)
    profile, _ = rt.personalizer.load_profile(identity, orders=True)
    if profile is None or not profile.recent_orders:
        return general, {}
    latest = profile.recent_orders[0]
    if intent != "check_invoice":
        return "utter_invoice_latest", {"order_id": latest.order_id, **order_words(latest, {})}
    described = [(o.order_id, order_words(o, {})) for o in profile.recent_orders[:3]]
    listed = "; ".join(f"{order_id} of {w['order_date']} ({w['order_total']})"
                       for order_id, w in described)  # fmt: skip
    return "utter_invoices_recent", {"orders": listed}


class ActionAnswerInvoice(Action):
    def name(self) -> str:
        return "action_answer_invoice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:  # fmt: skip
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""
        response, variables = await read(invoice_answer, tracker, intent)
        dispatcher.utter_message(response=response, **variables)
        return []
