"""The Segment-compatible event API over HTTP, against a real profile store."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from sqlalchemy import func, select

from personalization.collect.app import create_app
from personalization.collect.ingest import Ingestor
from personalization.hashing import IdHasher
from personalization.store import Store, audit
from personalization.store import schema as t
from personalization.store.tracking import consented, record_consent, suppress

KEY = "test-write-key"
HASHER = IdHasher(b"test-hash-key-0123456789")
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}


@pytest.fixture
def api(store):
    app = create_app(Ingestor(store, HASHER), frozenset({KEY}), name=f"t{uuid.uuid4().hex}")

    def post(path: str, body, headers=AUTH):
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        _, response = app.test_client.post(path, data=data, headers=headers)
        return response

    return post


def consent(store, *customer_ids):
    with store.begin() as conn:
        for cid in customer_ids:
            record_consent(conn, cid, "personalization", True, "test")


def rows(store, table):
    with store.begin() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def track(user="u1", event="Product Viewed", **extra):
    return {"userId": user, "event": event, "properties": {"product_id": "p1"},
            "messageId": str(uuid.uuid4()), "timestamp": "2026-11-01T10:00:00Z", **extra}


def test_identify_updates_the_profile(api, store):
    consent(store, "u1")
    response = api("/v1/identify", {
        "userId": "u1", "messageId": "m1",
        "traits": {"firstName": "Maria", "lastName": "Rossi", "email": "maria@example.com",
                   "address": {"country": "IT"}, "language": "it-IT", "plan": "Premium",
                   "birthday": "1985-04-12", "tone": "formal", "favourite_colour": "green"},
    })  # fmt: skip
    assert response.status == 200, response.json
    assert response.json["stored"] == 1
    profile = store.profile("u1")
    assert (profile.name, profile.email) == ("Maria Rossi", "maria@example.com")
    assert profile.country == "IT"
    assert (profile.language, profile.account_tier, profile.birth_year) == ("it", "Premium", 1985)
    assert profile.tone == "formal"
    assert profile.attributes == {"favourite_colour": "green"}


def test_orders_and_tickets_follow_their_events(api, store):
    consent(store, "u1")
    completed = track(event="Order Completed", properties={
        "order_id": "10482913", "total": 59.97, "currency": "EUR",
        "products": [{"product_id": "p1", "name": "Kettle", "category": "kitchen",
                      "price": 19.99, "quantity": 3}]})  # fmt: skip
    assert api("/v1/track", completed).json["stored"] == 1
    assert api("/v1/track", track(event="Order Cancelled",
                                  properties={"order_id": "10482913"})).status == 200
    api("/v1/track", track(event="Ticket Created",
                           properties={"ticket_id": "T1", "category": "delivery"}))
    api("/v1/track", track(event="Ticket Resolved", properties={"ticket_id": "T1", "csat": 4}))
    profile = store.profile("u1")
    order = profile.recent_orders[0]
    assert (order.order_id, order.status, order.total, order.items) == (
        "10482913", "cancelled", pytest.approx(59.97), (("p1", 3),))
    ticket = profile.recent_tickets[0]
    assert (ticket.category, ticket.csat) == ("delivery", 4) and ticket.resolved_at is not None


def test_a_repeated_message_id_is_stored_once(api, store):
    consent(store, "u1")
    event = track()
    assert api("/v1/track", event).json["stored"] == 1
    again = api("/v1/track", event).json
    assert (again["stored"], again["duplicates"]) == (0, 1)
    batch = api("/v1/batch", {"batch": [{**event, "type": "track"}] * 3}).json
    assert (batch["stored"], batch["duplicates"]) == (0, 3)
    assert rows(store, t.events) == 1


def test_events_without_consent_are_dropped_and_counted(api, store):
    response = api("/v1/batch", {"batch": [{**track("u2"), "type": "track"},
                                           {**track("u2"), "type": "track"}]})  # fmt: skip
    assert response.status == 200
    assert response.json["stored"] == 0
    assert [d["reason"] for d in response.json["dropped"]] == ["no consent for personalization"] * 2
    assert rows(store, t.events) == 0 and rows(store, t.customers) == 0


def test_consent_can_travel_with_the_event(api, store):
    granted = track("u3", context={"consent": {"categoryPreferences": {"Personalization": True}}})
    assert api("/v1/track", granted).json["stored"] == 1
    no = {"consent": {"categoryPreferences": {"personalization": False}}}
    withdrawn = track("u3", context=no, timestamp="2026-11-02T10:00:00Z")
    assert api("/v1/track", withdrawn).json["stored"] == 0
    again = track("u3", context=no, timestamp="2026-11-03T10:00:00Z")  # the same decision
    assert api("/v1/track", again).json["stored"] == 0
    with store.begin() as conn:
        assert consented(conn, ["u3"], "personalization") == set()
        changes = [(e["actor"], e["action"], e["outcome"])
                   for e in audit.entries(conn, HASHER("u3"))]  # fmt: skip
    assert rows(store, t.consent_records) == 3
    # every change of the decision is audited, a repeat of it is not
    assert changes == [("event API", "consent", "granted"), ("event API", "consent", "withdrawn")]


def test_erased_ids_are_dropped(api, store):
    consent(store, "gone")
    with store.begin() as conn:
        suppress(conn, [HASHER("gone")])
    response = api("/v1/track", track("gone"))
    assert response.json["stored"] == 0
    assert "erased" in response.json["dropped"][0]["reason"]
    assert rows(store, t.events) == 0


def test_valid_events_of_a_batch_survive_invalid_ones(api, store):
    consent(store, "u1")
    batch = [
        {**track(), "type": "track"},
        {**track(), "type": "alias"},
        {**track(), "type": "track", "timestamp": "yesterday-ish"},
        {**track(), "type": "track", "properties": ["not", "an", "object"]},
        {"type": "track", "event": "Product Viewed", "messageId": "x"},
        {**track(), "type": "page", "name": "Home"},
    ]
    response = api("/v1/batch", {"batch": batch})
    assert response.status == 200
    assert response.json["stored"] == 2
    assert [(r["index"], r["field"]) for r in response.json["rejected"]] == [
        (1, "batch[1].type"), (2, "batch[2].timestamp"), (3, "batch[3].properties"),
        (4, "batch[4].userId"),
    ]  # fmt: skip
    assert rows(store, t.events) == 2


@pytest.mark.parametrize(
    "path, body, status, field",
    [
        ("/v1/track", b"{not json", 400, "body"),
        ("/v1/track", b"[1, 2]", 400, "body"),
        ("/v1/track", {"event": "Product Viewed"}, 400, "userId"),
        ("/v1/track", {"userId": {"id": 1}, "event": "X"}, 400, "userId"),
        ("/v1/identify", {"userId": "u1", "traits": "tall"}, 400, "traits"),
        ("/v1/track", {"userId": "u1"}, 400, "event"),
        ("/v1/track", {"userId": "u1", "event": "X", "timestamp": "31/12/2026"}, 400, "timestamp"),
        ("/v1/track", {"userId": "u1", "event": "X", "timestamp": 1700000000}, 400, "timestamp"),
        ("/v1/track", {"userId": "u1", "event": "Order Completed"}, 400, "properties.order_id"),
        ("/v1/alias", {"userId": "u1", "previousId": "a"}, 404, "path"),
        ("/v1/batch", {"batch": "nope"}, 400, "batch"),
        ("/v1/batch", {"batch": [{**track(), "type": "track"}] * 101}, 413, "batch"),
        ("/v1/batch", {"batch": [{**track(), "type": "track", "properties": {"x": "y" * 600_000}}]},
         413, "body"),
        ("/v1/batch", {"batch": [{**track(), "type": "alias"}]}, 400, "batch[0].type"),
    ],
)  # fmt: skip
def test_bad_requests_say_what_is_wrong_and_store_nothing(api, store, path, body, status, field):
    consent(store, "u1")
    response = api(path, body)
    assert response.status == status, response.text
    assert response.json["success"] is False
    assert response.json["error"]["field"] == field
    assert response.json["error"]["problem"]
    assert rows(store, t.events) == 0


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic " + base64.b64encode(
    b"wrong:").decode()}, {"Authorization": "Basic !!!"}])  # fmt: skip
def test_a_missing_or_wrong_write_key_is_refused(api, store, headers):
    consent(store, "u1")
    response = api("/v1/track", track(), headers=headers)
    assert response.status == 401
    assert response.json["error"]["field"] == "writeKey"
    assert rows(store, t.events) == 0


def test_write_key_in_the_body_is_accepted(api, store):
    consent(store, "u1")
    assert api("/v1/track", {**track(), "writeKey": KEY}, headers={}).json["stored"] == 1


def test_an_unreachable_store_is_a_503_and_nothing_is_lost_silently():
    store = Store.from_url("postgresql://nobody@127.0.0.1:1/none", check_schema=False)
    app = create_app(Ingestor(store, HASHER), frozenset({KEY}), name=f"t{uuid.uuid4().hex}")
    _, response = app.test_client.post("/v1/track", data=json.dumps(track()), headers=AUTH)
    assert response.status == 503
    assert response.json["error"]["field"] == "store"
