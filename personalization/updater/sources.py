"""Where conversation events come from: Rasa's SQL event broker table, or RabbitMQ.

Both deliver at least once; `history.apply_events` makes the effect exactly once:
- SQL: rows are read after the last applied row id (kept in the profile store), and the
  row id is the event key;
- RabbitMQ (Rasa's `pika` broker): a message is acknowledged only after its effect is
  committed, and the key is a hash of its body, so a redelivered message is recognised.

While the profile store cannot be reached, both wait and try again (nothing is read past or
acknowledged meanwhile); after a broker restart the RabbitMQ connection is re-established.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
from collections.abc import Callable

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

from personalization.store import Store
from personalization.store.engine import create_engine
from personalization.store.history import get_offset, set_offset
from personalization.updater.history import ApplyResult, apply_events

logger = logging.getLogger(__name__)

# The table Rasa's SQL event broker writes (rasa/core/brokers/sql.py).
broker_events = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)  # fmt: skip

Report = Callable[[ApplyResult], None]
MAX_RETRY_DELAY = 10.0  # seconds between attempts while the profile store is away


def source_name(url: str) -> str:
    return "sql:" + make_url(url).render_as_string(hide_password=True)


def poll_sql_once(store: Store, broker_engine, name: str, batch: int = 500) -> int:
    """Apply the next batch of broker rows; returns how many rows were read."""
    with store.begin() as conn:
        after = get_offset(conn, name)
        try:
            with broker_engine.connect() as broker:
                rows = broker.execute(
                    select(broker_events).where(broker_events.c.id > after)
                    .order_by(broker_events.c.id).limit(batch)
                ).all()  # fmt: skip
        except (OperationalError, ProgrammingError):
            return 0  # Rasa has not created its table yet
        if not rows:
            return 0
        items = [(str(r.id), {"sender_id": r.sender_id, **json.loads(r.data)}) for r in rows]
        result = apply_events(conn, name, items)
        set_offset(conn, name, rows[-1].id)
    _report(name, len(items), result)
    return len(rows)


def run_sql(store: Store, url: str, stop: threading.Event, interval: float = 1.0) -> None:
    broker = create_engine(url)
    name = source_name(url)
    logger.info("reading conversation events from %s", name)
    delay = interval
    while not stop.is_set():
        try:
            read, delay = poll_sql_once(store, broker, name), interval
        except (OperationalError, InterfaceError) as error:  # the profile store is away
            logger.warning("the profile store cannot be reached (%s): trying again in %.0f s",
                           type(error).__name__, delay)  # fmt: skip
            read, delay = 0, min(2 * delay, MAX_RETRY_DELAY)
        if read == 0:
            stop.wait(delay)
    broker.dispose()


def body_key(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def run_amqp(store: Store, url: str, queue_name: str, stop: asyncio.Event,
                   batch: int = 100, wait: float = 0.5) -> None:
    import aio_pika

    name = f"amqp:{queue_name}"
    connection = await aio_pika.connect_robust(url)  # reconnects after a broker restart
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=batch)
        queue = await channel.declare_queue(queue_name, durable=True)
        arrived: asyncio.Queue = asyncio.Queue()
        tag = await queue.consume(arrived.put)
        pending: list = []
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:  # collect a batch, or what arrived before a quiet moment
                pending.append(await asyncio.wait_for(arrived.get(), timeout=wait))
                if len(pending) < batch:
                    continue
            except asyncio.TimeoutError:
                if not pending:
                    continue
            items = [(body_key(m.body), json.loads(m.body)) for m in pending]
            if not await _apply_retrying(loop, store, name, items, stop):
                break  # stopping with the batch unapplied: it stays unacknowledged
            await _acknowledge(pending)
            pending = []
        await queue.cancel(tag)
    finally:
        await connection.close()


async def _apply_retrying(loop, store: Store, name: str, items: list[tuple[str, dict]],
                          stop: asyncio.Event) -> bool:
    """Apply a batch; while the profile store cannot be reached, wait and try again (the
    messages stay unacknowledged meanwhile). False: asked to stop before it was applied."""
    delay = 1.0
    while True:
        try:
            await loop.run_in_executor(None, _apply, store, name, items)
            return True
        except (OperationalError, InterfaceError) as error:
            logger.warning("the profile store cannot be reached (%s): %d events wait, trying "
                           "again in %.0f s", type(error).__name__, len(items), delay)  # fmt: skip
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return False
        except asyncio.TimeoutError:
            delay = min(2 * delay, MAX_RETRY_DELAY)


async def _acknowledge(messages: list, timeout: float = 10.0) -> None:
    """Acknowledge applied messages. After a broker restart the channel they came on is gone
    (and aio-pika would wait forever for an acknowledgement on it): the broker delivers them
    again, and their keys mark them as applied."""
    import aio_pika

    try:
        for m in messages:
            if m.channel.is_closed:
                raise ConnectionError("the channel they came on is closed")
            await asyncio.wait_for(m.ack(), timeout)
    except (aio_pika.exceptions.AMQPError, aio_pika.exceptions.ChannelInvalidStateError,
            ConnectionError, asyncio.TimeoutError) as error:  # fmt: skip
        logger.warning("could not acknowledge %d applied events (%s): the broker will deliver "
                       "them again and they will be recognised", len(messages),
                       type(error).__name__)  # fmt: skip


def _apply(store: Store, name: str, items: list[tuple[str, dict]]) -> None:
    with store.begin() as conn:
        result = apply_events(conn, name, items)
    _report(name, len(items), result)


def _report(name: str, read: int, result: ApplyResult) -> None:
    logger.info("%d events from %s: %d changed a customer's history, %d were duplicates, "
                "%d of customers without consent", read, name, result.applied,
                result.duplicates, result.without_consent)  # fmt: skip
