"""Scoring every customer (`score_customers`: chunks read, scored and written back) against a
floor measured in the same run: reading the same features into memory at once and calling
the models on one in-memory array (nothing written). Targets: within 2x of the floor's time,
under 2 GB peak memory.

    .venv/bin/python -m bench.score                         # 1M customers (loading: ~11 min)
    .venv/bin/python -m bench.score --customers 100000

Each measurement runs in its own process, so its peak memory (VmHWM) is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

NOW = datetime(2026, 11, 27)


def prepare(folder: Path, customers: int) -> tuple[str, Path]:
    from personalization.demo_data import generate, load
    from personalization.store import Store, migrate
    from personalization.training import train_models

    def store_of(name: str, n: int, seed: int) -> Store:
        url = f"sqlite:///{folder / name}"
        migrate.upgrade(url)
        store = Store.from_url(url)
        load(store, generate(n, seed=seed, now=NOW), progress=True)
        return store

    train_models(store_of("train.db", 20_000, 3), folder / "models", now=NOW)
    store_of("score.db", customers, 7)
    return f"sqlite:///{folder / 'score.db'}", folder / "models"


def measure(phase: str, url: str, models_folder: Path, chunk: int) -> dict[str, float]:
    from personalization.features import read_features
    from personalization.store import Store
    from personalization.training import load_models, score_customers
    from personalization.training.scoring import score_frame

    store, models = Store.from_url(url), load_models(models_folder)
    start = time.perf_counter()
    if phase == "chunked":
        count = score_customers(store, models, chunk_customers=chunk, now=NOW, progress=False)
    else:
        frame = read_features(store, now=NOW, chunk_customers=chunk)
        count = len(score_frame(models, frame))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_gb": peak_memory_gb(), "customers": count}


def peak_memory_gb() -> float:
    """This process's own high-water mark (ru_maxrss would count the parent's memory that a
    forked child held before exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def run_phase(phase: str, url: str, models: Path, chunk: int) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-m", "bench.score", "--phase", phase, "--url", url,
                           "--models", str(models), "--chunk", str(chunk)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--phase", choices=["chunked", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--models", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(measure(args.phase, args.url, args.models, args.chunk)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"preparing: models trained on 20,000 customers, a store of {args.customers:,}",
              flush=True)  # fmt: skip
        url, models = prepare(Path(tmp), args.customers)
        floor = run_phase("floor", url, models, 50_000)
        chunked = run_phase("chunked", url, models, args.chunk)
    print(f"\nscoring {args.customers:,} customers on SQLite")
    print(f"floor (read all features, one predict, no writes): {floor['seconds']:7.1f} s, "
          f"peak {floor['peak_gb']:.2f} GB")
    print(f"score_customers (chunks of {args.chunk:,}, written back): {chunked['seconds']:7.1f} s,"
          f" peak {chunked['peak_gb']:.2f} GB")
    print(f"time ratio {chunked['seconds'] / floor['seconds']:.2f} (target <= 2), "
          f"peak memory {chunked['peak_gb']:.2f} GB (target < 2 GB)")


if __name__ == "__main__":
    main()
