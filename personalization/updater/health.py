"""The updater's health endpoint (`--health-port`): `GET /health` answers 200 when the
profile store answers and no erased conversation waits past its time to be swept, else 503,
with the figures as JSON:

    {"status": "ok", "sweeper": "running", "pending_sweeps": 0,
     "oldest_pending_sweep_seconds": null, "overdue_sweeps": 0, "overdue_after_seconds": 600}

`status` is "ok", "sweeps overdue", "sweeper stopped" or "profile store unreachable".
Counts and ages only: no sender or customer id.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy.exc import SQLAlchemyError

from personalization.privacy.sweeper import OVERDUE_AFTER, sweep_status
from personalization.store import Store

log = logging.getLogger(__name__)


def health(store: Store, sweeper: threading.Thread | None,
           overdue_after: float = OVERDUE_AFTER) -> tuple[int, dict]:  # fmt: skip
    """(HTTP status, body) of the health check."""
    running = "off" if sweeper is None else "running" if sweeper.is_alive() else "stopped"
    try:
        status = sweep_status(store, overdue_after)
    except SQLAlchemyError as error:
        return 503, {"status": "profile store unreachable", "sweeper": running,
                     "problem": type(error).__name__}  # fmt: skip
    body = {"status": "ok", "sweeper": running, **status.as_dict()}
    if running == "stopped":
        body["status"] = "sweeper stopped"
    elif not status.healthy:
        body["status"] = "sweeps overdue"
    return (200 if body["status"] == "ok" else 503), body


def serve_health(store: Store, sweeper: threading.Thread | None, host: str, port: int,
                 overdue_after: float = OVERDUE_AFTER) -> ThreadingHTTPServer:  # fmt: skip
    """Serve /health in a background thread; `shutdown()` the server to stop it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            if self.path.split("?")[0] != "/health":
                self._answer(404, {"status": "not found", "try": "/health"})
                return
            self._answer(*health(store, sweeper, overdue_after))

        def _answer(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_) -> None:  # probes every few seconds: not worth a line
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    log.info("health check on http://%s:%d/health", host, port)
    return server
