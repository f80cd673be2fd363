"""A running web chat for browser tests: action server, Rasa server (socket.io channel) and
the demo website (scripts/web_demo.py) on the shop of tests/shop.py, with the "why" panel on,
and Debian's Chromium driven by Playwright.

Chromium comes from the system (`apt-get install chromium`; .ci/run installs it), never
downloaded: $CHROMIUM_PATH, else the first of `chromium`, `chromium-browser` on PATH. Where
it is missing the browser tests are skipped, naming it, unless REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from scripts.stack import (
    Service,
    endpoints_in,
    rasa_api_args,
    start_action_server,
    start_rasa_server,
    start_web_demo,
    stop,
    wait_until_up,
)
from tests.conftest import (
    MODEL,
    free_port,
    server_env,
    shop_for_servers,
)
from tests.databases import service_unavailable
from tests.trackers import ROOT

SCREENSHOTS = ROOT / "results" / "screenshots"  # the browser tests' artifacts
SIGNATURE_LIFETIME = 15  # seconds
API_TOKEN = "browser-test-rasa-api-token"


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM_PATH") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)  # fmt: skip
    if not found or not Path(found).exists():
        service_unavailable("Chromium (Debian package `chromium`)",
                            FileNotFoundError("not on PATH and no CHROMIUM_PATH"))  # fmt: skip
    return found


@dataclass
class WebChat:
    url: str  # the chat page
    rasa_port: int
    endpoints: Path
    work: Path
    services: dict[str, Service]
    env: dict[str, str]

    def stop_rasa(self) -> None:
        stop([self.services.pop("rasa")])

    def start_rasa(self) -> None:
        rasa = start_rasa_server(MODEL, self.rasa_port, self.endpoints,
                                 self.work / "rasa_server.log",
                                 extra_args=rasa_api_args(API_TOKEN), env=self.env)  # fmt: skip
        self.services["rasa"] = rasa
        wait_until_up(rasa, f"http://localhost:{self.rasa_port}/webhooks/rest/", timeout=300)


def start_web_chat(work: Path) -> WebChat:
    action_port, rasa_port, web_port = free_port(), free_port(), free_port()
    endpoints = endpoints_in(work, action_port)
    profiles = f"sqlite:///{work / 'profiles.db'}"
    env = {**server_env(work, profiles, shop_for_servers(work, profiles), endpoints),
           "PERSONALIZATION_EXPLAIN": "1", "RASA_API_TOKEN": API_TOKEN,
           # signatures that expire within a test: the page must renew them
           "PERSONALIZATION_SIGNATURE_LIFETIME": str(SIGNATURE_LIFETIME)}  # fmt: skip
    chat = WebChat(f"http://localhost:{web_port}/", rasa_port, endpoints, work, {}, env)
    try:
        actions = start_action_server(action_port, work / "action_server.log", env)
        chat.services["actions"] = actions
        web = start_web_demo(web_port, rasa_port, work / "web_page.log", env, work / "reports")
        chat.services["web"] = web
        wait_until_up(actions, f"http://localhost:{action_port}/health")
        wait_until_up(web, f"http://localhost:{web_port}/api/config")
        chat.start_rasa()
    except BaseException:
        stop_web_chat(chat)
        raise
    return chat


def stop_web_chat(chat: WebChat) -> None:
    stop(list(chat.services.values()))
