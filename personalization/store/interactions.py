"""Customer-product interactions for the recommender: purchases and product views.

Read in chunks through a streaming result (a server-side cursor on PostgreSQL; SQLite's
cursor fetches lazily anyway), so a million customers never sit in memory as one result.
Every frame has the columns of INTERACTION_COLUMNS:

    customer_id, product_id  str
    kind                     "purchase" (an order line) | "view" (a Product Viewed event)
    quantity                 int (1 for a view)
    at                       datetime (the order's placed_at, the event's timestamp)
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Text, cast, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import Select

from personalization.store import schema as t

INTERACTION_COLUMNS = ("customer_id", "product_id", "kind", "quantity", "at")
PURCHASE, VIEW = "purchase", "view"
PRODUCT_VIEWED = "Product Viewed"
EXCLUDED_STATUSES = ("cancelled",)  # an order that never happened is no purchase
DECODED_CACHE = 200_000  # distinct properties texts remembered while reading views


def empty_interactions() -> pd.DataFrame:
    """A frame with no rows and the interaction columns and dtypes."""
    return _frame([], [], PURCHASE, [], [])


def iter_interactions(conn: Connection, chunk_rows: int = 100_000) -> Iterator[pd.DataFrame]:
    """Purchases (order lines of orders not cancelled), then product views, in frames of at
    most `chunk_rows` rows; frames are never empty. Views whose properties carry no
    product_id, and events without a customer, are skipped."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    for rows in _stream(conn, _purchases_query(), chunk_rows):
        customers, products, quantities, moments = zip(*rows, strict=True)
        yield _frame(customers, products, PURCHASE, quantities, moments)
    decoded: dict[str, str | None] = {}  # events often share their properties' text
    for rows in _stream(conn, _views_query(), chunk_rows):
        if len(decoded) > DECODED_CACHE:
            decoded.clear()
        kept = [(c, _product_id(p, decoded), at) for c, p, at in rows]
        kept = [row for row in kept if row[1] is not None]
        if kept:
            customers, products, moments = zip(*kept, strict=True)
            yield _frame(customers, products, VIEW, [1] * len(kept), moments)


def load_interactions(conn: Connection, chunk_rows: int = 100_000) -> pd.DataFrame:
    """Every interaction in one frame (iter_interactions, concatenated)."""
    frames = list(iter_interactions(conn, chunk_rows))
    if not frames:
        return empty_interactions()
    return pd.concat(frames, ignore_index=True)


def _purchases_query() -> Select:
    o, i = t.orders, t.order_items
    return (
        select(o.c.customer_id, i.c.product_id, i.c.quantity, o.c.placed_at)
        .select_from(i.join(o, i.c.order_id == o.c.order_id))
        .where(o.c.status.notin_(EXCLUDED_STATUSES), o.c.customer_id.isnot(None))  # erased
        .order_by(i.c.order_id, i.c.product_id)  # the primary key: one order every read
    )


def _views_query() -> Select:
    e = t.events
    return (  # the JSON as text, decoded here: the same on SQLite and PostgreSQL
        select(e.c.customer_id, cast(e.c.properties, Text), e.c.timestamp)
        .where(e.c.name == PRODUCT_VIEWED, e.c.customer_id.isnot(None))
        .order_by(e.c.id)
    )


def _stream(conn: Connection, query: Select, chunk_rows: int) -> Iterator[Sequence[Any]]:
    result = conn.execute(query.execution_options(stream_results=True, yield_per=chunk_rows))
    try:
        yield from result.partitions(chunk_rows)
    finally:  # also when the caller stops early: the server-side cursor is released
        result.close()


def _product_id(text: str | None, decoded: dict[str, str | None]) -> str | None:
    """The product id in a view's properties (JSON text); None when there is none."""
    if text is None:
        return None
    if text not in decoded:
        decoded[text] = _product_id_of(_json(text))
    return decoded[text]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _product_id_of(properties: Any) -> str | None:
    if not isinstance(properties, dict):
        return None
    product_id = properties.get("product_id")
    if product_id is None or isinstance(product_id, (dict, list, bool)):
        return None
    product_id = str(product_id).strip()
    return product_id or None


def _frame(customers, products, kind: str, quantities, moments) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": pd.Series(customers, dtype=object),
        "product_id": pd.Series(products, dtype=object),
        "kind": pd.Series([kind] * len(customers), dtype=object),
        "quantity": pd.Series(quantities, dtype="int64"),
        "at": pd.to_datetime(pd.Series(moments, dtype=object)).astype("datetime64[ns]"),
    })  # fmt: skip
