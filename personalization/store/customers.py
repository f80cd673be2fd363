"""Customers, their preferences and model scores (the full-profile read: profile_read.py).

The models use only customers whose current consent decision for their purpose is a grant
(`granted_customers`): the scores of the others are not written and are deleted."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import Select

from personalization.store import schema as t
from personalization.store.customer_locks import lock_for_writing
from personalization.store.sql import (
    UpsertCounts,
    chunks,
    insert_ignoring_duplicates,
    upsert,
    utcnow,
)

CUSTOMER_FIELDS = (
    "name", "email", "country", "region", "language", "birth_year", "age_band",
    "account_tier", "loyalty_status", "signup_date", "churned", "attributes",
)  # fmt: skip
PREFERENCE_FIELDS = ("tone", "language", "product_interests")
SCORE_FIELDS = ("segment", "persona", "churn_risk", "model_version", "computed_at")


def upsert_customers(conn: Connection, rows: list[dict]) -> UpsertCounts:
    """Insert or update customers by customer_id; fields a row does not carry stay as they are."""
    now = utcnow()
    prepared = []
    for row in rows:
        unknown = set(row) - set(CUSTOMER_FIELDS) - {"customer_id"}
        if unknown:
            raise ValueError(f"Unknown customer fields: {sorted(unknown)}")
        prepared.append({"created_at": now, "updated_at": now, "attributes": {}, **row})
    return upsert(
        conn, t.customers, prepared, key=["customer_id"],
        compare=[f for f in CUSTOMER_FIELDS], stamp="updated_at",
    )  # fmt: skip


def merge_attributes(conn: Connection, customer_id: str, attributes: dict) -> None:
    """Add or replace some CRM attributes of an existing customer, keeping the others."""
    current = conn.execute(
        select(t.customers.c.attributes).where(t.customers.c.customer_id == customer_id)
    ).scalar_one()
    merged = {**(current or {}), **attributes}
    if merged != current:
        conn.execute(
            t.customers.update()
            .where(t.customers.c.customer_id == customer_id)
            .values(attributes=merged, updated_at=utcnow())
        )


def ensure_customers(conn: Connection, customer_ids: Iterable[str]) -> None:
    """Create empty customer rows for ids seen first in events or orders."""
    wanted = set(customer_ids)
    for part in chunks(sorted(wanted)):
        query = select(t.customers.c.customer_id).where(t.customers.c.customer_id.in_(part))
        wanted -= set(conn.execute(query).scalars())
    now = utcnow()
    rows = [{"customer_id": cid, "attributes": {}, "created_at": now, "updated_at": now}
            for cid in sorted(wanted)]  # fmt: skip
    insert_ignoring_duplicates(conn, t.customers, rows)


def set_preferences(conn: Connection, customer_id: str, **fields) -> None:
    unknown = set(fields) - set(PREFERENCE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown preference fields: {sorted(unknown)}")
    ensure_customers(conn, [customer_id])
    row = {"customer_id": customer_id, "updated_at": utcnow(), "product_interests": [], **fields}
    upsert(conn, t.preferences, [row], key=["customer_id"], compare=list(fields),
           stamp="updated_at")  # fmt: skip


def save_scores(conn: Connection, rows: list[dict]) -> UpsertCounts:
    return upsert(conn, t.scores, rows, key=["customer_id"], compare=SCORE_FIELDS)


def granted(purpose: str) -> Select:
    """The ids whose current decision for `purpose` is a grant (a subquery)."""
    s = t.consent_state
    return select(s.c.customer_id).where(s.c.purpose == purpose, s.c.granted.is_(True))


def granted_customers(conn: Connection, purpose: str) -> set[str]:
    return set(conn.execute(granted(purpose)).scalars())


def granted_customer_count(conn: Connection, purpose: str) -> int:
    c = t.customers
    return conn.execute(select(func.count()).select_from(c)
                        .where(c.c.customer_id.in_(granted(purpose)))).scalar()  # fmt: skip


def save_scores_of_granted(conn: Connection, rows: list[dict], purpose: str) -> int:
    """Save the scores of the customers who still exist and grant `purpose`, checked under
    their locks (customer_locks: an erasure or a withdrawal committed while they were
    computed wins); returns how many were kept."""
    ids = [row["customer_id"] for row in rows]
    lock_for_writing(conn, ids)
    c = t.customers
    kept: set[str] = set()
    for part in chunks(sorted(set(ids))):
        kept.update(conn.execute(select(c.c.customer_id).where(
            c.c.customer_id.in_(list(part)), c.c.customer_id.in_(granted(purpose)))).scalars())
    save_scores(conn, [row for row in rows if row["customer_id"] in kept])
    return len(kept)


def delete_scores_without_grant(conn: Connection, purpose: str) -> int:
    """Delete the scores of customers who do not (or no longer) grant `purpose`."""
    return conn.execute(t.scores.delete().where(
        t.scores.c.customer_id.notin_(granted(purpose)))).rowcount  # fmt: skip


def customer_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(t.customers)).scalar()


def customer_exists(conn: Connection, customer_id: str) -> bool:
    query = select(t.customers.c.customer_id).where(t.customers.c.customer_id == customer_id)
    return conn.execute(query).first() is not None


def example_customers(conn: Connection, notice_version: str) -> list[tuple[str, str, str]]:
    """(customer_id, name, why) for demos: a gold customer, the newest sign-up, the highest
    churn risk and a customer back after a long silence, each of whom allowed personalization
    under the current privacy notice, and a customer who was never asked, where the store
    has them."""
    c, s, h, cs = t.customers, t.scores, t.interaction_history, t.consent_state
    consented = select(cs.c.customer_id).where(
        cs.c.purpose == "personalization", cs.c.granted.is_(True),
        cs.c.notice_version == notice_version)  # fmt: skip
    answered = select(cs.c.customer_id).where(cs.c.purpose == "personalization")
    picks = [
        ("VIP (gold loyalty)", select(c.c.customer_id, c.c.name)
         .where(c.c.loyalty_status == "gold").order_by(c.c.customer_id)),
        ("new customer", select(c.c.customer_id, c.c.name)
         .where(c.c.signup_date.isnot(None))
         .order_by(c.c.signup_date.desc(), c.c.customer_id)),
        ("highest churn risk", select(c.c.customer_id, c.c.name).join(s)
         .where(s.c.churn_risk.isnot(None)).order_by(s.c.churn_risk.desc(), c.c.customer_id)),
        ("back after a long silence", select(c.c.customer_id, c.c.name).join(h)
         .where(h.c.last_interaction_at.isnot(None))
         .order_by(h.c.last_interaction_at, c.c.customer_id)),
    ]  # fmt: skip
    picks = [(why, query.where(c.c.customer_id.in_(consented))) for why, query in picks]
    picks.append(("first chat: never asked about their data", select(c.c.customer_id, c.c.name)
                  .where(c.c.customer_id.notin_(answered)).order_by(c.c.customer_id)))
    found, seen = [], set()
    for why, query in picks:
        if seen:
            query = query.where(c.c.customer_id.notin_(seen))
        row = conn.execute(query.limit(1)).first()
        if row is not None:
            found.append((row.customer_id, row.name or row.customer_id, why))
            seen.add(row.customer_id)
    return found


def customer_email(conn: Connection, customer_id: str) -> str | None:
    return conn.execute(select(t.customers.c.email)
                        .where(t.customers.c.customer_id == customer_id)).scalar()  # fmt: skip
