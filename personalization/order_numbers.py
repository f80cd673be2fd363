"""Order numbers as customers type them.

Brightcart order numbers have 8 digits. Customers write them bare ("10482913"), with a
prefix ("#10482913", "ORD-10482913", "order no. 10482913") or split in two groups of four
("1048-2913", "1048 2913"), often inside a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ORDER_NUMBER_DIGITS = 8

_ORDER_NUMBER = re.compile(
    r"(?<![\w-])(?<!\d\s)(?:ORD-?\s*|#\s*)?(\d{4})[-\s]?(\d{4})(?![\w-]|[.,]\d|\s\d)",
    re.IGNORECASE
)


def parse_order_number(text: str | Iterable[str] | None) -> str | None:
    """Return the canonical 8-digit order number found in `text`, or None.

    `text` may be a list, as when an entity was extracted twice; the first value holding
    an order number wins. A longer or shorter run of digits is not an order number, nor
    are two groups of a longer run of groups (a card number: 5555 5555 5555 4444).
    """
    if text is None:
        return None
    candidates = [text] if isinstance(text, str) else list(text)
    for candidate in candidates:
        match = _ORDER_NUMBER.search(str(candidate))
        if match:
            return match.group(1) + match.group(2)
    return None
