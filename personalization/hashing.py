"""Keyed hashes of customer ids, so an erased id can be recognised without being kept."""

from __future__ import annotations

import hashlib


class IdHasher:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("The hash key must be at least 16 bytes long.")
        self._key = key if len(key) <= 64 else hashlib.sha512(key).digest()  # BLAKE2b's limit

    def __call__(self, customer_id: str) -> str:
        # keyed BLAKE2b is a MAC (RFC 7693) and several times faster than HMAC-SHA256
        return hashlib.blake2b(customer_id.encode(), key=self._key, digest_size=32).hexdigest()
