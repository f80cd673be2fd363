"""`python -m personalization serve-events` as a real server: several worker processes,
many concurrent requests (written in shared transactions), every event accounted for."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from personalization.store import Store, migrate
from personalization.store import schema as t
from personalization.store.customers import upsert_customers
from personalization.store.tracking import record_consent
from tests.conftest import free_port
from tests.trackers import ROOT

KEY = "server-test-key"


def event(user: str, message_id: str) -> dict:
    return {"type": "track", "userId": user, "event": "Product Viewed", "messageId": message_id,
            "timestamp": "2026-11-01T10:00:00Z", "properties": {"product_id": "p1"}}  # fmt: skip


def make_batches() -> tuple[list[list[dict]], int]:
    """40 batches: 24 events of consenting customers, one of a customer without consent;
    every fourth batch also repeats five message ids of the batch before it."""
    batches, consented_ids = [], set()
    for n in range(40):
        batch = [event(f"c{i % 10}", f"m{n}-{i}") for i in range(24)]
        consented_ids.update(e["messageId"] for e in batch)
        if n % 4 == 3:
            batch += [event(e["userId"], e["messageId"]) for e in batches[-1][:5]]
        batches.append([*batch, event("nobody", f"x{n}")])
    return batches, len(consented_ids)


def test_two_worker_processes_take_concurrent_batches(db_url):
    migrate.upgrade(db_url)
    store = Store.from_url(db_url)
    with store.begin() as conn:
        for i in range(10):
            record_consent(conn, f"c{i}", "personalization", True, "test")
    port = free_port()
    env = {**os.environ, "EVENTS_WRITE_KEYS": KEY, "PERSONALIZATION_HASH_KEY": "k" * 32}
    server = subprocess.Popen(
        [sys.executable, "-m", "personalization", "--db", db_url, "serve-events", "--port",
         str(port), "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "the event API did not start"
                time.sleep(0.2)
        batches, distinct = make_batches()
        with ThreadPoolExecutor(8) as pool, requests.Session() as session:
            answers = list(pool.map(lambda b: session.post(
                f"{base}/v1/batch", json={"batch": b}, auth=(KEY, ""), timeout=60), batches))
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert [a.status_code for a in answers] == [200] * len(batches), answers[0].text
    results = [a.json() for a in answers]
    for batch, result in zip(batches, results, strict=True):
        assert result["dropped"] == [{"index": len(batch) - 1,
                                      "reason": "no consent for personalization"}]  # fmt: skip
        assert result["stored"] + result["duplicates"] == len(batch) - 1
    assert sum(r["stored"] for r in results) == distinct
    assert sum(r["duplicates"] for r in results) == 5 * 10
    with store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(t.events)).scalar() == distinct
    store.dispose()


def test_the_admin_endpoints_of_the_running_server_log_no_token(tmp_path):
    """At debug level, with right and wrong tokens and an erasure: neither token, nor the
    hash key, nor the erased customer's e-mail reaches the server's output."""
    url = f"sqlite:///{tmp_path / 'profiles.db'}"
    migrate.upgrade(url)
    with Store.from_url(url).begin() as conn:
        upsert_customers(conn, [{"customer_id": "C-1", "email": "lena.berg@example.com"}])
    token, wrong, hash_key = "admin-token-under-test-0123", "not-the-token-0123456789", "h" * 32
    port = free_port()
    (tmp_path / "endpoints.yml").write_text(
        f"tracker_store: {{type: SQL, dialect: sqlite, db: {tmp_path / 'tracker.db'}}}\n")
    env = {**os.environ, "EVENTS_WRITE_KEYS": KEY, "PERSONALIZATION_HASH_KEY": hash_key,
           "PERSONALIZATION_ADMIN_TOKEN": token,
           "PERSONALIZATION_ENDPOINTS": str(tmp_path / "endpoints.yml")}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "personalization", "--db", url, "-v", "serve-events", "--port",
         str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/admin/customers/C-1"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        denied = requests.get(base, headers={"Authorization": f"Bearer {wrong}"}, timeout=30)
        exported = requests.get(base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        erased = requests.delete(base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert (denied.status_code, exported.status_code, erased.status_code) == (401, 200, 200)
    assert exported.json()["profile"]["email"] == "lena.berg@example.com"
    assert "DEBUG" in output  # the server did log, at debug level
    for secret in (token, wrong, hash_key, "lena.berg@example.com"):
        assert secret not in output, secret


def serve(url: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "personalization", "--db", url, "serve-events", "--port",
         str(port)], cwd=ROOT, env={**os.environ, "PERSONALIZATION_HASH_KEY": "k" * 32, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
            return server, f"http://127.0.0.1:{port}"
        except requests.ConnectionError:
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "the event API did not start"
            time.sleep(0.2)


def test_the_server_takes_browser_keys_and_its_rate_limit_from_the_environment(tmp_path):
    url = f"sqlite:///{tmp_path / 'profiles.db'}"
    migrate.upgrade(url)
    with Store.from_url(url).begin() as conn:
        record_consent(conn, "c1", "personalization", True, "test")
    server, base = serve(url, {"EVENTS_WRITE_KEYS": KEY, "EVENTS_BROWSER_KEYS": "browser-1",
                               "EVENTS_RATE_LIMIT": "1", "EVENTS_RATE_BURST": "2"})
    try:
        with requests.Session() as session:
            identify = session.post(f"{base}/v1/identify", auth=("browser-1", ""), timeout=30,
                                    json={"userId": "c1", "traits": {"plan": "Plus"}})
            tracked = session.post(f"{base}/v1/track", auth=("browser-1", ""), timeout=30,
                                   json=event("c1", "m-browser"))
            flood = [session.post(f"{base}/v1/track", auth=("browser-1", ""), timeout=30,
                                  json=event("c1", f"m-{n}")) for n in range(4)]
            server_key = session.post(f"{base}/v1/track", auth=(KEY, ""), timeout=30,
                                      json=event("c1", "m-server"))
            described = session.get(f"{base}/v1/openapi.json", timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (identify.status_code, identify.json()["error"]["field"]) == (403, "type")
    assert tracked.status_code == 200 and tracked.json()["stored"] == 1
    assert [r.status_code for r in flood][-1] == 429 and int(flood[-1].headers["Retry-After"]) >= 1
    assert server_key.status_code == 200  # a key of its own, a bucket of its own
    assert "/admin/customers/{customer_id}" in described.json()["paths"]


def test_a_key_of_both_kinds_stops_the_server_with_a_reason(tmp_path):
    url = f"sqlite:///{tmp_path / 'profiles.db'}"
    migrate.upgrade(url)
    ran = subprocess.run(
        [sys.executable, "-m", "personalization", "--db", url, "serve-events"], cwd=ROOT,
        env={**os.environ, "EVENTS_WRITE_KEYS": "same", "EVENTS_BROWSER_KEYS": "same,other",
             "PERSONALIZATION_HASH_KEY": "k" * 32}, capture_output=True, text=True, timeout=120)
    assert ran.returncode != 0
    assert "EVENTS_BROWSER_KEYS" in ran.stderr and "Traceback" not in ran.stderr, ran.stderr
