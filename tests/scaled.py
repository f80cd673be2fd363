"""A scale-out deployment for tests (config/scaled/endpoints.yml) on the local PostgreSQL,
Redis and RabbitMQ: Rasa servers, each with its own action server, sharing the tracker store
(PostgreSQL), the lock store (Redis) and the event broker (RabbitMQ), which the updater
consumes into the profile store (PostgreSQL). Every test deployment has its own databases,
queue and Redis key prefix; its processes can be killed and started again one by one.

Where a service is not reachable the tests are skipped, naming it, unless REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from personalization.store import Store, migrate
from personalization.store import schema as t
from scripts.scaled_stack import start_scaled_updater
from scripts.stack import (
    Service,
    start_action_server,
    start_rasa_server,
    stop,
    wait_until_up,
)
from tests import shop
from tests.conftest import HASH_KEY, MODEL, free_port, shop_for_servers
from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    service_unavailable,
)
from tests.replies import texts
from tests.trackers import ROOT

SCALED = ROOT / "config" / "scaled" / "endpoints.yml"
AMQP = "amqp://guest:guest@127.0.0.1:5672/"
ACTION_TOKEN = "scaled-test-action-server-token"  # Rasa -> action servers (endpoints headers)


def require(service: str, port: int) -> None:
    with socket.socket() as s:
        s.settimeout(2)
        if s.connect_ex(("127.0.0.1", port)) != 0:
            service_unavailable(f"{service} at 127.0.0.1:{port}",
                                ConnectionRefusedError("nothing listens"))  # fmt: skip


def delete_queue(name: str) -> None:
    """A deployment's queue and its exchange."""
    import aio_pika

    async def delete() -> None:
        connection = await aio_pika.connect(AMQP)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(name)
            await channel.exchange_delete(f"{name}_exchange")  # config/scaled/endpoints.yml

    asyncio.run(delete())


class Scaled:
    def __init__(self, work: Path, profiles_url: str, tracker_url: str, queue: str,
                 env: dict[str, str]) -> None:  # fmt: skip
        self.work, self.queue, self.env = work, queue, env
        self.profiles_url, self.tracker_url = profiles_url, tracker_url
        self.store = Store.from_url(profiles_url)
        self.tracker = create_engine(tracker_url)
        self.urls: list[str] = []
        self.action_ports: list[int] = []
        self.actions: list[Service] = []
        self.updater: Service | None = None
        self.updater_health = ""  # the updater's GET /health
        self.sweep_every = 30.0
        self.rasas: list[Service] = []

    # --- talking -------------------------------------------------------------------------

    def post(self, server: int, sender: str, message: str,
             customer: str | None = shop.VIP) -> requests.Response:  # fmt: skip
        metadata = shop.metadata(customer, sender) if customer else {}
        return requests.post(f"{self.urls[server]}/webhooks/rest/webhook", timeout=60,
                             json={"sender": sender, "message": message,
                                   "metadata": metadata})  # fmt: skip

    def say(self, server: int, sender: str, message: str,
            customer: str | None = shop.VIP) -> list[str]:  # fmt: skip
        response = self.post(server, sender, message, customer)
        response.raise_for_status()
        return texts(response.json())

    # --- what was kept -------------------------------------------------------------------

    def user_messages(self, sender: str) -> list[str]:
        with self.tracker.connect() as conn:
            rows = conn.execute(text("SELECT data FROM events WHERE sender_id = :s AND "
                                     "type_name = 'user' ORDER BY id"), {"s": sender})  # fmt: skip
            return [json.loads(data)["text"] for (data,) in rows]

    def tracker_events(self) -> int:
        with self.tracker.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM events")).scalar()

    def applied(self) -> int:
        with self.store.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(t.applied_events)
                                .where(t.applied_events.c.source == f"amqp:{self.queue}")
                                ).scalar()  # fmt: skip

    def drained(self, timeout: float = 90) -> None:
        """Wait until the updater has applied every event the tracker store holds, then check
        that it applies no more: each event once."""
        deadline = time.monotonic() + timeout
        while self.applied() < self.tracker_events():
            assert time.monotonic() < deadline, (self.applied(), self.tracker_events())
            time.sleep(0.5)
        time.sleep(2)
        assert self.applied() == self.tracker_events()

    # --- processes -----------------------------------------------------------------------

    def start_updater(self, wait: bool = False) -> Service:
        """The updater as the scaled configuration runs it: it sweeps too."""
        port = free_port()
        self.updater_health = f"http://localhost:{port}/health"
        self.updater = start_scaled_updater(AMQP, self.work / "updater.log", self.env,
                                            self.queue, port, self.sweep_every)  # fmt: skip
        if wait:
            wait_until_up(self.updater, self.updater_health)
        return self.updater

    def start_actions(self, i: int, wait: bool = True) -> Service:
        port = self.action_ports[i]
        service = start_action_server(port, self.work / f"action_server_{i}.log", self.env)
        self.actions[i] = service
        if wait:
            wait_until_up(service, f"http://localhost:{port}/health")
        return service

    def kill(self, service: Service) -> None:
        """As a crash or `kill -9` would: no chance to finish anything."""
        os.killpg(service.process.pid, signal.SIGKILL)
        service.process.wait(30)

    def all_services(self) -> list[Service]:
        return [s for s in (self.updater, *self.actions, *self.rasas) if s is not None]

    def tear_down(self) -> None:
        """Stop every server, and delete the queue and both databases."""
        stop(self.all_services())
        self.store.dispose()
        self.tracker.dispose()
        delete_queue(self.queue)
        drop_postgres_database(self.profiles_url)
        drop_postgres_database(self.tracker_url)


