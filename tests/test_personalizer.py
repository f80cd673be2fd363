"""Facts and decisions over a real profile store (SQLite and PostgreSQL); identity itself is
tests/test_identity.py."""

import logging
from datetime import datetime, timezone

import pytest

from personalization.conversation.facts import Context
from personalization.conversation.personalizer import Personalizer
from personalization.rules import load_rules
from personalization.store import Store
from tests import shop
from tests.trackers import ROOT

RULES = load_rules(ROOT / "personalization.yml")
WEDNESDAY_NOON = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)  # 12:00 in Brussels
SUNDAY = datetime(2026, 11, 29, 11, 0, tzinfo=timezone.utc)


@pytest.fixture
def personalizer(store):
    shop.fill(store)
    return Personalizer(store, RULES, shop.SECRET)


def decide(personalizer, customer, intent=None, confidence=0.95, now=WEDNESDAY_NOON, **extra):
    context = Context(intent=intent, intent_confidence=confidence if intent else None, now=now,
                      started_at=now, **extra)  # fmt: skip
    meta = shop.metadata(customer, "sender-1") if customer else {}
    return personalizer.personalize(meta, "sender-1", context)


# --- decisions ------------------------------------------------------------------------------

def test_a_vip_goes_to_the_dedicated_agent_formally_with_the_reasons(personalizer, caplog):
    with caplog.at_level(logging.DEBUG, "personalization.conversation.personalizer"):
        d = decide(personalizer, shop.VIP, "greet")
    assert d.slots["route"] == "vip_agent" and d.slots["vip"] is True
    assert d.slots["tone"] == "formal" and d.personalized
    assert d.slots["first_name"] == "Margaret" and d.slots["full_name"] == "Margaret Smith"
    assert d.slots["account_tier"] == "Premium" and d.slots["persona"] == "Loyal big spenders"
    assert d.because("vip").source == "rule: gold loyalty or a VIP mark in the CRM"
    assert d.because("vip").inputs["loyalty_status"] == "gold"
    assert d.because("route").source == "rule: VIP customers get a dedicated agent"
    assert d.because("tone").source == "rule: the customer's own choice of tone"
    assert d.because("known_customer").source == "identity: signature verified"
    assert "route=vip_agent by rule: VIP customers get a dedicated agent (vip=true)" in caplog.text


def test_a_new_customer_goes_to_onboarding(personalizer):
    d = decide(personalizer, shop.NEW, "greet")
    assert d.slots["route"] == "onboarding" and d.slots["new_customer"] is True
    assert d.slots["tone"] == "casual" and d.slots["offer"] == "none"
    assert d.facts["tenure_days"] == 4 and d.facts["orders"] == 0


def test_very_high_churn_risk_goes_to_escalation_with_a_retention_offer(personalizer):
    d = decide(personalizer, shop.LEAVING, "delete_account")
    assert d.slots["route"] == "escalation" and d.slots["offer"] == "retention"
    assert d.slots["churn_band"] == "high" and d.slots["churn_risk"] == pytest.approx(0.86)
    assert d.because("route").inputs["churn_risk"] == pytest.approx(0.86)
    assert d.because("churn_band").source == "model: churn (test)"


def test_churn_risk_above_0_7_gets_the_offer_but_standard_support(personalizer):
    d = decide(personalizer, shop.AT_RISK, "cancel_order")
    assert d.slots["offer"] == "retention" and d.slots["route"] == "standard"
    assert d.because("route").source == "default"


def test_a_regular_customer_goes_to_standard_support(personalizer):
    d = decide(personalizer, shop.REGULAR, "greet")
    assert (d.slots["route"], d.slots["offer"], d.slots["handoff"]) == ("standard", "none", False)
    assert d.slots["returning_after_absence"] is False and d.slots["churn_band"] == "low"


def test_a_customer_back_after_more_than_30_days_is_welcomed_back(personalizer):
    d = decide(personalizer, shop.AWAY)
    assert d.slots["returning_after_absence"] is True and d.facts["days_since_last_contact"] > 30
    assert d.slots["churn_band"] == "low"


def test_an_anonymous_visitor_gets_no_personal_data(personalizer):
    forged = {**shop.metadata(shop.VIP, shop.VIP), "customer_signature": "f" * 64}
    d = personalizer.personalize(forged, shop.VIP, Context(intent="greet", intent_confidence=0.99))
    assert not d.personalized and d.slots["known_customer"] is False
    personal = ("first_name", "full_name", "segment", "persona", "account_tier", "churn_risk",
                "churn_band", "product_interests")  # fmt: skip
    assert all(d.slots[name] is None for name in personal)
    assert (d.slots["route"], d.slots["offer"], d.slots["vip"]) == ("standard", "none", False)
    assert "wrong signature" in d.because("known_customer").source


