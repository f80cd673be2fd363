"""Conversation events into interaction history: exactly once, consent first, real brokers."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timezone

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from personalization.store.customers import upsert_customers
from personalization.store.engine import create_engine
from personalization.store.history import linked_customers, set_offset
from personalization.store.subject import customer_data
from personalization.store.tracking import record_consent
from personalization.updater.history import apply_events, delta_of
from personalization.updater.sources import poll_sql_once, run_amqp, run_sql, source_name
from tests.databases import refuse_connections, service_unavailable

T = 1_780_000_000.0


def user(sender: str, intent: str, at: float = T, customer: str | None = None) -> dict:
    """A message as Rasa stores it; `customer`: verified to come from them."""
    event = {"event": "user", "sender_id": sender, "timestamp": at, "text": "...",
             "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}  # fmt: skip
    return {**event, "metadata": verified(customer)} if customer else event


def conversation(sender: str, customer: str | None = None) -> list[dict]:
    """A conversation in `sender` whose messages came from `customer` (None: a visitor)."""
    start = {"event": "slot", "sender_id": sender, "name": "session_started_metadata",
             "value": verified(customer)} if customer else None  # fmt: skip
    return [
        *([start] if start else []),
        {"event": "action", "name": "action_session_start", "sender_id": sender},
        {"event": "session_started", "sender_id": sender, "timestamp": T},
        user(sender, "track_order", T + 1, customer),
        {"event": "action", "name": "utter_ask_order_id", "sender_id": sender},
        user(sender, "nlu_fallback", T + 2, customer),
        user(sender, "contact_human_agent", T + 3, customer),
        {"event": "action", "name": "action_handoff", "sender_id": sender},
        user(sender, "track_order", T + 4, customer),
    ]


def customers_with_consent(store, *ids, without=()):
    with store.begin() as conn:
        upsert_customers(conn, [{"customer_id": c} for c in (*ids, *without)])
        for c in ids:
            record_consent(conn, c, "personalization", True, "test")


def check_history(profile, times=1):
    assert profile.conversations == 1 * times and profile.escalations == 1 * times
    assert profile.fallbacks == 1 * times
    assert profile.requests_by_intent == {"track_order": 2 * times, "contact_human_agent": times}
    assert profile.last_interaction_at == datetime.fromtimestamp(T + 4, timezone.utc).replace(
        tzinfo=None)  # fmt: skip


def test_what_each_event_changes():
    assert delta_of({"event": "session_started"}).conversations == 1
    assert delta_of({"event": "action", "name": "action_handoff"}).escalations == 1
    assert delta_of({"event": "action", "name": "utter_greet"}) is None
    fallback = delta_of(user("a", "nlu_fallback"))
    assert (fallback.messages, fallback.fallbacks, dict(fallback.intents)) == (1, 1, {})


def test_each_event_counts_once_and_only_with_consent(store):
    customers_with_consent(store, "alice", without=["bob"])
    items = [(f"k{i}", e) for i, e in enumerate(conversation("alice", "alice")
                                                 + conversation("bob", "bob"))]
    with store.begin() as conn:
        first = apply_events(conn, "test", items)
    with store.begin() as conn:
        again = apply_events(conn, "test", items + items)
    assert (first.applied, first.without_consent) == (6, 9)
    assert (again.applied, again.duplicates) == (0, 36)
    check_history(store.profile("alice"))
    assert store.profile("bob").conversations == 0


def verified(customer: str) -> dict:
    """A message's metadata as the Rasa server stores it once the signature was checked."""
    return {"timezone": "Europe/Paris", "identity": {"verified": True, "customer_id": customer}}


NOT_VERIFIED = {"identity": {"verified": False, "reason": "signature expired"}}


def web_conversation(session: str, metadata: dict | None) -> list[dict]:
    """A conversation in `session` whose messages carry `metadata` as stored (the first one
    also in the session start's slot)."""
    events = conversation(session)
    for event in events:
        if event["event"] == "user" and metadata is not None:
            event["metadata"] = metadata
    start = {"event": "slot", "sender_id": session, "name": "session_started_metadata",
             "value": metadata}  # fmt: skip
    return [start, *events] if metadata is not None else events


