"""What a personalization rule can look at (fields) and what it can decide (outcomes).

Fields come from three places: the customer's profile, the models' outputs and the
conversation. Outcomes become slots and the route. docs/personalization.md lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass

BOOL, NUMBER, TEXT = "bool", "number", "text"


@dataclass(frozen=True)
class Field:
    kind: str  # bool | number | text
    source: str  # identity | profile | model | conversation | outcome
    help: str
    values: tuple[str, ...] = ()  # for text fields with a closed set of values


ROUTES = ("escalation", "vip_agent", "onboarding", "standard")
OFFERS = ("retention", "none")
TONES = ("formal", "casual")
CHURN_BANDS = ("low", "medium", "high")
PARTS_OF_DAY = ("morning", "afternoon", "evening", "night")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

FIELDS: dict[str, Field] = {
    # who is chatting
    "known": Field(BOOL, "identity", "a verified customer whose profile was found"),
    # profile
    "account_tier": Field(TEXT, "profile", "plan from the CRM, e.g. Free, Plus, Premium"),
    "loyalty_status": Field(TEXT, "profile", "loyalty level from the CRM, e.g. gold"),
    "country": Field(TEXT, "profile", "country code, e.g. DE"),
    "language": Field(TEXT, "profile", "preferred language code, e.g. de"),
    "age_band": Field(TEXT, "profile", "age band from the CRM, e.g. 25-34"),
    "tone_preference": Field(TEXT, "profile", "tone the customer chose", TONES),
    "tenure_days": Field(NUMBER, "profile", "days since sign-up"),
    "new_customer": Field(BOOL, "profile", "signed up within new_customer_days, or never "
                          "ordered"),
    "days_since_last_contact": Field(NUMBER, "profile", "days since the last conversation"),
    "returning_after_absence": Field(BOOL, "profile", "last conversation more than "
                                     "absence_days ago"),
    "orders": Field(NUMBER, "profile", "number of orders"),
    "lifetime_value": Field(NUMBER, "profile", "sum of all order totals"),
    "open_tickets": Field(NUMBER, "profile", "support tickets not resolved yet"),
    "escalated_tickets": Field(NUMBER, "profile", "recent tickets that were escalated"),
    "past_conversations": Field(NUMBER, "profile", "conversations with the assistant"),
    # models
    "segment": Field(TEXT, "model", "segment id from the segmentation model"),
    "persona": Field(TEXT, "model", "persona name of the segment"),
    "churn_risk": Field(NUMBER, "model", "predicted probability of churning, 0 to 1"),
    "churn_band": Field(TEXT, "model", "churn_risk cut by settings.churn_bands", CHURN_BANDS),
    # the conversation
    "intent": Field(TEXT, "conversation", "intent of the latest message"),
    "intent_confidence": Field(NUMBER, "conversation", "classifier confidence, 0 to 1"),
    "failed_attempts": Field(NUMBER, "conversation", "misunderstood messages in a row"),
    "complexity": Field(NUMBER, "conversation", "misunderstood messages + distinct problems "
                        "raised in this conversation + open tickets"),
    "repeat_issue": Field(BOOL, "conversation", "a ticket on the same topic within "
                          "repeat_within_days"),
    "local_hour": Field(NUMBER, "conversation", "hour of day where the customer is, 0-23"),
    "part_of_day": Field(TEXT, "conversation", "where the customer is", PARTS_OF_DAY),
    "weekday": Field(TEXT, "conversation", "day of the week where support is", WEEKDAYS),
    "within_support_hours": Field(BOOL, "conversation", "live agents are working now"),
    "channel": Field(TEXT, "conversation", "the Rasa channel, e.g. rest, socketio"),
}

# Outcomes are fields too: a rule can read what an earlier rule decided.
OUTCOMES: dict[str, Field] = {
    "vip": Field(BOOL, "outcome", "the customer is a VIP"),
    "route": Field(TEXT, "outcome", "who takes over when a person is needed", ROUTES),
    "offer": Field(TEXT, "outcome", "an offer to make before a cancellation", OFFERS),
    "tone": Field(TEXT, "outcome", "how the assistant speaks", TONES),
    "handoff": Field(BOOL, "outcome", "hand over to a person now (a trigger fired)"),
    "personalize": Field(BOOL, "outcome", "use the profile in answers"),
}

# `attributes.<name>` reads any CRM attribute an import kept (any kind of value).
ATTRIBUTE_PREFIX = "attributes."


def field_for(name: str) -> Field | None:
    if name in FIELDS:
        return FIELDS[name]
    if name in OUTCOMES:
        return OUTCOMES[name]
    if name.startswith(ATTRIBUTE_PREFIX) and len(name) > len(ATTRIBUTE_PREFIX):
        return Field("any", "profile", "a CRM attribute")
    return None
