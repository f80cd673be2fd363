"""HTTP batch ingestion through the event API vs. a raw SQL insert of the same rows.

Both write the same tracked events into the same database, 100 rows per transaction; the
API also authenticates, validates, checks suppression and consent and de-duplicates.
Target: the API reaches at least half the raw insert rate.

    .venv/bin/python -m bench.ingest [--events 20000] [--db URL] [--clients 4] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from sqlalchemy import Column, MetaData, Table, func, select

from personalization.store import Store, migrate
from personalization.store import schema as t
from personalization.store.customers import upsert_customers
from personalization.store.sql import utcnow
from personalization.store.tracking import record_consent
from scripts.stack import ROOT

BATCH = 100
KEY = "bench-write-key"


def make_batches(n_events: int, n_customers: int) -> list[list[dict]]:
    events = [
        {"type": "track", "userId": f"c{i % n_customers}", "event": "Product Viewed",
         "messageId": str(uuid.uuid4()), "timestamp": "2026-11-01T10:00:00Z",
         "properties": {"product_id": f"p{i % 300}", "category": "audio"},
         "context": {"ip": "127.0.0.1"}}
        for i in range(n_events)
    ]  # fmt: skip
    return [events[i : i + BATCH] for i in range(0, n_events, BATCH)]


def prepare(url: str, n_customers: int) -> Store:
    migrate.upgrade(url)
    store = Store.from_url(url)
    with store.begin() as conn:
        upsert_customers(conn, [{"customer_id": f"c{i}"} for i in range(n_customers)])
        for i in range(n_customers):
            record_consent(conn, f"c{i}", "personalization", True, "bench")
    return store


def run_api(url: str, batches: list[list[dict]], clients: int, port: int, workers: int) -> float:
    env = {**os.environ, "PERSONALIZATION_DB_URL": url, "EVENTS_WRITE_KEYS": KEY,
           "PERSONALIZATION_HASH_KEY": "bench-hash-key-0123456789"}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "personalization", "serve-events", "--port", str(port),
         "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        return asyncio.run(_post_all(port, batches, clients))
    finally:
        server.terminate()
        server.wait()


async def _post_all(port: int, batches: list[list[dict]], clients: int) -> float:
    """`clients` concurrent connections from one lean asyncio client (aiohttp)."""
    base = f"http://127.0.0.1:{port}"
    auth = aiohttp.BasicAuth(KEY, "")
    bodies = [json.dumps({"batch": b}) for b in batches]  # encoded before the clock starts
    async with aiohttp.ClientSession(auth=auth) as session:
        for _ in range(150):
            try:
                async with session.get(f"{base}/health") as answer:
                    if answer.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.2)
        queue = list(reversed(bodies))
        failures: list[str] = []

        async def client() -> None:
            while queue:
                body = queue.pop()
                async with session.post(f"{base}/v1/batch", data=body,
                                        headers={"Content-Type": "application/json"}) as answer:
                    result = await answer.json()
                    if answer.status != 200 or result["stored"] != BATCH:
                        failures.append(str(result)[:300])

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} batches failed, e.g. {failures[0]}")
    return elapsed


def raw_table(store: Store) -> Table:
    """A copy of the events table: the same columns, key, unique message id and index."""
    raw = Table("events_raw_bench", MetaData(), *[
        Column(c.name, c.type, primary_key=c.primary_key, unique=c.unique, index=c.index,
               autoincrement=c.autoincrement)
        for c in t.events.columns
    ])  # fmt: skip
    raw.drop(store.engine, checkfirst=True)
    raw.create(store.engine)
    return raw


def run_raw(store: Store, raw: Table, batches: list[list[dict]]) -> float:
    """The same rows into the copy of the events table: plain executemany, nothing else."""
    start = time.perf_counter()
    for batch in batches:
        now = utcnow()
        rows = [{"message_id": e["messageId"], "customer_id": e["userId"], "anonymous_id": None,
                 "type": "track", "name": e["event"], "properties": e["properties"],
                 "context": e["context"], "timestamp": now, "received_at": now}
                for e in batch]  # fmt: skip
        with store.begin() as conn:
            conn.execute(raw.insert(), rows)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--workers", type=int, default=1, help="event API processes")
    parser.add_argument("--rounds", type=int, default=3, help="the median round is reported")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-ingest-")
    url = args.db or f"sqlite:///{Path(folder) / 'profiles.db'}"
    store = prepare(url, args.customers)
    print(f"database: {store.engine.url.get_backend_name()}, {args.events} events per round in "
          f"batches of {BATCH}, {args.clients} concurrent HTTP requests, "
          f"{args.workers} API process(es)")
    raw = raw_table(store)  # grows round by round as the events table does
    api_rates, raw_rates = [], []
    for n in range(args.rounds):
        batches = make_batches(args.events, args.customers)  # new message ids every round
        with store.begin() as conn:
            before = conn.execute(select(func.count()).select_from(t.events)).scalar()
        api_seconds = run_api(url, batches, args.clients, args.port, args.workers)
        with store.begin() as conn:
            stored = conn.execute(select(func.count()).select_from(t.events)).scalar() - before
        if stored != args.events:
            raise RuntimeError(f"the API stored {stored} of {args.events} events")
        raw_seconds = run_raw(store, raw, batches)
        api_rates.append(args.events / api_seconds)
        raw_rates.append(args.events / raw_seconds)
        print(f"round {n + 1}: event API {api_rates[-1]:8,.0f} events/s, raw insert "
              f"{raw_rates[-1]:8,.0f} events/s, ratio {api_rates[-1] / raw_rates[-1]:.2f}")
    api_rate, raw_rate = statistics.median(api_rates), statistics.median(raw_rates)
    print(f"event API : {api_rate:10,.0f} events/s (median of {args.rounds})")
    print(f"raw insert: {raw_rate:10,.0f} events/s (median of {args.rounds})")
    print(f"ratio API/raw: {api_rate / raw_rate:.2f} (target >= 0.50)")
    raw.drop(store.engine)
    store.dispose()
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
