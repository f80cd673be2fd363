"""A running assistant for end-to-end tests: the trained model, Rasa server, action server."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import requests
import yaml

from personalization.store import Store, migrate
from personalization.store.sql import utcnow
from scripts.stack import (
    broker_url_of,
    endpoints_in,
    start_action_server,
    start_rasa_server,
    start_updater,
    stop,
    wait_until_up,
)
from tests import shop
from tests.databases import create_postgres_database, drop_postgres_database
from tests.trackers import ROOT

# Importing `actions` checks the action server's settings (actions/__init__.py): the tests
# that import it in this process run with a test hash key.
os.environ.setdefault("PERSONALIZATION_HASH_KEY", "tests-hash-key-0123456789abcdef")

MODEL = ROOT / "models" / "brightcart.tar.gz"
TRAINED_AT = datetime(2026, 11, 27)  # the demo data and models of the `trained` fixture
HASH_KEY = "stack-test-hash-key-0123456789"  # the running assistant's, for its audit log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_all_hours(rules_path: Path) -> str:
    """A rules file's text with support hours around the clock (tests run at any hour)."""
    rules = yaml.safe_load(rules_path.read_text())
    rules["settings"]["support_hours"]["days"] = {"every day": "00:00-24:00"}
    return yaml.safe_dump(rules, sort_keys=False)


def shop_for_servers(work: Path, profiles_url: str) -> Path:
    """The profile store at `profiles_url` migrated and filled with the shop of tests/shop.py
    (orders dated from now), and the project's rules with agents at work around the clock in
    `work`; returns the rules file. For tests that start servers."""
    migrate.upgrade(profiles_url)
    store = Store.from_url(profiles_url)
    shop.fill(store, now=utcnow())
    store.dispose()
    rules = work / "personalization.yml"
    rules.write_text(open_all_hours(ROOT / "personalization.yml"))
    return rules


def server_env(work: Path, profiles_url: str, rules: Path, endpoints: Path) -> dict[str, str]:
    """The environment of test servers on the shop at `profiles_url` (no customer models)."""
    return {"PERSONALIZATION_DB_URL": profiles_url, "PERSONALIZATION_RULES": str(rules),
            "PERSONALIZATION_IDENTITY_SECRET": shop.SECRET.decode(),
            "PERSONALIZATION_HASH_KEY": HASH_KEY, "PERSONALIZATION_ENDPOINTS": str(endpoints),
            "PERSONALIZATION_MODELS": str(work / "no-models")}  # fmt: skip


@dataclass
class RunningAssistant:
    url: str
    store: Store  # the profile store its updater writes to
    work: Path  # its databases: profiles.db, conversations.db (tracker store), rasa_events.db
    env: dict  # the environment its servers run with

    def say(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        """One message over the REST channel (`metadata`: what a chat widget would send)."""
        body = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = requests.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def parse(self, text: str) -> dict:
        response = requests.post(f"{self.url}/model/parse", json={"text": text}, timeout=60)
        response.raise_for_status()
        return response.json()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """An empty database of each kind the profile store runs on."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'profiles.db'}"
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture
def store(db_url):
    """A migrated profile store on each database kind."""
    migrate.upgrade(db_url)
    store = Store.from_url(db_url)
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> RunningAssistant:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run `make train` (make test does it).")
    work: Path = tmp_path_factory.mktemp("stack")
    action_port, rasa_port = free_port(), free_port()
    endpoints = endpoints_in(work, action_port)
    profiles = f"sqlite:///{work / 'profiles.db'}"
    env = server_env(work, profiles, shop_for_servers(work, profiles), endpoints)
    services = []
    try:
        services.append(start_updater(broker_url_of(endpoints), work / "updater.log", env,
                                      endpoints=endpoints))  # fmt: skip
        actions = start_action_server(action_port, work / "action_server.log", env)
        services.append(actions)
        rasa = start_rasa_server(
            MODEL, rasa_port, endpoints, work / "rasa_server.log",
            extra_args=["--enable-api", "--debug"],  # debug: logs hold every message (redacted)
            env=env,  # the identity secret: the tracker store keeps verification results
        )
        services.append(rasa)
        wait_until_up(actions, f"http://localhost:{action_port}/health")
        wait_until_up(rasa, f"http://localhost:{rasa_port}/webhooks/rest/", timeout=300)
        yield RunningAssistant(f"http://localhost:{rasa_port}", Store.from_url(profiles), work,
                               env)  # fmt: skip
    finally:
        stop(services)


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A demo store of 1,200 customers and every model trained on it (shared: read only)."""
    from personalization.demo_data import generate, load
    from personalization.training import train_models

    folder = tmp_path_factory.mktemp("training")
    url = f"sqlite:///{folder / 'profiles.db'}"
    migrate.upgrade(url)
    store = Store.from_url(url)
    load(store, generate(1200, seed=8, now=TRAINED_AT), progress=False)
    lines: list[str] = []
    models = train_models(store, folder / "models", now=TRAINED_AT, say=lines.append)
    return store, folder / "models", models, lines


@pytest.fixture(scope="module")
def domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    from personalization.rules import load_rules

    path = tmp_path_factory.mktemp("rules") / "rules.yml"
    path.write_text(open_all_hours(ROOT / "personalization.yml"))
    return load_rules(path)


@pytest.fixture
def client(store, rules):
    """The project's action server, over HTTP, on the shop of tests/shop.py."""
    from rasa_sdk.endpoint import create_app

    from actions.runtime import Runtime, use
    from personalization.conversation.personalizer import Personalizer
    from personalization.privacy.requests import PrivacyRequests
    from tests.action_calls import HASHER

    shop.fill(store)
    use(Runtime(Personalizer(store, rules, shop.SECRET), store, None, HASHER,
                PrivacyRequests(store, HASHER)))
    yield create_app("actions").test_client
    use(None)
