"""The profile store: everything known about a customer, behind one repository.

The functions in `customers`, `commerce`, `tracking` and `history` take a connection, so a
caller can group several of them in one transaction (`with store.begin() as conn:`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from personalization.store.engine import create_engine
from personalization.store.migrate import current_revision, head_revision
from personalization.store.profile import Profile
from personalization.store.profile_read import load_profile, read_profile


class StoreNotReady(RuntimeError):
    """The database is missing its schema or has an older one."""


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._readers = threading.local()  # SQLite: a connection per thread for `profile`
        self._open_readers: list = []

    @classmethod
    def from_url(cls, url: str, check_schema: bool = True) -> Store:
        store = cls(create_engine(url))
        if check_schema:
            store.check_schema()
        return store

    def check_schema(self) -> None:
        found, wanted = current_revision(self.engine), head_revision()
        if found != wanted:
            raise StoreNotReady(
                f"The profile store at {self.engine.url!r} is at schema revision {found!r}, "
                f"this code needs {wanted!r}. Run `python -m personalization db upgrade`."
            )

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction that commits at the end (rolls back on an exception).

        On SQLite it takes the write lock at its start (BEGIN IMMEDIATE): what it reads
        cannot be changed by another process before it writes. SQLite has one writer at a
        time anyway. PostgreSQL runs transactions side by side (READ COMMITTED): tracked
        events are still stored exactly once (tracking.store_events), and where two
        transactions insert the same new customer or order at once, one fails on the unique
        key and is rolled back whole (the event API answers 503: send it again).
        """
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn

    def profile(self, customer_id: str, orders: bool = True) -> Profile | None:
        """The customer's profile (`orders=False`: without the recent orders, the read made
        on every message). A database error is raised as SQLAlchemy's DBAPIError."""
        if orders:
            with self.engine.connect() as conn:
                return load_profile(conn, customer_id)
        if self.engine.dialect.name != "sqlite":
            raw = self.engine.raw_connection()  # no Connection wrapper around it
            try:
                return self._read(raw, customer_id)
            finally:
                raw.close()  # back to the pool, rolled back
        # SQLite: a connection kept per thread, used outside any transaction (so each read
        # sees every commit): checking one out of the pool and resetting it costs more than
        # the read itself. A failed connection is dropped; the next read opens a new one.
        raw = getattr(self._readers, "connection", None)
        if raw is None:
            raw = self._readers.connection = self.engine.raw_connection()
            self._open_readers.append(raw)
        try:
            return self._read(raw, customer_id)
        except DBAPIError:
            self._readers.connection = None
            self._open_readers.remove(raw)
            raw.invalidate()
            raise

    def _read(self, raw, customer_id: str) -> Profile | None:
        dbapi = self.engine.dialect.dbapi
        try:
            return read_profile(raw, self.engine.dialect, customer_id)
        except dbapi.Error as error:  # raised by the driver itself: give it SQLAlchemy's type
            raise DBAPIError.instance(None, None, error, dbapi.Error) from error

    def dispose(self) -> None:
        for raw in self._open_readers:
            raw.close()
        self._open_readers.clear()
        self._readers = threading.local()
        self.engine.dispose()