def test_messages_count_for_the_customer_they_were_verified_to_come_from(store):
    customers_with_consent(store, "alice", without=["bob"])
    forged = {"customer_id": "alice", "customer_signature": "f" * 64}  # never stored so, but
    events = (web_conversation("web-1", verified("alice"))  # in batches of two: the link
              + web_conversation("web-2", NOT_VERIFIED)  # carries the hand-off to the next
              + web_conversation("web-3", verified("bob"))  # no consent: not even linked
              + web_conversation("alice", None)  # a sender id proves nothing
              + web_conversation("web-4", forged))  # nor a claim the store did not verify
    items = [(f"k{i}", e) for i, e in enumerate(events)]
    for start in range(0, len(items), 2):
        with store.begin() as conn:
            apply_events(conn, "test", items[start:start + 2])
    check_history(store.profile("alice"))
    assert store.profile("bob").conversations == 0
    with store.engine.connect() as conn:
        assert linked_customers(conn, {"web-1", "web-2", "web-3", "web-4", "alice"}) == {
            "web-1": "alice"}
        assert customer_data(conn, "alice")["conversation_links"][0]["sender_id"] == "web-1"


def test_a_visitors_message_in_a_customers_conversation_counts_for_nobody(store):
    """Signed in, then signed out (or someone else using the session id): from that message
    on, nothing counts for the customer, a hand-off in a later batch neither."""
    customers_with_consent(store, "alice")
    events = [{"event": "slot", "sender_id": "web-1", "name": "session_started_metadata",
               "value": verified("alice")},
              {"event": "action", "name": "action_session_start", "sender_id": "web-1"},
              {"event": "session_started", "sender_id": "web-1", "timestamp": T},
              {**user("web-1", "greet", T + 1), "metadata": verified("alice")},
              user("web-1", "get_invoice", T + 2),  # no metadata: a visitor
              {"event": "action", "name": "action_handoff", "sender_id": "web-1"},
              {**user("web-1", "thank_you", T + 3), "metadata": verified("alice")},
              {"event": "action", "name": "action_handoff", "sender_id": "web-1"}]  # fmt: skip
    events += [{"event": "action", "name": "action_session_start", "sender_id": "web-1"},
               {"event": "session_started", "sender_id": "web-1", "timestamp": T + 9},
               user("web-1", "greet", T + 10)]  # a new session nobody signed
    items = [(f"k{i}", e) for i, e in enumerate(events)]
    for part in (items[:5], items[5:6], items[6:9], items[9:]):
        with store.begin() as conn:
            apply_events(conn, "test", part)
    profile = store.profile("alice")
    assert profile.requests_by_intent == {"greet": 1, "thank_you": 1}
    assert (profile.conversations, profile.escalations) == (1, 1)


