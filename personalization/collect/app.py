"""The event collection API: Segment's HTTP Tracking API on Sanic.

POST /v1/identify, /v1/track, /v1/page and /v1/batch, authenticated with a write key as
the HTTP Basic user name (as Segment does) or as `writeKey` in the body. A Segment or
RudderStack webhook destination can point here.

Answers: 200 with counts; 400 / 413 with {"success": false, "error": {"field", "problem"}}
for a request that cannot be used (nothing stored); in a batch, invalid events are listed
under "rejected" and the valid ones are stored; 401 for a missing or wrong write key;
503 when the profile store cannot be reached (nothing stored: send again).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import SQLAlchemyError

from personalization.collect import effects
from personalization.collect.ingest import Ingestor, IngestResult
from personalization.collect.segment import (
    CALL_TYPES,
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_MESSAGE_BYTES,
    Invalid,
    TrackedEvent,
    parse_body,
    parse_message,
)
from personalization.collect.writer import GroupWriter

logger = logging.getLogger(__name__)


def error(status: int, field: str, problem: str, **extra) -> HTTPResponse:
    return json({"success": False, "error": {"field": field, "problem": problem}, **extra},
                status=status)  # fmt: skip


def write_key_from_header(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.split(":", 1)[0]


def create_app(ingestor: Ingestor, write_keys: frozenset[str], name: str = "events") -> Sanic:
    if not write_keys:
        raise ValueError("The event API needs at least one write key.")
    app = Sanic(name)
    writer = GroupWriter(ingestor)  # concurrent requests share a transaction
    app.config.REQUEST_MAX_SIZE = 2 * MAX_BATCH_BYTES  # bigger: Sanic's own 413
    app.config.FALLBACK_ERROR_FORMAT = "json"

    def authorised(key: str | None) -> bool:
        return bool(key) and any(hmac.compare_digest(key, k) for k in write_keys)

    @app.before_server_start
    async def fresh_connections(*_) -> None:
        # with --workers N each worker is a forked copy: connections pooled before the fork
        # (the schema check's) must not be shared, so each worker starts its own pool
        ingestor.store.engine.dispose(close=False)

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return json({"status": "ok"})

    @app.post("/v1/<call:str>")
    async def collect(request: Request, call: str) -> HTTPResponse:
        if call not in (*CALL_TYPES, "batch"):
            return error(404, "path", f"/v1/{call} is not a Segment call; use "
                         "/v1/identify, /v1/track, /v1/page or /v1/batch")  # fmt: skip
        header_key = write_key_from_header(request)
        if header_key is not None and not authorised(header_key):
            return error(401, "writeKey", "the write key is not valid")
        limit = MAX_BATCH_BYTES if call == "batch" else MAX_MESSAGE_BYTES
        try:
            body = parse_body(request.body, limit)
        except Invalid as invalid:
            return error(413 if "limit" in invalid.problem else 400, invalid.field, invalid.problem)
        if header_key is None and not authorised(body.get("writeKey")):
            return error(401, "writeKey", "send the write key as the HTTP Basic user name")
        try:
            events, rejected = parse_request(call, body)
        except Invalid as invalid:
            status = 413 if "limit" in invalid.problem else 400
            return error(status, invalid.field, invalid.problem)
        if not events:
            first = rejected[0]
            return error(400, first["field"], first["problem"], rejected=rejected)
        try:
            result: IngestResult = await writer.write(events)
        except SQLAlchemyError as failure:
            logger.error("profile store unavailable: %s", failure)
            return error(503, "store", "the profile store is unavailable; nothing was stored, "
                         "send the request again later")  # fmt: skip
        positions = [r["index"] for r in rejected]
        kept = [i for i in range(len(events) + len(rejected)) if i not in positions]
        return json({
            "success": True, "received": len(events) + len(rejected), "stored": result.stored,
            "duplicates": result.duplicates,
            "dropped": [{"index": kept[i], "reason": reason} for i, reason in result.dropped],
            "rejected": rejected,
        })  # fmt: skip

    return app


def parse_request(call: str, body: dict) -> tuple[list[TrackedEvent], list[dict]]:
    """The usable events of a request, and what was wrong with the others."""
    if call != "batch":
        event = parse_message(body, call)
        effects.check(event)
        return [event], []
    items = body.get("batch")
    if not isinstance(items, list):
        raise Invalid("batch", "must be an array of calls")
    if not items:
        raise Invalid("batch", "is empty")
    if len(items) > MAX_BATCH_EVENTS:
        raise Invalid("batch", f"has {len(items)} events; the limit is {MAX_BATCH_EVENTS}")
    shared = body.get("context") if isinstance(body.get("context"), dict) else {}
    events, rejected = [], []
    for index, item in enumerate(items):
        try:
            own = item.get("context") if isinstance(item, dict) else None
            if shared and isinstance(item, dict) and isinstance(own, (dict, type(None))):
                item = {**item, "context": {**shared, **(own or {})}}
            event = parse_message(item, path=f"batch[{index}].")
            effects.check(event)
            events.append(event)
        except Invalid as invalid:
            field = invalid.field if invalid.field.startswith("batch[") else (
                f"batch[{index}].{invalid.field}")  # fmt: skip
            rejected.append({"index": index, "field": field, "problem": invalid.problem})
    return events, rejected
