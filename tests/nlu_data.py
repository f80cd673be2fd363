"""Reading the project's NLU data the way the tests need it."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import yaml

from tests.trackers import ROOT

CUSTOMER_REQUEST_INTENTS = [
    "track_order", "cancel_order", "change_order", "place_order",
    "change_shipping_address", "delivery_options", "delivery_period",
    "get_refund", "track_refund", "check_refund_policy", "check_cancellation_fee",
    "payment_issue", "check_payment_methods", "get_invoice", "check_invoice",
    "create_account", "edit_account", "switch_account", "delete_account",
    "recover_password", "registration_problems",
    "complaint", "review", "contact_human_agent", "newsletter_subscription",
    "ask_recommendation",
    # privacy
    "give_consent", "withdraw_consent", "consent_later", "request_data_export",
    "request_data_deletion",
]  # fmt: skip
CONVERSATION_INTENTS = [
    "greet", "goodbye", "affirm", "deny", "thank_you", "bot_challenge", "out_of_scope",
]  # fmt: skip

_MARKUP = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def plain(example: str) -> str:
    """Example text without entity markup, as a customer would have typed it."""
    return _MARKUP.sub(lambda m: m.group(1) or m.group(2), example).strip()


def examples_by_intent(paths: list[Path]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        for block in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    result[block["intent"]].append(plain(line[2:]))
    return dict(result)


def training_examples() -> dict[str, list[str]]:
    return examples_by_intent(sorted((ROOT / "data" / "nlu").glob("*.yml")))


def holdout_examples() -> dict[str, list[str]]:
    return examples_by_intent([ROOT / "tests" / "nlu" / "holdout.yml"])


def normalised(text: str) -> str:
    """Lower case, punctuation as spaces; text made only of punctuation stays as it is."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split()) or text.strip()
