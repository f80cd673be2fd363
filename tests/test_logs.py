"""No e-mail address, phone number or payment card number in any log of ours: the redaction
itself, and the logs of a running stack after a conversation full of them."""

from __future__ import annotations

import logging
import re
import time

import pytest

from personalization.logs import install_redaction, redact
from tests import shop
from tests.replies import conversation

REDACTED = [
    ("write to anna.smith+shop@example.co.uk please", "write to [email] please"),
    ("call +32 470 12 34 56 or 0470/123456", "call [phone] or [phone]"),
    ("(555) 123-4567", "[phone]"),
    ("+44 20 7946 0958 after 6", "[phone] after 6"),
    ("my number is 06 12 34 56 78", "my number is [phone]"),
    ("card 4111 1111 1111 1111 exp 12/29", "card [card] exp 12/29"),
    ("4111-1111-1111-1111", "[card]"),
    ("amex 3782 822463 10005", "amex [card]"),
    ("mistyped 1234 5678 9012 3456", "mistyped [card]"),
    ('{"text": "card 5555 5555 5555 4444", "entities": [{"value": "5555 4444"}, '
     '{"value": "5555"}], "order": "10482913"}',
     '{"text": "card [card]", "entities": [{"value": "[card]"}, {"value": "[card]"}], '
     '"order": "10482913"}'),
]
KEPT = [
    "order 30482913 placed 2026-11-27 19:16:01",
    "at 1701234567.123 the churn risk was 0.8612345678",
    "customer C0062290, sender e2e-1a2b3c4d, hash 7bb354ed6eb6a8d55ded893363a71c9a1535",
    "invoice INV-2026-004512, 3 items, 249.00 EUR",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_personal_numbers_and_addresses_are_replaced(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_order_numbers_dates_ids_and_amounts_are_kept(text):
    assert redact(text) == text


def test_every_record_of_the_process_is_redacted_arguments_and_tracebacks_too(caplog):
    install_redaction()
    install_redaction()  # twice is once
    log = logging.getLogger("some.library")
    with caplog.at_level(logging.INFO):
        log.info("user said %r", "I'm at jo@example.com, +31 6 1234 5678")
        try:
            raise ValueError("card 4111 1111 1111 1111 declined")
        except ValueError:
            log.exception("payment failed for %s", "jo@example.com")
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert "jo@example.com" not in text and "1234 5678" not in text and "4111" not in text
    assert text.count("[email]") == 2 and "[phone]" in text and "[card] declined" in text


def test_the_running_servers_logs_hold_none_of_what_the_customer_typed(assistant):
    sender = conversation()
    email, phone, card = "maria.lopez@example.org", "+34 612 345 678", "5555 5555 5555 4444"
    for message in (f"hi, my email is {email}", f"call me on {phone}",
                    f"my card {card} was charged twice", "speak to an agent"):  # fmt: skip
        assistant.say(sender, message, shop.metadata(shop.REGULAR))
    time.sleep(1.5)  # the updater's polling and the servers' buffered writes
    logs = {path.name: path.read_text(errors="replace") for path in assistant.work.glob("*.log")}
    assert {"rasa_server.log", "action_server.log", "updater.log"} <= set(logs)
    everything = "\n".join(logs.values())
    for secret in (email, "612 345 678", card, shop.SECRET.decode(),
                   assistant.env["PERSONALIZATION_HASH_KEY"]):  # fmt: skip
        assert secret not in everything, secret
    # nor a piece of the card number (as a number: 0x7f6318555570, an object's address, is not)
    assert re.search(r"(?<!\w)5555(?!\w)", everything) is None
    # the messages did reach the (debug) log, redacted: the test can see a leak
    assert "[email]" in logs["rasa_server.log"] and "[card]" in logs["rasa_server.log"]
