"""Random and malformed requests (hypothesis) to the event collection API and the admin
endpoints, over HTTP against a real profile store: always a 4xx with a clear error or a
correct 2xx, never a 500, never a partial write."""

from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from personalization.collect.app import create_app
from personalization.collect.ingest import Ingestor
from personalization.privacy.admin import add_admin_routes
from personalization.privacy.requests import PrivacyRequests
from personalization.store import schema as t
from tests import shop
from tests.action_calls import HASHER

KEY, TOKEN = "property-write-key", "property-admin-token-0123456789"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}
TABLES = (t.customers, t.events, t.consent_records, t.consent_state, t.preferences,
          t.audit_log, t.suppression, t.tickets, t.orders)  # fmt: skip
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
           | st.text(max_size=30))  # fmt: skip
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                      max_leaves=10)  # fmt: skip
ids = st.sampled_from([shop.VIP, shop.FIRST, "u-1"]) | st.text(max_size=70) | values
timestamps = (st.datetimes().map(lambda d: d.isoformat() + "Z") | st.text(max_size=25)
              | values)  # fmt: skip
message = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["track", "identify", "page", "alias"]) | values,
    "userId": ids, "anonymousId": ids,
    "event": st.sampled_from(["Product Viewed", "Order Completed"]) | values,
    "name": values, "messageId": st.uuids().map(str) | values,
    "timestamp": timestamps, "properties": values, "traits": values,
    "context": st.fixed_dictionaries({}, optional={
        "consent": st.fixed_dictionaries({"categoryPreferences": st.dictionaries(
            st.sampled_from(["personalization", "marketing"]) | st.text(max_size=5),
            st.booleans() | values, max_size=2)}) | values,
        "timezone": values}) | values,
})  # fmt: skip
well_formed = st.fixed_dictionaries({
    "userId": st.sampled_from([shop.VIP, shop.FIRST, shop.NEW, "u-new"]),
    "event": st.sampled_from(["Product Viewed", "Order Completed", "Signed In"]),
    "messageId": st.sampled_from(["m-1", "m-2"]) | st.uuids().map(str),
    "timestamp": st.datetimes().map(lambda d: d.isoformat() + "Z"),
}, optional={"type": st.just("track"), "properties": st.dictionaries(
    st.sampled_from(["product_id", "price", "note"]), scalars, max_size=3),
    "traits": values})  # fmt: skip
body = (well_formed | message | values
        | st.fixed_dictionaries({"batch": st.lists(well_formed | message | values, max_size=6)},
                                optional={"context": values, "writeKey": st.text(max_size=5)}))
raw = st.binary(max_size=120) | st.text(max_size=120).map(str.encode)


def counts(store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar()
                for table in TABLES}  # fmt: skip


def is_clear_error(response) -> bool:
    error = (response.json or {}).get("error") or {}
    return (response.json.get("success") is False and isinstance(error.get("field"), str)
            and isinstance(error.get("problem"), str) and len(error["problem"]) > 5)


@SETTINGS
@given(path=st.sampled_from(["/v1/track", "/v1/identify", "/v1/page", "/v1/batch",
                             "/v1/alias"]),
       payload=body.map(lambda b: json.dumps(b).encode()) | raw)
def test_the_event_api_answers_every_request_with_a_4xx_or_a_correct_2xx(store, path, payload):
    shop.fill(store) if counts(store)["customers"] == 0 else None
    app = create_app(Ingestor(store, HASHER), frozenset({KEY}), name=f"p{uuid.uuid4().hex}")
    before = counts(store)
    _, response = app.test_client.post(path, data=payload, headers=AUTH)
    after = counts(store)
    assert response.status < 500, response.text
    if response.status == 200:
        result = response.json
        accounted = (result["stored"] + result["duplicates"] + len(result["dropped"])
                     + len(result["rejected"]))  # fmt: skip
        assert result["success"] is True and accounted == result["received"]
        assert after["events"] - before["events"] == result["stored"]
    else:
        assert response.status in (400, 404, 413) and is_clear_error(response), response.text
        assert after == before, "a refused request wrote something"


@SETTINGS
@given(customer_id=st.sampled_from([shop.VIP, shop.FIRST, "C-NOBODY"]) | st.text(max_size=80),
       token=st.just(TOKEN) | st.text(st.characters(min_codepoint=33, max_codepoint=126),
                                      max_size=40),
       method=st.sampled_from(["get", "delete"]))
def test_the_admin_endpoints_never_fail_and_a_wrong_token_changes_nothing(store, customer_id,
                                                                           token, method):
    shop.fill(store) if counts(store)["customers"] == 0 else None
    app = create_app(Ingestor(store, HASHER), frozenset({KEY}), name=f"a{uuid.uuid4().hex}")
    add_admin_routes(app, PrivacyRequests(store, HASHER), TOKEN)
    before = counts(store)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    path = "/admin/customers/" + quote(customer_id, safe="")
    _, response = getattr(app.test_client, method)(path, headers=headers)
    after = counts(store)
    assert response.status < 500, response.text
    if token != TOKEN:
        assert response.status == 401 and is_clear_error(response) and after == before
    elif response.status == 200 and method == "delete":
        assert before["customers"] - after["customers"] in (0, 1)
        assert after["audit_log"] == before["audit_log"] + 1
    elif response.status == 200:
        assert response.json["customer_id"] == customer_id
    else:
        assert response.status in (400, 404, 405) and after["customers"] == before["customers"]
