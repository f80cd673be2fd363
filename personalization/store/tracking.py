"""Tracked events (stored once per message id), consent decisions and the suppression list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import CompoundSelect

from personalization.store import schema as t
from personalization.store.sql import (
    CHUNK,
    chunks,
    insert_ignoring_duplicates,
    insert_new,
    upsert,
    utcnow,
)


def store_events(conn: Connection, rows: list[dict]) -> set[str]:
    """Insert tracked events; one whose message_id is stored already is skipped.

    Returns the message ids this call stored, exactly, also when another process stores
    the same message at the same time (sql.insert_new).
    """
    now = utcnow()
    return insert_new(conn, t.events, [{"received_at": now, **r} for r in rows], "message_id")


CHANGED, UNCHANGED, SUPERSEDED = "changed", "unchanged", "superseded"  # consent outcomes


def stored_message_ids(conn: Connection, message_ids: Iterable[str]) -> set[str]:
    """The ids among `message_ids` of events stored already."""
    found: set[str] = set()
    key = t.events.c.message_id
    for part in chunks(sorted(set(message_ids))):
        found.update(conn.execute(select(key).where(key.in_(list(part)))).scalars())
    return found


def record_consent(
    conn: Connection,
    customer_id: str,
    purpose: str,
    granted: bool,
    channel: str,
    notice_version: str | None = None,
    at: datetime | None = None,
) -> bool:
    """Append a consent decision and make it the current one for that purpose. True when
    the current decision changed (a first one, the other answer, or another notice): the
    callers write those to the audit log. `consent_outcome` says what happened."""
    outcome = consent_outcome(conn, customer_id, purpose, granted, channel, notice_version, at)
    return outcome == CHANGED


def consent_outcome(
    conn: Connection,
    customer_id: str,
    purpose: str,
    granted: bool,
    channel: str,
    notice_version: str | None = None,
    at: datetime | None = None,
) -> str:
    """Record a decision (kept in the history whatever happens) and say what became of it:
    CHANGED, the current decision is now this one and differs from the one before;
    UNCHANGED, the current one already said the same; SUPERSEDED, a newer decision stands.

    `at`: when it was made; by default now, the decision of someone answering now. Only a
    decision recorded later than `at` and not after now can supersede it: one stamped in
    the future (a client's clock ahead of ours) never outranks a decision made since."""
    now = utcnow()
    at = at or now
    conn.execute(t.consent_records.insert().values(
        customer_id=customer_id, purpose=purpose, granted=granted, recorded_at=at,
        channel=channel, notice_version=notice_version,
    ))  # fmt: skip
    s = t.consent_state
    current = conn.execute(select(s.c.granted, s.c.recorded_at, s.c.notice_version).where(
        s.c.customer_id == customer_id, s.c.purpose == purpose)).first()  # fmt: skip
    if current is not None and at < current.recorded_at <= max(at, now):
        return SUPERSEDED  # an older decision arriving late does not win
    upsert(conn, s,
           [{"customer_id": customer_id, "purpose": purpose, "granted": granted,
             "recorded_at": at, "notice_version": notice_version}],
           key=["customer_id", "purpose"],
           compare=["granted", "recorded_at", "notice_version"])  # fmt: skip
    if current is None or (current.granted, current.notice_version) != (granted, notice_version):
        return CHANGED
    return UNCHANGED


def consented(conn: Connection, customer_ids: Iterable[str], purpose: str) -> set[str]:
    """The ids among `customer_ids` whose current decision for `purpose` is a grant."""
    wanted = sorted(set(customer_ids))
    granted: set[str] = set()
    s = t.consent_state
    for part in chunks(wanted):
        granted.update(conn.execute(
            select(s.c.customer_id).where(
                s.c.customer_id.in_(list(part)), s.c.purpose == purpose, s.c.granted.is_(True))
        ).scalars())  # fmt: skip
    return granted


def suppress(conn: Connection, id_hashes: Iterable[str]) -> None:
    now = utcnow()
    rows = [{"id_hash": h, "added_at": now} for h in sorted(set(id_hashes))]
    insert_ignoring_duplicates(conn, t.suppression, rows)


def suppressed(conn: Connection, id_hashes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for part in chunks(sorted(set(id_hashes))):
        query = select(t.suppression.c.id_hash).where(t.suppression.c.id_hash.in_(list(part)))
        found.update(conn.execute(query).scalars())
    return found


def gate_lookup(
    conn: Connection, id_hashes: Iterable[str], customer_ids: Iterable[str], purpose: str
) -> tuple[set[str], set[str]]:
    """One round trip for the event gate: (suppressed hashes, ids that consented)."""
    hashes, ids = sorted(set(id_hashes)), sorted(set(customer_ids))
    if max(len(hashes), len(ids)) > CHUNK:
        return suppressed(conn, hashes), consented(conn, ids, purpose)
    found: dict[str, set[str]] = {"s": set(), "c": set()}
    for kind, value in conn.execute(_GATE_QUERY, {"hashes": hashes, "ids": ids,
                                                  "purpose": purpose}):  # fmt: skip
        found[kind].add(value)
    return found["s"], found["c"]


def _gate_query() -> CompoundSelect:
    """Built once, with list parameters: the event API runs it for every request."""
    s, c = t.suppression, t.consent_state
    return union_all(
        select(literal("s"), s.c.id_hash).where(
            s.c.id_hash.in_(bindparam("hashes", expanding=True))),
        select(literal("c"), c.c.customer_id).where(
            c.c.customer_id.in_(bindparam("ids", expanding=True)),
            c.c.purpose == bindparam("purpose"), c.c.granted.is_(True)),
    )  # fmt: skip


_GATE_QUERY = _gate_query()
