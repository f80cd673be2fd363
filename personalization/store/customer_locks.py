"""Erasure against concurrent writers: a per-customer lock on PostgreSQL.

An erasure deletes a customer and puts their keyed hash on the suppression list in one
transaction. A writer that creates or attaches data to customers (tracked events, imports,
the updater's history and conversation links, scores) checks the suppression list (or the
customer's consent, which an erasure deletes) and then writes. On PostgreSQL (READ
COMMITTED) the two run side by side: without a lock, a writer that checked before the
erasure committed writes rows the erasure never saw, and the customer is back.

So both take a transaction-scoped advisory lock per customer before anything else: the
erasure an exclusive one, writers a shared one (writers do not wait for each other), and a
writer checks the suppression list or consent only after it holds its locks. Whichever
comes second waits for the first to commit: a writer after an erasure sees the suppression
entry and drops the erased customer's rows; an erasure after a writer deletes what it wrote.

Locks are taken on one of BUCKETS buckets of the customer id, not on the id itself: an
import of a million customers holds at most BUCKETS locks, within PostgreSQL's shared lock
table (`max_locks_per_transaction` x connections; 64 x 100 by default). Two customers in one
bucket only make an erasure wait for a writer of the other one, never a wrong result.

SQLite needs none of this: `Store.begin` takes SQLite's single write lock at the start of
every write transaction, so an erasure and a writer never overlap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER
from sqlalchemy.engine import Connection

BUCKETS = 1024
NAMESPACE = 0x45524153  # "ERAS": the first key of the two-key advisory locks taken here

_SHARED = text(
    "SELECT count(pg_advisory_xact_lock_shared(:namespace, bucket)) "
    "FROM unnest(:buckets) AS bucket"
).bindparams(bindparam("buckets", type_=ARRAY(INTEGER)))
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:namespace, :bucket)")


def bucket(customer_id: str) -> int:
    """The lock bucket of a customer id: the same in every process and on every machine."""
    return zlib.crc32(customer_id.encode()) % BUCKETS


def lock_for_writing(conn: Connection, customer_ids: Iterable[str | None]) -> None:
    """Before writing data of these customers in this transaction: wait for any erasure of
    one of them to commit, and keep new erasures of them waiting until this one ends. Then
    check the suppression list (or consent), in this transaction."""
    if conn.dialect.name != "postgresql":
        return
    buckets = sorted({bucket(c) for c in customer_ids if c})
    if buckets:
        conn.execute(_SHARED, {"namespace": NAMESPACE, "buckets": buckets})


def lock_for_erasure(conn: Connection, customer_id: str) -> None:
    """Before erasing the customer in this transaction: wait for the writers of their data
    to commit, and keep new ones waiting (they will find the suppression entry)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_EXCLUSIVE, {"namespace": NAMESPACE, "bucket": bucket(customer_id)})
