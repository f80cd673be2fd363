"""The demo website's server (scripts/web_demo.py) over HTTP: demo customers, the sign-in that
signs an id, the "why" endpoint when off or Rasa is away, and the report served next to the
page (the page itself is tested in a real browser: tests/test_web_chat.py)."""

from __future__ import annotations

import itertools

import pytest

from personalization.conversation.identity import identify
from personalization.settings import Settings
from personalization.store import Store, migrate
from scripts.web_demo import COOKIE, Demo, create_app
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


def test_a_session_is_signed_for_a_demo_customer_and_nothing_else(tmp_path, shop_url):
    client = demo_app(tmp_path, shop_url)
    _, answer = client.post("/api/session", json={"customer_id": shop.VIP})
    assert answer.status == 200
    session, metadata = answer.json["session_id"], answer.json["metadata"]
    assert identify(metadata, session, shop.SECRET).customer_id == shop.VIP
    assert not identify(metadata, "another-session", shop.SECRET).verified
    assert "secret" not in answer.text.lower()
    _, visitor = client.post("/api/session", json={"customer_id": None})
    assert visitor.status == 200 and visitor.json["metadata"] == {}
    assert visitor.json["session_id"] != session
    for body, field in (({"customer_id": shop.AT_RISK}, "customer_id"),
                        ({"customer_id": 7}, "customer_id"), (["C-VIP"], "body")):
        _, answer = client.post("/api/session", json=body)
        assert answer.status == 400 and answer.json["error"]["field"] == field


def test_only_the_browser_that_started_a_session_can_renew_it(tmp_path, shop_url):
    browser = demo_app(tmp_path, shop_url)  # (each request sends only the cookies given)
    _, answer = browser.post("/api/session", json={"customer_id": shop.NEW})
    cookie = {"cookie": f"{COOKIE}={answer.cookies[COOKIE]}"}
    session = answer.json["session_id"]
    _, renewed = browser.post("/api/session/renew", json={"session_id": session},
                              headers=cookie)  # fmt: skip
    assert renewed.status == 200
    assert identify(renewed.json["metadata"], session, shop.SECRET).customer_id == shop.NEW
    _, other = browser.post("/api/session/renew", json={"session_id": session})  # no cookie
    assert other.status == 403 and other.json["error"]["field"] == "session_id"
    _, guessed = browser.post("/api/session/renew", json={"session_id": "0" * 32},
                              headers=cookie)  # fmt: skip
    assert guessed.status == 403
    _, ended = browser.post("/api/session/end", json={"session_id": session}, headers=cookie)
    assert ended.status == 200 and session not in ended.cookies.get(COOKIE, "")
    _, after = browser.post("/api/session/renew", json={"session_id": session},
                            headers=cookie)  # the old cookie, kept by someone: signed out
    assert after.status == 403


def test_why_answers_only_for_a_session_this_browser_started(tmp_path, shop_url):
    client = demo_app(tmp_path, shop_url, explain=True)
    _, mine = client.post("/api/session", json={"customer_id": shop.VIP})
    cookie = {"cookie": f"{COOKIE}={mine.cookies[COOKIE]}"}
    _, theirs = client.get("/api/why/someone-elses-session", headers=cookie)
    assert theirs.status == 403 and theirs.json["error"]["field"] == "session"
    _, without = client.get(f"/api/why/{mine.json['session_id']}")
    assert without.status == 403
    _, away = client.get(f"/api/why/{mine.json['session_id']}", headers=cookie)
    assert away.status == 503 and away.json["error"]["field"] == "rasa"  # allowed; Rasa away


def test_the_page_and_its_script_are_served(tmp_path, shop_url):
    client = demo_app(tmp_path, shop_url)
    _, page = client.get("/")
    assert page.status == 200 and 'role="log"' in page.text
    _, script = client.get("/static/socket.io.min.js")
    assert script.status == 200 and "io" in script.text
    _, config = client.get("/api/config")
    assert config.json == {"rasa_port": config.json["rasa_port"], "why": False}


def test_why_is_off_unless_enabled(tmp_path, shop_url):
    _, off = demo_app(tmp_path, shop_url).get("/api/why/abc")
    assert off.status == 404 and "PERSONALIZATION_EXPLAIN" in off.json["error"]["problem"]


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
