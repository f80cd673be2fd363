"""The same messages from different customers, through a running Rasa server and action
server on the REST channel: different greetings, answers and routes (tests/shop.py has the
customers; the website's signature comes as session metadata)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from personalization.store import schema as t
from personalization.store.customers import set_preferences, upsert_customers
from personalization.store.tracking import record_consent
from tests import shop
from tests.replies import conversation, default, responses, texts, variations

CAST = {"vip": shop.VIP, "new": shop.NEW, "leaving": shop.LEAVING, "visitor": None}


def chat(assistant, who: str | None, messages: list[str], metadata: dict | None = None):
    me = conversation()
    meta = metadata if metadata is not None else (shop.metadata(who, me) if who else {})
    return me, [texts(assistant.say(me, message, meta)) for message in messages]


def handoff_tickets(assistant, customer_id: str) -> list:
    with assistant.store.engine.connect() as conn:
        return conn.execute(select(t.tickets).where(t.tickets.c.customer_id == customer_id,
                                                    t.tickets.c.route.isnot(None))).all()


SAME_MESSAGES = ["hello", "where is my order 10000002",
                 "I would like to speak to a human agent please"]  # fmt: skip


@pytest.fixture(scope="module")
def replies(assistant):
    return {kind: chat(assistant, who, SAME_MESSAGES)[1] for kind, who in CAST.items()}


def test_each_customer_is_greeted_in_their_tone_and_by_name(replies):
    vip, new, leaving, visitor = (replies[k][0] for k in CAST)
    formal = set(variations("utter_greet", full_name="Margaret Smith")[2:6])
    assert len(vip) == 1 and vip[0] in formal
    casual_anna = set(variations("utter_greet", first_name="Anna")[6:10])
    assert len(new) == 1 and new[0] in casual_anna
    assert leaving[0] in set(variations("utter_greet", first_name="Tom")[6:10])
    assert visitor == [default("utter_greet")]


def test_each_customer_hears_about_their_own_orders_only(replies):
    vip, new, leaving, visitor = (replies[k][1] for k in CAST)
    assert vip == [default("utter_order_open").format(
        order_id="10000002", order_items="Milk Frother (x2)", order_total="€78.00",
        order_date=vip[0].split("placed ")[1].split(")")[0],
        order_status="is paid and being prepared in our warehouse")]
    someone_elses = [default("utter_order_not_on_account").format(order_id="10000002")]
    assert new == someone_elses and leaving == someone_elses
    assert visitor == [next(v["text"] for v in responses()["utter_order_request_done"]
                            if v.get("condition") == [{"type": "slot", "name": "order_request",
                                                        "value": "track_order"}]
                            ).format(order_id="10000002")]  # fmt: skip
    assert "Milk Frother" not in " ".join(new + leaving + visitor)


def test_each_customer_is_routed_to_their_own_team(replies, assistant):
    vip, new, leaving, visitor = (replies[k][2] for k in CAST)
    assert vip == [variations("utter_handoff_vip_agent", full_name="Margaret Smith")[0]]
    assert new == [variations("utter_handoff_onboarding", first_name="Anna")[1]]
    assert leaving == [variations("utter_handoff_escalation", first_name="Tom")[1]]
    assert visitor == [default("utter_handoff_standard")]
    routes = {c: [r.route for r in handoff_tickets(assistant, c)]
              for c in (shop.VIP, shop.NEW, shop.LEAVING)}  # fmt: skip
    assert routes == {shop.VIP: ["vip_agent"], shop.NEW: ["onboarding"],
                      shop.LEAVING: ["escalation"]}  # fmt: skip
    reason = handoff_tickets(assistant, shop.LEAVING)[0].reason
    assert "the customer asked for a person" in reason
    assert "rule: very high churn risk or a complex issue goes to the escalation team" in reason


def test_a_customer_likely_to_leave_hears_an_offer_before_closing_the_account(assistant):
    _, declined = chat(assistant, shop.LEAVING, ["please close my account", "no thanks"])
    assert declined[0] == [variations("utter_retention_offer_account", first_name="Tom")[1]]
    assert declined[1] == [default("utter_delete_account")]
    _, accepted = chat(assistant, shop.LEAVING, ["please close my account", "yes"])
    assert accepted[1] == [variations("utter_retention_accepted", first_name="Tom")[0]]
    assert any("accepted the retention offer" in (r.reason or "")
               for r in handoff_tickets(assistant, shop.LEAVING))  # fmt: skip
    _, others = chat(assistant, shop.NEW, ["please close my account"])
    assert others[0] == [default("utter_delete_account")]


def test_a_forged_signature_is_an_anonymous_visitor(assistant):
    forged = {"customer_id": shop.VIP, "customer_signature": "0" * 64}
    _, said = chat(assistant, None, SAME_MESSAGES, metadata=forged)
    assert said[0] == [default("utter_greet")]
    assert "Milk Frother" not in said[1][0] and "Margaret" not in " ".join(sum(said, []))
    assert said[2] == [default("utter_handoff_standard")]


def test_a_customer_back_after_a_long_absence_is_welcomed_back(assistant):
    _, said = chat(assistant, shop.AWAY, ["hi"])
    assert said[0] == [variations("utter_greet", first_name="Sofia")[1]]


def test_a_restart_loads_the_profile_again(assistant):
    me, said = chat(assistant, shop.VIP, ["hi"])
    assert "Margaret Smith" in said[0][0]
    assistant.say(me, "/restart", shop.metadata(shop.VIP, me))
    again = texts(assistant.say(me, "hi", shop.metadata(shop.VIP, me)))
    assert "Margaret Smith" in again[0]


def test_text_from_a_customer_is_never_a_template(assistant):
    """Names and other customer text reach answers as values, never as templates."""
    name = "Ada {first_name} {order_id} {{x}} %s {0}"
    with assistant.store.begin() as conn:
        upsert_customers(conn, [{"customer_id": "C-BRACES", "name": name}])
        set_preferences(conn, "C-BRACES", tone="formal")
        record_consent(conn, "C-BRACES", "personalization", True, "web", shop.NOTICE)
    _, said = chat(assistant, "C-BRACES", ["hello"])
    formal = {text.replace("{full_name}", name) for text in variations("utter_greet")[2:6]}
    assert len(said[0]) == 1 and said[0][0] in formal
