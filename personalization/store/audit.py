"""The audit log: every export, erasure and consent change (who, what, when, outcome).

Rows are only ever added (the database refuses UPDATE and DELETE, migration 0004). The
subject is the keyed hash of the customer id and the detail holds counts and reasons, so
the log keeps no personal data of a customer who is later erased.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from personalization.store import schema as t
from personalization.store.sql import utcnow

ACTIONS = ("export", "erasure", "consent")


def append(conn: Connection, actor: str, action: str, subject: str | None, outcome: str,
           detail: dict[str, Any] | None = None) -> None:  # fmt: skip
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r} (one of {', '.join(ACTIONS)})")
    conn.execute(t.audit_log.insert().values(
        at=utcnow(), actor=actor[:200], action=action, subject=subject, outcome=outcome[:32],
        detail=detail or {}))  # fmt: skip


def entries(conn: Connection, subject: str | None = None) -> list[dict[str, Any]]:
    """The log, oldest first; only one subject's entries when given."""
    a = t.audit_log
    query = select(a).order_by(a.c.id)
    if subject is not None:
        query = query.where(a.c.subject == subject)
    return [dict(row._mapping) for row in conn.execute(query)]
