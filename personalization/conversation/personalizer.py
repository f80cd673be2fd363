"""Profile + models + rules + conversation -> Decision. Never raises for missing parts: a
store that cannot be reached or models that cannot be loaded give default answers and a
warning instead."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from personalization.conversation.decision import Decision
from personalization.conversation.facts import Context, build_facts
from personalization.conversation.identity import DEFAULT_LIFETIME, Identity, identify
from personalization.logs import redact_names
from personalization.privacy.consent import GRANTED, consent_status
from personalization.rules import Because, RuleSet, evaluate
from personalization.store import Store
from personalization.store.profile import Profile

log = logging.getLogger(__name__)
SWITCHED_OFF = "personalization switched off (PERSONALIZATION_ENABLED=0): default answers"

# slots that carry a fact of the same name as it is
FACT_SLOTS = ("account_tier", "churn_risk", "churn_band", "segment", "persona", "language",
              "new_customer", "returning_after_absence")  # fmt: skip


class Personalizer:
    def __init__(self, store: Store | None, rules: RuleSet, secret: bytes | None,
                 enabled: bool = True, lifetime: int = DEFAULT_LIFETIME) -> None:  # fmt: skip
        self.store, self.rules, self.secret = store, rules, secret
        self.enabled = enabled  # False: decisions never read the profile (PERSONALIZATION_ENABLED)
        self.lifetime = lifetime  # the longest a signature may be valid for

    def identify(self, metadata: Mapping[str, Any] | None, session_id: str | None,
                 at: float | None = None) -> Identity:  # fmt: skip
        """The identity of one message: its own metadata, signed for this conversation,
        valid when the message came (`at`, Unix seconds; default now)."""
        return identify(metadata, session_id, self.secret, self.lifetime, now=at)

    def load_profile(self, identity: Identity,
                     orders: bool = False) -> tuple[Profile | None, list[str]]:  # fmt: skip
        """The verified customer's profile (decisions do not need the recent orders)."""
        if not identity.verified or self.store is None:
            return None, []
        try:
            profile = self.store.profile(identity.customer_id, orders)
        except (SQLAlchemyError, OSError) as error:
            problem = f"profile store unreachable ({type(error).__name__}): default answers"
            log.warning("%s; %s", problem, str(error).splitlines()[0] if str(error) else "")
            return None, [problem]
        if profile is not None:  # no log line of this process will hold their name
            redact_names(profile.first_name, profile.name)
        return profile, []

    def decide(self, identity: Identity, context: Context, profile: Profile | None = None,
               warnings: list[str] | None = None) -> Decision:  # fmt: skip
        settings = self.rules.settings
        threshold = settings.intent_confidence_threshold
        confident = context.intent_confidence is None or context.intent_confidence >= threshold
        gated = context if confident else replace(context, intent=None)
        consent = consent_status(profile, settings.privacy_notice_version)
        known = profile is not None
        if consent != GRANTED:
            profile = None  # without consent nothing from the profile reaches the conversation
        facts = build_facts(profile, gated, settings)
        outcomes, reasons = evaluate(self.rules, facts)
        personalized = profile is not None and bool(outcomes["personalize"]) and confident
        reasons = [Because("known_customer", known, f"identity: {identity.reason}"
                           + ("" if known or not identity.verified else ", no profile"), {}),
                   *reasons]  # fmt: skip
        if consent is not None:
            reasons.insert(1, Because("consent", consent, "consent: "
                                      f"{consent} under privacy notice "
                                      f"{settings.privacy_notice_version}", {}))  # fmt: skip
        if not confident:
            reasons.append(Because("personalized", False, "gate: intent confidence below "
                                   f"{threshold}", {"intent_confidence":
                                                    context.intent_confidence,
                                                    "intent": context.intent}))  # fmt: skip
        slots = {
            "personalized": personalized,
            "known_customer": known,
            "consent": consent,
            "first_name": profile.first_name if profile else None,
            "full_name": (profile.name or None) if profile else None,
            "vip": bool(outcomes["vip"]) if profile else False,
            "tone": outcomes["tone"],
            "product_interests": list(profile.product_interests) if profile else None,
            "route": outcomes["route"],
            "offer": outcomes["offer"] if profile else "none",
            "handoff": bool(outcomes["handoff"]),
            "agents_available": facts["within_support_hours"],
            "part_of_day": facts["part_of_day"],
            **{name: facts.get(name) for name in FACT_SLOTS},
        }
        if profile is not None and profile.churn_risk is not None:
            reasons.append(Because("churn_band", slots["churn_band"],
                                   f"model: churn ({profile.model_version or 'unknown version'})",
                                   {"churn_risk": profile.churn_risk}))  # fmt: skip
        decision = Decision(slots, tuple(reasons), facts, tuple(warnings or ()))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("decision: %s", "; ".join(decision.explanation()))
        return decision

    def personalize(self, metadata: Mapping[str, Any] | None, session_id: str | None,
                    context: Context, at: float | None = None) -> Decision:  # fmt: skip
        """Identify the message, load the profile and decide, in one call. Switched off, the
        decision is the one for an anonymous visitor."""
        identity = self.identify(metadata, session_id, at)
        if not self.enabled:
            return self.decide(identity, context, None, [SWITCHED_OFF])
        profile, warnings = self.load_profile(identity)
        return self.decide(identity, context, profile, warnings)
