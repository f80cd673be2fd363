"""The event API over HTTP for tests: an app on a real store, its keys, and small helpers."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from personalization.collect.app import create_app
from personalization.collect.ingest import Ingestor
from personalization.hashing import IdHasher
from personalization.store import Store
from personalization.store.tracking import record_consent

SERVER_KEY, BROWSER_KEY = "test-server-key", "test-browser-key"
HASHER = IdHasher(b"test-hash-key-0123456789")


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def make_app(store: Store, **options):
    """The event API with a server key and a browser key (options: create_app's)."""
    options.setdefault("browser_keys", frozenset({BROWSER_KEY}))
    return create_app(Ingestor(store, HASHER), frozenset({SERVER_KEY}),
                      name=f"t{uuid.uuid4().hex}", **options)  # fmt: skip


class Api:
    def __init__(self, store: Store, **options) -> None:
        self.app = make_app(store, **options)

    def post(self, path: str, body, key: str | None = SERVER_KEY, headers=None):
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        headers = headers if headers is not None else (basic(key) if key else {})
        _, response = self.app.test_client.post(path, data=data, headers=headers)
        return response


def ago(**delta) -> str:
    """An ISO-8601 time this long before now (a negative delta: after now)."""
    return (datetime.now(timezone.utc) - timedelta(**delta)).isoformat().replace("+00:00", "Z")


def track(user: str = "u1", event: str = "Product Viewed", **extra) -> dict:
    return {"userId": user, "event": event, "properties": {"product_id": "p1"},
            "messageId": str(uuid.uuid4()), "timestamp": ago(hours=1), **extra}  # fmt: skip


def consent(store: Store, *customer_ids: str) -> None:
    with store.begin() as conn:
        for cid in customer_ids:
            record_consent(conn, cid, "personalization", True, "test")


def count(store: Store, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()
