"""Who may change what through the event API: browser and server write keys, orders and
tickets that belong to another customer, and the per-key rate limit. Over HTTP, real stores."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from personalization.collect.ratelimit import RateLimit
from personalization.privacy.admin import add_admin_routes
from personalization.privacy.requests import PrivacyRequests
from personalization.settings import Settings, SettingsError
from personalization.store import schema as t
from personalization.store.commerce import upsert_orders, upsert_tickets
from personalization.store.sql import utcnow
from personalization.store.tracking import consented
from tests.event_api import (
    BROWSER_KEY,
    HASHER,
    SERVER_KEY,
    Api,
    ago,
    basic,
    consent,
    count,
    track,
)

CONSENT = {"consent": {"categoryPreferences": {"personalization": True}}}
ORDER = {"order_id": "O-1", "total": 20.0, "currency": "EUR",
         "products": [{"product_id": "p1", "price": 10.0, "quantity": 2}]}  # fmt: skip


@pytest.fixture
def api(store):
    return Api(store)


def time_ago(**delta):
    return utcnow() - timedelta(**delta)


def order_row(store, order_id: str):
    with store.engine.connect() as conn:
        return conn.execute(select(t.orders).where(t.orders.c.order_id == order_id)).first()


def ticket_row(store, ticket_id: str):
    with store.engine.connect() as conn:
        return conn.execute(select(t.tickets).where(t.tickets.c.ticket_id == ticket_id)).first()


def test_a_browser_key_sends_behaviour_events_of_its_own_id(api, store):
    consent(store, "u1")
    assert api.post("/v1/track", track(), key=BROWSER_KEY).json["stored"] == 1
    page = {"anonymousId": "visitor-1", "name": "Home", "timestamp": ago(minutes=5)}
    assert api.post("/v1/page", page, key=BROWSER_KEY).status == 200
    assert count(store, t.events) == 1  # the visitor has not consented: dropped, not refused


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/v1/identify", {"userId": "u1", "traits": {"email": "x@example.com"}}, "type"),
        ("/v1/track", track(event="Order Completed", properties=ORDER), "event"),
        ("/v1/track", track(event="Order Cancelled", properties={"order_id": "O-1"}), "event"),
        ("/v1/track", track(event="Ticket Resolved", properties={"ticket_id": "T-1"}), "event"),
        ("/v1/track", track(context=CONSENT), "context.consent"),
        ("/v1/page", {"userId": "u1", "name": "Home", "context": CONSENT}, "context.consent"),
        ("/v1/track", track(traits={"email": "x@example.com"}), "traits"),
        ("/v1/track", track(context={"traits": {"plan": "Premium"}}), "context.traits"),
    ],
)  # fmt: skip
def test_a_browser_key_may_not_change_profiles_orders_tickets_or_consent(api, store, path,
                                                                         body, field):
    consent(store, "u1")
    response = api.post(path, body, key=BROWSER_KEY)
    assert response.status == 403, response.text
    assert response.json["success"] is False
    assert response.json["error"]["field"] == field
    assert "server" in response.json["error"]["problem"]
    assert count(store, t.events) == count(store, t.orders) == count(store, t.tickets) == 0
    with store.engine.connect() as conn:
        assert count(store, t.consent_records) == 1 and consented(conn, ["u1"], "personalization")
    assert api.post(path, body, key=SERVER_KEY).status == 200  # a server key may


def test_in_a_batch_the_browser_keys_forbidden_items_are_rejected_and_the_rest_stored(api, store):
    consent(store, "u1")
    batch = [{**track(), "type": "track"},
             {"type": "identify", "userId": "u1", "traits": {"plan": "Premium"}},
             {**track(event="Order Completed", properties=ORDER), "type": "track"},
             {**track(context=CONSENT), "type": "track"}]  # fmt: skip
    response = api.post("/v1/batch", {"batch": batch}, key=BROWSER_KEY)
    assert response.status == 200
    assert response.json["stored"] == 1
    assert [(r["index"], r["field"]) for r in response.json["rejected"]] == [
        (1, "batch[1].type"), (2, "batch[2].event"), (3, "batch[3].context.consent")]
    assert count(store, t.orders) == count(store, t.customers) == 0
    only_forbidden = api.post("/v1/batch", {"batch": batch[1:]}, key=BROWSER_KEY)
    assert only_forbidden.status == 403 and only_forbidden.json["error"]["field"] == "batch[0].type"


def test_an_order_event_cannot_change_another_customers_order(api, store):
    consent(store, "alice", "mallory")
    assert api.post("/v1/track", track("alice", "Order Completed", properties=ORDER)).json[
        "stored"] == 1
    takeovers = [
        track("mallory", "Order Cancelled", properties={"order_id": "O-1"}),
        track("mallory", "Order Updated", properties={**ORDER, "status": "refunded"}),
        track("mallory", "Order Completed", properties={**ORDER, "products": []}),
        track("mallory", "Order Refunded", properties={"order_id": "O-1"}),
    ]
    for event in takeovers:
        response = api.post("/v1/track", event)
        assert response.status == 200, response.text
        assert response.json["stored"] == 0
        assert "another customer" in response.json["dropped"][0]["reason"], response.json
    row = order_row(store, "O-1")
    assert (row.customer_id, row.status, row.total) == ("alice", "paid", 20.0)
    with store.engine.connect() as conn:
        items = conn.execute(select(t.order_items.c.product_id, t.order_items.c.quantity)).all()
    assert items == [("p1", 2)]
    # the owner still can
    assert api.post("/v1/track", track("alice", "Order Shipped",
                                       properties={"order_id": "O-1"})).json["stored"] == 1
    assert order_row(store, "O-1").status == "dispatched"


def test_an_anonymized_order_belongs_to_nobody(api, store):
    """After an erasure an order stays for the accounts with no customer: no event claims it."""
    consent(store, "mallory")
    with store.begin() as conn:
        upsert_orders(conn, [{"order_id": "O-9", "customer_id": "gone", "status": "delivered",
                              "placed_at": time_ago(days=9), "total": 5.0}])  # fmt: skip
        conn.execute(t.orders.update().values(customer_id=None))
    for name in ("Order Completed", "Order Refunded"):
        response = api.post("/v1/track", track("mallory", name, properties={**ORDER,
                                                                          "order_id": "O-9"}))
        assert response.json["stored"] == 0 and response.json["dropped"], response.json
    row = order_row(store, "O-9")
    assert (row.customer_id, row.status) == (None, "delivered")


def test_a_ticket_event_cannot_change_another_customers_ticket(api, store):
    consent(store, "alice", "mallory")
    with store.begin() as conn:
        upsert_tickets(conn, [{"ticket_id": "T-1", "customer_id": "alice",
                               "created_at": time_ago(days=1), "category": "delivery"}])
    for name, props in [("Ticket Resolved", {"ticket_id": "T-1", "csat": 1}),
                        ("Ticket Escalated", {"ticket_id": "T-1"}),
                        ("Ticket Created", {"ticket_id": "T-1", "category": "refund"})]:
        response = api.post("/v1/track", track("mallory", name, properties=props))
        assert response.json["stored"] == 0, response.json
        assert "another customer" in response.json["dropped"][0]["reason"]
    row = ticket_row(store, "T-1")
    assert (row.customer_id, row.category, row.csat, row.escalated, row.resolved_at) == (
        "alice", "delivery", None, False, None)


def test_one_batch_cannot_take_over_an_order_it_did_not_create(api, store):
    consent(store, "alice", "mallory")
    batch = [{**track("alice", "Order Completed", properties=ORDER), "timestamp": ago(hours=2)},
             {**track("mallory", "Order Cancelled", properties={"order_id": "O-1"})}]
    response = api.post("/v1/batch", {"batch": [{**e, "type": "track"} for e in batch]})
    assert response.json["stored"] == 1
    assert response.json["dropped"][0]["index"] == 1
    assert order_row(store, "O-1").status == "paid"


def test_each_key_has_its_own_rate_limit(store):
    api = Api(store, limit=RateLimit(rate=1, burst=2))
    consent(store, "u1")
    answers = [api.post("/v1/track", track()) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 429]
    limited = answers[-1]
    assert 1 <= int(limited.headers["retry-after"]) <= 2
    assert limited.json["success"] is False and limited.json["error"]["field"] == "writeKey"
    assert "per second" in limited.json["error"]["problem"]
    assert count(store, t.events) == 2
    assert api.post("/v1/track", track(), key=BROWSER_KEY).status == 200  # another key
    time.sleep(1.1)
    assert api.post("/v1/track", track()).status == 200  # the bucket refilled


def test_the_admin_token_has_the_rate_limit_too(store):
    api = Api(store, limit=RateLimit(rate=0.5, burst=1))
    add_admin_routes(api.app, PrivacyRequests(store, HASHER), "admin-token-0123456789abc")
    bearer = {"Authorization": "Bearer admin-token-0123456789abc"}
    first = api.app.test_client.get("/admin/customers/C-1", headers=bearer)[1]
    second = api.app.test_client.get("/admin/customers/C-1", headers=bearer)[1]
    assert (first.status, second.status) == (404, 429)
    assert second.json["error"]["field"] == "authorization" and second.headers["retry-after"]
    assert api.post("/v1/track", track()).status == 200  # the write key's bucket is its own


def test_wrong_keys_of_any_shape_are_a_401(api, store):
    consent(store, "u1")
    for headers in (basic("é-not-ascii"), basic("\u0000"), {"Authorization": "Basic w6k="},
                    {"Authorization": "Bearer " + SERVER_KEY}):  # fmt: skip
        response = api.post("/v1/track", track(), headers=headers)
        assert response.status == 401 and response.json["error"]["field"] == "writeKey"
    for key in ("é", 12, ["k"], {"k": 1}, True):
        response = api.post("/v1/track", {**track(), "writeKey": key}, headers={})
        assert response.status == 401 and response.json["error"]["field"] == "writeKey", key
    assert count(store, t.events) == 0


@pytest.mark.parametrize("env, wrong", [
    ({"EVENTS_WRITE_KEYS": "a,b", "EVENTS_BROWSER_KEYS": "b"}, "both"),
    ({"EVENTS_WRITE_KEYS": "a:b"}, "':'"),
    ({"EVENTS_WRITE_KEYS": "a", "EVENTS_RATE_LIMIT": "fast"}, "EVENTS_RATE_LIMIT"),
    ({"EVENTS_WRITE_KEYS": "a", "EVENTS_RATE_LIMIT": "-1"}, "EVENTS_RATE_LIMIT"),
    ({"EVENTS_WRITE_KEYS": "a", "EVENTS_RATE_BURST": "0.5"}, "EVENTS_RATE_BURST"),
])  # fmt: skip
def test_wrong_key_or_rate_settings_are_refused_with_a_reason(env, wrong):
    settings = Settings.from_env(env)
    with pytest.raises(SettingsError, match=wrong):
        settings.require_write_keys()
        settings.event_rate_limit()


def test_key_and_rate_settings():
    settings = Settings.from_env({"EVENTS_WRITE_KEYS": " s1, s2 ,", "EVENTS_BROWSER_KEYS": "b1",
                                  "EVENTS_RATE_LIMIT": "20"})
    assert settings.require_write_keys() == {"s1", "s2"} and settings.browser_keys == {"b1"}
    assert settings.event_rate_limit() == (20.0, 40)
    assert Settings.from_env({}).event_rate_limit() == (500.0, 1000)
    assert Settings.from_env({"EVENTS_RATE_LIMIT": "0"}).event_rate_limit() == (0.0, 1)
