"""Consent to personalization, as the conversation asks for it and records it.

A verified customer is personalized only with a grant given under the current privacy
notice (`settings.privacy_notice_version` in personalization.yml). No decision yet, or a
decision under an older notice, means the assistant asks; until the customer says yes,
nothing from the profile reaches the conversation.
"""

from __future__ import annotations

from personalization.hashing import IdHasher
from personalization.store import Store, audit
from personalization.store.profile import Profile
from personalization.store.tracking import record_consent, suppressed

PURPOSE = "personalization"
GRANTED, DECLINED, NEEDED, DEFERRED = "granted", "declined", "needed", "deferred"


def consent_status(profile: Profile | None, notice_version: str) -> str | None:
    """granted, declined or needed for a customer; None for a visitor with no profile."""
    if profile is None:
        return None
    if PURPOSE not in profile.consent or profile.consent_notice.get(PURPOSE) != notice_version:
        return NEEDED
    return GRANTED if profile.consent[PURPOSE] else DECLINED


def record_answer(store: Store, hasher: IdHasher, customer_id: str, answer: str, channel: str,
                  notice_version: str) -> bool:  # fmt: skip
    """Record a customer's answer (granted, declined or deferred) and audit it. A deferral
    ("later") is not a decision: only the audit log has it, and the next session asks again.
    False, and nothing recorded, for an erased customer (on the suppression list)."""
    if answer not in (GRANTED, DECLINED, DEFERRED):
        raise ValueError(f"not a consent answer: {answer!r}")
    with store.begin() as conn:
        if suppressed(conn, [hasher(customer_id)]):
            return False
        if answer != DEFERRED:
            record_consent(conn, customer_id, PURPOSE, answer == GRANTED, channel, notice_version)
        audit.append(conn, f"customer via {channel}", "consent", hasher(customer_id),
                     {GRANTED: "granted", DECLINED: "withdrawn", DEFERRED: "deferred"}[answer],
                     {"purpose": PURPOSE, "notice_version": notice_version})  # fmt: skip
    return True
