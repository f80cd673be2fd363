"""Small SQL building blocks shared by the repositories (the only place with dialect details)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.selectable import Select

# SQLite allows 999 bound parameters per statement in older builds; stay well below.
CHUNK = 500


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@cache
def _insert_ignoring(dialect_name: str, table: Table) -> Insert:
    """Built once per table: a statement object that is reused skips SQLAlchemy's cache-key
    work on every call (it shows on the event API's hot path)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def insert_ignoring_duplicates(connection: Connection, table: Table, rows: list[dict]) -> None:
    """INSERT rows; a row whose key or unique column exists already is skipped."""
    if not rows:
        return
    statement = _insert_ignoring(connection.dialect.name, table)
    for part in chunks(rows):
        connection.execute(statement, list(part))


def insert_new(connection: Connection, table: Table, rows: list[dict], key: str) -> set:
    """INSERT the rows whose `key` (a unique column) is not stored yet, the first of rows
    sharing a key; returns the keys this call inserted.

    Exact under concurrency: on SQLite the caller's transaction holds the write lock from its
    start (Store.begin), so nothing changes between the lookup and the insert; on PostgreSQL
    the INSERT returns the rows it inserted, and a row a concurrent transaction inserted
    first (PostgreSQL waits for that one to end) is not among them.
    """
    unique = {row[key]: row for row in reversed(rows)}
    rows = [unique[k] for k in sorted(unique)]  # one order everywhere: no deadlocks
    if connection.dialect.name != "postgresql":
        stored: set = set()
        for part in chunks(rows):
            keys = [row[key] for row in part]
            stored.update(connection.execute(_select_stored(table, key), {"keys": keys}).scalars())
        rows = [row for row in rows if row[key] not in stored]
        insert_ignoring_duplicates(connection, table, rows)
        return {row[key] for row in rows}
    if not rows:
        return set()
    # psycopg2 runs an executemany INSERT as multi-row VALUES pages and returns their rows
    return set(connection.execute(_insert_returning(table, key), rows).scalars())


@cache
def _select_stored(table: Table, key: str) -> Select:
    return select(table.c[key]).where(table.c[key].in_(bindparam("keys", expanding=True)))


@cache
def _insert_returning(table: Table, key: str) -> Insert:
    return postgresql.insert(table).on_conflict_do_nothing().returning(table.c[key])


def insert_if_new(connection: Connection, table: Table, row: dict) -> bool:
    """INSERT one row unless its key exists; True when it was inserted."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing().values(**row)
    return connection.execute(statement).rowcount == 1


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


def upsert(
    connection: Connection,
    table: Table,
    rows: list[dict],
    key: Sequence[str],
    compare: Iterable[str],
    stamp: str | None = None,
) -> UpsertCounts:
    """Insert new rows and update existing ones whose `compare` columns differ.

    Rows equal to what is stored are left alone (their `stamp` column too), so importing
    the same data twice changes nothing. Later rows with the same key win.
    """
    counts = UpsertCounts()
    compare = list(compare)
    latest = {tuple(row[k] for k in key): row for row in rows}
    key_columns = [table.c[k] for k in key]
    for part in chunks(list(latest.items())):
        wanted = dict(part)
        existing = {
            tuple(r[: len(key)]): r
            for r in connection.execute(
                select(*key_columns, *[table.c[c] for c in compare]).where(
                    tuple_(*key_columns).in_(list(wanted)) if len(key) > 1
                    else key_columns[0].in_([k[0] for k in wanted])
                )
            )
        }
        inserts, updates = [], []
        for row_key, row in wanted.items():
            old = existing.get(row_key)
            if old is None:
                inserts.append(row)
            elif any(_differs(old[len(key) + i], row.get(c)) for i, c in enumerate(compare)
                     if c in row):
                updates.append(row)
            else:
                counts.unchanged += 1
        by_columns: dict[frozenset, list[dict]] = {}
        for row in inserts:  # executemany needs the same columns in every row
            by_columns.setdefault(frozenset(row), []).append(row)
        for group in by_columns.values():
            connection.execute(table.insert(), group)
        counts.inserted += len(inserts)
        for row in updates:
            values = {c: row[c] for c in compare if c in row}
            if stamp:
                values[stamp] = row.get(stamp, utcnow())
            condition = [table.c[k] == row[k] for k in key]
            connection.execute(table.update().where(*condition).values(**values))
            counts.updated += 1
    return counts


def _differs(stored: Any, new: Any) -> bool:
    if stored is None or new is None:
        return stored is not new
    try:
        return type(new)(stored) != new
    except (TypeError, ValueError):
        return stored != new
