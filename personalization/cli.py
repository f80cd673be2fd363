"""`python -m personalization ...`: the library's commands. Each one lives in its own module;
this file only reads the command line and the settings."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace

from personalization.logs import install_redaction
from personalization.settings import DEFAULT_MODELS as MODELS
from personalization.settings import Settings, SettingsError


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from personalization.store import migrate

    migrate.upgrade(settings.db_url)
    print(f"Profile store at {settings.db_url} is at schema revision {migrate.head_revision()}.")
    return 0


def _serve_events(args: argparse.Namespace, settings: Settings) -> int:
    from personalization.collect.app import create_app
    from personalization.collect.ingest import Ingestor
    from personalization.collect.ratelimit import RateLimit
    from personalization.hashing import IdHasher
    from personalization.privacy.admin import add_admin_routes
    from personalization.privacy.commands import requests_from
    from personalization.store import Store

    store = Store.from_url(settings.db_url)
    ingestor = Ingestor(store, IdHasher(settings.require_hash_key()))
    rate, burst = settings.event_rate_limit()
    app = create_app(ingestor, settings.require_write_keys(), browser_keys=settings.browser_keys,
                     limit=RateLimit(rate, burst))
    add_admin_routes(app, requests_from(args, settings, store), settings.checked_admin_token())
    app.run(host=args.host, port=args.port, workers=args.workers, access_log=False)
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from personalization.hashing import IdHasher
    from personalization.imports.mapping import load_mapping
    from personalization.imports.runner import run_import
    from personalization.store import Store

    mapping = load_mapping(Path(args.mapping), args.kind)
    store = Store.from_url(settings.db_url)
    report = run_import(Path(args.file), mapping, store, IdHasher(settings.require_hash_key()),
                        Path(args.rejects) if args.rejects else None, progress=not args.quiet)
    print(report.summary())
    return 0


def _demo_data(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from personalization.demo_data import generate, load
    from personalization.store import Store
    from personalization.store.customers import customer_count

    store = Store.from_url(settings.db_url)
    with store.begin() as conn:
        existing = customer_count(conn)
    if existing and args.if_empty:
        print(f"The profile store already holds {existing} customers; no demo data added.")
        return 0
    started = time.perf_counter()
    data = generate(args.customers, seed=args.seed)
    counts = load(store, data, progress=not args.quiet)
    print(f"Demo store ready in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{n} {table}" for table, n in counts.items()))
    return 0


def _train(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from personalization.hashing import IdHasher
    from personalization.store import Store
    from personalization.training import train_models
    from personalization.training.train import up_to_date

    store = Store.from_url(settings.db_url)
    if args.if_stale and (reason := up_to_date(store, Path(args.out))):
        print(reason)
        return 0
    personas = Path(args.personas) if args.personas else None
    hasher = IdHasher(settings.hash_key) if settings.hash_key else None  # keys for erasures
    models = train_models(store, Path(args.out), method=args.segments, personas_file=personas,
                          hasher=hasher)  # fmt: skip
    for persona in models.personas.values():
        print(f"  segment {persona.segment}: {persona.name} ({persona.size:,} customers)")
    if args.score:
        from personalization.training import score_customers

        done = score_customers(store, models, progress=False)
        print(f"Scored {done:,} customers with models {models.version}.")
    return 0


def _score(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from personalization.store import Store
    from personalization.training import load_models, score_customers

    models = load_models(Path(args.models))
    store = Store.from_url(settings.db_url)
    done = score_customers(store, models, chunk_customers=args.chunk, progress=not args.quiet)
    print(f"Scored {done:,} customers with models {models.version}.")
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from personalization.training.report import report_from_settings

    page = report_from_settings(settings, Path(args.out), Path(args.models),
                                Path(args.endpoints) if args.endpoints else None)  # fmt: skip
    print(f"Report written: {page}")
    return 0


def _rules_check(args: argparse.Namespace, settings: Settings) -> int:
    from personalization.rules import RulesError, load_rules

    failed = 0
    for path in args.files or [settings.rules_path]:
        try:
            ruleset = load_rules(path)
        except RulesError as error:
            failed += 1
            print("\n".join(error.problems), file=sys.stderr)
            continue
        print(f"{path}: OK, {len(ruleset.rules)} rules")
    return 1 if failed else 0


def _sign(args: argparse.Namespace, settings: Settings) -> int:
    from personalization.conversation.identity import signed_metadata

    try:
        metadata = signed_metadata(settings.require_identity_secret(), args.customer_id,
                                   args.session, settings.signature_lifetime)  # fmt: skip
    except ValueError as error:
        raise SettingsError(str(error)) from None
    print(json.dumps(metadata))
    return 0


def _positive(value: str) -> int:
    number = int(value) if value.strip().lstrip("-").isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return number


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
    serve.add_argument("--endpoints", help="Rasa's endpoints file, for the admin endpoints' "
                       "access to conversations (default $PERSONALIZATION_ENDPOINTS or "
                       "endpoints.yml)")  # fmt: skip
    serve.add_argument("--models", default=MODELS, help=f"trained models (default {MODELS})")
    serve.set_defaults(run=_serve_events)

    imports = commands.add_parser("import", help="import a CRM, ticket or order export (CSV)")
    imports.add_argument("kind", choices=["crm", "tickets", "orders"])
    imports.add_argument("file", help="the CSV file")
    imports.add_argument("--mapping", required=True, help="the mapping file (YAML)")
    imports.add_argument("--rejects", help="rejected rows go here (default: FILE.rejects.csv)")
    imports.add_argument("--quiet", action="store_true", help="no progress bar")
    imports.set_defaults(run=_import)

    demo = commands.add_parser("demo-data", help="fill an empty store with a synthetic shop")
    demo.add_argument("--customers", type=_positive, default=5000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--if-empty", action="store_true", help="do nothing if customers exist")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(run=_demo_data)

    train = commands.add_parser("train", help="train segments, churn model and recommender")
    train.add_argument("--out", default=MODELS, help=f"where the models go (default {MODELS})")
    train.add_argument("--segments", default="kmeans", choices=["kmeans", "agglomerative",
                                                                "dbscan"])  # fmt: skip
    train.add_argument("--personas", help="a YAML file renaming segments (docs/models.md)")
    train.add_argument("--if-stale", action="store_true",
                       help="only if the store's data or the libraries changed since training")
    train.add_argument("--score", action="store_true", help="then score every customer")
    train.set_defaults(run=_train)

    score = commands.add_parser("score", help="write segment, persona and churn risk for all")
    score.add_argument("--models", default=MODELS, help=f"trained models (default {MODELS})")
    score.add_argument("--chunk", type=_positive, default=20_000, help="customers per chunk")
    score.add_argument("--quiet", action="store_true", help="no progress bar")
    score.set_defaults(run=_score)

    report = commands.add_parser("report", help="an HTML report of the trained models and "
                                 "the conversations")  # fmt: skip
    report.add_argument("--models", default=MODELS, help=f"trained models (default {MODELS})")
    report.add_argument("--out", default="reports", help="folder for index.html and pictures")
    report.add_argument("--endpoints", help="Rasa's endpoints file, for the conversations in "
                        "its tracker store (default $PERSONALIZATION_ENDPOINTS or "
                        "endpoints.yml)")  # fmt: skip
    report.set_defaults(run=_report)

    from personalization.updater.command import add_command

    add_command(commands)  # updater

    rules = commands.add_parser("rules", help="the personalization rules file")
    rules.add_argument("action", choices=["check"], help="check files for problems")
    rules.add_argument("files", nargs="*", help="rules files (default: $PERSONALIZATION_RULES "
                       "or personalization.yml)")  # fmt: skip
    rules.set_defaults(run=_rules_check)

    sign = commands.add_parser("sign", help="print, as one line of JSON, the metadata a website "
                               "sends with a signed-in customer's messages in one chat session "
                               "(HMAC-SHA256 with $PERSONALIZATION_IDENTITY_SECRET, valid for "
                               "$PERSONALIZATION_SIGNATURE_LIFETIME seconds)")  # fmt: skip
    sign.add_argument("customer_id")
    sign.add_argument("--session", required=True, metavar="SENDER",
                      help="the chat session: Rasa's sender id of the conversation")  # fmt: skip
    sign.set_defaults(run=_sign)

    from personalization.privacy.commands import add_commands

    add_commands(commands)  # export, erase, audit
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    install_redaction()  # no e-mail, phone or card number reaches a log of ours
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
        if args.db:
            settings = replace(settings, db_url=args.db)
        return args.run(args, settings)
    except Exception as error:
        if not isinstance(error, _errors_a_person_can_act_on()):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2


def _errors_a_person_can_act_on() -> tuple[type[Exception], ...]:
    """Imported only when a command failed: the model modules take a second to import, and
    `serve-events` or `updater` should not pay that at start."""
    from personalization.demo_data import StoreNotEmpty
    from personalization.imports.mapping import MappingError
    from personalization.privacy.conversations import ConversationStoreError
    from personalization.privacy.requests import RequestError
    from personalization.segmentation import PersonaFileError
    from personalization.store import StoreNotReady
    from personalization.training.artifacts import ArtifactError

    return (SettingsError, MappingError, StoreNotReady, PersonaFileError, ArtifactError,
            StoreNotEmpty, ConversationStoreError, RequestError)
