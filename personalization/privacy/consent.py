"""Consent to personalization, as the conversation asks for it and records it.

A verified customer is personalized only with a grant given under the current privacy
notice (`settings.privacy_notice_version` in personalization.yml). No decision yet, or a
decision under an older notice, means the assistant asks; until the customer says yes,
nothing from the profile reaches the conversation.
"""

from __future__ import annotations

from personalization.hashing import IdHasher
from personalization.store import Store, audit
from personalization.store.customer_locks import lock_for_writing
from personalization.store.profile import Profile
from personalization.store.tracking import SUPERSEDED, consent_outcome, suppressed

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
    """Record a customer's answer (granted, declined or deferred) and audit it with what
    became of it (a decision that did not take effect is audited so, never as done). A
    deferral ("later") is not a decision: only the audit log has it, and the next session
    asks again. False, and nothing recorded, for an erased customer (on the suppression
    list)."""
    if answer not in (GRANTED, DECLINED, DEFERRED):
        raise ValueError(f"not a consent answer: {answer!r}")
    with store.begin() as conn:
        lock_for_writing(conn, [customer_id])  # an erasure in progress finishes first
        if suppressed(conn, [hasher(customer_id)]):
            return False
        outcome = None
        if answer != DEFERRED:
            outcome = consent_outcome(conn, customer_id, PURPOSE, answer == GRANTED, channel,
                                      notice_version)  # fmt: skip
        done = {GRANTED: "granted", DECLINED: "withdrawn", DEFERRED: "deferred"}[answer]
        audit.append(conn, f"customer via {channel}", "consent", hasher(customer_id),
                     "superseded" if outcome == SUPERSEDED else done,
                     {"purpose": PURPOSE, "notice_version": notice_version,
                      **({"outcome": outcome} if outcome else {})})  # fmt: skip
    return True
