"""`python -m personalization export|erase|sweep|audit|upgrade-conversations`: data subject
requests from the command line."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from personalization.settings import DEFAULT_MODELS, Settings


def requests_from(args: argparse.Namespace, settings: Settings, store=None):
    from personalization.hashing import IdHasher
    from personalization.privacy.conversations import rasa_stores
    from personalization.privacy.requests import PrivacyRequests
    from personalization.store import Store

    return PrivacyRequests(store or Store.from_url(settings.db_url),
                           IdHasher(settings.require_hash_key()),
                           rasa_stores(Path(args.endpoints or settings.endpoints_path)),
                           Path(args.models))  # fmt: skip


def _actor(args: argparse.Namespace) -> str:
    return args.actor or f"cli:{getpass.getuser()}"


def _export(args: argparse.Namespace, settings: Settings) -> int:
    data = requests_from(args, settings).export(args.customer_id, _actor(args))
    if data is None:
        print(f"Nothing is held about customer {args.customer_id!r}.", file=sys.stderr)
        return 1
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if args.out:
        Path(args.out).write_text(text + "\n")
        print(f"Wrote everything held about the customer to {args.out}.", file=sys.stderr)
    else:
        print(text)
    return 0


def _erase(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            print("error: erasure cannot be undone: pass --yes to confirm.", file=sys.stderr)
            return 2
        answer = input(f"Erase customer {args.customer_id!r} from every store? This cannot be "
                       "undone. Type the id again to confirm: ")  # fmt: skip
        if answer.strip() != args.customer_id:
            print("Not confirmed: nothing was erased.", file=sys.stderr)
            return 1
    report = requests_from(args, settings).erase(args.customer_id, _actor(args))
    print(report.summary())
    return 0


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from personalization.hashing import IdHasher
    from personalization.store import Store, audit

    subject = IdHasher(settings.require_hash_key())(args.customer_id) if args.customer_id else None
    with Store.from_url(settings.db_url).engine.connect() as conn:
        for entry in audit.entries(conn, subject):
            print(json.dumps({**entry, "at": entry["at"].isoformat() + "Z"}, default=str))
    return 0


def _sweep(args: argparse.Namespace, settings: Settings) -> int:
    from personalization.privacy.sweeper import sweep_once

    swept = sweep_once(requests_from(args, settings), args.quiet_after)
    print(f"Deleted {swept} erased conversation(s) from Rasa's stores.")
    return 0


def _upgrade_conversations(args: argparse.Namespace, settings: Settings) -> int:
    from personalization.privacy.conversations import rasa_stores
    from personalization.privacy.legacy_signatures import upgrade_store

    secret = settings.require_identity_secret()
    for store in rasa_stores(Path(args.endpoints or settings.endpoints_path)):
        done = upgrade_store(store, secret)
        print(f"{store.role}: {done.events:,} event(s) now hold the verification result "
              "instead of a signature.")
        store.dispose()
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("customer_id")
        parser.add_argument("--endpoints", help="Rasa's endpoints file: where its tracker store "
                            "and SQL event broker keep conversations (default "
                            "$PERSONALIZATION_ENDPOINTS or endpoints.yml)")  # fmt: skip
        parser.add_argument("--models", default=DEFAULT_MODELS,
                            help=f"trained models (default {DEFAULT_MODELS})")
        parser.add_argument("--actor", help="who asks, for the audit log (default cli:USER)")

    export = commands.add_parser("export", help="everything held about a customer, as JSON")
    common(export)
    export.add_argument("--out", help="write to this file (default: standard output)")
    export.set_defaults(run=_export)

    erase = commands.add_parser("erase", help="erase a customer from every store")
    common(erase)
    erase.add_argument("--yes", action="store_true", help="confirm without asking")
    erase.set_defaults(run=_erase)

    sweep = commands.add_parser("sweep", help="delete conversations erased from the chat from "
                                "Rasa's stores, once they are over (the updater does it too)")
    sweep.add_argument("--endpoints", help="Rasa's endpoints file (default "
                       "$PERSONALIZATION_ENDPOINTS or endpoints.yml)")  # fmt: skip
    sweep.add_argument("--models", default=DEFAULT_MODELS, help=argparse.SUPPRESS)
    sweep.add_argument("--quiet-after", type=float, default=120.0,
                       help="a conversation this many seconds without events is over")
    sweep.set_defaults(run=_sweep)

    upgrade = commands.add_parser(
        "upgrade-conversations", help="once after upgrading: replace the signatures stored in "
        "older conversations by their verification result (docs/privacy.md)")  # fmt: skip
    upgrade.add_argument("--endpoints", help="Rasa's endpoints file (default "
                         "$PERSONALIZATION_ENDPOINTS or endpoints.yml)")  # fmt: skip
    upgrade.set_defaults(run=_upgrade_conversations)

    log = commands.add_parser("audit", help="the audit log of exports, erasures and consent")
    log.add_argument("customer_id", nargs="?", help="only this customer's entries")
    log.set_defaults(run=_audit)
