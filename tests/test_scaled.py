"""The scale-out configuration on the local PostgreSQL, Redis and RabbitMQ (tests/scaled.py):
two Rasa servers, each with its own action server, share the tracker store, the lock store
and the event broker, which the updater consumes into the profile store."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy.engine import make_url

from tests import shop
from tests.conftest import HASH_KEY, MODEL, free_port, shop_for_servers
from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    service_unavailable,
)
from tests.replies import conversation, variations
from tests.scaled import delete_queue, deployment, require
from tests.test_terminal_chat import port_is_free
from tests.trackers import ROOT


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    with deployment(tmp_path_factory.mktemp("scaled")) as running:
        yield running


def test_a_conversation_alternating_between_two_rasa_servers_keeps_its_state(scaled):
    me = conversation()
    greeting = scaled.say(0, me, "hello")
    assert len(greeting) == 1 and "Margaret Smith" in greeting[0]  # profile loaded on server 0
    asked = scaled.say(1, me, "where is my order")  # server 1 opens the order form
    assert len(asked) == 1 and asked[0] in variations("utter_ask_order_id")
    answer = scaled.say(0, me, "10000002")  # server 0 goes on with the form server 1 opened
    assert len(answer) == 1 and "Milk Frother (x2)" in answer[0]
    assert scaled.say(1, me, "I would like to speak to a human agent please") == [
        variations("utter_handoff_vip_agent", full_name="Margaret Smith")[0]]


def test_messages_arriving_at_both_servers_at_once_are_taken_one_at_a_time(scaled):
    me = conversation()
    scaled.say(0, me, "hello")
    messages = ["thanks a lot", "what payment methods do you accept", "thank you",
                "do you ship to austria"]  # fmt: skip
    with ThreadPoolExecutor(4) as pool:  # two to each server, at the same moment
        replies = list(pool.map(lambda im: scaled.say(im[0] % 2, me, im[1]),
                                enumerate(messages)))  # fmt: skip
    assert all(len(r) >= 1 for r in replies)
    kept = scaled.user_messages(me)  # the lock kept every message
    assert sorted(kept) == sorted(["hello", *messages]), (kept, replies)


def test_events_from_both_servers_reach_the_profile_store_exactly_once(scaled):
    scaled.drained()  # the earlier tests' conversations
    before = scaled.store.profile(shop.VIP)
    me = conversation()
    for i, message in enumerate(["hello", "where is my order 10000001", "thanks", "bye"]):
        scaled.say(i % 2, me, message)
    scaled.drained()
    after = scaled.store.profile(shop.VIP)
    assert after.conversations - before.conversations == 1
    intents = {k: after.requests_by_intent.get(k, 0) - before.requests_by_intent.get(k, 0)
               for k in after.requests_by_intent}  # fmt: skip
    assert {k: v for k, v in intents.items() if v} == {
        "greet": 1, "track_order": 1, "thank_you": 1, "goodbye": 1}


def socket_io_replies(url: str, session: str, message: str, expected: int = 1) -> list[str]:
    """What a chat page gets for `message` over Rasa's socket.io channel at `url`."""
    import socketio

    async def talk() -> list[str]:
        client, replies, done = socketio.AsyncClient(), [], asyncio.Event()

        @client.on("bot_uttered")
        async def bot_uttered(data):
            replies.append(data.get("text"))
            if len(replies) >= expected:
                done.set()

        await client.connect(url, transports=["websocket"])
        await client.emit("session_request", {"session_id": session})
        await client.emit("user_uttered", {
            "message": message, "session_id": session,
            "metadata": shop.metadata(shop.VIP, session)})  # fmt: skip
        await asyncio.wait_for(done.wait(), timeout=60)
        await client.disconnect()
        return replies

    return asyncio.run(talk())


def free_ports_in_a_row(count: int) -> int:
    """The first of `count` consecutive free ports."""
    for first in range(20000 + os.getpid() % 1000 * 10, 40000, count):
        if all(port_is_free(p) for p in range(first, first + count)):
            return first
    raise RuntimeError("no free ports")


def test_make_run_scaled_balances_two_rasa_servers_and_stops_on_a_signal(tmp_path):
    """What `make run-scaled` starts (scripts/scaled_stack.py; its --prepare step is the
    commands tested elsewhere), here on this test's own databases, queue and ports."""
    require("Redis", 6379)
    require("RabbitMQ", 5672)
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        service_unavailable("nginx (Debian package nginx)", FileNotFoundError("not installed"))
    profiles_url, tracker_url = create_postgres_database(), create_postgres_database()
    rules = shop_for_servers(tmp_path, profiles_url)
    lb, events, web, internal = free_port(), free_port(), free_port(), free_ports_in_a_row(4)
    env = {**os.environ, "RASA_DB_NAME": make_url(tracker_url).database,
           "PERSONALIZATION_DB_URL": profiles_url, "PERSONALIZATION_RULES": str(rules),
           "RABBITMQ_QUEUE": f"scaled_run_{uuid.uuid4().hex[:8]}",
           "REDIS_KEY_PREFIX": f"scaledrun{uuid.uuid4().hex[:8]}",
           "PERSONALIZATION_MODELS": str(tmp_path / "no-models"), "EVENTS_WRITE_KEYS": "k",
           "PERSONALIZATION_HASH_KEY": HASH_KEY,
           "PERSONALIZATION_IDENTITY_SECRET": shop.SECRET.decode()}  # fmt: skip
    output = tmp_path / "output.txt"
    with open(output, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.scaled_stack", "--model", str(MODEL), "--rasa-port",
             str(lb), "--events-port", str(events), "--web-port", str(web),
             "--first-internal-port", str(internal), "--logs", str(tmp_path / "logs")],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while "Ctrl-C stops everything" not in output.read_text():
            assert process.poll() is None and time.monotonic() < deadline, output.read_text()
            time.sleep(1)
        assert f"Chat page: http://localhost:{web}/" in output.read_text()
        me, url = conversation(), f"http://localhost:{lb}/webhooks/rest/webhook"
        for message in ("hello", "where is my order 10000002", "thanks", "bye"):
            reply = requests.post(url, timeout=60, json={
                "sender": me, "message": message, "metadata": shop.metadata(shop.VIP, me)})
            assert reply.status_code == 200 and reply.json()
        web_chat = conversation()  # the chat page's way: socket.io through nginx
        greeting = socket_io_replies(f"http://localhost:{lb}", web_chat, "hello")
        assert "Margaret Smith" in greeting[0]
        assert "Milk Frother" in socket_io_replies(f"http://localhost:{lb}", web_chat,
                                                   "where is my order 10000002")[0]
        upstreams = (tmp_path / "logs" / "nginx_access.log").read_text()
        assert f"127.0.0.1:{internal + 1}" in upstreams and f"127.0.0.1:{internal + 3}" in upstreams
        config = requests.get(f"http://localhost:{web}/api/config", timeout=10).json()
        assert config["rasa_port"] == lb  # the page talks to the load balancer
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        delete_queue(env["RABBITMQ_QUEUE"])
        drop_postgres_database(profiles_url)
        drop_postgres_database(tracker_url)
    ports = (lb, events, web, *range(internal, internal + 4))
    assert all(port_is_free(p) for p in ports)
