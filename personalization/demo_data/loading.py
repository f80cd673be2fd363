"""`load`: put generated demo data into an empty profile store, in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.engine import Connection
from tqdm import tqdm

from personalization.demo_data.generate import DemoData
from personalization.store import Store
from personalization.store import schema as t
from personalization.store.bulk import bulk_load
from personalization.store.engine import SQLITE_CACHE_KB

LOAD_CACHE_KB = 1024 * 1024  # SQLite page cache while loading: 1 GB at most, used as needed


class StoreNotEmpty(ValueError):
    """Demo data goes only into an empty profile store."""


def load(store: Store, data: DemoData, progress: bool = True) -> dict[str, int]:
    """Insert every table of `data` (parents before children); returns rows per table.

    Refuses (StoreNotEmpty) a store that already holds customers or any rows of these tables:
    demo data is meant for a fresh database, and mixing it with real rows would clash.
    """
    frames = data.tables()
    counts: dict[str, int] = {}
    with store.begin() as conn, _large_sqlite_cache(conn):
        if conn.execute(select(t.customers.c.customer_id).limit(1)).first() is not None:
            raise StoreNotEmpty(
                f"The profile store at {store.engine.url!r} already has customers; demo data "
                "is loaded only into an empty store. Point at a new database (and run "
                "`python -m personalization db upgrade` on it) or empty this one first."
            )
        busy = [name for name in frames
                if conn.execute(select(t.metadata.tables[name]).limit(1)).first() is not None]
        if busy:
            raise StoreNotEmpty(
                f"The profile store at {store.engine.url!r} already has rows in {busy}; demo "
                "data is loaded only into an empty store."
            )
        total = sum(len(frame) for frame in frames.values())
        with tqdm(total=total, unit="rows", unit_scale=True, desc="demo data",
                  disable=not progress) as bar:  # fmt: skip
            for name, frame in frames.items():
                bar.set_postfix_str(name)
                counts[name] = bulk_load(conn, t.metadata.tables[name], frame,
                                         progress=bar.update)  # fmt: skip
    return counts


@contextmanager
def _large_sqlite_cache(conn: Connection) -> Iterator[None]:
    """Random message ids and customer ids go into their indexes all over the file; with
    the usual page cache that becomes a disk read per row at a million customers.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql(f"PRAGMA cache_size = -{LOAD_CACHE_KB}")
    try:
        yield
    finally:  # the pooled connection goes back as it was
        conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
