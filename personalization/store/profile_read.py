"""The full-profile read: five statements, each finding its rows by a customer_id index.

A conversation reads a profile on every message, so this path is lean: the statements are
SQLAlchemy Core, built once and compiled once per database dialect; the three read on every
message run as compiled SQL on the DBAPI cursor, their values converted by SQLAlchemy's own
type processors. Building and executing them the usual way costs several times more than
the database itself takes (bench/session_start.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, bindparam, func, select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Select

from personalization.store import schema as t
from personalization.store.profile import OrderSummary, Profile, TicketSummary

RECENT = 5
# what a profile holds of the customers row (not the bookkeeping times or the label)
CUSTOMER = tuple(c for c in t.customers.c if c.key not in ("created_at", "updated_at", "churned"))


@lru_cache(maxsize=1)
def _statements() -> dict:
    c, p, s, h = t.customers, t.preferences, t.scores, t.interaction_history
    o, i, k = t.orders, t.order_items, t.tickets
    cid = bindparam("cid")
    mine = o.c.customer_id == c.c.customer_id
    open_tickets = (select(func.count())
                    .where(k.c.customer_id == c.c.customer_id, k.c.resolved_at.is_(None))
                    .scalar_subquery())  # fmt: skip
    return {
        "customer": (
            select(*CUSTOMER, p.c.tone, p.c.language.label("preferred_language"),
                   p.c.product_interests,
                   s.c.segment, s.c.persona, s.c.churn_risk, s.c.model_version,
                   s.c.computed_at.label("scored_at"), h.c.last_interaction_at,
                   h.c.conversations, h.c.requests_by_intent, h.c.escalations, h.c.fallbacks,
                   select(func.count()).where(mine).scalar_subquery().label("order_count"),
                   select(func.sum(o.c.total)).where(mine).scalar_subquery()
                   .label("lifetime_value"),
                   open_tickets.label("open_tickets"))
            .select_from(c.outerjoin(p).outerjoin(s).outerjoin(h))
            .where(c.c.customer_id == cid)),
        "orders": (select(o.c.order_id, o.c.status, o.c.total, o.c.currency, o.c.placed_at)
                   .where(o.c.customer_id == cid).order_by(o.c.placed_at.desc()).limit(RECENT)),
        "items": (select(i.c.order_id, i.c.product_id, i.c.quantity)
                  .where(i.c.order_id.in_(bindparam("orders", expanding=True)))),
        "tickets": (select(k.c.ticket_id, k.c.category, k.c.created_at, k.c.resolved_at,
                           k.c.escalated, k.c.csat)
                    .where(k.c.customer_id == cid).order_by(k.c.created_at.desc())
                    .limit(RECENT)),
        "consent": select(t.consent_state.c.purpose, t.consent_state.c.granted,
                          t.consent_state.c.notice_version)
                   .where(t.consent_state.c.customer_id == cid),
    }  # fmt: skip


class _Compiled:
    """A statement compiled for one dialect, run on the DBAPI cursor."""

    def __init__(self, statement: Select, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql, self.dialect = compiled.string, dialect
        self.columns = tuple(c.key for c in statement.selected_columns)
        self.types = tuple(c.type.dialect_impl(dialect) for c in statement.selected_columns)
        # parameters fixed in the statement (the LIMIT), and their order for positional styles
        self.constants = {k: v for k, v in compiled.construct_params({"cid": None}).items()
                          if k != "cid"}  # fmt: skip
        self.positions = tuple(compiled.positiontup) if compiled.positional else None
        # (column index, converter) for the columns the driver does not return ready to use
        self.converters: list[tuple[int, Callable[[Any], Any]]] | None = None

    def params(self, **values: Any) -> tuple | dict:
        """The parameters in the form the driver takes (a tuple for positional styles)."""
        params = {**self.constants, **values}
        return params if self.positions is None else tuple(params[n] for n in self.positions)

    def rows(self, dbapi_connection: Any, **values: Any) -> list[list]:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(self.sql, self.params(**values))
            fetched = cursor.fetchall()
            if self.converters is None:  # some converters need the driver's type codes
                pairs = zip(self.types, cursor.description, strict=True)
                self.converters = [
                    (i, _json_text if isinstance(getattr(kind, "impl", kind), JSON) else convert)
                    for i, (kind, column) in enumerate(pairs)
                    if (convert := kind.result_processor(self.dialect, column[1]))]
        finally:
            cursor.close()
        rows = [list(row) for row in fetched]
        for row in rows:
            for i, convert in self.converters:
                row[i] = convert(row[i])
        return rows


def _json_text(value: Any) -> Any:
    """A JSON column the driver returns as text (SQLAlchemy's own processor, with less
    around it: this read runs on every message)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


@lru_cache(maxsize=16)
def _compiled(name: str, dialect: Dialect) -> _Compiled:
    return _Compiled(_statements()[name], dialect)


def load_profile(conn: Connection, customer_id: str, orders: bool = True) -> Profile | None:
    """Everything about one customer, or None for an unknown id. `orders=False` skips the
    recent orders and their items (two of the five statements)."""
    profile = read_profile(conn.connection, conn.dialect, customer_id)
    if profile is None or not orders:
        return profile
    return replace(profile, recent_orders=_recent_orders(conn, {"cid": customer_id}))


def read_profile(dbapi_connection: Any, dialect: Dialect, customer_id: str) -> Profile | None:
    """The profile without its recent orders, on a DBAPI connection (Store.profile's fast
    path: no SQLAlchemy Connection around it)."""
    main = _compiled("customer", dialect)
    found = main.rows(dbapi_connection, cid=customer_id)
    if not found:
        return None
    fields = dict(zip(main.columns, found[0], strict=True))
    fields["product_interests"] = tuple(fields["product_interests"] or ())
    fields["requests_by_intent"] = fields["requests_by_intent"] or {}
    fields["attributes"] = fields["attributes"] or {}
    for counter in ("conversations", "escalations", "fallbacks"):
        fields[counter] = fields[counter] or 0
    fields["lifetime_value"] = float(fields["lifetime_value"] or 0)
    tickets = _compiled("tickets", dialect).rows(dbapi_connection, cid=customer_id)
    consent = _compiled("consent", dialect).rows(dbapi_connection, cid=customer_id)
    return Profile(**fields, recent_tickets=tuple(TicketSummary(*r) for r in tickets),
                   consent={purpose: granted for purpose, granted, _ in consent},
                   consent_notice={purpose: notice for purpose, _, notice in consent})  # fmt: skip


def _recent_orders(conn: Connection, key: dict) -> tuple[OrderSummary, ...]:
    q = _statements()
    orders = conn.execute(q["orders"], key).all()
    items: dict[str, list[tuple[str, int]]] = {r.order_id: [] for r in orders}
    if orders:
        for r in conn.execute(q["items"], {"orders": list(items)}):
            items[r.order_id].append((r.product_id, r.quantity))
    return tuple(
        OrderSummary(r.order_id, r.status, float(r.total) if r.total is not None else None,
                     r.currency, r.placed_at, tuple(sorted(items[r.order_id])))
        for r in orders)  # fmt: skip
