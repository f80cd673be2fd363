"""Faults on the scale-out deployment (tests/scaled.py: two Rasa + action server pairs, the
updater, PostgreSQL, Redis, RabbitMQ): a part fails mid-conversation, the assistant keeps
answering, and nothing is lost. docs/reliability.md describes each and what was measured."""

from __future__ import annotations

import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import shop
from tests.conftest import TRAINED_AT
from tests.databases import refuse_connections, service_unavailable
from tests.replies import conversation, variations
from tests.scaled import deployment

VIP_AGENT = variations("utter_handoff_vip_agent", full_name="Margaret Smith")[0]
ANYONE_AGENT = variations("utter_handoff_standard")[-1]  # anyone's route, nothing personal
HUMAN = "I would like to speak to a human agent please"
RECOMMEND = "could you recommend a product for me"
POPULAR = variations("utter_suggest_popular")[0].split("{")[0]  # "Popular with our customers"
NO_MODELS = variations("utter_suggest_none")[0]


@pytest.fixture(scope="module")
def scaled(tmp_path_factory, trained):
    work = tmp_path_factory.mktemp("faults")
    shutil.copytree(trained[1], work / "models")  # customer models trained on a demo shop
    with deployment(work, models=work / "models") as running:
        yield running


def test_profile_database_down_mid_conversation_default_answers_then_personal_again(scaled):
    me = conversation()
    assert "Margaret Smith" in scaled.say(0, me, "hello")[0]
    refuse_connections(scaled.profiles_url)
    try:
        during = [scaled.post(i % 2, me, message) for i, message in
                  enumerate([HUMAN, "what payment methods do you accept", HUMAN])]  # fmt: skip
        assert [r.status_code for r in during] == [200, 200, 200]
        replies = [[m.get("text") for m in r.json()] for r in during]
        assert replies[0] == replies[2] == [ANYONE_AGENT]  # default answers, no name
        assert replies[1]
        time.sleep(3)  # the updater meets the closed database too
    finally:
        refuse_connections(scaled.profiles_url, refuse=False)
    assert scaled.say(1, me, HUMAN) == [VIP_AGENT]  # personal again, on both servers
    assert scaled.say(0, me, HUMAN) == [VIP_AGENT]
    assert scaled.updater.process.poll() is None  # it waited instead of dying
    scaled.drained()  # the events of the outage were applied once the store was back
    log = scaled.work.joinpath("action_server_0.log").read_text()
    assert "profile store unreachable" in log and " 500 " not in log
    updater_log = scaled.work.joinpath("updater.log").read_text()
    assert "the profile store cannot be reached" in updater_log


def test_an_action_server_killed_and_restarted_the_conversation_goes_on(scaled):
    me = conversation()
    assert "Margaret Smith" in scaled.say(0, me, "hello")[0]
    assert scaled.say(0, me, "where is my order")[0] in variations("utter_ask_order_id")
    scaled.kill(scaled.actions[0])
    try:
        # the other server answers with its own action server, in the same conversation
        assert "Milk Frother (x2)" in scaled.say(1, me, "10000002")[0]
        # the server without its action server still answers, without a server error
        thanks = scaled.post(0, me, "thanks")
        assert thanks.status_code == 200 and thanks.json()[0]["text"]
    finally:
        scaled.start_actions(0)
    assert scaled.say(0, me, HUMAN) == [VIP_AGENT]
    assert scaled.user_messages(me) == ["hello", "where is my order", "10000002", "thanks",
                                        HUMAN]  # fmt: skip


def test_a_corrupt_model_file_gives_rules_only_answers_and_retraining_recovers(
        scaled, trained):  # fmt: skip
    from personalization.training import train_models

    me, models = conversation(), scaled.work / "models"
    scaled.say(0, me, "hello")
    assert scaled.say(0, me, RECOMMEND)[0].startswith(POPULAR)
    (models / "recommender.joblib").write_bytes(b"\x80\x04 half a pickle")  # a broken copy
    for server in (1, 0):
        assert scaled.say(server, me, RECOMMEND) == [NO_MODELS]  # rules only: no model
    assert scaled.say(1, me, HUMAN) == [VIP_AGENT]  # the rules still personalize
    for i in (0, 1):
        log = scaled.work.joinpath(f"action_server_{i}.log").read_text()
        assert "Customer models unavailable" in log and "recommender.joblib is corrupt" in log
    train_models(trained[0], models, now=TRAINED_AT, say=lambda _: None)  # retraining
    for server in (0, 1):
        assert scaled.say(server, me, RECOMMEND)[0].startswith(POPULAR)


def rabbitmq(command: str) -> None:
    if shutil.which("rabbitmqctl") is None:
        service_unavailable("rabbitmqctl (to restart RabbitMQ)", FileNotFoundError("not found"))
    done = subprocess.run(["rabbitmqctl", command], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        service_unavailable(f"rabbitmqctl {command}", RuntimeError(done.stderr.strip()[-300:]))


def test_rabbitmq_restarts_the_updater_reconnects_and_applies_every_event_once(scaled):
    scaled.drained()
    before = scaled.store.profile(shop.VIP)
    updater = scaled.updater.process.pid
    me = conversation()
    scaled.say(0, me, "hello")
    rabbitmq("stop_app")
    try:
        scaled.say(1, me, "where is my order 10000001")  # published while the broker is away
    finally:
        rabbitmq("start_app")
    scaled.say(0, me, "thanks")
    scaled.say(1, me, "bye")
    scaled.drained(timeout=120)
    assert scaled.updater.process.poll() is None and scaled.updater.process.pid == updater
    after = scaled.store.profile(shop.VIP)
    assert after.conversations - before.conversations == 1
    assert {k: after.requests_by_intent.get(k, 0) - before.requests_by_intent.get(k, 0)
            for k in ("greet", "track_order", "thank_you", "goodbye")} == {
        "greet": 1, "track_order": 1, "thank_you": 1, "goodbye": 1}  # fmt: skip


def test_the_updater_killed_mid_batch_and_restarted_applies_every_event_once(scaled):
    scaled.drained()
    before = scaled.store.profile(shop.VIP)
    scaled.kill(scaled.updater)
    already = scaled.applied()
    senders = [conversation() for _ in range(8)]
    messages = ["hello", "where is my order 10000002", "thanks", "bye"]

    def talk(sender: str) -> None:
        for i, message in enumerate(messages):
            scaled.say(i % 2, sender, message)

    with ThreadPoolExecutor(2) as pool:  # a backlog builds up in the queue
        list(pool.map(talk, senders))
    backlog = scaled.tracker_events() - already
    assert backlog > 200
    scaled.start_updater()
    deadline = time.monotonic() + 120
    while scaled.applied() == already:  # the first batch is in...
        assert time.monotonic() < deadline
        time.sleep(0.05)
    scaled.kill(scaled.updater)  # ...and the next ones are on their way
    part = scaled.applied() - already
    assert 0 < part < backlog
    scaled.start_updater()
    scaled.drained(timeout=120)
    after = scaled.store.profile(shop.VIP)
    assert after.conversations - before.conversations == len(senders)
    assert {k: after.requests_by_intent.get(k, 0) - before.requests_by_intent.get(k, 0)
            for k in ("greet", "track_order", "thank_you", "goodbye")} == dict.fromkeys(
        ("greet", "track_order", "thank_you", "goodbye"), len(senders))  # fmt: skip
