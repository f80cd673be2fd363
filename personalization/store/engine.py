"""Database engines from a URL: a SQLite file by default, PostgreSQL at scale."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine import create_engine as _create_engine
from sqlalchemy.pool import QueuePool


def create_engine(url: str) -> Engine:
    """An engine for `url`, with what each backend needs to be safe and fast.

    SQLite: the file's folder is created, foreign keys are enforced, and WAL journaling
    lets the event API, the updater and the action server use the file at the same time.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 opens a new SQLite connection per checkout by default; keep a pool
        engine = _create_engine(url, future=True, poolclass=QueuePool,
                                connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options = {"executemany_mode": "values_plus_batch"} if parsed.drivername in (
        "postgresql", "postgresql+psycopg2") else {}  # fmt: skip
    return _create_engine(url, future=True, pool_pre_ping=True, **options)


# Page cache per connection, used as needed: random keys (message ids, customer ids) touch
# index pages all over the file, and SQLite's default 2 MB stops holding them at ~50k events.
SQLITE_CACHE_KB = 64 * 1024


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
    cursor.close()
