"""The admin endpoints for data subject requests, served by the event API:

    GET    /admin/customers/<id>   everything held about the customer (JSON), 404 if nothing
    DELETE /admin/customers/<id>   erase the customer from every store

Authenticated with `Authorization: Bearer <token>` ($PERSONALIZATION_ADMIN_TOKEN): a missing
or wrong token gets 401 and nothing happens; without a configured token every call gets 401.
The token has the event API's rate limit per key: past it, 429 with Retry-After.
Errors are {"success": false, "error": {"field", "problem"}}, as on the rest of the API.
"""

from __future__ import annotations

import asyncio
import hmac
import json as jsonlib
import logging
from functools import partial

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import SQLAlchemyError

from personalization.privacy.requests import ErasureReport, PrivacyRequests, RequestError

logger = logging.getLogger(__name__)
ACTOR = "admin-api"


def _error(status: int, field: str, problem: str, headers: dict | None = None) -> HTTPResponse:
    return json({"success": False, "error": {"field": field, "problem": problem}}, status=status,
                headers=headers)  # fmt: skip


def add_admin_routes(app: Sanic, requests: PrivacyRequests, token: str | None) -> None:
    """On the event API's app (create_app): its rate limit applies to the token too."""
    expected = token.encode() if token else None
    buckets = app.ctx.buckets
    app.ctx.admin = True  # GET /v1/openapi.json describes these routes too

    def refused(request: Request) -> HTTPResponse | None:
        if expected is None:
            return _error(401, "authorization", "the admin API is disabled: the server has no "
                          "PERSONALIZATION_ADMIN_TOKEN")  # fmt: skip
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _error(401, "authorization", "send the admin token as "
                          "'Authorization: Bearer <token>'")  # fmt: skip
        if not hmac.compare_digest(given.strip().encode(errors="replace"), expected):
            return _error(401, "authorization", "the admin token is not valid")
        if wait := buckets.wait("\0admin"):  # no write key has a NUL: its own bucket
            return _error(429, "authorization", f"more than {buckets.limit.rate:g} requests per "
                          f"second with the admin token; send again in {wait} s",
                          headers={"Retry-After": str(wait)})  # fmt: skip
        return None

    async def run(request: Request, work, *args) -> HTTPResponse | object:
        try:
            return await asyncio.to_thread(work, *args)
        except RequestError as invalid:
            return _error(400, "customer_id", str(invalid))
        except SQLAlchemyError as failure:
            logger.error("%s %s failed: a store is unavailable (%s)", request.method,
                         request.path.split("/customers/")[0], type(failure).__name__)
            return _error(503, "store", "a store is unavailable; the request was not completed "
                          "(the audit log says how far it got), send it again later")
        except Exception as failure:  # noqa: BLE001 - e.g. unreadable models: say so, no 500
            logger.error("%s %s failed (%s): %s", request.method,
                         request.path.split("/customers/")[0], type(failure).__name__, failure)
            return _error(503, "server", f"the request was not completed ({failure}); the "
                          "audit log says how far it got, send it again once this is fixed")

    async def answer(request: Request, work, customer_id: str, respond) -> HTTPResponse:
        if (denied := refused(request)) is not None:
            return denied
        result = await run(request, work, customer_id, ACTOR)
        return result if isinstance(result, HTTPResponse) else respond(result)

    @app.get("/admin/customers/<customer_id:str>")
    async def export(request: Request, customer_id: str) -> HTTPResponse:
        return await answer(request, requests.export, customer_id, _exported)

    @app.delete("/admin/customers/<customer_id:str>")
    async def erase(request: Request, customer_id: str) -> HTTPResponse:
        return await answer(request, requests.erase, customer_id, _erased)


def _exported(data: dict | None) -> HTTPResponse:
    if data is None:
        return _error(404, "customer_id", "nothing is held about this customer")
    return json(data, dumps=partial(jsonlib.dumps, default=str, ensure_ascii=False))


def _erased(report: ErasureReport) -> HTTPResponse:
    return json({"success": True, "subject": report.subject, "erased": report.counts})
