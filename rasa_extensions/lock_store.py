"""A Redis lock store that is safe with several Rasa servers.

Rasa 3.6's RedisLockStore changes a conversation's ticket lock with a GET and a later SET:
two servers taking messages of the same conversation at the same moment can both read the
lock, both add a ticket and the second SET wins, so both process at once and one message's
events are lost from the tracker store (tests/test_scaled.py shows it). Here every change of
a lock happens under a short Redis mutex (redis-py's Lock: SET NX with an expiry, released
by a script), so tickets are issued and retired one at a time.

endpoints.yml:  lock_store: {type: rasa_extensions.lock_store.AtomicRedisLockStore, url: ...,
port: 6379, db: 1, key_prefix: ...}  (the same keys as Rasa's `type: redis`).
"""

from __future__ import annotations

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

GUARD_SECONDS = 5.0  # a guard is held for a few Redis round trips; it expires if a server dies


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    def _guard(self, conversation_id: str):
        return self.red.lock(f"{self.key_prefix}{conversation_id}:guard", timeout=GUARD_SECONDS,
                             blocking_timeout=GUARD_SECONDS)  # fmt: skip

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._guard(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._guard(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._guard(conversation_id):
            super().cleanup(conversation_id, ticket_number)
