"""The lock store of the scale-out configuration, against the local Redis: several servers
(lock store instances, each in its own thread and event loop) taking messages of one
conversation at once let exactly one through at a time, and every one through."""

from __future__ import annotations

import asyncio
import threading
import uuid

from rasa.utils.endpoints import EndpointConfig

from rasa_extensions.lock_store import AtomicRedisLockStore
from tests.test_scaled import require


def overlaps_among(servers: list, messages_each: int) -> tuple[int, int]:
    """(how often two servers held the conversation at once, messages processed)."""
    guard, state = threading.Lock(), {"inside": 0, "overlaps": 0, "done": 0}

    async def serve(store) -> None:
        for _ in range(messages_each):
            async with store.lock("conversation", wait_time_in_seconds=0.002):
                with guard:
                    state["inside"] += 1
                    state["overlaps"] += state["inside"] > 1
                await asyncio.sleep(0.003)  # processing the message
                with guard:
                    state["inside"] -= 1
                    state["done"] += 1

    threads = [threading.Thread(target=asyncio.run, args=(serve(s),)) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return state["overlaps"], state["done"]


def test_one_message_of_a_conversation_at_a_time_across_servers():
    require("Redis", 6379)
    config = EndpointConfig(url="127.0.0.1", port=6379, db=1,
                            key_prefix=f"locktest{uuid.uuid4().hex[:8]}")  # fmt: skip
    servers = [AtomicRedisLockStore(config) for _ in range(4)]
    assert overlaps_among(servers, 25) == (0, 100)
    assert servers[0].get_lock("conversation") is None  # nothing left behind
