"""Numbers as CRM exports write them: " " for nothing, "1,234.5" for 1234.5."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from decimal import Decimal

import pandas as pd

from personalization.cleaning._frames import require_columns, require_frame

_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def _parse(value: object) -> tuple[float, bool]:
    """The number in `value` and whether `value` was something other than a number or blank."""
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan, False
    if isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool):
        return float(value), False
    if not isinstance(value, str):
        return math.nan, True
    text = value.strip()
    if not text:
        return math.nan, False
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if _PLAIN.fullmatch(text):
        return float(text), False
    return math.nan, True


def to_numeric_frame(
    df: pd.DataFrame, columns: Iterable[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """A copy of `df` with `columns` as float64, and per column how many values were unparseable.

    Missing and blank/whitespace-only values become NaN without being counted; anything else
    that is not a number (including "N/A", "inf", booleans) becomes NaN and is counted.
    """
    frame = require_frame(df)
    columns = list(columns)
    require_columns(frame, columns)
    out = frame.copy()
    invalid: dict[str, int] = {}
    for column in columns:
        parsed = [_parse(value) for value in frame[column].tolist()]
        out[column] = pd.Series([number for number, _ in parsed], index=frame.index, dtype=float)
        invalid[column] = sum(bad for _, bad in parsed)
    return out, invalid
