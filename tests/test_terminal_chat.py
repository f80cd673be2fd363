"""`make run` and `make shell`: the servers start, the chat page is served (or a person chats
in the terminal), Ctrl-C stops everything."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time

import requests

from scripts.stack import action_port_of, endpoints_in
from tests import shop
from tests.conftest import MODEL, free_port, shop_for_servers
from tests.trackers import ROOT


def read_until(fd: int, expected: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while expected not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{expected!r} did not appear; the terminal showed:\n{seen}")
        if select.select([fd], [], [], min(remaining, 1.0))[0]:
            try:
                seen += os.read(fd, 4096).decode(errors="replace")
            except OSError:  # the process closed the terminal
                raise AssertionError(f"{expected!r} did not appear:\n{seen}") from None
    return seen


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_the_project_endpoints_call_the_action_server_make_run_starts():
    assert action_port_of(ROOT / "endpoints.yml") == 5055


def start_stack(tmp_path, *args: str):
    """scripts.stack (what make run / make shell start) in a terminal, on free ports."""
    ports = {"action": free_port(), "rasa": free_port(), "events": free_port(), "web": free_port()}
    endpoints = endpoints_in(tmp_path, ports["action"])
    profiles = f"sqlite:///{tmp_path / 'profiles.db'}"
    rules = shop_for_servers(tmp_path, profiles)
    env = {**os.environ, "PERSONALIZATION_DB_URL": profiles, "EVENTS_WRITE_KEYS": "k",
           "PERSONALIZATION_HASH_KEY": "terminal-test-hash-key",
           "PERSONALIZATION_IDENTITY_SECRET": shop.SECRET.decode(),
           "PERSONALIZATION_RULES": str(rules)}  # fmt: skip
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.stack", "--model", str(MODEL), "--rasa-port",
         str(ports["rasa"]), "--events-port", str(ports["events"]), "--web-port",
         str(ports["web"]), "--endpoints", str(endpoints), "--logs", str(tmp_path), *args],
        stdin=terminal, stdout=terminal, stderr=terminal, cwd=ROOT, start_new_session=True,
        env=env,
    )  # fmt: skip
    os.close(terminal)
    return process, main, ports


def ctrl_c(process, main, signum: int = signal.SIGINT) -> None:
    os.killpg(process.pid, signum)  # Ctrl-C: the terminal signals its foreground group
    read_until(main, "Stopping the servers", timeout=30)
    assert process.wait(timeout=60) == 0


def test_make_run_serves_the_chat_page_and_a_stop_signal_stops_it_all(tmp_path):
    process, main, ports = start_stack(tmp_path)
    try:
        shown = read_until(main, "Ctrl-C stops everything", timeout=300)
        assert f"Chat page: http://localhost:{ports['web']}/" in shown
        assert f"http://localhost:{ports['web']}/report/" in shown
        page = requests.get(f"http://localhost:{ports['web']}/", timeout=10)
        assert page.status_code == 200 and "Chat with Brightcart" in page.text
        customers = requests.get(f"http://localhost:{ports['web']}/api/customers", timeout=10)
        assert shop.VIP in {c["id"] for c in customers.json()["customers"]}
        ctrl_c(process, main, signal.SIGTERM)  # (a closed terminal or `kill`: the same)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    assert all(port_is_free(p) for p in ports.values())


def test_make_shell_chats_in_the_terminal_and_ctrl_c(tmp_path):
    process, main, ports = start_stack(tmp_path, "--terminal")
    try:
        menu = read_until(main, "Choose a number", timeout=300)
        assert "1) Margaret Smith (C-VIP): VIP (gold loyalty)" in menu
        os.write(main, b"1\r")  # chat as the VIP customer
        read_until(main, "You:", timeout=30)
        os.write(main, b"hello there\r")
        read_until(main, "Margaret Smith", timeout=60)  # greeted formally, by name
        os.write(main, b"can I talk to a person\r")
        answer = read_until(main, "dedicated account manager", timeout=60)
        if "You:" not in answer.split("dedicated account manager")[-1]:
            read_until(main, "You:", timeout=30)  # the prompt reads keys again
        ctrl_c(process, main)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    assert all(port_is_free(p) for p in ports.values())