def test_the_same_problem_again_within_days_triggers_a_handoff(personalizer):
    again = decide(personalizer, shop.REGULAR, "payment_issue")
    assert again.slots["handoff"] is True and again.facts["repeat_issue"] is True
    assert again.because("handoff").source == (
        "rule: the same problem again within days goes to a person")
    other_topic = decide(personalizer, shop.REGULAR, "get_refund")
    assert other_topic.slots["handoff"] is False


def test_a_complaint_from_a_high_value_customer_is_escalated(personalizer):
    vip = decide(personalizer, shop.VIP, "complaint")
    assert vip.slots["handoff"] is True and vip.slots["route"] == "vip_agent"
    regular = decide(personalizer, shop.REGULAR, "complaint")
    assert regular.slots["handoff"] is False and regular.facts["lifetime_value"] == 377.0


def test_below_the_confidence_threshold_the_answer_is_not_personalized(personalizer):
    unclear = decide(personalizer, shop.VIP, "complaint", confidence=0.55)
    assert not unclear.personalized and unclear.slots["handoff"] is False
    assert unclear.because("personalized").source == "gate: intent confidence below 0.8"
    assert unclear.slots["route"] == "vip_agent"  # who they are does not depend on the message


def test_support_hours_and_local_time(personalizer):
    assert decide(personalizer, shop.VIP, now=WEDNESDAY_NOON).slots["agents_available"] is True
    assert decide(personalizer, shop.VIP, now=SUNDAY).slots["agents_available"] is False
    evening = datetime(2026, 11, 25, 20, 30, tzinfo=timezone.utc)
    # Lisbon is UTC+0 (evening), Brussels UTC+1 (21:30, after 20:00 closing)
    d = decide(personalizer, shop.AT_RISK, now=evening)
    assert d.slots["part_of_day"] == "evening" and d.facts["local_hour"] == 20
    assert d.slots["agents_available"] is False
    widget = decide(personalizer, shop.AT_RISK, now=evening, timezone="Asia/Tokyo")
    assert widget.slots["part_of_day"] == "morning"


def test_an_unreachable_profile_store_gives_default_answers_and_a_warning(caplog):
    down = Store.from_url("postgresql://postgres@127.0.0.1:1/nowhere", check_schema=False)
    personalizer = Personalizer(down, RULES, shop.SECRET)
    with caplog.at_level(logging.WARNING):
        d = decide(personalizer, shop.VIP, "greet")
    assert not d.personalized and d.slots["route"] == "standard"
    assert "profile store unreachable" in d.warnings[0]
    assert "profile store unreachable" in caplog.text


def test_a_read_that_fails_midway_gives_default_answers_and_the_next_read_recovers(
        personalizer, store, caplog):  # fmt: skip
    assert decide(personalizer, shop.VIP, "greet").personalized
    with store.begin() as conn:  # the read's last statement now fails in the database
        conn.exec_driver_sql("ALTER TABLE consent_state RENAME TO consent_state_away")
    with caplog.at_level(logging.WARNING):
        failed = decide(personalizer, shop.VIP, "greet")
    assert not failed.personalized and failed.slots["first_name"] is None
    assert "profile store unreachable" in failed.warnings[0]
    with store.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE consent_state_away RENAME TO consent_state")
    again = decide(personalizer, shop.VIP, "greet")
    assert again.personalized and again.slots["first_name"] == "Margaret"


def test_switched_off_a_known_customer_is_answered_as_a_visitor_and_the_profile_still_loads(
        store):  # fmt: skip
    shop.fill(store)
    off = Personalizer(store, RULES, shop.SECRET, enabled=False)
    d = decide(off, shop.VIP, "greet")
    visitor = decide(off, None, "greet")
    assert not d.personalized and d.slots["known_customer"] is False
    assert d.slots["first_name"] is None and d.slots["vip"] is False and d.slots["consent"] is None
    assert d.slots == visitor.slots
    assert "switched off" in d.explanation()[-1]
    # orders and invoices still read the verified customer's profile
    profile, _ = off.load_profile(off.identify(shop.metadata(shop.VIP, "s"), "s"), orders=True)
    assert profile is not None and profile.recent_orders


@pytest.mark.parametrize(("value", "enabled"), [
    (None, True), ("1", True), ("", True), ("0", False), ("off", False), (" False ", False)])
def test_the_switch_is_read_from_the_environment(value, enabled):
    from personalization.settings import Settings

    env = {} if value is None else {"PERSONALIZATION_ENABLED": value}
    assert Settings.from_env(env).enabled is enabled
