"""The facts rules read: the profile, the models' outputs and the conversation, as one dict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytz

from personalization.rules import RuleSettings
from personalization.rules.fields import WEEKDAYS
from personalization.store.profile import Profile

FALLBACK_INTENTS = frozenset({"nlu_fallback"})
# intents that are conversation, not a problem the customer raises
SMALL_TALK = frozenset({"greet", "goodbye", "affirm", "deny", "thank_you", "bot_challenge",
                        "out_of_scope", "nlu_fallback"})  # fmt: skip


@dataclass(frozen=True)
class Context:
    """What the conversation tells us at this moment (all optional)."""

    intent: str | None = None
    intent_confidence: float | None = None
    failed_attempts: int = 0  # misunderstood messages in a row, up to now
    misunderstood: int = 0  # misunderstood messages in this conversation
    problems_raised: frozenset[str] = frozenset()  # intents of this conversation
    channel: str | None = None
    timezone: str | None = None  # IANA name the chat widget sent, if any
    now: datetime | None = None  # UTC; None means now
    started_at: datetime | None = None  # UTC start of this conversation (its own tickets
    # do not make a problem "repeated")


def part_of_day(hour: int) -> str:
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 18:
        return "afternoon"
    return "evening" if 18 <= hour < 22 else "night"


def churn_band(risk: float | None, settings: RuleSettings) -> str | None:
    if risk is None:
        return None
    return "high" if risk >= settings.churn_high else (
        "medium" if risk >= settings.churn_medium else "low")


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def customer_zone(context: Context, profile: Profile | None, settings: RuleSettings) -> ZoneInfo:
    """The customer's time zone: the widget's, the CRM's, their country's, or support's."""
    candidates = [context.timezone]
    if profile is not None:
        candidates.append(profile.attributes.get("timezone"))
        zones = pytz.country_timezones.get((profile.country or "").upper()) or []
        candidates.extend(zones[:1])
    for name in (*candidates, settings.support_hours.timezone):
        zone = _zone(name) if isinstance(name, str) and 0 < len(name) < 64 else None
        if zone is not None:
            return zone
    return ZoneInfo("UTC")


def within_support_hours(now: datetime, settings: RuleSettings) -> tuple[bool, str]:
    hours = settings.support_hours
    local = now.astimezone(_zone(hours.timezone))
    day = WEEKDAYS[local.weekday()]
    span = hours.days.get(day)
    return bool(span and span[0] <= local.time() <= span[1]), day


def build_facts(profile: Profile | None, context: Context, settings: RuleSettings) -> dict:
    now = context.now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    local = now.astimezone(customer_zone(context, profile, settings))
    open_now, weekday = within_support_hours(now, settings)
    facts: dict[str, Any] = {
        "known": profile is not None,
        "intent": context.intent,
        "intent_confidence": context.intent_confidence,
        "failed_attempts": context.failed_attempts,
        "local_hour": local.hour,
        "part_of_day": part_of_day(local.hour),
        "weekday": weekday,
        "within_support_hours": open_now,
        "channel": context.channel,
    }
    problems = len(context.problems_raised - SMALL_TALK)
    if profile is None:
        return {**facts, "complexity": context.misunderstood + problems,
                "repeat_issue": False}  # fmt: skip
    today = now.date()
    naive_now = _naive_utc(now)
    tenure = (today - profile.signup_date).days if profile.signup_date else None
    since_contact = ((naive_now - profile.last_interaction_at).days
                     if profile.last_interaction_at else None)  # fmt: skip
    topic = settings.topics.get(context.intent or "")
    recent = naive_now - timedelta(days=settings.repeat_within_days)
    started = _naive_utc(context.started_at) if context.started_at else naive_now
    facts.update({
        "account_tier": profile.account_tier,
        "loyalty_status": profile.loyalty_status,
        "country": profile.country,
        "language": profile.preferred_language or profile.language,
        "age_band": profile.age_band,
        "tone_preference": profile.tone,
        "tenure_days": tenure,
        "new_customer": (tenure is not None and tenure < settings.new_customer_days)
                        or profile.order_count == 0,
        "days_since_last_contact": since_contact,
        "returning_after_absence": since_contact is not None
                                   and since_contact > settings.absence_days,
        "orders": profile.order_count,
        "lifetime_value": profile.lifetime_value,
        "open_tickets": profile.open_tickets,
        "escalated_tickets": sum(t.escalated for t in profile.recent_tickets),
        "past_conversations": profile.conversations,
        "segment": profile.segment,
        "persona": profile.persona,
        "churn_risk": profile.churn_risk,
        "churn_band": churn_band(profile.churn_risk, settings),
        "complexity": context.misunderstood + problems + profile.open_tickets,
        "repeat_issue": topic is not None and any(
            t.category == topic and recent <= t.created_at < started
            for t in profile.recent_tickets),
    })  # fmt: skip
    for name, value in profile.attributes.items():
        facts[f"attributes.{name}"] = value
    return facts


def _naive_utc(moment: datetime) -> datetime:
    """The store keeps naive UTC datetimes."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
