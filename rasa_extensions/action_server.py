"""The action server's own guard: where it listens and who may call it.

rasa_sdk listens on every interface (0.0.0.0) and answers anyone who can reach it, and an
action call carries the whole conversation and acts for the customer in it. So:

- it listens on 127.0.0.1 unless `SANIC_HOST` says otherwise (rasa_sdk reads that variable);
- with `ACTION_SERVER_TOKEN` set, every request but `/health` must carry `Authorization:
  Bearer <token>` (compared in constant time), else 401. The Rasa server sends it from its
  endpoints file: `action_endpoint: {url: ..., headers: {Authorization: "Bearer
  ${ACTION_SERVER_TOKEN}"}}` (config/scaled/endpoints.yml);
- listening beyond this machine without a token is refused at start (exit code 78);
- a failed action call is answered with a plain 500, not rasa_sdk's echo of the request
  (the whole conversation).

rasa_sdk loads this through its plugin hook (the `rasa_sdk_plugins` package next to it), so
`rasa run actions`, `python -m rasa_sdk` and `make actions` all get it; rasa_sdk would start
without a plugin it cannot import, so `actions` imports it too and fails to load without it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import sys

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

log = logging.getLogger(__name__)
HOST, TOKEN = "SANIC_HOST", "ACTION_SERVER_TOKEN"
DEFAULT_HOST = "127.0.0.1"
OPEN_PATHS = ("/health",)  # what a load balancer's health check may call without the token
MIN_TOKEN_LENGTH = 16


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def _refuse(message: str) -> None:
    print(f"The action server cannot start: {message}", file=sys.stderr, flush=True)
    raise SystemExit(78)  # EX_CONFIG


def guard(app: Sanic) -> None:
    @app.exception(Exception)
    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        # rasa_sdk's own handler answers with the request body: the whole conversation, a
        # signature and the customer's slots, which the Rasa server then logs
        log.error("An action call failed (%s)", type(exception).__name__, exc_info=exception)
        return json({"error": f"the action failed ({type(exception).__name__}); the action "
                              "server's log has the details"}, status=500)

    host = os.environ.setdefault(HOST, DEFAULT_HOST)
    token = os.environ.get(TOKEN, "").strip()
    if token and len(token) < MIN_TOKEN_LENGTH:
        _refuse(f"{TOKEN} is shorter than {MIN_TOKEN_LENGTH} characters: use a long random "
                "value, the same in the Rasa server's environment.")
    if not token and not _loopback(host):
        _refuse(f"it would listen on {host} ({HOST}) without {TOKEN}: anyone who reaches it "
                f"could act for any customer. Set {TOKEN} on the action server and send it "
                "from the Rasa server's endpoints file (docs/deployment.md), or listen on "
                f"{DEFAULT_HOST}.")
    if not token:
        return
    expected = f"Bearer {token}".encode()

    @app.on_request
    async def authorised(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("authorization", "").encode(errors="replace")
        if hmac.compare_digest(given, expected):
            return None
        return json({"error": "the action server needs the Authorization header of "
                              f"{TOKEN} (Bearer)"}, status=401)
