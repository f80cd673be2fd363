"""Strict input on the event API, and consent decisions timed by the server's clock. Every
bad field is a 400 naming it, on SQLite and PostgreSQL alike (never a 500 or a 503), and
nothing of the request is stored. Over HTTP, real stores."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from personalization.store import audit
from personalization.store import schema as t
from personalization.store.sql import utcnow
from personalization.store.tracking import consented, record_consent, suppress
from tests.event_api import HASHER, Api, ago, consent, count, track

PRODUCT = {"product_id": "p1", "price": 9.5, "quantity": 1}
GRANT = {"consent": {"categoryPreferences": {"personalization": True}}}
WITHDRAW = {"consent": {"categoryPreferences": {"personalization": False}}}


def order(**props) -> dict:
    return track(event="Order Completed", properties={
        "order_id": "O-1", "currency": "EUR", "total": 9.5, "products": [PRODUCT], **props})


def product(**fields) -> dict:
    return order(products=[{**PRODUCT, **fields}])


def ticket(name="Ticket Created", **props) -> dict:
    return track(event=name, properties={"ticket_id": "T-1", **props})


def identify(**traits) -> dict:
    return {"userId": "u1", "messageId": "m-identify", "traits": traits}


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


CASES = [
    # ids and names
    ("/v1/track", track(user="u\n1"), "userId"),
    ("/v1/track", track(user="u\u00001"), "userId"),
    ("/v1/track", track(anonymousId="a" * 55, user=None), "anonymousId"),
    ("/v1/track", track(messageId="m\u0000"), "messageId"),
    ("/v1/track", track(event="E" * 129), "event"),
    ("/v1/track", track(event="Viewed\u0000"), "event"),
    ("/v1/page", {"userId": "u1", "name": "P" * 129}, "name"),
    # free-form JSON: NUL, lone surrogates, NaN, infinity, huge numbers, depth, keys
    ("/v1/track", track(properties={"note": "a\u0000b"}), "properties.note"),
    ("/v1/track", '{"userId": "u1", "event": "X", "properties": {"x": "\\ud800"}}',
     "properties.x"),
    ("/v1/track", '{"userId": "u1", "event": "X", "properties": {"v": [1, NaN]}}',
     "properties.v[1]"),
    ("/v1/track", '{"userId": "u1", "event": "X", "properties": {"v": 1e999}}', "properties.v"),
    ("/v1/track", '{"userId": "u1", "event": "X", "properties": {"v": -Infinity}}',
     "properties.v"),
    ("/v1/track", track(properties={"v": 2**64}), "properties.v"),
    ("/v1/track", '{"userId": "u1", "event": "X", "properties": {"v": 1%s}}' % ("0" * 5000),
     "body"),
    ("/v1/track", track(properties=nested(9)), "properties" + ".a" * 8),
    ("/v1/track", "[" * 15_000 + "]" * 15_000, "body"),
    ("/v1/track", track(properties={"k" * 129: 1}), "properties"),
    ("/v1/track", track(properties={"bad\u0000key": 1}), "properties"),
    ("/v1/track", track(context={"ip": "\ud83d"}), "context.ip"),
    # timestamps
    ("/v1/track", track(timestamp="0001-01-01T00:00:00+01:00"), "timestamp"),
    ("/v1/track", track(timestamp="1969-12-31T23:59:59Z"), "timestamp"),
    # in the future (built at collection: a day ahead stays ahead however long the run)
    ("/v1/track", track(timestamp=ago(days=-1)), "timestamp"),
    ("/v1/track", track(timestamp="2026-11-01T10:00:00" + "0" * 50), "timestamp"),
    # orders
    ("/v1/track", order(currency="EURO"), "properties.currency"),
    ("/v1/track", order(currency=978), "properties.currency"),
    ("/v1/track", order(total=1e15), "properties.total"),
    ("/v1/track", order(total="12.50"), "properties.total"),
    ("/v1/track", order(status="lost in space"), "properties.status"),
    ("/v1/track", order(order_id="O" * 65), "properties.order_id"),
    ("/v1/track", order(products={"product_id": "p1"}), "properties.products"),
    ("/v1/track", order(products=[PRODUCT] * 101), "properties.products"),
    ("/v1/track", order(shipping_address="Main St 1"), "properties.shipping_address"),
    ("/v1/track", product(quantity=0), "properties.products[0].quantity"),
    ("/v1/track", product(quantity=1.5), "properties.products[0].quantity"),
    ("/v1/track", product(quantity="3"), "properties.products[0].quantity"),
    ("/v1/track", product(quantity=10**12), "properties.products[0].quantity"),
    ("/v1/track", product(quantity=True), "properties.products[0].quantity"),
    ("/v1/track", product(price="abc"), "properties.products[0].price"),
    ("/v1/track", product(price=-5), "properties.products[0].price"),
    ("/v1/track", product(product_id={"id": 1}), "properties.products[0].product_id"),
    ("/v1/track", product(product_id=None), "properties.products[0].product_id"),
    ("/v1/track", product(name="N" * 201), "properties.products[0].name"),
    ("/v1/track", product(category=["audio"]), "properties.products[0].category"),
    # tickets
    ("/v1/track", ticket("Ticket Resolved", csat=6), "properties.csat"),
    ("/v1/track", ticket("Ticket Resolved", csat=True), "properties.csat"),
    ("/v1/track", ticket("Ticket Resolved", csat="4"), "properties.csat"),
    ("/v1/track", ticket(category="c" * 65), "properties.category"),
    ("/v1/track", ticket(channel={"web": True}), "properties.channel"),
    ("/v1/track", ticket(ticket_id="T\u0007"), "properties.ticket_id"),
    # identify traits
    ("/v1/identify", identify(name="N" * 201), "traits.name"),
    ("/v1/identify", identify(name=42), "traits.name"),
    ("/v1/identify", identify(firstName={"x": 1}), "traits.firstName"),
    ("/v1/identify", identify(email="e" * 321), "traits.email"),
    ("/v1/identify", identify(tone={"formal": True}), "traits.tone"),
    ("/v1/identify", identify(language="x" * 40), "traits.language"),
    ("/v1/identify", identify(plan="P" * 33), "traits.plan"),
    ("/v1/identify", identify(birthday="1800-01-01"), "traits.birthday"),
    ("/v1/identify", identify(createdAt="2999-01-01"), "traits.createdAt"),
    ("/v1/identify", identify(interests=[1, 2]), "traits.interests[0]"),
    ("/v1/identify", identify(address={"country": "C" * 65}), "traits.address.country"),
    ("/v1/identify", identify(address="Main St 1"), "traits.address"),
    # consent
    ("/v1/track", track(context={"consent": "yes"}), "context.consent"),
    ("/v1/track", track(context={"consent": {"categoryPreferences": {"p" * 33: True}}}),
     "context.consent.categoryPreferences"),
    ("/v1/track", track(context={"consent": {"categoryPreferences": {"personalization": "yes"}}}),
     "context.consent.categoryPreferences.personalization"),
    ("/v1/track", track(context={"consent": {"categoryPreferences": {
        "Personalization": True, "personalization": False}}}),
     "context.consent.categoryPreferences"),
    # in a batch the field is named with the item's place
    ("/v1/batch", {"batch": [{**product(quantity=-1), "type": "track"}]},
     "batch[0].properties.products[0].quantity"),
    ("/v1/batch", {"batch": [{**track(), "type": "track", "timestamp": ago(days=-1)}]},
     "batch[0].timestamp"),
    ("/v1/batch", {"batch": [{**track(), "type": "track"}], "context": {"x": "\u0000"}},
     "batch[0].context.x"),
]  # fmt: skip


@pytest.mark.parametrize("path, body, field", CASES, ids=[c[2] for c in CASES])
def test_a_bad_field_is_a_400_naming_it_and_nothing_is_stored(store, path, body, field):
    consent(store, "u1")
    response = Api(store).post(path, body)
    assert response.status == 400, response.text[:300]
    assert response.json["success"] is False
    assert response.json["error"]["field"] == field, response.json
    assert len(response.json["error"]["problem"]) > 10
    for table in (t.events, t.orders, t.products, t.tickets, t.preferences):
        assert count(store, table) == 0, table.name
    assert count(store, t.customers) == 0 and count(store, t.consent_records) == 1


def test_non_ascii_keys_and_values_are_stored_as_sent(store):
    consent(store, "kundin-ü")
    properties = {"größe": "groß", "名前": "値 🎁", "emoji 🎉": ["ok", {"ключ": "значение"}]}
    event = track("kundin-ü", "Produkt angesehen ✓", properties=properties)
    response = Api(store).post("/v1/track", json.dumps(event, ensure_ascii=False).encode())
    assert response.json["stored"] == 1, response.text
    with store.engine.connect() as conn:
        row = conn.execute(select(t.events.c.customer_id, t.events.c.name,
                                  t.events.c.properties)).one()  # fmt: skip
    assert tuple(row) == ("kundin-ü", "Produkt angesehen ✓", properties)


def test_properties_nest_up_to_eight_levels(store):
    consent(store, "u1")
    assert Api(store).post("/v1/track", track(properties=nested(8))).json["stored"] == 1


def test_a_consent_decision_is_timed_by_the_server_clock(store):
    """A client's clock far ahead made its grant newer than any later withdrawal, so a
    customer who then said no in the chat stayed personalized (and was audited as
    withdrawn). The decision now counts from when the API received it."""
    api = Api(store)
    ahead = api.post("/v1/track", track(context=GRANT, timestamp=ago(minutes=-4)))
    assert ahead.json["stored"] == 1  # a few minutes ahead: a client's clock skew, accepted
    with store.begin() as conn:
        state = conn.execute(select(t.consent_state.c.recorded_at)).scalar_one()
        assert abs(state - utcnow()) < timedelta(seconds=30)
        record_consent(conn, "u1", "personalization", False, "chat")  # the chat, later
    with store.engine.connect() as conn:
        assert consented(conn, ["u1"], "personalization") == set()
    far = api.post("/v1/track", track(context=GRANT, timestamp=ago(days=-365)))
    assert far.status == 400 and far.json["error"]["field"] == "timestamp"
    late = api.post("/v1/track", track(context=GRANT, timestamp=ago(days=30)))  # sent late
    assert late.json["stored"] == 1
    with store.engine.connect() as conn:
        assert consented(conn, ["u1"], "personalization") == {"u1"}


def test_a_decision_stored_with_a_future_time_does_not_outrank_one_made_now(store):
    """Grants the API recorded at a client's future timestamp (before this was fixed) must
    not make a later withdrawal lose."""
    with store.begin() as conn:
        record_consent(conn, "u1", "personalization", True, "web", at=utcnow() + timedelta(days=90))
    response = Api(store).post("/v1/track", track(context=WITHDRAW))
    assert response.json["consent"][0]["outcome"] == "recorded"
    with store.engine.connect() as conn:
        assert consented(conn, ["u1"], "personalization") == set()


def test_what_became_of_each_consent_decision_is_reported_and_only_changes_are_audited(store):
    api = Api(store)
    with store.begin() as conn:
        suppress(conn, [HASHER("gone")])
    first = track(context=GRANT)
    batch = [first, track(context=GRANT), track("gone", context=GRANT),
             track("u2", context=WITHDRAW)]
    response = api.post("/v1/batch", {"batch": [{**e, "type": "track"} for e in batch]})
    assert response.status == 200, response.text
    assert [(c["index"], c["purpose"], c["granted"], c["outcome"])
            for c in response.json["consent"]] == [
        (0, "personalization", True, "recorded"),
        (1, "personalization", True, "unchanged"),
        (2, "personalization", True, "not recorded: the customer's data was erased"),
        (3, "personalization", False, "recorded"),
    ]  # fmt: skip
    replay = api.post("/v1/track", first).json  # the same message again: nothing new
    assert replay["duplicates"] == 1
    assert replay["consent"] == [{"index": 0, "purpose": "personalization", "granted": True,
                                  "outcome": "not recorded: a repeat of an earlier message"}]
    with store.engine.connect() as conn:
        audited = [(e["subject"], e["outcome"]) for e in audit.entries(conn)]
    assert audited == [(HASHER("u1"), "granted"), (HASHER("u2"), "withdrawn")]
    assert count(store, t.consent_records) == 3  # the erased customer's was not kept


def test_a_replayed_grant_does_not_undo_a_later_withdrawal(store):
    api = Api(store)
    grant = track(context=GRANT)
    assert api.post("/v1/track", grant).json["stored"] == 1
    assert api.post("/v1/track", track(context=WITHDRAW)).json["stored"] == 0
    replay = api.post("/v1/track", grant).json
    assert replay["stored"] == 0 and "repeat" in replay["consent"][0]["outcome"]
    with store.engine.connect() as conn:
        assert consented(conn, ["u1"], "personalization") == set()
