"""The profile store: everything known about a customer, behind one repository.

The functions in `customers`, `commerce`, `tracking` and `history` take a connection, so a
caller can group several of them in one transaction (`with store.begin() as conn:`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine

from personalization.store.customers import load_profile
from personalization.store.engine import create_engine
from personalization.store.migrate import current_revision, head_revision
from personalization.store.profile import Profile


class StoreNotReady(RuntimeError):
    """The database is missing its schema or has an older one."""


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
        with self.engine.begin() as conn:
            yield conn

    def profile(self, customer_id: str) -> Profile | None:
        with self.engine.connect() as conn:
            return load_profile(conn, customer_id)

    def dispose(self) -> None:
        self.engine.dispose()
