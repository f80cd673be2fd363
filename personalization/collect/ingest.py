"""From validated events to the profile store, through the consent and suppression gate.

For each event, in timestamp order, in one transaction:
1. an id on the suppression list (an erased customer) drops the event;
2. consent preferences the event carries (Segment's `context.consent.categoryPreferences`)
   are recorded, so a visitor's first page view can carry its own consent;
3. an event whose customer has not granted the purpose it serves is dropped;
4. the rest are stored, once per message id: one stored before (or by a concurrent
   transaction, or earlier in the same request) is a duplicate, counted, not stored again;
5. each event stored has its effect applied, in timestamp order (collect/effects.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from personalization.collect import effects
from personalization.collect.segment import TrackedEvent
from personalization.hashing import IdHasher
from personalization.store import Store, audit
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


STORED, DUPLICATE = "stored", "duplicate"  # outcomes; any other outcome is a drop reason


class Ingestor:
    def __init__(self, store: Store, hasher: IdHasher) -> None:
        self.store = store
        self.hasher = hasher

    def ingest(self, events: list[TrackedEvent]) -> IngestResult:
        return self.ingest_group([events])[0]

    def ingest_group(self, requests: list[list[TrackedEvent]]) -> list[IngestResult]:
        """Several requests' events in one transaction (one commit), a result for each.

        The events are gated and stored together, in timestamp order, exactly as one
        request holding all of them would be; positions in the results are per request.
        """
        outcomes = self._outcomes([event for events in requests for event in events])
        results, start = [], 0
        for events in requests:
            mine = outcomes[start : start + len(events)]
            start += len(events)
            results.append(IngestResult(
                stored=mine.count(STORED), duplicates=mine.count(DUPLICATE),
                dropped=[(i, o) for i, o in enumerate(mine) if o not in (STORED, DUPLICATE)],
            ))  # fmt: skip
        return results

    def _outcomes(self, events: list[TrackedEvent]) -> list[str]:
        outcomes = [STORED] * len(events)
        if not events:
            return outcomes
        order = sorted(range(len(events)), key=lambda i: events[i].timestamp)
        hashes = [self._hashes(e) for e in events]
        subjects = [subject(e) for e in events]
        with self.store.begin() as conn:
            blocked, allowed = gate_lookup(conn, set().union(*hashes), subjects, PURPOSE)
            for i in order:
                if blocked & hashes[i]:
                    outcomes[i] = "suppressed: the customer's data was erased"
            order = [i for i in order if outcomes[i] == STORED]
            deciding = set()
            for i in order:
                for purpose, granted in consent_preferences(events[i]).items():
                    if record_consent(conn, subjects[i], purpose, granted, CONSENT_CHANNEL,
                                      at=events[i].timestamp):  # fmt: skip
                        audit.append(conn, "event API", "consent", self.hasher(subjects[i]),
                                     "granted" if granted else "withdrawn",
                                     {"purpose": purpose})  # fmt: skip
                    deciding.add(subjects[i])
            if deciding:  # decisions carried by these events (or newer stored ones) count
                allowed = (allowed - deciding) | consented(conn, deciding, PURPOSE)
            candidates = [i for i in order if subjects[i] in allowed]
            for i in set(order) - set(candidates):
                outcomes[i] = f"no consent for {PURPOSE}"
            stored = self._store(conn, [events[i] for i in candidates])
            for i in candidates:  # in timestamp order
                if events[i].message_id in stored:
                    stored.discard(events[i].message_id)  # a repeat in the group: duplicate
                    effects.apply(conn, events[i])
                else:
                    outcomes[i] = DUPLICATE
        return outcomes

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
