"""Load on the whole assistant: N concurrent customer conversations over Rasa's REST channel,
personalized vs the same assistant with personalization switched off, in one run.

Two stacks run side by side on the same trained Rasa model, the same profile store (a
synthetic shop, SQLite) and the same customer models; they differ only in
PERSONALIZATION_ENABLED (0: everyone is answered as an anonymous visitor, no profile read).
Each has its own Rasa server, action server and tracker store, all on 127.0.0.1. The load
is bounded: a fixed number of conversations per phase and a time limit, with N conversations
in flight at once; the phases alternate (personalized, off, off, personalized, ...) so that
drift on the machine falls on both. A conversation is a signed-in customer (or, one in
eight, an anonymous visitor) who greets, asks two or three things (orders by number or via
the order form, delivery, refunds, payment, recommendations, a human, small talk), clicks a
quick reply now and then, and says goodbye. A turn is one message and its answer; an error
is an HTTP error, a timeout or an empty answer.

    .venv/bin/python -m bench.load                           # 8 at once, 2 rounds
    .venv/bin/python -m bench.load --concurrency 16 --conversations 150 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import numpy as np
from sqlalchemy import text

from bench.profile_read import NOW
from bench.session_start import SECRET, fill, free_port
from personalization.conversation.identity import signed_metadata
from personalization.store import Store
from scripts.stack import (
    ROOT,
    Service,
    endpoints_in,
    start_action_server,
    start_rasa_server,
    stop,
    wait_until_up,
)

MODEL = ROOT / "models" / "brightcart.tar.gz"
HOST = "127.0.0.1"  # loopback only


@dataclass
class Customer:
    customer_id: str | None  # None: an anonymous visitor
    first_name: str | None = None
    orders: list[str] = field(default_factory=list)

    def metadata(self, sender: str) -> dict:
        """What the website sends with each message of this customer in chat `sender`."""
        if self.customer_id is None:
            return {}
        return signed_metadata(SECRET.encode(), self.customer_id, sender)


GREETINGS = ["hi", "hello", "hey there", "good morning", "hiya", "hello, I need some help",
             "hi, quick question", "yo"]  # fmt: skip
GOODBYES = ["bye", "thanks, bye", "thank you, that's all", "ok cheers", "goodbye",
            "great thanks"]  # fmt: skip


def topic(rng: random.Random, customer: Customer) -> list[str]:
    """One thing the customer wants: the messages they send for it."""
    order = rng.choice(customer.orders) if customer.orders else str(rng.randint(10000000, 99999999))
    choices = [
        [rng.choice([f"where is my order {order}", f"wheres my package #{order}",
                     f"tracking for ORD-{order} please", f"has order {order} shipped yet?"])],
        [rng.choice(["where is my order", "my parcel hasnt arrived", "track my order pls"]),
         order],
        [rng.choice(["how long does delivery take", "do you ship to austria",
                     "what are the delivery options"])],
        [rng.choice(["what's your refund policy", "can I get a refund", "how do returns work"])],
        [rng.choice(["what payment methods do you accept", "can i pay with paypal",
                     "my payment didn't go through"])],
        [rng.choice(["can you recommend something", "any product suggestions for me?",
                     "what should I buy next"])],
        [rng.choice(["I want to talk to a human", "let me speak to an agent please",
                     "this is ridiculous, I want to complain"])],
        [rng.choice(["are you a bot?", "I need an invoice for my last order",
                     "how do I reset my password"])],
    ]
    return rng.choices(choices, weights=[4, 2, 2, 2, 2, 2, 1, 2])[0]


def script(rng: random.Random, customer: Customer) -> list[str]:
    messages = [rng.choice(GREETINGS)]
    for _ in range(rng.randint(2, 3)):
        messages += topic(rng, customer)
    return messages + [rng.choice(GOODBYES)]


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)  # ms
    errors: list[str] = field(default_factory=list)
    greetings: int = 0  # greetings of signed-in customers
    named: int = 0  # of those, answered with the customer's first name
    seconds: float = 0.0
    conversations: int = 0


async def converse(session: aiohttp.ClientSession, url: str, customer: Customer,
                   rng: random.Random, phase: Phase, sender: str) -> None:  # fmt: skip
    pending = script(rng, customer)
    first = True
    while pending:
        message = pending.pop(0)
        began = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": message,
                                               "metadata": customer.metadata(sender)}) as response:
                body = await response.json(content_type=None) if response.status == 200 else None
                problem = None if response.status == 200 else f"HTTP {response.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            body, problem = None, f"{type(error).__name__}"
        phase.latencies.append((time.perf_counter() - began) * 1000)
        if problem is None and not body:
            problem = f"no answer to {message!r}"
        if problem:
            phase.errors.append(problem)
            continue
        if first and customer.customer_id:
            phase.greetings += 1
            phase.named += any(customer.first_name and customer.first_name in (m.get("text") or "")
                               for m in body)  # fmt: skip
        first = False
        buttons = [b for m in body for b in (m.get("buttons") or [])]
        if buttons and rng.random() < 0.6:  # a quick reply clicked (consent, offers)
            pending.insert(0, rng.choice(buttons)["payload"])


async def run_phase(url: str, customers: list[Customer], conversations: int, concurrency: int,
                    limit: float, seed: int, tag: str) -> Phase:  # fmt: skip
    phase, rng = Phase(), random.Random(seed)
    started = time.perf_counter()
    numbers = iter(range(conversations))
    timeout = aiohttp.ClientTimeout(total=60)

    async def worker(session: aiohttp.ClientSession) -> None:
        for n in numbers:
            if time.perf_counter() - started > limit:
                return
            own = random.Random(rng.random())
            customer = own.choice(customers)
            await converse(session, url, customer, own, phase, f"load-{tag}-{seed}-{n}")
            phase.conversations += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    phase.seconds = time.perf_counter() - started
    return phase


def shop_customers(url: str, ids: list[str], count: int, seed: int) -> list[Customer]:
    """Signed-in customers who allowed personalization, with their order numbers, and
    anonymous visitors (one in eight)."""
    chosen = random.Random(seed).sample(ids, min(count, len(ids)))
    store = Store.from_url(url)
    with store.engine.connect() as conn:
        names = dict(conn.execute(text("SELECT customer_id, name FROM customers")).all())
        orders: dict[str, list[str]] = {}
        for customer, order in conn.execute(text("SELECT customer_id, order_id FROM orders")):
            orders.setdefault(customer, []).append(order)
    store.dispose()
    found = [Customer(c, (names.get(c) or "").split(" ")[0] or None, orders.get(c, [])[-5:])
             for c in chosen]  # fmt: skip
    return found + [Customer(None)] * max(1, len(found) // 7)


def start_stack(work: Path, name: str, env: dict[str, str], ports: tuple[int, int]
                ) -> tuple[list[Service], str]:  # fmt: skip
    action_port, rasa_port = ports
    folder = work / name
    folder.mkdir()
    endpoints = endpoints_in(folder, action_port, HOST)
    env = {**env, "PERSONALIZATION_ENDPOINTS": str(endpoints)}
    actions = start_action_server(action_port, folder / "action_server.log", env)
    rasa = start_rasa_server(MODEL, rasa_port, endpoints, folder / "rasa.log",
                             extra_args=["--interface", HOST], env=env)  # fmt: skip
    return [actions, rasa], f"http://{HOST}:{rasa_port}/webhooks/rest/webhook"


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return (float("nan"),) * 3
    p50, p95, p99 = np.percentile(np.array(values), [50, 95, 99])
    return float(p50), float(p95), float(p99)


def report(results: dict[str, Phase], args: argparse.Namespace) -> int:
    print(f"\nbench.load: {args.concurrency} conversations at once, {args.conversations} per "
          f"phase (at most {args.duration:.0f} s), {args.rounds} rounds, REST channel on "
          f"{HOST}; one Rasa server + one action server per configuration")  # fmt: skip
    print(f"{'':14}{'convs':>7}{'turns':>7}{'turns/s':>9}{'p50':>9}{'p95':>9}{'p99':>9}"
          f"{'errors':>8}{'named':>8}")  # fmt: skip
    for name, r in results.items():
        p50, p95, p99 = percentiles(r.latencies)
        named = f"{100 * r.named / r.greetings:.0f}%" if r.greetings else "-"
        print(f"{name:14}{r.conversations:>7}{len(r.latencies):>7}"
              f"{len(r.latencies) / r.seconds:>9.1f}{p50:>7.0f}ms{p95:>7.0f}ms{p99:>7.0f}ms"
              f"{len(r.errors):>8}{named:>8}")  # fmt: skip
    on, off = results["personalized"], results["off"]
    (a50, a95, a99), (b50, b95, b99) = percentiles(on.latencies), percentiles(off.latencies)
    throughput = (len(on.latencies) / on.seconds) / (len(off.latencies) / off.seconds)
    print(f"{'ratio':14}{'':21}{throughput:>8.2f}x{a50 / b50:>8.2f}x{a95 / b95:>8.2f}x"
          f"{a99 / b99:>8.2f}x")  # fmt: skip
    print("named: greetings of signed-in customers that used their first name")
    errors = on.errors + off.errors
    for problem in sorted(set(errors))[:10]:
        print(f"  error x{errors.count(problem)}: {problem}")
    cost = a50 / b50 - 1
    print(f"targets: no errors ({'met' if not errors else 'MISSED'}); personalization costs "
          f"under 15% of turn latency (p50: {cost:+.1%}, "
          f"{'met' if cost < 0.15 else 'MISSED'})")  # fmt: skip
    return 0 if not errors else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8, help="conversations at once")
    parser.add_argument("--conversations", type=int, default=80, help="per phase")
    parser.add_argument("--duration", type=float, default=300, help="seconds, at most, a phase")
    parser.add_argument("--rounds", type=int, default=2, help="phases of each configuration")
    parser.add_argument("--customers", type=int, default=2000, help="in the synthetic shop")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if not MODEL.exists():
        print(f"No trained Rasa model at {MODEL}: run `make train` first.", file=sys.stderr)
        return 2
    from personalization.training import train_models

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'profiles.db'}"
        print(f"Filling a synthetic shop of {args.customers:,} customers...", flush=True)
        ids = fill(url, args.customers, args.seed)
        began = time.perf_counter()
        warnings.simplefilter("ignore", DeprecationWarning)  # pandas' and sklearn's own
        train_models(Store.from_url(url), work / "models", now=NOW, say=lambda _: None)
        print(f"  customer models trained in {time.perf_counter() - began:.0f} s", flush=True)
        customers = shop_customers(url, ids, 400, args.seed)
        env = {"PERSONALIZATION_DB_URL": url, "PERSONALIZATION_IDENTITY_SECRET": SECRET,
               "PERSONALIZATION_HASH_KEY": "bench-hash-key-not-for-production",
               "PERSONALIZATION_MODELS": str(work / "models")}  # fmt: skip
        services: list[Service] = []
        urls = {}
        try:
            for name, enabled in (("personalized", "1"), ("off", "0")):
                ports = free_port(), free_port()
                started, urls[name] = start_stack(work, name, {
                    **env, "PERSONALIZATION_ENABLED": enabled}, ports)  # fmt: skip
                services += started
                wait_until_up(started[0], f"http://{HOST}:{ports[0]}/health")
                wait_until_up(started[1], urls[name].removesuffix("webhook"), timeout=300)
            print("Both stacks up; warming up...", flush=True)
            for name, url_ in urls.items():  # first turns load lazily: not measured
                asyncio.run(run_phase(url_, customers, 2 * args.concurrency, args.concurrency,
                                      args.duration, args.seed, f"warm-{name}"))  # fmt: skip
            results = {name: Phase() for name in urls}
            order = list(urls)
            for round_ in range(args.rounds):
                for name in order if round_ % 2 == 0 else order[::-1]:
                    phase = asyncio.run(run_phase(
                        urls[name], customers, args.conversations, args.concurrency,
                        args.duration, args.seed + round_, f"{name}-{round_}"))  # fmt: skip
                    total = results[name]
                    total.latencies += phase.latencies
                    total.errors += phase.errors
                    total.greetings += phase.greetings
                    total.named += phase.named
                    total.seconds += phase.seconds
                    total.conversations += phase.conversations
                    print(f"  round {round_ + 1}, {name}: {phase.conversations} conversations, "
                          f"{len(phase.latencies)} turns in {phase.seconds:.0f} s, "
                          f"{len(phase.errors)} errors", flush=True)  # fmt: skip
        finally:
            stop(services)
    return report(results, args)


if __name__ == "__main__":
    sys.exit(main())
