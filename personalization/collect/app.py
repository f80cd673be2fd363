"""The event collection API: Segment's HTTP Tracking API on Sanic.

POST /v1/identify, /v1/track, /v1/page and /v1/batch, authenticated with a write key as
the HTTP Basic user name (as Segment does) or as `writeKey` in the body: a server key for
everything, a browser key for behaviour events only (keys.py). A Segment or RudderStack
webhook destination can point here. GET /v1/openapi.json describes it all (openapi.py).

Answers: 200 with counts; 400 / 413 with {"success": false, "error": {"field", "problem"}}
for a request that cannot be used (nothing stored); in a batch, invalid events are listed
under "rejected" and the valid ones are stored; 401 for a missing or wrong write key; 403
for what a browser key may not send; 429 (with Retry-After) past a key's rate limit; 503
when the profile store cannot be reached (nothing stored: send again).
"""

from __future__ import annotations

import logging

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import SQLAlchemyError

from personalization.collect.calls import parse_request
from personalization.collect.ingest import Ingestor, IngestResult
from personalization.collect.keys import BROWSER, KeyRing, key_from_header
from personalization.collect.openapi import describe
from personalization.collect.ratelimit import Buckets, RateLimit
from personalization.collect.segment import (
    CALL_TYPES,
    MAX_BATCH_BYTES,
    MAX_MESSAGE_BYTES,
    Invalid,
    parse_body,
)
from personalization.collect.writer import GroupWriter
from personalization.store.sql import utcnow

logger = logging.getLogger(__name__)


def error(status: int, field: str, problem: str, headers: dict | None = None,
          **extra) -> HTTPResponse:  # fmt: skip
    return json({"success": False, "error": {"field": field, "problem": problem}, **extra},
                status=status, headers=headers)  # fmt: skip


def too_many(field: str, wait: int, rate: float) -> HTTPResponse:
    return error(429, field, f"more than {rate:g} requests per second with this key; send "
                 f"again in {wait} s", headers={"Retry-After": str(wait)})  # fmt: skip


def create_app(ingestor: Ingestor, write_keys: frozenset[str], name: str = "events", *,
               browser_keys: frozenset[str] = frozenset(),
               limit: RateLimit | None = None) -> Sanic:  # fmt: skip
    """`write_keys`: the server keys; `limit`: per key (and per admin token)."""
    keys = KeyRing(frozenset(write_keys), frozenset(browser_keys))
    app = Sanic(name)
    app.ctx.buckets = Buckets(limit or RateLimit())
    app.ctx.admin = False  # the admin routes, if added, say so (for the description)
    writer = GroupWriter(ingestor)  # concurrent requests share a transaction
    app.config.REQUEST_MAX_SIZE = 2 * MAX_BATCH_BYTES  # bigger: Sanic's own 413
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.error_handler.add(Exception, _sanic_error)

    @app.before_server_start
    async def fresh_connections(*_) -> None:
        # with --workers N each worker is a forked copy: connections pooled before the fork
        # (the schema check's) must not be shared, so each worker starts its own pool
        ingestor.store.engine.dispose(close=False)

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return json({"status": "ok"})

    @app.get("/v1/openapi.json")
    async def openapi(_: Request) -> HTTPResponse:
        return json(describe(admin=app.ctx.admin))

    @app.post("/v1/<call:str>")
    async def collect(request: Request, call: str) -> HTTPResponse:
        if call not in (*CALL_TYPES, "batch"):
            return error(404, "path", f"/v1/{call[:40]} is not a Segment call; use "
                         "/v1/identify, /v1/track, /v1/page or /v1/batch")  # fmt: skip
        key = key_from_header(request)
        kind = keys.kind(key)
        if key is not None and kind is None:
            return error(401, "writeKey", "the write key is not valid")
        if kind is not None and (wait := app.ctx.buckets.wait(key)):
            return too_many("writeKey", wait, app.ctx.buckets.limit.rate)
        limit_bytes = MAX_BATCH_BYTES if call == "batch" else MAX_MESSAGE_BYTES
        try:
            body = parse_body(request.body, limit_bytes)
        except Invalid as invalid:
            return error(invalid.status, invalid.field, invalid.problem)
        if key is None:
            key = body.get("writeKey")
            if (kind := keys.kind(key)) is None:
                return error(401, "writeKey", "send the write key as the HTTP Basic user name")
            if wait := app.ctx.buckets.wait(key):
                return too_many("writeKey", wait, app.ctx.buckets.limit.rate)
        try:
            events, rejected = parse_request(call, body, kind == BROWSER, utcnow())
        except Invalid as invalid:
            return error(invalid.status, invalid.field, invalid.problem)
        listed = [{k: r[k] for k in ("index", "field", "problem")} for r in rejected]
        if not events:
            status = 403 if all(r["status"] == 403 for r in rejected) else 400
            return error(status, listed[0]["field"], listed[0]["problem"], rejected=listed)
        try:
            result: IngestResult = await writer.write(events)
        except SQLAlchemyError as failure:
            logger.error("profile store unavailable: %s", type(failure).__name__)
            return error(503, "store", "the profile store is unavailable; nothing was stored, "
                         "send the request again later")  # fmt: skip
        if result.error is not None:
            return error(result.error[0], "body", result.error[1])
        positions = {r["index"] for r in rejected}
        kept = [i for i in range(len(events) + len(rejected)) if i not in positions]
        return json({
            "success": True, "received": len(events) + len(rejected), "stored": result.stored,
            "duplicates": result.duplicates,
            "dropped": [{"index": kept[i], "reason": reason} for i, reason in result.dropped],
            "rejected": listed,
            "consent": [{"index": kept[i], "purpose": purpose, "granted": granted,
                         "outcome": outcome} for i, purpose, granted, outcome in result.consent],
        })  # fmt: skip

    return app


def _sanic_error(request: Request, exception: Exception) -> HTTPResponse:
    """Sanic's own answers (unknown path, wrong method, body too large) and anything
    unforeseen, in the API's error shape."""
    status = getattr(exception, "status_code", 500) if isinstance(exception,
                                                                  SanicException) else 500
    if status >= 500:
        logger.error("%s %s failed: %s", request.method, request.path[:60],
                     type(exception).__name__, exc_info=exception)  # fmt: skip
        return error(500, "server", "the server failed on this request; nothing was stored "
                     "unless the answer said so: send it again later")  # fmt: skip
    field = {404: "path", 405: "method", 413: "body"}.get(status, "request")
    return error(status, field, f"{exception} ({request.method} {request.path[:60]}); see "
                 "GET /v1/openapi.json")  # fmt: skip
