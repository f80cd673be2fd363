"""The OpenAPI 3.1 description of the event API and its admin endpoints, served at
GET /v1/openapi.json. The payloads' schemas come from the pydantic models (payloads.py); the
envelope's, answers' and errors' are written here, with the limits segment.py checks."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from personalization.collect import fields as f
from personalization.collect import payloads as p
from personalization.collect import segment as s
from personalization.collect.jsonvalues import MAX_DEPTH, MAX_INTEGER, MAX_KEY_LENGTH

REF = "#/components/schemas/{model}"
MODELS = (p.Product, p.OrderProperties, p.OrderStatusProperties, p.TicketProperties,
          p.Address, p.Traits, p.Consent)  # fmt: skip
NO_NUL = "^[^\\u0000]*$"


def ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def _text(limit: int, pattern: str = f.NOT_BLANK) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": pattern}


FREE_FORM = {
    "type": "object", "propertyNames": {"maxLength": MAX_KEY_LENGTH, "pattern": NO_NUL},
    "description": f"Free-form JSON, stored as sent: at most {MAX_DEPTH} levels of objects "
    f"and arrays, keys of at most {MAX_KEY_LENGTH} characters, no NUL character (\\u0000) or "
    f"lone surrogate in any string, whole numbers within ±{MAX_INTEGER}, no NaN or infinity.",
}  # fmt: skip
ENVELOPE = {
    "userId": {"type": ["string", "integer", "null"], "maxLength": s.MAX_ID_LENGTH,
               "pattern": f.NO_CONTROL, "minimum": 0, "maximum": MAX_INTEGER,
               "description": "The customer's id (or anonymousId)."},
    "messageId": {**_text(s.MAX_MESSAGE_ID_LENGTH), "description":
                  "Unique per message: a repeat is stored once and reported as a duplicate."},
    "timestamp": {"type": "string", "format": "date-time", "maxLength": 40, "description":
                  "ISO-8601, from 1970 to at most five minutes ahead of the server's clock "
                  "(default: when the server received it). Consent decisions are timed by "
                  "the server's clock, not by this."},
    "context": {**FREE_FORM, "properties": {"consent": ref("Consent"), "traits": FREE_FORM}},
    "writeKey": {"type": "string", "description": "The write key, if not sent as the HTTP "
                 "Basic user name."},
}  # fmt: skip
ENVELOPE["anonymousId"] = {**ENVELOPE["userId"], "maxLength": s.MAX_ANONYMOUS_ID_LENGTH,
                           "description": "A visitor's id, before they are known."}


def _call(kind: str, fields: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": {"type": {"const": kind}, **ENVELOPE, **fields},
            "required": required,
            "anyOf": [{"required": ["userId"]}, {"required": ["anonymousId"]}]}  # fmt: skip


def _when_event(names: tuple[str, ...], model: str) -> dict:
    return {"if": {"properties": {"event": {"enum": list(names)}}, "required": ["event"]},
            "then": {"properties": {"properties": ref(model)},
                     "required": ["properties", "userId"]}}  # fmt: skip


TRACK = {**_call("track", {"event": _text(s.MAX_NAME_LENGTH), "properties": FREE_FORM},
                 ["event"]),
         "allOf": [_when_event(p.ORDER_UPSERTS, "OrderProperties"),
                   _when_event(tuple(n for n in p.ORDER_STATUS_BY_EVENT
                                     if n not in p.ORDER_UPSERTS), "OrderStatusProperties"),
                   _when_event(p.TICKET_EVENTS, "TicketProperties")]}  # fmt: skip
CALLS = {
    "Identify": _call("identify", {"traits": {**FREE_FORM, **ref("Traits")}}, ["userId"]),
    "Track": TRACK,
    "Page": _call("page", {"name": _text(s.MAX_NAME_LENGTH), "properties": FREE_FORM}, []),
}
ANSWERS = {
    "Rejection": {"type": "object", "required": ["index", "field", "problem"], "properties": {
        "index": {"type": "integer"}, "field": {"type": "string"},
        "problem": {"type": "string"}}},
    "Error": {"type": "object", "required": ["success", "error"], "properties": {
        "success": {"const": False},
        "error": {"type": "object", "required": ["field", "problem"], "properties": {
            "field": {"type": "string", "description": "Where the problem is, e.g. "
                      "batch[3].properties.products[0].quantity."},
            "problem": {"type": "string", "description": "What is wrong and what to do."}}},
        "rejected": {"type": "array", "items": ref("Rejection")}}},
    "Result": {"type": "object", "required": [
        "success", "received", "stored", "duplicates", "dropped", "rejected", "consent"],
        "properties": {
            "success": {"const": True}, "received": {"type": "integer", "minimum": 0},
            "stored": {"type": "integer", "minimum": 0},
            "duplicates": {"type": "integer", "minimum": 0},
            "dropped": {"type": "array", "items": {
                "type": "object", "required": ["index", "reason"], "properties": {
                    "index": {"type": "integer"}, "reason": {"type": "string"}}},
                "description": "Valid events not stored: erased id, no consent, or another "
                "customer's order or ticket."},
            "rejected": {"type": "array", "items": ref("Rejection"),
                         "description": "Invalid calls of a batch (nothing of them stored)."},
            "consent": {"type": "array", "items": {
                "type": "object", "required": ["index", "purpose", "granted", "outcome"],
                "properties": {"index": {"type": "integer"}, "purpose": {"type": "string"},
                               "granted": {"type": "boolean"}, "outcome": {
                                   "type": "string", "description": "recorded (and audited), "
                                   "unchanged, or not recorded: why"}}}}}},
    "Export": {"type": "object", "required": ["customer_id"],
               "properties": {"customer_id": {"type": "string"}},
               "description": "Everything held about the customer (docs/privacy.md)."},
    "Erased": {"type": "object", "required": ["success", "subject", "erased"], "properties": {
        "success": {"const": True}, "subject": {"type": "string"},
        "erased": {"type": "object", "additionalProperties": {"type": "integer"}}}},
}  # fmt: skip
STATUS = {
    400: "Unusable request: nothing stored; `error.field` names what is wrong.",
    401: "Missing or wrong key or token: nothing happened.",
    403: "A browser key sent what only a server key may: nothing stored.",
    404: "Nothing is held about this customer.",
    413: "Too large: a call over 32 KB, a batch over 500 KB or 100 calls.",
    429: "Too many requests with this key: wait `Retry-After` seconds.",
    503: "The store is unavailable: nothing stored, send it again later.",
}


def _responses(ok: str, statuses: tuple[int, ...]) -> dict:
    answers: dict[str, Any] = {"200": {"description": "Done.", "content": {
        "application/json": {"schema": ref(ok)}}}}
    for status in statuses:
        answers[str(status)] = {"description": STATUS[status], "content": {
            "application/json": {"schema": ref("Error")}}}
    if 429 in statuses:
        answers["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer",
                                                                "minimum": 1}}}
    return answers


def _event_path(call: str, schema: str, keys: list[dict]) -> dict:
    return {"post": {
        "summary": f"Segment's {call} call" if call != "batch" else "Several calls at once",
        "operationId": call, "security": keys,
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref(schema)}}},
        "responses": _responses("Result", (400, 401, 403, 413, 429, 503))}}  # fmt: skip


@cache
def _describe(admin: bool) -> dict:
    schemas: dict[str, Any] = copy.deepcopy(CALLS)
    for model in MODELS:
        schema = model.schema(ref_template=REF)
        schemas.update(schema.pop("definitions", {}))
        schemas[model.__name__] = schema
    schemas["BatchItem"] = {"type": "object", "required": ["type"], "properties": {
        "type": {"enum": list(s.CALL_TYPES)}}, "oneOf": [ref(n) for n in CALLS]}  # fmt: skip
    schemas["Batch"] = {"type": "object", "required": ["batch"], "properties": {
        "batch": {"type": "array", "minItems": 1, "maxItems": s.MAX_BATCH_EVENTS,
                  "items": ref("BatchItem")},
        "context": {**ENVELOPE["context"], "description": "Shared by every call of the batch "
                    "(a call's own context keys win)."},
        "writeKey": ENVELOPE["writeKey"]}}  # fmt: skip
    _no_nul_strings(schemas)  # of requests
    schemas.update(copy.deepcopy(ANSWERS))
    server, browser = [{"serverKey": []}], [{"serverKey": []}, {"browserKey": []}]
    paths: dict[str, Any] = {
        "/v1/identify": _event_path("identify", "Identify", server),
        "/v1/track": _event_path("track", "Track", browser),
        "/v1/page": _event_path("page", "Page", browser),
        "/v1/batch": _event_path("batch", "Batch", browser),
        "/v1/openapi.json": {"get": {"summary": "This description", "security": [],
                                     "operationId": "openapi", "responses": {"200": {
                                         "description": "OpenAPI 3.1",
                                         "content": {"application/json": {}}}}}},
        "/health": {"get": {"summary": "Up", "security": [], "operationId": "health",
                            "responses": {"200": {"description": "The API is up.",
                                                  "content": {"application/json": {}}}}}},
    }  # fmt: skip
    security = {
        "serverKey": {"type": "http", "scheme": "basic", "description": "A server write key "
                      "(EVENTS_WRITE_KEYS) as the user name, no password: every call."},
        "browserKey": {"type": "http", "scheme": "basic", "description": "A browser write key "
                       "(EVENTS_BROWSER_KEYS): track and page calls of behaviour only."},
    }  # fmt: skip
    if admin:
        customer = {"name": "customer_id", "in": "path", "required": True,
                    "schema": _text(s.MAX_ID_LENGTH, f.NOT_BLANK)}  # fmt: skip
        statuses = (400, 401, 404, 429, 503)
        paths["/admin/customers/{customer_id}"] = {"parameters": [customer], "get": {
            "summary": "Export everything held about a customer", "operationId": "export",
            "security": [{"adminToken": []}], "responses": _responses("Export", statuses)},
            "delete": {"summary": "Erase a customer from every store", "operationId": "erase",
                       "security": [{"adminToken": []}],
                       "responses": _responses("Erased", (400, 401, 429, 503))}}  # fmt: skip
        security["adminToken"] = {"type": "http", "scheme": "bearer", "description":
                                  "PERSONALIZATION_ADMIN_TOKEN"}  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "Event collection API", "version": "1", "description":
                 "Segment's HTTP Tracking API (identify, track, page, batch) into the profile "
                 "store, and the admin endpoints for data subject requests (docs/data.md)."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": security},
    }  # fmt: skip


def describe(admin: bool = True) -> dict:
    return copy.deepcopy(_describe(admin))


def _no_nul_strings(node: Any) -> None:
    """Every string of a request may not have a NUL character: say so where no pattern does."""
    if isinstance(node, dict):
        if node.get("type") == "string" and "pattern" not in node and "enum" not in node:
            node["pattern"] = NO_NUL
        for value in node.values():
            _no_nul_strings(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul_strings(value)
