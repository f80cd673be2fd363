"""`python -m personalization updater`: Rasa's conversation events into interaction history
(and, with --endpoints, the sweeping of conversations erased from the chat; every deployment
needs one updater that sweeps). `--health-port` serves `GET /health` (updater/health.py):
503 while erased conversations wait past `--overdue-after` seconds to be swept."""

from __future__ import annotations

import argparse

from personalization.settings import DEFAULT_MODELS, Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio
    import signal
    import threading

    from personalization.store import Store
    from personalization.updater import sources

    store = Store.from_url(settings.db_url)
    sweeping = threading.Event()  # set: the sweeper stops
    sweeper = None
    if args.endpoints:  # also delete conversations erased from the chat, once quiet
        from personalization.privacy.commands import requests_from
        from personalization.privacy.sweeper import start_sweeper

        sweeper = start_sweeper(requests_from(args, settings, store), args.sweep_every,
                                args.quiet_after, sweeping, args.overdue_after)  # fmt: skip
    health = None
    if args.health_port:
        from personalization.updater.health import serve_health

        health = serve_health(store, sweeper, args.health_host, args.health_port,
                              args.overdue_after)  # fmt: skip
    if args.source.startswith(("amqp://", "amqps://")):
        stop = asyncio.Event()

        async def consume() -> None:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await sources.run_amqp(store, args.source, args.queue, stop)

        asyncio.run(consume())
    else:
        halt = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: halt.set())
        sources.run_sql(store, args.source, halt, interval=args.interval)
    sweeping.set()
    if health is not None:
        health.shutdown()
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    updater = commands.add_parser(
        "updater", help="apply Rasa's conversation events to interaction history")
    updater.add_argument("--source", required=True, help="the event broker: the SQLAlchemy URL "
                         "of Rasa's SQL broker database, or amqp://user:pass@host:5672/ for "
                         "RabbitMQ")  # fmt: skip
    updater.add_argument("--queue", default="rasa_events", help="RabbitMQ queue name")
    updater.add_argument("--interval", type=float, default=1.0, help="SQL polling interval, s")
    updater.add_argument("--endpoints", help="Rasa's endpoints file: also delete, from its "
                         "tracker store and SQL broker, conversations erased from the chat")
    updater.add_argument("--models", default=DEFAULT_MODELS, help=argparse.SUPPRESS)
    updater.add_argument("--sweep-every", type=float, default=30.0, help="seconds (default 30)")
    updater.add_argument("--quiet-after", type=float, default=120.0,
                         help="a conversation this many seconds without events is over")
    updater.add_argument("--overdue-after", type=float, default=600.0,
                         help="an erased conversation still unswept after this many seconds "
                         "is overdue: logged at every sweep, and /health answers 503")
    updater.add_argument("--health-port", type=int, help="serve GET /health on this port")
    updater.add_argument("--health-host", default="127.0.0.1",
                         help="the health check's address (0.0.0.0 in a container)")
    updater.set_defaults(run=run)
