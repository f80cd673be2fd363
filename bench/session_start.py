"""`action_session_start` with full personalization vs a no-op action, over HTTP.

For each size a synthetic demo store is generated, loaded into a fresh SQLite file (or
PostgreSQL database) and given a score row per customer. One action server (the project's
actions plus `action_noop`, bench/action_server.py) runs on it. Requests are Rasa's own
payloads (RemoteAction) for signed random customers who consented to personalization, sent
one at a time on a keep-alive connection, alternating: session start, no-op, session
start, ... The no-op pays the same HTTP, JSON and tracker parsing, so the ratio is what
personalization adds. A SQLite store file is read once before measuring (prewarm): its pages
are then in the OS page cache, as on a database host with the memory to hold them.

    .venv/bin/python -m bench.session_start                        # 100k and 1M on SQLite
    .venv/bin/python -m bench.session_start --sizes 10000 --requests 1000
    .venv/bin/python -m bench.session_start --postgres
    .venv/bin/python -m bench.session_start --keep /tmp/bench-stores   # reuse SQLite files
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from bench.profile_read import NOW, postgres_database, sqlite_database
from personalization.conversation.identity import signed_metadata
from personalization.demo_data import generate, load
from personalization.store import Store, migrate

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-identity-secret-not-for-production"


def customer_ids(url: str) -> list[str]:
    """The customers who consented to personalization (the others get the default path)."""
    store = Store.from_url(url)
    with store.engine.connect() as conn:
        ids = list(conn.execute(text(
            "SELECT customer_id FROM consent_state WHERE purpose = 'personalization' "
            "AND granted")).scalars())  # fmt: skip
    store.dispose()
    return ids


def fill(url: str, size: int, seed: int) -> list[str]:
    started = time.perf_counter()
    data = generate(size, seed=seed, now=NOW)
    migrate.upgrade(url)
    store = Store.from_url(url)
    load(store, data, progress=True)
    del data
    with store.begin() as conn:  # every customer scored, as after `personalization score`
        conn.execute(text(
            "INSERT INTO scores (customer_id, segment, persona, churn_risk, model_version, "
            "computed_at) SELECT customer_id, '1', 'Steady regulars', "
            "(abs(random()) % 1000) / 1000.0, 'bench', :now FROM customers"
            if store.engine.dialect.name == "sqlite" else
            "INSERT INTO scores (customer_id, segment, persona, churn_risk, model_version, "
            "computed_at) SELECT customer_id, '1', 'Steady regulars', random(), 'bench', :now "
            "FROM customers"), {"now": NOW})  # fmt: skip
        if store.engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    store.dispose()
    print(f"  {size:,} customers loaded and scored in {time.perf_counter() - started:.0f} s",
          flush=True)  # fmt: skip
    return customer_ids(url)


def prewarm(url: str) -> None:
    """Read a SQLite store file once, so its pages are in the OS page cache, as a database
    host with enough memory has them: the benchmark measures personalization, not the disk
    (cold, the 1M store measured 1.90x on this machine instead of 1.64x)."""
    path = Path(url.removeprefix("sqlite:///"))
    started = time.perf_counter()
    with path.open("rb") as f:
        while f.read(64 << 20):
            pass
    print(f"  {path.name} ({path.stat().st_size / 1e9:.1f} GB) read into the page cache in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip


def payloads(ids: list[str], count: int, seed: int) -> list[tuple[bytes, bytes]]:
    """(session start, no-op) request bodies for `count` random signed customers."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    out = []
    for customer in random.Random(seed).choices(ids, k=count):
        metadata = signed_metadata(SECRET.encode(), customer, customer)
        tracker = DialogueStateTracker.from_events(
            customer, [SlotSet("session_started_metadata", metadata)], slots=domain.slots)
        out.append(tuple(json.dumps(RemoteAction(name, None)._action_call_format(
            tracker, domain)).encode() for name in ("action_session_start", "action_noop")))
    return out  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PERSONALIZATION_DB_URL": url, "PERSONALIZATION_IDENTITY_SECRET": SECRET,
           "PERSONALIZATION_HASH_KEY": "bench-hash-key-not-for-production",
           "PERSONALIZATION_MODELS": str(log.parent / "no-models")}  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "bench.action_server", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=log.open("wb"),
                              stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"the action server did not start; see {log}")


def measure(port: int, bodies: list[tuple[bytes, bytes]], warmup: int) -> dict[str, np.ndarray]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings: dict[str, list[float]] = {"session_start": [], "noop": []}
    for i, (start_body, noop_body) in enumerate(bodies):
        for name, body in (("session_start", start_body), ("noop", noop_body)):
            began = time.perf_counter()
            connection.request("POST", "/webhook", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - began
            if response.status != 200:
                raise RuntimeError(f"{name}: HTTP {response.status}: {payload[:300]!r}")
            if name == "session_start" and b'"first_name"' not in payload:
                raise RuntimeError("session start set no profile slots: " + payload[:300].decode())
            if i >= warmup:
                timings[name].append(elapsed * 1000)
    return {name: np.array(values) for name, values in timings.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--requests", type=int, default=5000, help="of each kind, per size")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--postgres", nargs="?", const="postgresql://postgres@127.0.0.1:5432/test",
                        metavar="ADMIN_URL", help="use fresh PostgreSQL databases instead")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the SQLite stores in DIR and reuse them in later runs")
    args = parser.parse_args(argv)
    warmup = max(100, args.requests // 10)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            kept = args.keep / f"profiles-{size}.db" if args.keep and not args.postgres else None
            if kept is not None:
                kept.parent.mkdir(parents=True, exist_ok=True)
                database = nullcontext(f"sqlite:///{kept}")
            else:
                database = (postgres_database(args.postgres, size) if args.postgres
                            else sqlite_database(Path(tmp), size))  # fmt: skip
            with database as url:
                reuse = kept is not None and kept.exists()  # (a run that was cut: delete it)
                ids = customer_ids(url) if reuse else fill(url, size, args.seed)
                if not args.postgres:
                    prewarm(url)
                bodies = payloads(ids, args.requests + warmup, args.seed)
                port = free_port()
                server = start_server(url, port, Path(tmp) / f"actions-{size}.log")
                try:
                    results[size] = measure(port, bodies, warmup)
                finally:
                    server.terminate()
                    server.wait(30)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\naction_session_start vs action_noop over HTTP, profile store on {backend}, "
          f"{args.requests:,} requests of each, one at a time")  # fmt: skip
    print(f"{'customers':>10} {'no-op p50':>10} {'no-op p99':>10} {'start p50':>10} "
          f"{'start p99':>10} {'p50 ratio':>10} {'p99 ratio':>10}")  # fmt: skip
    for size, r in results.items():
        noop, start = r["noop"], r["session_start"]
        n50, n99, s50, s99 = (float(np.percentile(a, q)) for a in (noop, start) for q in (50, 99))
        print(f"{size:>10,} {n50:8.2f}ms {n99:8.2f}ms {s50:8.2f}ms {s99:8.2f}ms "
              f"{s50 / n50:9.2f}x {s99 / n99:9.2f}x")  # fmt: skip
    print("targets: p50 ratio within 1.5x, session start p99 under 10 ms")


if __name__ == "__main__":
    main()