def test_concurrent_updaters_apply_overlapping_batches_exactly_once(store):
    customers_with_consent(store, "alice")
    events = [(f"k{i}", user("web-1", "get_refund", T + i, "alice")) for i in range(200)]
    errors = []

    def worker(part):
        try:
            for start in range(0, len(part), 20):
                with store.begin() as conn:
                    apply_events(conn, "test", part[start : start + 20])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(p,)) for p in (events, events[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.profile("alice").requests_by_intent == {"get_refund": 200}


def published_by_rasa_sql_broker(folder, sender: str) -> str:
    """A conversation of `sender` published by Rasa's own SQL event broker (SQLite in
    `folder`); returns the broker database's URL."""
    broker = asyncio.run(EventBroker.create(EndpointConfig(
        type="SQL", dialect="sqlite", db=str(folder / "rasa_events.db"))))  # fmt: skip
    for event in conversation(sender, sender):
        broker.publish(event)
    return f"sqlite:///{folder / 'rasa_events.db'}"


def test_rasa_sql_broker_rows_are_applied_once_even_after_a_lost_offset(store, tmp_path):
    customers_with_consent(store, "alice")
    broker_url = published_by_rasa_sql_broker(tmp_path, "alice")
    engine = create_engine(broker_url)
    name = source_name(broker_url)
    assert poll_sql_once(store, engine, name, batch=5) == 5
    assert poll_sql_once(store, engine, name, batch=5) == 4
    assert poll_sql_once(store, engine, name) == 0
    check_history(store.profile("alice"))
    with store.begin() as conn:  # the updater restarts without its offset: reads all again
        set_offset(conn, name, 0)
    assert poll_sql_once(store, engine, name) == 9
    check_history(store.profile("alice"))
    engine.dispose()


def away(store, gone: bool) -> None:
    """The profile store's database stops answering (or answers again)."""
    if store.engine.dialect.name == "postgresql":
        refuse_connections(str(store.engine.url), gone)
    else:  # SQLite: the statements fail with an OperationalError, as with the file away
        old, new = ("source_offsets", "offsets_away") if gone else ("offsets_away",
                                                                    "source_offsets")
        with store.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE {old} RENAME TO {new}")


def test_the_sql_source_waits_while_the_profile_store_is_away(store, tmp_path, caplog):
    customers_with_consent(store, "dave")
    broker_url = published_by_rasa_sql_broker(tmp_path, "dave")
    away(store, True)
    stop = threading.Event()
    updater = threading.Thread(target=run_sql, args=(store, broker_url, stop, 0.1))
    with caplog.at_level("WARNING"):
        updater.start()
        time.sleep(1.0)
        assert updater.is_alive()
        away(store, False)
        for _ in range(100):
            if store.profile("dave").escalations:
                break
            time.sleep(0.1)
        stop.set()
        updater.join(10)
    assert "the profile store cannot be reached" in caplog.text
    check_history(store.profile("dave"))


def test_rasa_pika_broker_messages_are_applied_once(store):
    customers_with_consent(store, "carol")
    import aio_pika

    queue = f"test_updater_{int(time.time() * 1000)}"
    url = "amqp://guest:guest@127.0.0.1:5672/"

    async def scenario():
        try:
            broker = await EventBroker.create(EndpointConfig(
                type="pika", url="127.0.0.1", username="guest", password="guest",
                queues=[queue], raise_on_failure=True))  # fmt: skip
        except Exception as error:  # noqa: BLE001
            service_unavailable("RabbitMQ at 127.0.0.1:5672", error)
        events = conversation("carol", "carol")
        for event in events + events[:2]:  # the first two are delivered twice
            broker.publish(event)
        await asyncio.sleep(1.0)
        await broker.close()
        stop = asyncio.Event()
        consumer = asyncio.create_task(run_amqp(store, url, queue, stop, wait=0.3))
        for _ in range(50):
            await asyncio.sleep(0.2)
            if store.profile("carol").escalations:
                break
        await asyncio.sleep(0.5)
        stop.set()
        await consumer
        connection = await aio_pika.connect(url)
        async with connection:
            await (await connection.channel()).queue_delete(queue)

    asyncio.run(scenario())
    check_history(store.profile("carol"))


def test_an_acknowledgement_on_a_lost_connection_is_skipped_and_the_message_comes_again(caplog):
    """After a broker restart the batch in hand cannot be acknowledged: the updater carries
    on, and the broker delivers those messages again (their keys mark them as applied)."""
    import aio_pika

    from personalization.updater.sources import _acknowledge

    url, queue = "amqp://guest:guest@127.0.0.1:5672/", f"test_ack_{int(time.time() * 1000)}"

    async def scenario() -> bytes:
        try:
            connection = await aio_pika.connect(url)
        except Exception as error:  # noqa: BLE001
            service_unavailable("RabbitMQ at 127.0.0.1:5672", error)
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True)
        await channel.default_exchange.publish(aio_pika.Message(b'{"event": "x"}'), queue)
        message = await declared.get(timeout=5)
        await connection.close()  # as a broker restart does
        await asyncio.wait_for(_acknowledge([message]), 30)  # neither raises nor waits forever
        connection = await aio_pika.connect(url)
        async with connection:
            channel = await connection.channel()
            again = await (await channel.declare_queue(queue, durable=True)).get(timeout=5)
            await again.ack()
            await channel.queue_delete(queue)
        return again.body

    with caplog.at_level("WARNING"):
        assert asyncio.run(scenario()) == b'{"event": "x"}'
    assert "could not acknowledge 1 applied events" in caplog.text
