"""The action server as `make run` and `rasa run actions` start it: it listens on this
machine only unless told otherwise, with ACTION_SERVER_TOKEN it answers only the Rasa
server that sends it, and it refuses to listen on a network without one."""

from __future__ import annotations

import subprocess

import pytest
import requests

from scripts.stack import endpoints_in, start_action_server, stop, wait_until_up
from tests.conftest import free_port, server_env, shop_for_servers

TOKEN = "guard-test-action-server-token"


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    profiles = f"sqlite:///{tmp_path / 'profiles.db'}"
    endpoints = endpoints_in(tmp_path, free_port())
    return server_env(tmp_path, profiles, shop_for_servers(tmp_path, profiles), endpoints)


def listening_addresses(port: int) -> set[str]:
    """The local addresses of sockets listening on `port` (/proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


def started(tmp_path, env: dict[str, str], **extra: str):
    port = free_port()
    service = start_action_server(port, tmp_path / f"action_server_{port}.log",
                                  {**env, **extra})  # fmt: skip
    return service, port


def test_it_listens_on_this_machine_only_by_default(tmp_path, env):
    service, port = started(tmp_path, env)
    try:
        wait_until_up(service, f"http://127.0.0.1:{port}/health")
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, not 0.0.0.0
    finally:
        stop([service])


def test_with_a_token_only_callers_that_send_it_are_answered(tmp_path, env):
    service, port = started(tmp_path, env, ACTION_SERVER_TOKEN=TOKEN)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(service, f"{url}/health")  # open: for a load balancer's health check
        call = {"next_action": "action_personalize", "sender_id": "x", "tracker": {},
                "domain": {}, "version": "3.6.2"}  # fmt: skip
        for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"},
                        {"Authorization": TOKEN}):  # fmt: skip
            answer = requests.post(f"{url}/webhook", json=call, headers=headers, timeout=10)
            assert answer.status_code == 401, headers
            assert "ACTION_SERVER_TOKEN" in answer.json()["error"]
        assert requests.get(f"{url}/actions", timeout=10).status_code == 401
        allowed = requests.get(f"{url}/actions", headers={"Authorization": f"Bearer {TOKEN}"},
                               timeout=10)  # fmt: skip
        assert allowed.status_code == 200
        assert {"name": "action_personalize"} in allowed.json()
    finally:
        stop([service])


@pytest.mark.parametrize(("extra", "problem"), [
    ({"SANIC_HOST": "0.0.0.0"}, "without ACTION_SERVER_TOKEN"),
    ({"ACTION_SERVER_TOKEN": "short"}, "shorter than 16 characters"),
])  # fmt: skip
def test_it_refuses_to_start_open_to_a_network(tmp_path, env, extra, problem):
    service, port = started(tmp_path, env, **extra)
    try:
        assert service.process.wait(timeout=120) == 78
    except subprocess.TimeoutExpired:
        pytest.fail(f"the action server started with {extra}")
    finally:
        stop([service])
    assert problem in service.log_tail()
    assert not listening_addresses(port)


def test_a_failed_call_is_not_answered_with_the_conversation(tmp_path, env):
    """rasa_sdk answers an action that raised with the request: the conversation, its
    signature and the customer's slots, which the Rasa server then logs."""
    service, port = started(tmp_path, env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(service, f"{url}/health")
        call = {"next_action": "action_personalize", "version": "3.6.2", "domain": {},
                "tracker": {"events": [{"event": "user", "text": "marker-Margaret-Smith"}]}}
        answer = requests.post(f"{url}/webhook", json=call, timeout=10)
    finally:
        stop([service])
    assert answer.status_code == 500
    assert "marker-Margaret-Smith" not in answer.text and "the action failed" in answer.text
