"""Who sent this message: a customer the website vouched for, or an anonymous visitor.

Identity is a property of each message. The shop's backend signs the signed-in customer's
id, the chat session (Rasa's sender id) and an expiry time with a secret it shares with the
assistant (HMAC-SHA256, hex), and the chat widget sends the result as each message's
metadata:

    {"customer_id": "C000123", "signature_expires": 1767225600,
     "customer_signature": hex(HMAC-SHA256(secret, "C000123|<sender id>|1767225600"))}

A message without a valid, unexpired signature for its own conversation is an anonymous
visitor's, whatever came before it: nothing is taken from slots, sender ids or earlier
messages. The signature is checked in constant time.

Signatures are not kept once used: the Rasa server stores each message's metadata with the
verification result in their place (`stored_metadata`, rasa_extensions/tracker_store.py),
which is what the updater and data requests read (`verified_customer`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ID_KEY, SIGNATURE_KEY, EXPIRES_KEY = "customer_id", "customer_signature", "signature_expires"
RECORD_KEY = "identity"  # the verification result, stored in place of the signature
SIGNED_KEYS = (ID_KEY, SIGNATURE_KEY, EXPIRES_KEY, RECORD_KEY)
SESSION_METADATA_SLOT = "session_started_metadata"  # Rasa's copy of a session's first metadata
MAX_ID_LENGTH = 64  # the store's customer_id column
MAX_SESSION_LENGTH = 255  # Rasa's sender_id column
DEFAULT_LIFETIME = 3600  # seconds; PERSONALIZATION_SIGNATURE_LIFETIME
CLOCK_SKEW = 60  # seconds an expiry may lie beyond the lifetime (the signer's clock)
SEPARATOR = "|"


def signed_text(customer_id: str, session_id: str, expires: int) -> bytes:
    return SEPARATOR.join((customer_id, session_id, str(expires))).encode()


def sign(secret: bytes, customer_id: str, session_id: str, expires: int) -> str:
    return hmac.new(secret, signed_text(customer_id, session_id, expires),
                    hashlib.sha256).hexdigest()  # fmt: skip


def signed_metadata(secret: bytes, customer_id: str, session_id: str,
                    lifetime: int = DEFAULT_LIFETIME,
                    now: float | None = None) -> dict[str, Any]:  # fmt: skip
    """The metadata a website sends with each message of a signed-in customer."""
    for value, what in ((customer_id, "customer id"), (session_id, "session id")):
        if not value or SEPARATOR in value:
            raise ValueError(f"A {what} to sign must be non-empty and hold no {SEPARATOR!r}.")
    expires = int((time.time() if now is None else now) + lifetime)
    return {ID_KEY: customer_id, EXPIRES_KEY: expires,
            SIGNATURE_KEY: sign(secret, customer_id, session_id, expires)}  # fmt: skip


@dataclass(frozen=True)
class Identity:
    customer_id: str | None  # set only when verified
    reason: str  # how it was decided, for the decision's explanation (never the signature)

    @property
    def verified(self) -> bool:
        return self.customer_id is not None

    def record(self) -> dict[str, Any]:
        """What is stored with the message instead of the signature."""
        if self.verified:
            return {"verified": True, ID_KEY: self.customer_id}
        return {"verified": False, "reason": self.reason}


ANONYMOUS = Identity(None, "no customer id")


def identify(metadata: Mapping[str, Any] | None, session_id: str | None, secret: bytes | None,
             lifetime: int = DEFAULT_LIFETIME, now: float | None = None) -> Identity:  # fmt: skip
    """The identity of one message, from its own metadata and its conversation's id."""
    metadata = metadata if isinstance(metadata, Mapping) else {}
    claimed = metadata.get(ID_KEY)
    if not isinstance(claimed, str) or not claimed.strip():
        return ANONYMOUS
    if len(claimed) > MAX_ID_LENGTH:
        return Identity(None, "customer id too long")
    if not secret:
        return Identity(None, "identity verification is not configured")
    signature, expires = metadata.get(SIGNATURE_KEY), metadata.get(EXPIRES_KEY)
    if not isinstance(signature, str) or not signature:
        return Identity(None, "customer id without a signature")
    if isinstance(expires, bool) or not isinstance(expires, int):
        return Identity(None, "signature without an expiry time")
    if not session_id or len(session_id) > MAX_SESSION_LENGTH or SEPARATOR in claimed \
            or SEPARATOR in session_id:  # fmt: skip
        return Identity(None, "customer id or conversation that cannot be signed")
    expected = sign(secret, claimed, session_id, expires).encode()
    if not hmac.compare_digest(expected, signature.strip().lower().encode(errors="replace")):
        return Identity(None, "customer id with a wrong signature (or another conversation's)")
    moment = time.time() if now is None else now
    if expires <= moment:
        return Identity(None, "signature expired")
    if expires > moment + lifetime + CLOCK_SKEW:
        return Identity(None, f"signature valid for longer than {lifetime} s")
    return Identity(claimed, "signature verified")


def stored_metadata(metadata: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    """A message's metadata as it is kept: the signature and the claimed id replaced by the
    verification result (any record the sender put there is dropped)."""
    kept = {k: v for k, v in metadata.items() if k not in SIGNED_KEYS}
    if identity is not ANONYMOUS or metadata.get(ID_KEY) is not None:
        kept[RECORD_KEY] = identity.record()
    return kept


def verified_customer(stored: Any) -> str | None:
    """The customer a stored message's metadata was verified to come from, if any."""
    record = stored.get(RECORD_KEY) if isinstance(stored, Mapping) else None
    if isinstance(record, Mapping) and record.get("verified") is True:
        customer = record.get(ID_KEY)
        return customer if isinstance(customer, str) and customer else None
    return None


def event_identity(event: Any) -> tuple[bool, str | None]:
    """(whether a stored Rasa event says who sent it, the customer it was verified to come
    from): every user message does (in its metadata; none there is an anonymous visitor),
    and so does a session start, in the `session_started_metadata` slot event."""
    if not isinstance(event, Mapping):
        return False, None
    if event.get("event") == "user":
        metadata = event.get("metadata")
    elif event.get("event") == "slot" and event.get("name") == SESSION_METADATA_SLOT:
        metadata = event.get("value")
    else:
        return False, None
    return True, verified_customer(metadata)
