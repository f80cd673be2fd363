"""`python -m personalization ...`: the library's commands. Each one lives in its own module;
this file only reads the command line and the settings."""

from __future__ import annotations

import argparse
import logging
import sys

from personalization.settings import Settings, SettingsError


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from personalization.store import migrate

    migrate.upgrade(settings.db_url)
    print(f"Profile store at {settings.db_url} is at schema revision {migrate.head_revision()}.")
    return 0


def _serve_events(args: argparse.Namespace, settings: Settings) -> int:
    from personalization.collect.app import create_app
    from personalization.collect.ingest import Ingestor
    from personalization.hashing import IdHasher
    from personalization.store import Store

    store = Store.from_url(settings.db_url)
    ingestor = Ingestor(store, IdHasher(settings.require_hash_key()))
    app = create_app(ingestor, settings.require_write_keys())
    app.run(host=args.host, port=args.port, workers=args.workers, access_log=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m personalization", description=__doc__)
    parser.add_argument("--db", help="profile store URL (default: $PERSONALIZATION_DB_URL)")
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"], help="create or upgrade the profile store")
    db.set_defaults(run=_db)

    serve = commands.add_parser("serve-events", help="the Segment-compatible event API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5056)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve_events)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = Settings.from_env()
    if args.db:
        settings = Settings(args.db, settings.write_keys, settings.hash_key)
    try:
        return args.run(args, settings)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
