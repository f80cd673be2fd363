"""Who is chatting: a customer id the website vouched for, or an anonymous visitor.

The website's backend signs the signed-in customer's id with a secret it shares with the
action server (HMAC-SHA256, hex) and the chat widget sends both as session metadata:

    {"customer_id": "C000123", "customer_signature": "<hex HMAC-SHA256 of the id>"}

Without a `customer_id` in the metadata the Rasa sender id is the claimed id. A claim
without a valid signature (or with no secret configured) is an anonymous visitor.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ID_KEY, SIGNATURE_KEY = "customer_id", "customer_signature"
MAX_ID_LENGTH = 64  # the store's customer_id column


def sign_customer_id(secret: bytes, customer_id: str) -> str:
    return hmac.new(secret, customer_id.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Identity:
    customer_id: str | None  # set only when verified
    reason: str  # how it was decided, for the decision's explanation (never the signature)

    @property
    def verified(self) -> bool:
        return self.customer_id is not None


ANONYMOUS = Identity(None, "no customer id")


def identify(metadata: Mapping[str, Any] | None, sender_id: str | None,
             secret: bytes | None) -> Identity:  # fmt: skip
    metadata = metadata if isinstance(metadata, Mapping) else {}
    claimed = metadata.get(ID_KEY) or sender_id
    signature = metadata.get(SIGNATURE_KEY)
    if not isinstance(claimed, str) or not claimed.strip():
        return ANONYMOUS
    if len(claimed) > MAX_ID_LENGTH:
        return Identity(None, "customer id too long")
    if not secret:
        return Identity(None, "identity verification is not configured")
    if not isinstance(signature, str) or not signature:
        return Identity(None, "customer id without a signature")
    expected = sign_customer_id(secret, claimed).encode()
    if not hmac.compare_digest(expected, signature.strip().lower().encode(errors="replace")):
        return Identity(None, "customer id with a wrong signature")
    return Identity(claimed, "signature verified")
