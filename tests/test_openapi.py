"""The OpenAPI description the event API publishes at /v1/openapi.json: a valid OpenAPI 3.1
document that covers every route the app serves (and no other), whose examples of each call
are accepted, and whose answers are the ones the app gives. Over HTTP, real stores."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator, RefResolver
from openapi_spec_validator import validate_spec

from personalization.collect.openapi import describe
from personalization.privacy.admin import add_admin_routes
from personalization.privacy.requests import PrivacyRequests
from tests.event_api import HASHER, Api, ago, basic, consent, track

CALLS = {
    "/v1/identify": {"userId": "u1", "traits": {"firstName": "Ana", "plan": "Premium",
                                                "address": {"country": "PT"}}},
    "/v1/track": track(event="Order Completed", properties={
        "order_id": 7, "currency": "eur", "products": [{"product_id": "p1", "price": 3}]}),
    "/v1/page": {"userId": "u1", "name": "Home", "timestamp": ago(minutes=1)},
    "/v1/batch": {"batch": [{**track(), "type": "track"}, {"type": "page", "userId": "u1"}],
                  "context": {"consent": {"categoryPreferences": {"personalization": True}}}},
}  # fmt: skip


def served(store):
    api = Api(store)
    add_admin_routes(api.app, PrivacyRequests(store, HASHER), "admin-token-0123456789abc")
    _, response = api.app.test_client.get("/v1/openapi.json")
    assert response.status == 200
    return api, response.json


def conforms(spec: dict, answer: object, schema: dict) -> list[str]:
    validator = Draft202012Validator(schema, resolver=RefResolver.from_schema(spec))
    return [error.message for error in validator.iter_errors(answer)]


def test_the_description_is_valid_openapi_and_is_the_one_served(store):
    _, spec = served(store)
    validate_spec(spec)
    assert spec == describe(admin=True)
    assert spec["openapi"].startswith("3.1")
    assert {"serverKey", "browserKey", "adminToken"} <= set(spec["components"]["securitySchemes"])


def test_every_route_is_described_and_every_described_route_is_served(store):
    api, spec = served(store)
    described = {(path, method) for path, item in spec["paths"].items()
                 for method in item if method != "parameters"}  # fmt: skip
    assert len(api.app.router.routes) >= 5
    for route in api.app.router.routes:
        pattern = re.sub(r"<[^>]+>", "[^/]+", "/" + route.path.lstrip("/"))
        for method in route.methods - {"HEAD", "OPTIONS"}:
            matching = [d for d in described if d[1] == method.lower()
                        and re.fullmatch(pattern, d[0].replace("{customer_id}", "C-1"))]
            assert matching, f"{method} /{route.path} is served but not described"
    for path, method in described:
        # without a key or a token: each described operation answers as described
        _, response = getattr(api.app.test_client, method)(path.replace("{customer_id}", "C-1"))
        operation = spec["paths"][path][method]
        assert str(response.status) in operation["responses"], (path, method, response.status)
        schema = operation["responses"][str(response.status)]["content"]["application/json"]
        assert not conforms(spec, response.json, schema.get("schema", {}))


def test_the_described_calls_are_accepted_and_answered_as_described(store):
    api, spec = served(store)
    consent(store, "u1")
    for path, body in CALLS.items():
        operation = spec["paths"][path]["post"]
        request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert not conforms(spec, body, request_schema), path
        response = api.post(path, body)
        assert response.status == 200, response.text
        assert response.json["rejected"] == [] and response.json["stored"] >= 1
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert not conforms(spec, response.json, ok), response.json
        refused = api.post(path, {**body, "userId": {"not": "an id"}}, key="wrong")
        assert refused.status == 401
        error = operation["responses"]["401"]["content"]["application/json"]["schema"]
        assert not conforms(spec, refused.json, error)


def test_a_call_the_description_forbids_is_refused(store):
    api, spec = served(store)
    schema = spec["paths"]["/v1/track"]["post"]["requestBody"]["content"]["application/json"]
    bad = track(event="Order Shipped", properties={"order_id": "O" * 65})
    assert conforms(spec, bad, schema["schema"])  # the description says no
    response = api.post("/v1/track", bad, key=None, headers=basic("test-server-key"))
    assert response.status == 400 and response.json["error"]["field"] == "properties.order_id"
