"""Real databases for tests: a SQLite file, and a fresh PostgreSQL database on localhost.

PostgreSQL comes from $TEST_POSTGRES_URL (default: the local server's `test` database as
`postgres`). Where it is not reachable its tests are skipped, naming it, unless
REQUIRE_SERVICES=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def service_unavailable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({error.__class__.__name__}: {error})"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(message + " and REQUIRE_SERVICES=1")
    pytest.skip(message)


def create_postgres_database() -> str:
    """A new empty database; returns its URL."""
    name = f"pers_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection problem means "not here"
        service_unavailable(f"PostgreSQL at {ADMIN_URL}", error)
    finally:
        admin.dispose()
    return str(make_url(ADMIN_URL).set(database=name))


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def refuse_connections(url: str, refuse: bool = True) -> None:
    """Make a PostgreSQL database refuse new connections and end its open ones, as when its
    server goes down (or, `refuse=False`, serve it again). The server goes on serving the
    other databases."""
    name = make_url(url).database
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(not refuse)}'))
        if refuse:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name"), {"name": name})  # fmt: skip
    admin.dispose()
