"""Logs without personal data: e-mail addresses, phone numbers and payment card numbers are
replaced by [email], [phone] and [card] in every log record of the process, whoever logs it
(our code, Rasa, Sanic, SQLAlchemy) and whatever handler writes it.

`install_redaction()` wraps the process's log record factory, so a record is redacted when it
is made: its message with its arguments, and the traceback of an exception. Our commands
call it at start; the Rasa server and the action server get it from
`config/logging.yml` (`--logging-config-file`), whose filter factory is this function.
"""

from __future__ import annotations

import logging
import re
import traceback

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 13 to 19 digits, alone or in groups separated by a space or a dash: a card number (also
# one mistyped, so no Luhn check; no id or order number of ours is that long)
CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w.])")
# an optional + or 00, then 9 to 15 digits in groups separated by spaces, dashes, slashes or
# parentheses; not a date and time (2026-11-27 19:16)
PHONE = re.compile(r"(?<![\w.+/-])(?!\d{4}-\d\d-\d\d)(?:\+|00)?\(?\d(?:[ ()/-]{0,2}\d){8,14}"
                   r"(?![\w.]|[ -]\d)")


# 4 or more digits: a piece of a card number when the same record holds the whole number
# (entity extractors log the pieces they cut out of a message next to the message)
DIGITS = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){3,}(?![\w.])")


def redact(text: str) -> str:
    text = EMAIL.sub("[email]", text)
    cards = [re.sub(r"\D", "", m.group()) for m in CARD.finditer(text)]
    if cards:
        text = CARD.sub("[card]", text)
        text = DIGITS.sub(lambda m: "[card]" if any(re.sub(r"\D", "", m.group()) in card
                                                    for card in cards) else m.group(), text)
    return PHONE.sub("[phone]", text)


class RedactingFilter(logging.Filter):
    """For a handler configured by hand: redacts what reaches it (the record factory does
    the same for every record once installed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    if getattr(record, "_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string: keep what was given, redacted
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._redacted = True


def install_redaction(**_: object) -> RedactingFilter:
    """Redact every log record this process makes from now on (idempotent). Also usable as
    a filter factory in a logging config file (`()`), hence the keyword arguments."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacting", False):

        def redacting_factory(*args, **kwargs) -> logging.LogRecord:
            record = factory(*args, **kwargs)
            _redact_record(record)
            return record

        redacting_factory.redacting = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(redacting_factory)
    return RedactingFilter()
