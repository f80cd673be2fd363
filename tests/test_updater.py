"""Conversation events into interaction history: exactly once, consent first, real brokers."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timezone

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from personalization.conversation.identity import sign_customer_id
from personalization.store.customers import upsert_customers
from personalization.store.engine import create_engine
from personalization.store.history import linked_customers, set_offset
from personalization.store.subject import customer_data
from personalization.store.tracking import record_consent
from personalization.updater.history import apply_events, delta_of
from personalization.updater.sources import poll_sql_once, run_amqp, run_sql, source_name
from tests.databases import refuse_connections, service_unavailable

T = 1_780_000_000.0


def user(sender: str, intent: str, at: float = T) -> dict:
    return {"event": "user", "sender_id": sender, "timestamp": at, "text": "...",
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}  # fmt: skip


def conversation(sender: str) -> list[dict]:
    return [
        {"event": "session_started", "sender_id": sender, "timestamp": T},
        user(sender, "track_order", T + 1),
        {"event": "action", "name": "utter_ask_order_id", "sender_id": sender},
        user(sender, "nlu_fallback", T + 2),
        user(sender, "contact_human_agent", T + 3),
        {"event": "action", "name": "action_handoff", "sender_id": sender},
        user(sender, "track_order", T + 4),
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
    items = [(f"k{i}", e) for i, e in enumerate(conversation("alice") + conversation("bob"))]
    with store.begin() as conn:
        first = apply_events(conn, "test", items)
    with store.begin() as conn:
        again = apply_events(conn, "test", items + items)
    assert (first.applied, first.without_consent) == (6, 7)
    assert (again.applied, again.duplicates) == (0, 28)
    check_history(store.profile("alice"))
    assert store.profile("bob").conversations == 0


def signed(customer: str, secret: bytes = b"updater-test-identity-secret") -> dict:
    return {"customer_id": customer, "customer_signature": sign_customer_id(secret, customer)}


def web_conversation(session: str, metadata: dict) -> list[dict]:
    """What Rasa publishes for a web chat: a random sender id; the signed metadata in the
    first event (the session_started_metadata slot) and on every message."""
    events = conversation(session)
    for event in events:
        if event["event"] == "user":
            event["metadata"] = metadata
    return [{"event": "slot", "sender_id": session, "name": "session_started_metadata",
             "value": metadata}, *events]  # fmt: skip


def test_a_conversation_counts_for_the_customer_its_signature_names(store):
    secret = b"updater-test-identity-secret"
    customers_with_consent(store, "alice", without=["bob"])
    events = (web_conversation("web-1", signed("alice"))  # in batches of two: linked once,
              + web_conversation("web-2", signed("alice", b"another-secret-entirely"))  # forged
              + web_conversation("web-3", signed("bob")))  # no consent: not even linked
    items = [(f"k{i}", e) for i, e in enumerate(events)]
    for start in range(0, len(items), 2):  # the link outlives the batch that made it
        with store.begin() as conn:
            apply_events(conn, "test", items[start:start + 2], secret)
    check_history(store.profile("alice"))
    assert store.profile("bob").conversations == 0
    with store.engine.connect() as conn:
        assert linked_customers(conn, {"web-1", "web-2", "web-3"}) == {"web-1": "alice"}
        assert customer_data(conn, "alice")["conversation_links"][0]["sender_id"] == "web-1"


def test_without_the_identity_secret_only_the_sender_id_counts(store):
    customers_with_consent(store, "alice")
    items = [(f"k{i}", e) for i, e in enumerate(web_conversation("web-1", signed("alice")))]
    with store.begin() as conn:
        assert apply_events(conn, "test", items).applied == 0
    assert store.profile("alice").conversations == 0


def test_concurrent_updaters_apply_overlapping_batches_exactly_once(store):
    customers_with_consent(store, "alice")
    events = [(f"k{i}", user("alice", "get_refund", T + i)) for i in range(200)]
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
    for event in conversation(sender):
        broker.publish(event)
    return f"sqlite:///{folder / 'rasa_events.db'}"


def test_rasa_sql_broker_rows_are_applied_once_even_after_a_lost_offset(store, tmp_path):
    customers_with_consent(store, "alice")
    broker_url = published_by_rasa_sql_broker(tmp_path, "alice")
    engine = create_engine(broker_url)
    name = source_name(broker_url)
    assert poll_sql_once(store, engine, name, batch=4) == 4
    assert poll_sql_once(store, engine, name, batch=4) == 3
    assert poll_sql_once(store, engine, name) == 0
    check_history(store.profile("alice"))
    with store.begin() as conn:  # the updater restarts without its offset: reads all again
        set_offset(conn, name, 0)
    assert poll_sql_once(store, engine, name) == 7
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
        events = conversation("carol")
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
