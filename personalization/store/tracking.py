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
    callers write those to the audit log."""
    at = at or utcnow()
    conn.execute(t.consent_records.insert().values(
        customer_id=customer_id, purpose=purpose, granted=granted, recorded_at=at,
        channel=channel, notice_version=notice_version,
    ))  # fmt: skip
    s = t.consent_state
    current = conn.execute(select(s.c.granted, s.c.recorded_at, s.c.notice_version).where(
        s.c.customer_id == customer_id, s.c.purpose == purpose)).first()  # fmt: skip
    if current is not None and current.recorded_at > at:
        return False  # an older decision arriving late does not win
    upsert(conn, s,
           [{"customer_id": customer_id, "purpose": purpose, "granted": granted,
             "recorded_at": at, "notice_version": notice_version}],
           key=["customer_id", "purpose"],
           compare=["granted", "recorded_at", "notice_version"])  # fmt: skip
    return current is None or (current.granted, current.notice_version) != (granted,
                                                                            notice_version)


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
