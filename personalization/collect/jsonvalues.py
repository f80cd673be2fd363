"""JSON off the wire, and the limits free-form objects (properties, traits, context) keep so
that SQLite and PostgreSQL both store them exactly as sent.

PostgreSQL's JSON refuses NUL characters (`\\u0000`), NaN and infinity; neither database
can encode a lone surrogate (`\\ud800`); Python's parser stops at 4,300-digit numbers and at
about a thousand levels of nesting. Each of those is a 400 naming the field here, before
anything is written, never a 500 or a failed transaction.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 8  # levels of objects and arrays in a free-form object, itself included
MAX_KEY_LENGTH = 128
MAX_INTEGER = 2**63 - 1  # what every reader of the stored JSON can hold (BIGINT, int64)
# characters no stored string may have: NUL (PostgreSQL) and lone surrogates (not UTF-8)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# control characters, which ids and names may not have either
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Invalid(ValueError):
    """A request or message that cannot be used; `field` names the part that is wrong.
    `status`: 400, 403 for what the write key may not send, 413 for what is too large."""

    def __init__(self, field: str, problem: str, status: int = 400) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.status = status

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "problem": self.problem}


def parse_body(raw: bytes, limit: int) -> dict[str, Any]:
    if len(raw) > limit:
        raise Invalid("body", f"is {len(raw)} bytes; the limit is {limit} bytes", 413)
    try:
        body = json.loads(raw.decode("utf-8") if raw else "")
    except UnicodeDecodeError as error:
        raise Invalid("body", f"is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except RecursionError:
        raise Invalid("body", f"nests arrays or objects far too deeply (free-form objects "
                      f"may have {MAX_DEPTH} levels)") from None  # fmt: skip
    except ValueError as error:  # JSONDecodeError, and numbers of over 4,300 digits
        raise Invalid("body", f"is not valid JSON ({error})") from None
    if not isinstance(body, dict):
        raise Invalid("body", f"must be a JSON object, not {json_type(body)}")
    return body


def check_object(value: Any, field: str) -> dict[str, Any]:
    """A free-form JSON object (None: an empty one) that keeps the limits above."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise Invalid(field, f"must be a JSON object, not {json_type(value)}")
    try:
        _check(value, 1)
    except _Unstorable as bad:
        raise Invalid(field + "".join(reversed(bad.path)), bad.problem) from None
    return value


def unusable_text(value: str) -> str | None:
    """Why an id or a name cannot be used as it is (None when it can)."""
    if value.isascii() and value.isprintable():  # the usual case, at C speed
        return None
    found = _CONTROL.search(value)
    if found is None:
        return None
    return f"has a control character ({found.group()!r} at position {found.start()})"


def member(key: str) -> str:
    """How a key appears in a field's path: `.name`, or `["a key"]` for any other key."""
    return f".{key}" if _PLAIN_KEY.match(key) else f"[{json.dumps(key, ensure_ascii=False)}]"


def json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


class _Unstorable(Exception):
    def __init__(self, problem: str) -> None:
        self.problem = problem
        self.path: list[str] = []  # innermost first, filled in on the way out


def _check(value: Any, depth: int) -> None:
    kind = type(value)
    if kind is str:
        if (not value.isascii() or "\x00" in value) and _UNSTORABLE.search(value):
            raise _Unstorable(_string_problem(value))
    elif kind is dict:
        if depth > MAX_DEPTH:
            raise _Unstorable(f"nests deeper than {MAX_DEPTH} levels of objects and arrays")
        for key, item in value.items():
            if len(key) > MAX_KEY_LENGTH or (
                    (not key.isascii() or "\x00" in key) and _UNSTORABLE.search(key)):
                raise _Unstorable(f"has the key {key[:40]!r}: keys are at most "
                                  f"{MAX_KEY_LENGTH} characters, with no NUL character")
            try:
                _check(item, depth + 1)
            except _Unstorable as bad:
                bad.path.append(member(key))
                raise
    elif kind is list:
        if depth > MAX_DEPTH:
            raise _Unstorable(f"nests deeper than {MAX_DEPTH} levels of objects and arrays")
        for index, item in enumerate(value):
            try:
                _check(item, depth + 1)
            except _Unstorable as bad:
                bad.path.append(f"[{index}]")
                raise
    elif kind is int:
        if not -MAX_INTEGER - 1 <= value <= MAX_INTEGER:
            raise _Unstorable(f"is a whole number beyond ±{MAX_INTEGER} (64 bits)")
    elif kind is float and value - value != 0:  # NaN and infinities (1e999 parses as one)
        raise _Unstorable("must be a finite number (NaN and infinity cannot be stored)")


def _string_problem(value: str) -> str:
    found = _UNSTORABLE.search(value)
    if found is not None and found.group() == "\x00":
        return "has a NUL character (\\u0000), which cannot be stored"
    return "has a lone UTF-16 surrogate (such as \\ud800), which is not text"
