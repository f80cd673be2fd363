"""Group commit for the event API: requests that arrive while a write is running are
written together in the next transaction.

A commit costs about as much as inserting fifty events, so under concurrent load the
API commits once for several requests instead of once per request. Each request still gets
its own result, and waits until its events are committed before it is answered. A request
whose data the database refuses fails alone (ingest.py); a group that fails (the store is
unreachable) fails all of its requests: nothing of them was stored.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from personalization.collect.ingest import Ingestor, IngestResult
from personalization.collect.segment import TrackedEvent

MAX_GROUP_EVENTS = 500  # at most five full batches per transaction


class GroupWriter:
    def __init__(self, ingestor: Ingestor, max_events: int = MAX_GROUP_EVENTS) -> None:
        self.ingestor = ingestor
        self.max_events = max_events
        # one writer: SQLite has one anyway, and on PostgreSQL groups grow with the load
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")
        self._pending: list[tuple[list[TrackedEvent], asyncio.Future]] = []
        self._draining = False

    async def write(self, events: list[TrackedEvent]) -> IngestResult:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._pending.append((events, done))
        if not self._draining:
            self._draining = True
            loop.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                group = self._take_group()
                try:
                    results = await loop.run_in_executor(
                        self._thread, self.ingestor.ingest_group, [events for events, _ in group])
                except Exception as failure:  # noqa: BLE001 - handed to each waiting request
                    for _, done in group:
                        if not done.done():
                            done.set_exception(failure)
                    continue
                for (_, done), result in zip(group, results, strict=True):
                    if not done.done():  # its client may have gone away meanwhile
                        done.set_result(result)
        finally:
            self._draining = False

    def _take_group(self) -> list[tuple[list[TrackedEvent], asyncio.Future]]:
        """The oldest waiting requests, up to max_events events (at least one request)."""
        group = [self._pending.pop(0)]
        size = len(group[0][0])
        while self._pending and size + len(self._pending[0][0]) <= self.max_events:
            size += len(self._pending[0][0])
            group.append(self._pending.pop(0))
        return group
