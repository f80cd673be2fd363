"""No e-mail address, phone number, payment card number, signature or customer name in any
log of ours: the redaction itself, and the logs of a running stack after a signed-in
customer's conversation full of them."""

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


# what Rasa (at debug level) and rasa-sdk write about slots, and the answers that follow
SLOTS_LOGGED = [
    ('"SlotSet(key: first_name, value: Brunhilde)", "SlotSet(key: churn_risk, value: 0.86)"',
     '"SlotSet(key: first_name, value: [redacted])", "SlotSet(key: churn_risk, value: '
     '[redacted])"'),
    ('{"slot_values": "\\tknown_customer: True\\n\\tfirst_name: Brunhilde\\n\\tfull_name: '
     'Brunhilde Oyelaran-Fitz\\n\\tsegment: 3\\n\\tproduct_interests: [\'Desk Lamp\']\\n"}',
     '{"slot_values": "\\tknown_customer: True\\n\\tfirst_name: [redacted]\\n\\tfull_name: '
     '[redacted]\\n\\tsegment: [redacted]\\n\\tproduct_interests: [redacted]\\n"}'),
    ('{"event":"slot","name":"full_name","value":"Brunhilde Oyelaran-Fitz"}',
     '{"event":"slot","name":"full_name","value":"[redacted]"}'),
    ("BotUttered('Good evening, Brunhilde Oyelaran-Fitz. Hey Brunhilde!')",
     "BotUttered('Good evening, [name]. Hey [name]!')"),
    ("signature 44c3fd27c1bc586a44682a1dfe1a28bbcfd782db140a50a9ae54943c1e4ba223 sent",
     "signature [signature] sent"),
    ("first_name: None, the template says {first_name}! and first_name}. ok",
     "first_name: None, the template says {first_name}! and first_name}. ok"),
]


def test_profile_slots_signatures_and_names_seen_in_them_are_replaced():
    for text, expected in SLOTS_LOGGED:  # in order: the names are learnt from the slots
        assert redact(text) == expected, text


@pytest.mark.parametrize("text", KEPT)
def test_order_numbers_dates_ids_and_amounts_are_kept(text):
    assert redact(text) == text


def test_a_profile_read_keeps_the_customers_name_out_of_later_logs(store, rules, caplog):
    from personalization.conversation.personalizer import Personalizer

    shop.fill(store)
    install_redaction()
    personalizer = Personalizer(store, rules, shop.SECRET)
    profile, _ = personalizer.load_profile(
        personalizer.identify(shop.metadata(shop.AWAY, "web-9"), "web-9"))  # fmt: skip
    assert profile.name == "Sofia Rossi"
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").info("said: Ciao Sofia! Bye, Sofia Rossi.")
    assert "Sofia" not in caplog.text and "Rossi" not in caplog.text
    assert "said: Ciao [name]! Bye, [name]." in caplog.text


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
    signatures = []
    for message in (f"hi, my email is {email}", f"call me on {phone}",
                    f"my card {card} was charged twice", "speak to an agent"):  # fmt: skip
        signed = shop.metadata(shop.REGULAR, sender)
        signatures.append(signed["customer_signature"])
        assistant.say(sender, message, signed)
    time.sleep(1.5)  # the updater's polling and the servers' buffered writes
    logs = {path.name: path.read_text(errors="replace") for path in assistant.work.glob("*.log")}
    assert {"rasa_server.log", "action_server.log", "updater.log"} <= set(logs)
    everything = "\n".join(logs.values())
    for secret in (email, "612 345 678", card, shop.SECRET.decode(), *signatures,
                   assistant.env["PERSONALIZATION_HASH_KEY"], "Lars", "Jensen"):  # fmt: skip
        assert secret not in everything, secret
    # nor a piece of the card number (as a number: 0x7f6318555570, an object's address, is not)
    assert re.search(r"(?<!\w)5555(?!\w)", everything) is None
    # the messages did reach the (debug) log, redacted: the test can see a leak
    assert "[email]" in logs["rasa_server.log"] and "[card]" in logs["rasa_server.log"]
    assert "[name]" in logs["rasa_server.log"]  # the greeting "Hey Lars!"
