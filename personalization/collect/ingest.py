"""From validated events to the profile store, through the consent and suppression gate.

For each event, in timestamp order, in one transaction:
1. an id on the suppression list (an erased customer) drops the event;
2. consent preferences the event carries (Segment's `context.consent.categoryPreferences`)
   are recorded, so a visitor's first page view can carry its own consent;
3. an event whose customer has not granted the purpose it serves is dropped;
4. a message id seen before is a duplicate: counted, not stored again;
5. otherwise the event is stored and its effect applied (collect/effects.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from personalization.collect import effects
from personalization.collect.segment import TrackedEvent
from personalization.hashing import IdHasher
from personalization.store import Store
from personalization.store.tracking import (
    consented,
    gate_lookup,
    record_consent,
    store_events,
)

PURPOSE = "personalization"  # what collected events are used for
CONSENT_CHANNEL = "web"


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    dropped: list[tuple[int, str]] = field(default_factory=list)  # (position, reason)


def subject(event: TrackedEvent) -> str:
    """Whose data this is: the user id, or the anonymous id of a visitor not yet known."""
    return event.user_id or f"anonymous:{event.anonymous_id}"


def consent_preferences(event: TrackedEvent) -> dict[str, bool]:
    consent = event.context.get("consent")
    prefs = consent.get("categoryPreferences") if isinstance(consent, dict) else None
    if not isinstance(prefs, dict):
        return {}
    return {str(k).strip().lower(): v for k, v in prefs.items() if isinstance(v, bool)}


class Ingestor:
    def __init__(self, store: Store, hasher: IdHasher) -> None:
        self.store = store
        self.hasher = hasher

    def ingest(self, events: list[TrackedEvent]) -> IngestResult:
        result = IngestResult()
        if not events:
            return result
        order = sorted(range(len(events)), key=lambda i: events[i].timestamp)
        hashes = [self._hashes(e) for e in events]
        subjects = [subject(e) for e in events]
        with self.store.begin() as conn:
            blocked, allowed, seen = gate_lookup(
                conn, set().union(*hashes), subjects, PURPOSE, (e.message_id for e in events))
            erased = {i for i in order if blocked & hashes[i]}
            result.dropped = [(i, "suppressed: the customer's data was erased") for i in erased]
            order = [i for i in order if i not in erased]
            deciding = set()
            for i in order:
                for purpose, granted in consent_preferences(events[i]).items():
                    record_consent(conn, subjects[i], purpose, granted, CONSENT_CHANNEL,
                                   at=events[i].timestamp)  # fmt: skip
                    deciding.add(subjects[i])
            if deciding:  # decisions carried by this batch (or newer stored ones) count
                allowed = (allowed - deciding) | consented(conn, deciding, PURPOSE)
            fresh = {e.message_id for e in events} - seen
            stored = []
            for i in order:
                event = events[i]
                if subjects[i] not in allowed:
                    result.dropped.append((i, f"no consent for {PURPOSE}"))
                elif event.message_id not in fresh:
                    result.duplicates += 1
                else:
                    fresh.discard(event.message_id)  # a repeat inside the batch is a duplicate
                    effects.apply(conn, event)
                    stored.append(event)
            self._store(conn, stored)
        result.stored = len(stored)
        result.dropped.sort()
        return result

    def _hashes(self, event: TrackedEvent) -> set[str]:
        return {self.hasher(i) for i in (event.user_id, event.anonymous_id) if i}

    @staticmethod
    def _store(conn: Connection, events: list[TrackedEvent]) -> None:
        store_events(conn, [
            {"message_id": e.message_id, "customer_id": e.user_id, "anonymous_id": e.anonymous_id,
             "type": e.type, "name": e.name, "properties": e.properties, "context": e.context,
             "timestamp": e.timestamp}
            for e in events
        ])  # fmt: skip
