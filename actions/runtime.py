"""What the actions share: the personalizer, the profile store and the models, built from the
environment once (on first use), and replaceable by tests (`use`)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from personalization.conversation.models import LiveModels
from personalization.conversation.personalizer import Personalizer
from personalization.hashing import IdHasher
from personalization.privacy.conversations import (
    ConversationStoreError,
    check_keeps_no_signatures,
    rasa_store_urls,
    rasa_stores,
)
from personalization.privacy.requests import PrivacyRequests
from personalization.rules import RulesError, RuleSet, load_rules
from personalization.settings import Settings, SettingsError
from personalization.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Runtime:
    personalizer: Personalizer
    store: Store | None
    models: LiveModels | None
    hasher: IdHasher | None = None  # keys the audit log's subjects and the suppression list
    requests: PrivacyRequests | None = None  # exports and erasures asked for in the chat
    explain: bool = False  # each decision's explanation goes to the `explanation` slot

    def recommender(self):
        models = self.models.get() if self.models else None
        return models.recommender if models else None


_current: Runtime | None = None


async def read(function: Callable[..., T], *args: Any) -> T:
    """Run a store read without stalling the server: in a worker thread for a database over
    the network; inline for SQLite, whose indexed reads (a few tenths of a millisecond, never
    waiting for a writer in WAL mode) cost less than the hop to a thread."""
    store = runtime().store
    if store is not None and store.engine.dialect.name == "sqlite":
        return function(*args)
    return await asyncio.to_thread(function, *args)


def cannot_start(message: str) -> NoReturn:
    print(f"The action server cannot start: {message}", file=sys.stderr, flush=True)
    raise SystemExit(78)  # EX_CONFIG


def load_rules_or_exit(settings: Settings) -> RuleSet:
    """The action server does not start with a broken rules file; it says what is wrong."""
    try:
        return load_rules(settings.rules_path)
    except RulesError as error:
        cannot_start(f"the personalization rules file has problems.\n{error}\nFix them (check "
                     f"with `python -m personalization rules check {settings.rules_path}`) and "
                     "start it again.")  # fmt: skip


def check_or_exit(settings: Settings) -> tuple[RuleSet, IdHasher]:
    """What the actions need, checked when the action server starts (it imports `actions`):
    the rules file, the hash key (consent answers and erasures in the chat are audited and
    suppressed by keyed hash) and Rasa's stores in the endpoints file (erasures delete the
    customer's conversations, found by the verification results the tracker store keeps)."""
    rules = load_rules_or_exit(settings)
    try:
        hasher = IdHasher(settings.require_hash_key())
        rasa_store_urls(Path(settings.endpoints_path))
        check_keeps_no_signatures(Path(settings.endpoints_path))
    except (SettingsError, ConversationStoreError, ValueError) as error:
        cannot_start(str(error))
    return rules, hasher


def build(settings: Settings) -> Runtime:
    rules, hasher = check_or_exit(settings)
    if not settings.identity_secret:
        log.warning("PERSONALIZATION_IDENTITY_SECRET is not set: every chat is an anonymous "
                    "visitor (no profile, default answers).")  # fmt: skip
    store = Store.from_url(settings.db_url, check_schema=False)
    conversations = rasa_stores(Path(settings.endpoints_path))
    requests = PrivacyRequests(store, hasher, conversations, Path(settings.models_dir))
    if not settings.enabled:
        log.warning("Personalization is switched off (PERSONALIZATION_ENABLED): every "
                    "customer gets the answers of an anonymous visitor.")  # fmt: skip
    personalizer = Personalizer(store, rules, settings.identity_secret, settings.enabled,
                                settings.signature_lifetime)
    return Runtime(personalizer, store,
                   LiveModels(settings.models_dir), hasher, requests,
                   settings.explain)  # fmt: skip


def runtime() -> Runtime:
    global _current
    if _current is None:
        _current = build(Settings.from_env())
    return _current


def use(replacement: Runtime | None) -> None:
    """Tests: run the actions against their own store, rules and secret."""
    global _current
    _current = replacement
