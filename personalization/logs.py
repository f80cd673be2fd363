"""Logs without personal data: e-mail addresses, phone numbers and payment card numbers are
replaced by [email], [phone] and [card] in every log record of the process, whoever logs it
(our code, Rasa, Sanic, SQLAlchemy) and whatever handler writes it; so are identity
signatures ([signature]), the values of the slots that describe a customer (their names,
segment, churn risk... as `first_name: [redacted]`) and, anywhere in later records, the
names once seen in such a slot ([name]): Rasa logs slot values and the answers it sends,
which hold the customer's name, at debug level.

`install_redaction()` wraps the process's log record factory, so a record is redacted when it
is made: its message with its arguments, and the traceback of an exception. Our commands
call it at start; the Rasa server and the action server get it from
`config/logging.yml` (`--logging-config-file`), whose filter factory is this function.
"""

from __future__ import annotations

import logging
import re
import threading
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


# a website's HMAC-SHA256 signature of a customer (hex), or any other 64-hex-digit secret
SIGNATURE = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")
# slots (domain.yml) whose values are a customer's profile; the names are also remembered
PROFILE_SLOTS = ("first_name", "full_name", "segment", "persona", "account_tier", "language",
                 "churn_risk", "churn_band", "product_interests")  # fmt: skip
NAME_SLOTS = ("first_name", "full_name")
# a slot and its value as Rasa and rasa-sdk log them: `SlotSet(key: first_name, value: Ana)`,
# `\tfirst_name: Ana\n` (slot dumps, also JSON-escaped), `"name":"first_name","value":"Ana"`
SLOT_VALUE = re.compile(r"(?:(?<=\\[tn])|(?<!\w))(" + "|".join(PROFILE_SLOTS) + r")"
                        r"(:\s?|,\s?value:\s?|[\"']\s?,\s?[\"']value[\"']\s?:\s?[\"']?"
                        r"|[\"']\s?:\s?[\"']?)"
                        r"(\[[^\]]*\]|[^\\\n\t\"',)}{\]]+)")
NOT_A_VALUE = {"None", "null", "none", "[redacted]", ""}
# a word of a name: letters, with inner hyphens or apostrophes (Oyelaran-Fitz, O'Brien)
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
MAX_NAMES = 10_000  # names remembered per process (the oldest are forgotten)
MAX_NAME_WORDS = 6
_names: dict[str, None] = {}  # insertion-ordered: names as words joined by one space
_first_words: dict[str, int] = {}  # the first word of each name: how many names start so
_lock = threading.Lock()  # records are made in many threads


def redact_names(*names: str | None) -> None:
    """Replace these names by [name] in every later log record of the process (a profile
    just read, a name seen in a slot). Looking a name up costs the same however many are
    remembered: no pattern is rebuilt."""
    for name in names:
        words = WORD.findall(name or "")
        if not words or len(words) > MAX_NAME_WORDS or " ".join(words) in NOT_A_VALUE:
            continue
        key = " ".join(words)
        if len(key) < 2 or key in _names:
            continue
        with _lock:
            _names[key] = None
            _first_words[words[0]] = _first_words.get(words[0], 0) + 1
            while len(_names) > MAX_NAMES:
                oldest = next(iter(_names))
                del _names[oldest]
                first = oldest.split(" ", 1)[0]
                _first_words[first] -= 1
                if not _first_words[first]:
                    del _first_words[first]


def _without_names(text: str) -> str:
    if not _names:
        return text
    words = list(WORD.finditer(text))
    out, done, i = [], 0, 0
    while i < len(words):
        if words[i].group() not in _first_words:  # most words: one lookup
            i += 1
            continue
        end = i + 1  # the longest run of words apart by one space, up to MAX_NAME_WORDS
        while end < min(len(words), i + MAX_NAME_WORDS) \
                and text[words[end - 1].end():words[end].start()] == " ":  # fmt: skip
            end += 1
        for j in range(end, i, -1):
            if " ".join(w.group() for w in words[i:j]) in _names:
                out += [text[done:words[i].start()], "[name]"]
                done, i = words[j - 1].end(), j
                break
        else:
            i += 1
    return "".join(out) + text[done:]


def _slot_value(match: re.Match) -> str:
    slot, between, value = match.groups()
    if value.strip() in NOT_A_VALUE:
        return match.group()
    if slot in NAME_SLOTS:
        redact_names(value)
    return f"{slot}{between}[redacted]"


def redact(text: str) -> str:
    text = _without_names(SLOT_VALUE.sub(_slot_value, text))
    text = SIGNATURE.sub("[signature]", text)
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
