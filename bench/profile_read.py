"""Single-profile read latency (`Store.profile`) at 100k and 1M customers.

For each size a synthetic demo store is generated and loaded into a fresh database, then
random customers' full profiles (customer, preferences, scores, interaction history, five
recent orders with items, five recent tickets, consent) are read one at a time, each on
its own pooled connection as the action server does. Baseline, measured in the same run: the
same reads against a store of 10k customers. A read path that uses its indexes costs about
the same at every size (ratio near 1); a table scan would grow with the table.

    .venv/bin/python -m bench.profile_read                          # SQLite files, 10k/100k/1M
    .venv/bin/python -m bench.profile_read --sizes 10000,100000     # smaller
    .venv/bin/python -m bench.profile_read --postgres               # fresh PostgreSQL databases
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from personalization.demo_data import generate, load
from personalization.store import Store, migrate

NOW = datetime(2026, 11, 27)
BASELINE = 10_000


@contextmanager
def sqlite_database(tmp: Path, size: int) -> Iterator[str]:
    path = tmp / f"profiles-{size}.db"
    yield f"sqlite:///{path}"
    path.unlink(missing_ok=True)


@contextmanager
def postgres_database(admin_url: str, size: int) -> Iterator[str]:
    name = f"bench_profiles_{size}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(make_url(admin_url).set(database=name))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(url: str, size: int, reads: int, seed: int) -> dict[str, float]:
    started = time.perf_counter()
    data = generate(size, seed=seed, now=NOW)
    ids = list(data.customers.customer_id)
    migrate.upgrade(url)
    store = Store.from_url(url)
    rows = sum(load(store, data, progress=True).values())
    del data
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    print(f"  {size:,} customers: {rows:,} rows generated and loaded in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip

    chosen = random.Random(seed).choices(ids, k=reads + reads // 10)
    for customer_id in chosen[: reads // 10]:  # warm the pool and the page cache a little
        store.profile(customer_id)
    timings, orders = [], 0
    for customer_id in chosen[reads // 10 :]:
        start = time.perf_counter()
        profile = store.profile(customer_id)
        timings.append(time.perf_counter() - start)
        assert profile is not None and profile.customer_id == customer_id
        orders += len(profile.recent_orders)
    missing_start = time.perf_counter()
    assert store.profile("no-such-customer") is None
    missing = time.perf_counter() - missing_start
    store.dispose()
    ms = np.array(timings) * 1000
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)),
            "mean": float(ms.mean()), "orders": orders / len(timings),
            "missing": missing * 1000}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000",
                        help="comma-separated customer counts (the 10k baseline is added)")
    parser.add_argument("--reads", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--postgres", nargs="?", const="postgresql://postgres@127.0.0.1:5432/test",
                        metavar="ADMIN_URL", help="use fresh PostgreSQL databases instead")
    args = parser.parse_args(argv)
    sizes = sorted({BASELINE, *(int(s) for s in args.sizes.split(","))})

    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            database = (postgres_database(args.postgres, size) if args.postgres
                        else sqlite_database(Path(tmp), size))  # fmt: skip
            with database as url:
                results[size] = measure(url, size, args.reads, args.seed)

    backend = "PostgreSQL" if args.postgres else "SQLite"
    base = results[BASELINE]
    print(f"\nsingle-profile read on {backend}, {args.reads:,} random customers per size")
    print(f"{'customers':>10} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'unknown id ms':>14} "
          f"{'p50 vs 10k':>11} {'p99 vs 10k':>11}")  # fmt: skip
    for size, r in results.items():
        print(f"{size:>10,} {r['p50']:8.2f} {r['p99']:8.2f} {r['mean']:8.2f} "
              f"{r['missing']:14.2f} {r['p50'] / base['p50']:10.2f}x "
              f"{r['p99'] / base['p99']:10.2f}x")  # fmt: skip
    print(f"(each profile held {base['orders']:.1f} recent orders on average)")


if __name__ == "__main__":
    main()
