"""Keyed hashes of customer ids, so an erased id can be recognised without being kept."""

from __future__ import annotations

import hashlib
import hmac


class IdHasher:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("The hash key must be at least 16 bytes long.")
        self._key = key

    def __call__(self, customer_id: str) -> str:
        return hmac.new(self._key, customer_id.encode(), hashlib.sha256).hexdigest()
