"""Benchmark: generate the synthetic demo store and load it into a profile store.

    .venv/bin/python -m bench.demo_data                        # 100k customers, temp SQLite
    .venv/bin/python -m bench.demo_data --customers 1000000    # a million
    .venv/bin/python -m bench.demo_data --db postgresql://...  # an empty database instead

Baselines measured in the same run: generation at a tenth of the size (is the cost per
customer flat?) and the ordinary upsert path (`upsert_customers`, `upsert_orders`) for a
sample of the same rows (what `bulk_load` saves).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import datetime
from pathlib import Path

from personalization.demo_data import DemoData, generate, load
from personalization.store import Store, migrate
from personalization.store.commerce import upsert_orders
from personalization.store.customers import CUSTOMER_FIELDS, upsert_customers

NOW = datetime(2026, 11, 27)
SAMPLE = 1_000


def say(*parts: object) -> None:
    print(*parts, flush=True)  # progress shows even when the output goes to a file


def timed(action):
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def upsert_baseline(data: DemoData, url: str) -> tuple[int, float]:
    """Rows per second through the repository's ordinary upserts, for SAMPLE customers."""
    migrate.upgrade(url)
    store = Store.from_url(url)
    ids = set(data.customers.customer_id.iloc[:SAMPLE])
    customers = data.customers[data.customers.customer_id.isin(ids)]
    customer_rows = customers[["customer_id", *CUSTOMER_FIELDS]].to_dict("records")
    orders = data.orders[data.orders.customer_id.isin(ids)]
    items = data.order_items[data.order_items.order_id.isin(set(orders.order_id))]
    by_order = {key: group[["product_id", "quantity", "unit_price"]].to_dict("records")
                for key, group in items.groupby("order_id")}  # fmt: skip
    order_rows = [{**row, "items": by_order[row["order_id"]]}
                  for row in orders.drop(columns="updated_at").to_dict("records")]  # fmt: skip

    def run() -> None:
        with store.begin() as conn:
            upsert_customers(conn, customer_rows)
            upsert_orders(conn, order_rows)

    _, seconds = timed(run)
    store.dispose()
    return len(customer_rows) + len(order_rows) + len(items), seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", help="an empty database URL (default: a temporary SQLite file)")
    parser.add_argument("--no-load", action="store_true", help="only measure generation")
    args = parser.parse_args(argv)

    small_n = max(args.customers // 10, 1_000)
    small, small_seconds = timed(lambda: generate(small_n, seed=args.seed, now=NOW))
    small_rows = sum(small.row_counts().values())
    del small
    data, seconds = timed(lambda: generate(args.customers, seed=args.seed, now=NOW))
    counts = data.row_counts()
    rows = sum(counts.values())
    say(f"generate {args.customers:,} customers: {rows:,} rows in {seconds:.1f} s = "
          f"{rows / seconds:,.0f} rows/s, {args.customers / seconds:,.0f} customers/s "
          f"(peak RSS {peak_rss_gb():.1f} GB)")  # fmt: skip
    ratio = (seconds / args.customers) / (small_seconds / small_n)
    say(f"  baseline {small_n:,} customers: {small_rows / small_seconds:,.0f} rows/s; "
          f"cost per customer at full size = {ratio:.2f} x the baseline's")  # fmt: skip
    say(f"  extrapolated to 1,000,000 customers: {seconds / args.customers * 1e6:.0f} s")
    for name, n in counts.items():
        say(f"  {name:16s} {n:>12,} rows ({n / args.customers:6.2f} per customer)")
    if args.no_load:
        return

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'demo.db'}"
        migrate.upgrade(url)
        store = Store.from_url(url)
        loaded, load_seconds = timed(lambda: load(store, data, progress=True))
        store.dispose()
        size = ""
        if url.startswith("sqlite"):
            size = f", file {(Path(tmp) / 'demo.db').stat().st_size / 1024**3:.2f} GB"
        total = sum(loaded.values())
        say(f"load into {url.split(':')[0]}: {total:,} rows in {load_seconds:.1f} s = "
              f"{total / load_seconds:,.0f} rows/s{size} (peak RSS {peak_rss_gb():.1f} GB)")
        base_rows, base_seconds = upsert_baseline(data, f"sqlite:///{Path(tmp) / 'upsert.db'}")
        base_rate = base_rows / base_seconds
        say(f"  baseline upsert_customers + upsert_orders on SQLite, {SAMPLE:,} customers: "
              f"{base_rate:,.0f} rows/s; bulk load = {total / load_seconds / base_rate:.1f} x")


if __name__ == "__main__":
    main()
