"""The demo website: the chat page (web/), a demo sign-in and the analytics report.

It plays the shop's website. A visitor picks one of the demo customers (or none); this server
starts the chat session, signs the customer's id for that session with
PERSONALIZATION_IDENTITY_SECRET (the browser gets the signature, never the secret; it
expires after PERSONALIZATION_SIGNATURE_LIFETIME seconds and the page asks for a new one
before) and the page sends it as metadata with each message on Rasa's socket.io channel. A
cookie proves which sessions this browser started: only those can be signed again or shown
in the "why" panel.

- GET  /                     the chat page
- GET  /api/config           what the page needs: the Rasa server's port, the "why" panel
- GET  /api/customers        the demo customers to chat as
- POST /api/session          {"customer_id": id or null} -> {"session_id", "metadata"}
- POST /api/session/renew    {"session_id"} -> a new signature for the same customer and
                             session (only for a session this browser started)
- POST /api/session/end      {"session_id"}: signed out, the session is never signed again
- GET  /api/why/<session>    the latest decision's explanation (only with
                             PERSONALIZATION_EXPLAIN=1, only for this browser's session; read
                             from Rasa's tracker API)
- GET  /report/              the models and conversations report, made again when older
                             than a minute
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiohttp
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, file, json

from personalization.conversation.identity import signed_metadata
from personalization.rules import load_rules
from personalization.settings import Settings
from personalization.store import Store
from personalization.store.customers import example_customers
from personalization.training.report import report_from_settings

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
SOCKET_IO = WEB / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
REPORT_MAX_AGE = 60.0  # seconds
COOKIE = "brightcart_sessions"  # which chat sessions this browser started (MACs, no ids)
MAX_SESSIONS = 8  # remembered per browser
MAX_SIGNED_IN = 10_000  # signed-in sessions this server renews signatures for
# What the "why" panel shows besides the explanation (domain.yml's slots).
WHY_SLOTS = ("known_customer", "consent", "personalized", "segment", "persona", "account_tier",
             "vip", "churn_band", "tone", "route", "offer", "handoff")  # fmt: skip


@dataclass
class Demo:
    settings: Settings
    rasa_url: str  # where this server reaches Rasa's HTTP API
    rasa_port: int  # where browsers reach Rasa's socket.io channel (on this page's host)
    rasa_token: str | None  # Rasa's --auth-token (its HTTP API is on only for the why panel)
    reports: Path


def _error(status: int, field: str, problem: str) -> HTTPResponse:
    return json({"error": {"field": field, "problem": problem}}, status=status)


def demo_customers(settings: Settings) -> list[dict]:
    if not settings.identity_secret:
        return []  # nothing could be signed: everyone is an anonymous visitor
    notice = load_rules(settings.rules_path).settings.privacy_notice_version
    store = Store.from_url(settings.db_url, check_schema=False)
    try:
        with store.engine.connect() as conn:
            found = example_customers(conn, notice)
    finally:
        store.dispose()
    return [{"id": i, "name": name, "why": why} for i, name, why in found]


def create_app(demo: Demo, name: str = "web_demo") -> Sanic:
    if not SOCKET_IO.exists():
        raise RuntimeError(f"{SOCKET_IO.relative_to(ROOT)} is missing: run `make install` "
                           "(it runs `npm ci` in web/).")  # fmt: skip
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.static("/static/socket.io.min.js", str(SOCKET_IO))
    app.static("/static", str(WEB / "static"))
    customers = demo_customers(demo.settings)
    report_lock = asyncio.Lock()

    @app.get("/")
    async def page(_: Request) -> HTTPResponse:
        return await file(str(WEB / "static" / "index.html"))

    @app.get("/api/config")
    async def config(_: Request) -> HTTPResponse:
        return json({"rasa_port": demo.rasa_port, "why": demo.settings.explain})

    @app.get("/api/customers")
    async def list_customers(_: Request) -> HTTPResponse:
        return json({"customers": customers})

    cookie_key = secrets.token_bytes(32)  # this run's: a restart forgets every browser
    signed_in: dict[str, str] = {}  # session -> its demo customer (oldest first)

    def proof(session: str) -> str:
        return hmac.new(cookie_key, session.encode(), hashlib.sha256).hexdigest()[:32]

    def started_here(request: Request, session: str) -> bool:
        given = (request.cookies.get(COOKIE) or "").split(".")
        return any(hmac.compare_digest(p, proof(session)) for p in given if p)

    def with_sessions(answer: HTTPResponse, proofs: list[str]) -> HTTPResponse:
        answer.cookies[COOKIE] = ".".join(proofs)
        answer.cookies[COOKIE]["httponly"] = True
        answer.cookies[COOKIE]["samesite"] = "Strict"
        answer.cookies[COOKIE]["path"] = "/"
        return answer

    def session_answer(session: str, customer_id: str | None) -> dict:
        metadata = {} if customer_id is None else signed_metadata(
            demo.settings.identity_secret, customer_id, session,
            demo.settings.signature_lifetime)  # fmt: skip
        return {"session_id": session, "customer_id": customer_id, "metadata": metadata}

    def body_of(request: Request) -> dict | None:
        try:
            return request.json if isinstance(request.json, dict) else None
        except Exception:  # noqa: BLE001 - Sanic's error for a body that is not JSON
            return None

    @app.post("/api/session")
    async def start_session(request: Request) -> HTTPResponse:
        body = body_of(request)
        if body is None:
            return _error(400, "body", 'must be a JSON object: {"customer_id": ...}')
        customer_id = body.get("customer_id")
        if customer_id is not None and not any(c["id"] == customer_id for c in customers):
            return _error(400, "customer_id", "not one of the demo customers (/api/customers), "
                          "or null for an anonymous visitor")  # fmt: skip
        session = secrets.token_hex(16)
        if customer_id is not None:
            signed_in[session] = customer_id
            while len(signed_in) > MAX_SIGNED_IN:  # a demo: the oldest sign-ins are forgotten
                del signed_in[next(iter(signed_in))]
        answer = json(session_answer(session, customer_id))
        kept = [p for p in (request.cookies.get(COOKIE) or "").split(".") if p]
        return with_sessions(answer, [*kept[-(MAX_SESSIONS - 1):], proof(session)])

    @app.post("/api/session/renew")
    async def renew(request: Request) -> HTTPResponse:
        session = (body_of(request) or {}).get("session_id")
        if not isinstance(session, str) or not started_here(request, session) \
                or session not in signed_in:  # fmt: skip
            return _error(403, "session_id", "not a signed-in chat session this browser "
                          "started (since this server started): sign in again")  # fmt: skip
        return json(session_answer(session, signed_in[session]))

    @app.post("/api/session/end")
    async def end_session(request: Request) -> HTTPResponse:
        session = (body_of(request) or {}).get("session_id")
        if isinstance(session, str) and started_here(request, session):
            signed_in.pop(session, None)  # signed out: never signed again
        kept = [p for p in (request.cookies.get(COOKIE) or "").split(".")
                if p and not (isinstance(session, str) and p == proof(session))]  # fmt: skip
        return with_sessions(json({"ended": True}), kept)

    @app.get("/api/why/<session>")
    async def why(request: Request, session: str) -> HTTPResponse:
        if not demo.settings.explain:
            return _error(404, "why", "off: start the servers with PERSONALIZATION_EXPLAIN=1")
        if not started_here(request, session):
            return _error(403, "session", "not a chat session this browser started")
        url = f"{demo.rasa_url}/conversations/{quote(session, safe='')}/tracker"
        params = {"include_events": "NONE", **({"token": demo.rasa_token}
                                                if demo.rasa_token else {})}  # fmt: skip
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
                async with http.get(url, params=params) as answer:
                    if answer.status != 200:
                        return _error(502, "rasa", f"Rasa's tracker API answered {answer.status}")
                    tracker = await answer.json()
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return _error(503, "rasa", "the Rasa server cannot be reached")
        slots = tracker.get("slots") or {}
        intent = (tracker.get("latest_message") or {}).get("intent") or {}
        return json({"explanation": slots.get("explanation") or [],
                     "slots": {name: slots.get(name) for name in WHY_SLOTS},
                     "intent": {"name": intent.get("name"),
                                "confidence": intent.get("confidence")}})  # fmt: skip

    @app.get("/report/")
    async def report(_: Request) -> HTTPResponse:
        page = demo.reports / "index.html"
        async with report_lock:
            if not page.exists() or time.time() - page.stat().st_mtime > REPORT_MAX_AGE:
                try:
                    await asyncio.to_thread(report_from_settings, demo.settings, demo.reports)
                except Exception as error:  # noqa: BLE001 - shown to the person asking
                    log.warning("The report could not be made: %s", error)
                    if not page.exists():
                        return _error(503, "report", f"cannot be made yet: {error}. Train the "
                                      "customer models (make customer-models) first.")  # fmt: skip
        return await file(str(page))

    @app.get("/report/<name:[A-Za-z0-9_.-]+\\.png>")
    async def picture(_: Request, name: str) -> HTTPResponse:
        path = demo.reports / name
        if not path.is_file():
            return _error(404, "report", f"no picture {name}")
        return await file(str(path))

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    args = parser.parse_args(argv)
    demo = Demo(Settings.from_env(), f"http://localhost:{args.rasa_port}", args.rasa_port,
                os.environ.get("RASA_API_TOKEN") or None, args.reports)  # fmt: skip
    create_app(demo).run(host="127.0.0.1", port=args.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