def deployment_env(work: Path, profiles_url: str, tracker_url: str, queue: str,
                   models: Path | None = None) -> dict[str, str]:
    """The environment config/scaled/endpoints.yml and the project's settings need, for a
    deployment on these databases and queue (its own Redis key prefix)."""
    tracker = make_url(tracker_url)
    return {"RASA_DB_HOST": tracker.host, "RASA_DB_NAME": tracker.database,
            "RASA_DB_USER": tracker.username or "", "RASA_DB_PASSWORD": tracker.password or "",
            "REDIS_HOST": "127.0.0.1", "REDIS_LOCK_DB": "1",
            "REDIS_KEY_PREFIX": f"scaledtest{uuid.uuid4().hex[:8]}",
            "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
            "RABBITMQ_QUEUE": queue, "PERSONALIZATION_DB_URL": profiles_url,
            "PERSONALIZATION_HASH_KEY": HASH_KEY,
            "PERSONALIZATION_IDENTITY_SECRET": shop.SECRET.decode(),
            "PERSONALIZATION_ENDPOINTS": str(SCALED), "ACTION_SERVER_TOKEN": ACTION_TOKEN,
            "PERSONALIZATION_MODELS": str(models or work / "no-models")}  # fmt: skip


@contextmanager
def deployment(work: Path, servers: int = 2, models: Path | None = None):
    """`servers` Rasa + action server pairs and the updater on fresh databases and queue."""
    require("Redis", 6379)
    require("RabbitMQ", 5672)
    profiles_url, tracker_url = create_postgres_database(), create_postgres_database()
    rules = shop_for_servers(work, profiles_url)
    queue = f"scaled_test_{uuid.uuid4().hex[:8]}"
    env = {**deployment_env(work, profiles_url, tracker_url, queue, models),
           "PERSONALIZATION_RULES": str(rules)}
    scaled = Scaled(work, profiles_url, tracker_url, queue, env)
    try:
        scaled.start_updater()
        for i in range(servers):
            action_port, rasa_port = free_port(), free_port()
            scaled.action_ports.append(action_port)
            scaled.actions.append(None)
            scaled.start_actions(i, wait=False)
            own = {**env, "ACTION_SERVER_URL": f"http://localhost:{action_port}/webhook"}
            scaled.rasas.append(start_rasa_server(MODEL, rasa_port, SCALED,
                                                  work / f"rasa_server_{i}.log", env=own))
            scaled.urls.append(f"http://localhost:{rasa_port}")
        for actions, port, rasa, url in zip(scaled.actions, scaled.action_ports, scaled.rasas,
                                            scaled.urls, strict=False):  # fmt: skip
            wait_until_up(actions, f"http://localhost:{port}/health")
            wait_until_up(rasa, f"{url}/webhooks/rest/", timeout=300)
        yield scaled
    finally:
        scaled.tear_down()


@contextmanager
def updater_deployment(work: Path, sweep_every: float = 30.0):
    """A deployment's profile store, tracker store and queue with its updater, no Rasa
    server: for what the updater does on its own (sweeping, its health check)."""
    require("RabbitMQ", 5672)
    profiles_url, tracker_url = create_postgres_database(), create_postgres_database()
    migrate.upgrade(profiles_url)
    queue = f"scaled_test_{uuid.uuid4().hex[:8]}"
    env = {**deployment_env(work, profiles_url, tracker_url, queue),
           "ACTION_SERVER_URL": "http://localhost:1/webhook"}  # (no Rasa server calls it)
    scaled = Scaled(work, profiles_url, tracker_url, queue, env)
    scaled.sweep_every = sweep_every
    try:
        scaled.start_updater(wait=True)
        yield scaled
    finally:
        scaled.tear_down()
