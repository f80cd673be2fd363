"""From validated events to the profile store, through the consent and suppression gate.

For the events of a group of requests (writer.py), in timestamp order:
1. an id on the suppression list (an erased customer) drops the event;
2. consent preferences the event carries (Segment's `context.consent.categoryPreferences`)
   are recorded, timed by the server's clock, unless the message was received before; so a
   visitor's first page view can carry its own consent. What became of each decision is
   reported, and only a change is written to the audit log;
3. an event whose customer has not granted the purpose it serves is dropped;
4. an event that would change another customer's order or ticket is dropped;
5. the rest are stored, once per message id: one stored before (or by a concurrent
   transaction, or earlier in the same group) is a duplicate, counted, not stored again;
6. each event stored has its effect applied, in timestamp order (collect/effects.py).

Should the database refuse the group's data, each request is written again in a savepoint of
its own (twice: a concurrent insert of the same new key goes through the second time): the
one it refuses gets an error and nothing of it is stored, the others are committed. A lost
connection fails the whole group (503: nothing stored).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError

from personalization.collect import effects
from personalization.collect.segment import TrackedEvent
from personalization.hashing import IdHasher
from personalization.store import Store, audit
from personalization.store.customer_locks import lock_for_writing
from personalization.store.sql import utcnow
from personalization.store.tracking import (
    CHANGED,
    SUPERSEDED,
    UNCHANGED,
    consent_outcome,
    consented,
    gate_lookup,
    store_events,
    stored_message_ids,
)

logger = logging.getLogger(__name__)
PURPOSE = "personalization"  # what collected events are used for
CONSENT_CHANNEL = "web"
ERASED = "the customer's data was erased"
REPEAT = "not recorded: a repeat of an earlier message"
OUTCOMES = {CHANGED: "recorded", UNCHANGED: "unchanged",
            SUPERSEDED: "not recorded: a newer decision is recorded"}  # fmt: skip
LOST = (OperationalError, InterfaceError, DisconnectionError)  # the connection, not the data


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    dropped: list[tuple[int, str]] = field(default_factory=list)  # (position, reason)
    consent: list[tuple[int, str, bool, str]] = field(default_factory=list)  # + outcome
    # (status, problem) when nothing of the request could be stored
    error: tuple[int, str] | None = None


def subject(event: TrackedEvent) -> str:
    """Whose data this is: the user id, or the anonymous id of a visitor not yet known."""
    return event.user_id or f"anonymous:{event.anonymous_id}"


STORED, DUPLICATE = "stored", "duplicate"  # outcomes; any other outcome is a drop reason


class Ingestor:
    def __init__(self, store: Store, hasher: IdHasher) -> None:
        self.store = store
        self.hasher = hasher

    def ingest(self, events: list[TrackedEvent]) -> IngestResult:
        return self.ingest_group([events])[0]

    def ingest_group(self, requests: list[list[TrackedEvent]]) -> list[IngestResult]:
        """Several requests' events in one transaction (one commit), a result for each.

        First all together, as one request holding all of them would be (one gate query,
        one insert, no savepoint: SQLite inserts slower inside one). Should the database
        refuse that, all is rolled back and each request written again in a savepoint of
        its own: the one it refuses gets an error, the others are stored. Positions in the
        results are per request."""
        now = utcnow()  # the server's time of the decisions these requests carry
        try:
            with self.store.begin() as conn:
                self._lock(conn, requests)
                return _split(requests, *self._outcomes(conn, _flat(requests), now))
        except LOST:
            raise
        except Exception:  # noqa: BLE001 - rolled back: find which request, each alone
            pass
        with self.store.begin() as conn:
            self._lock(conn, requests)
            return [self._isolated(conn, events, now) for events in requests]

    @staticmethod
    def _lock(conn: Connection, requests: list[list[TrackedEvent]]) -> None:
        # erasures first (the gate), for the whole group: before any savepoint
        lock_for_writing(conn, [e.user_id for events in requests for e in events])

    def _isolated(self, conn: Connection, events: list[TrackedEvent], now: datetime,
                  tries: int = 2) -> IngestResult:  # fmt: skip
        """One request in its own savepoint, tried twice: a concurrent insert of the same new
        key (PostgreSQL) succeeds the second time."""
        for _ in range(tries):
            try:
                with conn.begin_nested():
                    return _split([events], *self._outcomes(conn, events, now))[0]
            except LOST:
                raise
            except Exception as failure:  # noqa: BLE001 - this request's own answer
                problem = failure
        if isinstance(problem, SQLAlchemyError):  # its message may hold the data: not logged
            logger.error("the profile store refused a request's events (%s)",
                         type(problem).__name__)  # fmt: skip
            return IngestResult(error=(400, "the profile store refused this request's data "
                                       f"({type(problem).__name__}): nothing of it was stored, "
                                       "other requests written with it were. Check its values."))
        logger.error("a request's events failed (%s)", type(problem).__name__, exc_info=problem)
        return IngestResult(error=(500, f"the server failed on this request "
                                   f"({type(problem).__name__}): nothing of it was stored"))

    def _outcomes(self, conn: Connection, events: list[TrackedEvent],
                  now: datetime) -> tuple[list[str], list[tuple]]:  # fmt: skip
        """What became of each event, and of each consent decision (position first)."""
        outcomes, consent = [STORED] * len(events), []
        order = sorted(range(len(events)), key=lambda i: events[i].timestamp)
        hashes = [self._hashes(e) for e in events]
        subjects = [subject(e) for e in events]
        blocked, allowed = gate_lookup(conn, set().union(*hashes), subjects, PURPOSE)
        for i in order:
            if blocked & hashes[i]:
                outcomes[i] = f"suppressed: {ERASED}"
                consent += [(i, p, g, f"not recorded: {ERASED}") for p, g in events[i].consent]
        order = [i for i in order if outcomes[i] == STORED]
        deciding = self._record_consent(conn, events, subjects, order, now, consent)
        if deciding:  # decisions carried by these events (or newer stored ones) count
            allowed = (allowed - deciding) | consented(conn, deciding, PURPOSE)
        for i in order:
            if subjects[i] not in allowed:
                outcomes[i] = f"no consent for {PURPOSE}"
        candidates = [i for i in order if outcomes[i] == STORED]
        reasons = effects.foreign_records(conn, [events[i] for i in candidates])
        for i, reason in zip(candidates, reasons, strict=True):
            outcomes[i] = reason or STORED
        candidates = [i for i in candidates if outcomes[i] == STORED]
        stored = self._store(conn, [events[i] for i in candidates])
        for i in candidates:  # in timestamp order
            if events[i].message_id in stored:
                stored.discard(events[i].message_id)  # a repeat in the group: duplicate
                effects.apply(conn, events[i])
            else:
                outcomes[i] = DUPLICATE
        return outcomes, consent

    def _record_consent(self, conn: Connection, events: list[TrackedEvent], subjects: list[str],
                        order: list[int], now: datetime, consent: list[tuple]) -> set[str]:
        """Record the decisions the events carry, timed `now`, once per message; returns
        the subjects who decided."""
        carrying = [i for i in order if events[i].consent]
        if not carrying:
            return set()
        seen = stored_message_ids(conn, {events[i].message_id for i in carrying})
        deciding = set()
        for i in carrying:
            repeat = events[i].message_id in seen
            seen.add(events[i].message_id)
            for purpose, granted in events[i].consent:
                if repeat:
                    consent.append((i, purpose, granted, REPEAT))
                    continue
                outcome = consent_outcome(conn, subjects[i], purpose, granted, CONSENT_CHANNEL,
                                          at=now)  # fmt: skip
                if outcome == CHANGED:
                    audit.append(conn, "event API", "consent", self.hasher(subjects[i]),
                                 "granted" if granted else "withdrawn", {"purpose": purpose})
                consent.append((i, purpose, granted, OUTCOMES[outcome]))
            deciding.add(subjects[i])
        return deciding

    def _hashes(self, event: TrackedEvent) -> set[str]:
        return {self.hasher(i) for i in (event.user_id, event.anonymous_id) if i}

    @staticmethod
    def _store(conn: Connection, events: list[TrackedEvent]) -> set[str]:
        return store_events(conn, [
            {"message_id": e.message_id, "customer_id": e.user_id, "anonymous_id": e.anonymous_id,
             "type": e.type, "name": e.name, "properties": e.properties, "context": e.context,
             "timestamp": e.timestamp}
            for e in events
        ])  # fmt: skip


def _flat(requests: list[list[TrackedEvent]]) -> list[TrackedEvent]:
    return [event for events in requests for event in events]


def _split(requests: list[list[TrackedEvent]], outcomes: list[str],
           consent: list[tuple]) -> list[IngestResult]:  # fmt: skip
    """The results of a group's events, request by request, with positions per request."""
    results, start = [], 0
    for events in requests:
        end = start + len(events)
        mine = outcomes[start:end]
        results.append(IngestResult(
            stored=mine.count(STORED), duplicates=mine.count(DUPLICATE),
            dropped=[(i, o) for i, o in enumerate(mine) if o not in (STORED, DUPLICATE)],
            consent=sorted((i - start, *rest) for i, *rest in consent if start <= i < end),
        ))  # fmt: skip
        start = end
    return results
