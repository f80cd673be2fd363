"""The project's NLU data as (text, intent) pairs: training data and the held-out sets.

Held-out sets live in tests/nlu/ and are never training data:
- `holdout.yml`: written independently of the training data, in the style of real traffic,
  with near-copies of training examples removed (tests/test_training_data.py checks);
- `definitions.yml`: written from docs/intents.md alone by someone who had not read the
  training data, including general-assistant questions (out_of_scope) and store questions
  the assistant cannot handle (store_unsupported).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TRAINING_DIR = ROOT / "data" / "nlu"
# The more independent set first: a message of a later set that copies one of an earlier set
# is dropped from the later one (nlu_eval.dedupe).
HELD_OUT = {"definitions": ROOT / "tests" / "nlu" / "definitions.yml",
            "holdout": ROOT / "tests" / "nlu" / "holdout.yml"}  # fmt: skip

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
    "store_unsupported",
]  # fmt: skip

_MARKUP = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def plain(example: str) -> str:
    """Example text without entity markup, as a customer would have typed it."""
    return _MARKUP.sub(lambda m: m.group(1) or m.group(2), example).strip()


def normalised(text: str) -> str:
    """Lower case, punctuation as spaces; text made only of punctuation stays as it is."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split()) or text.strip()


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


def pairs(by_intent: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(text, intent) for intent, texts in by_intent.items() for text in texts]


def training_examples() -> dict[str, list[str]]:
    return examples_by_intent(sorted(TRAINING_DIR.glob("*.yml")))


def training_set() -> tuple[list[str], list[str]]:
    texts, labels = zip(*pairs(training_examples()), strict=True)
    return list(texts), list(labels)


def evaluation_sets() -> dict[str, list[tuple[str, str]]]:
    """Every held-out set, by name (a missing file is an error, not an empty measurement)."""
    return {name: pairs(examples_by_intent([path])) for name, path in HELD_OUT.items()}
