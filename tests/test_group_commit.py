"""Group commit isolates requests: concurrent requests written in one transaction, one of
which the database refuses, on SQLite and PostgreSQL. Over HTTP (ASGI, one event loop, so
the requests really are concurrent), against real stores."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from personalization.store import schema as t
from tests.event_api import Api, basic, consent, count, track

REFUSED = "Refused By The Database"


def refuse_events_named(conn, name: str) -> None:
    """A trigger in the database itself that refuses one event name: a failure that no
    validation in the API can see coming."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_named BEFORE INSERT ON events "
            f"WHEN NEW.name = '{name}' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")
        return
    conn.exec_driver_sql(
        "CREATE FUNCTION refuse_named() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.name = '{name}' THEN RAISE EXCEPTION 'refused by a trigger'; END IF; "
        "RETURN NEW; END $$")
    conn.exec_driver_sql("CREATE TRIGGER refuse_named BEFORE INSERT ON events FOR EACH ROW "
                         "EXECUTE FUNCTION refuse_named()")  # fmt: skip


def hold_the_write_lock(store):
    """A connection that keeps writers waiting until it is rolled back."""
    conn = store.engine.connect()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.begin()
        conn.exec_driver_sql("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
    return conn


async def post(client, body: dict):
    _, response = await client.post("/v1/batch", content=json.dumps(body),
                                    headers=basic("test-server-key"))  # fmt: skip
    return response


async def three_requests_two_in_one_group(app, store, first, good, bad):
    client = app.asgi_client
    blocker = hold_the_write_lock(store)
    try:
        waiting = asyncio.ensure_future(post(client, first))  # its write waits for the lock
        await asyncio.sleep(0.5)
        together = [asyncio.ensure_future(post(client, good)),
                    asyncio.ensure_future(post(client, bad))]  # queue behind it
        await asyncio.sleep(0.5)
    finally:
        blocker.rollback()
        blocker.close()
    return await asyncio.gather(waiting, *together)


def test_a_request_the_database_refuses_fails_alone(store):
    consent(store, "u1", "u2", "u3")
    with store.begin() as conn:
        refuse_events_named(conn, REFUSED)
    api = Api(store)
    first = {"batch": [{**track("u1"), "type": "track"}]}
    good = {"batch": [{**track("u2"), "type": "track"}, {**track("u2"), "type": "track"}]}
    bad = {"batch": [{**track("u3"), "type": "track"},
                     {**track("u3", REFUSED), "type": "track"}]}  # fmt: skip
    answers = asyncio.run(three_requests_two_in_one_group(api.app, store, first, good, bad))
    statuses = [a.status_code for a in answers]
    assert statuses == [200, 200, 400], [a.text for a in answers]
    assert [a.json["stored"] for a in answers[:2]] == [1, 2]
    refused = answers[2].json
    assert refused["success"] is False and refused["error"]["field"] == "body"
    assert "nothing of it was stored" in refused["error"]["problem"]
    with store.engine.connect() as conn:
        stored = conn.execute(select(t.events.c.customer_id).order_by(t.events.c.id)).scalars()
        assert list(stored) == ["u1", "u2", "u2"]  # none of the refused request's events
    assert count(store, t.events) == 3
