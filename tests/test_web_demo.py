"""The demo website's server (scripts/web_demo.py) over HTTP: demo customers, the sign-in that
signs an id, the "why" endpoint when off or Rasa is away, and the report served next to the
page (the page itself is tested in a real browser: tests/test_web_chat.py)."""

from __future__ import annotations

import itertools

import pytest

from personalization.conversation.identity import identify
from personalization.settings import Settings
from personalization.store import Store, migrate
from scripts.web_demo import Demo, create_app
from tests import shop
from tests.conftest import free_port, open_all_hours
from tests.test_analytics import saved_with_endpoints
from tests.trackers import ROOT

_names = itertools.count()


def demo_app(tmp_path, db_url: str, explain: bool = False, models=None, endpoints=None):
    rules = tmp_path / "rules.yml"
    rules.write_text(open_all_hours(ROOT / "personalization.yml"))
    settings = Settings(db_url=db_url, identity_secret=shop.SECRET, rules_path=str(rules),
                        explain=explain, models_dir=str(models or tmp_path / "no-models"),
                        endpoints_path=str(endpoints or ROOT / "endpoints.yml"))  # fmt: skip
    port = free_port()  # nothing listens there: Rasa is away
    demo = Demo(settings, f"http://localhost:{port}", port, "token", tmp_path / "reports")
    return create_app(demo, name=f"web_demo_{next(_names)}").test_client


@pytest.fixture
def shop_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'profiles.db'}"
    migrate.upgrade(url)
    store = Store.from_url(url)
    shop.fill(store)
    store.dispose()
    return url


def test_demo_customers_allowed_personalization_but_one_never_asked(tmp_path, shop_url):
    _, answer = demo_app(tmp_path, shop_url).get("/api/customers")
    picked = {c["why"]: c["id"] for c in answer.json["customers"]}
    # C-WELCOME is gold too but never answered the consent question: not the VIP example
    assert picked == {"VIP (gold loyalty)": shop.VIP, "new customer": shop.NEW,
                      "highest churn risk": shop.LEAVING, "back after a long silence": shop.AWAY,
                      "first chat: never asked about their data": shop.FIRST}  # fmt: skip


def test_sign_in_signs_a_demo_customer_and_nothing_else(tmp_path, shop_url):
    client = demo_app(tmp_path, shop_url)
    _, answer = client.post("/api/sign-in", json={"customer_id": shop.VIP})
    assert answer.status == 200
    assert identify(answer.json, None, shop.SECRET).customer_id == shop.VIP
    assert "secret" not in answer.text.lower()
    for body in ({"customer_id": shop.AT_RISK}, {"customer_id": None}, {}, ["C-VIP"]):
        _, answer = client.post("/api/sign-in", json=body)
        assert answer.status == 400
        assert answer.json["error"]["field"] == "customer_id"


def test_the_page_and_its_script_are_served(tmp_path, shop_url):
    client = demo_app(tmp_path, shop_url)
    _, page = client.get("/")
    assert page.status == 200 and 'role="log"' in page.text
    _, script = client.get("/static/socket.io.min.js")
    assert script.status == 200 and "io" in script.text
    _, config = client.get("/api/config")
    assert config.json == {"rasa_port": config.json["rasa_port"], "why": False}


def test_why_is_off_unless_enabled_and_says_when_rasa_is_away(tmp_path, shop_url):
    _, off = demo_app(tmp_path, shop_url).get("/api/why/abc")
    assert off.status == 404 and "PERSONALIZATION_EXPLAIN" in off.json["error"]["problem"]
    _, away = demo_app(tmp_path, shop_url, explain=True).get("/api/why/abc")
    assert away.status == 503 and away.json["error"]["field"] == "rasa"


def test_the_report_is_served_with_conversation_analytics(tmp_path, trained):
    store, models, _, _ = trained
    endpoints = saved_with_endpoints(tmp_path)
    client = demo_app(tmp_path, str(store.engine.url), models=models, endpoints=endpoints)
    _, page = client.get("/report/")
    assert page.status == 200
    assert "Customer models" in page.text and "4 conversations, 10 customer messages" in page.text
    _, picture = client.get("/report/conversations.png")
    assert picture.status == 200 and picture.body[:4] == b"\x89PNG"
    _, missing = client.get("/report/nothing.png")
    assert missing.status == 404


def test_the_report_says_what_to_do_without_models(tmp_path, shop_url):
    _, page = demo_app(tmp_path, shop_url).get("/report/")
    assert page.status == 503 and "make customer-models" in page.json["error"]["problem"]
