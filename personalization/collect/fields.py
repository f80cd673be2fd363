"""The field types of the payloads (payloads.py) and their limits: ids, amounts, currency
codes, dates, text. Each says what is wrong in words a sender can act on, and describes
itself in the OpenAPI description (`__modify_schema__`)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import constr

from personalization.collect.jsonvalues import json_type, unusable_text
from personalization.store.commerce import ORDER_STATUSES

MAX_ID_LENGTH = 64
MAX_AMOUNT = 1_000_000_000  # prices and totals; the store keeps 10 digits before the point
MAX_QUANTITY = 10_000
MAX_PRODUCTS = 100
_PRINTABLE = "[^\\u0000-\\u001f\\u007f-\\u009f]"  # the rule of unusable_text, as a pattern
NO_CONTROL = f"^{_PRINTABLE}*$"
NOT_BLANK = f"^{_PRINTABLE}*[^\\s\\u0000-\\u001f\\u007f-\\u009f]{_PRINTABLE}*$"


class _Checked:
    """A pydantic field type: `validate` checks and converts a value, `__modify_schema__`
    describes it."""

    @classmethod
    def __get_validators__(cls):
        yield cls.validate


class RecordId(_Checked, str):
    """An id: a string, or a whole number, of 1 to 64 characters and no control character."""

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(type=["string", "integer"], minLength=1, maxLength=MAX_ID_LENGTH,
                      pattern=NOT_BLANK, minimum=0, maximum=2**63 - 1)  # fmt: skip

    @classmethod
    def validate(cls, value: Any) -> str:
        if type(value) is int and value >= 0:
            value = str(value)
        elif type(value) is not str:
            raise TypeError(f"must be a string, not {json_type(value)}")
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if len(value) > MAX_ID_LENGTH:
            raise ValueError(f"is longer than {MAX_ID_LENGTH} characters")
        if problem := unusable_text(value):
            raise ValueError(problem)
        return value


class Money(_Checked, float):
    """A price or total: a number from 0 to a billion."""

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(type="number", minimum=0, maximum=MAX_AMOUNT)

    @classmethod
    def validate(cls, value: Any) -> float:
        if type(value) not in (int, float):
            raise TypeError(f"must be a number, not {json_type(value)}")
        if not 0 <= value <= MAX_AMOUNT:
            raise ValueError(f"must be a number from 0 to {MAX_AMOUNT:,}")
        return float(value)


class Currency(_Checked, str):
    """An ISO-4217 currency code: three letters, stored in capitals."""

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(type="string", pattern="^[A-Za-z]{3}$")

    @classmethod
    def validate(cls, value: Any) -> str:
        if type(value) is not str or not re.fullmatch("[A-Za-z]{3}", value):
            raise ValueError(f"must be an ISO-4217 currency code such as EUR, not {value!r:.40}")
        return value.upper()


class _Day(_Checked, date):
    """An ISO-8601 date (a date and time is cut to its date) within the type's years."""

    earliest = date(1900, 1, 1)
    days_ahead = 0

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(type="string", format="date", pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}")

    @classmethod
    def validate(cls, value: Any) -> date:
        if type(value) is not str:
            raise TypeError(f"must be an ISO-8601 date string, not {json_type(value)}")
        try:
            day = date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not an ISO-8601 date (YYYY-MM-DD)") from None
        latest = datetime.now(timezone.utc).date() + timedelta(days=cls.days_ahead)
        if not cls.earliest <= day <= latest:
            raise ValueError(f"must be a date from {cls.earliest} to {latest}")
        return day


class BirthDate(_Day):
    pass


class SignupDate(_Day):
    earliest = date(1970, 1, 1)
    days_ahead = 1  # a sign-up just after midnight somewhere ahead of UTC


class JsonObject(_Checked, dict):
    """A free-form JSON object (its contents were checked as every free-form object is)."""

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(type="object", propertyNames={"maxLength": 128, "pattern": "^[^\\u0000]*$"},
                      description="free-form JSON, kept as sent (the limits of `properties`)")

    @classmethod
    def validate(cls, value: Any) -> dict:
        if type(value) is not dict:
            raise TypeError(f"must be a JSON object, not {json_type(value)}")
        return value


def text(length: int) -> type[str]:
    return constr(strict=True, max_length=length)


LANGUAGE_TAG = r"^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$"  # BCP 47, e.g. it or it-IT
Language = constr(strict=True, max_length=35, regex=LANGUAGE_TAG)  # stored as its first part
PreferredLanguage = constr(strict=True, max_length=16, regex=LANGUAGE_TAG)  # stored whole
Status = Literal[ORDER_STATUSES]  # type: ignore[valid-type]
