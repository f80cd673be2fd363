"""One row of features per customer, built from what the profile store holds.

Numbers a person can read (days, euros, counts, rates): scaling and imputation come later,
in the pipeline. Absent activity is a fact, not a gap: a customer without orders has 0
orders and 0 spend; only values that cannot exist (the CSAT of someone who never rated, the
recency of an order never placed) stay missing for the imputer.
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd

from personalization.store.feature_sources import SourceChunk

PROFILE_CATEGORIES = ("account_tier", "loyalty_status", "country", "region", "language",
                      "age_band")  # fmt: skip
LABEL = "churned"
DAY = pd.Timedelta(days=1)


def is_count(column: str) -> bool:
    """Counts of things that happened: a customer without any has 0, never a gap."""
    return column.startswith(("tickets", "events_", "chat_conversations", "chat_escalations",
                              "chat_fallbacks")) or column in COUNTS  # fmt: skip


COUNTS = ("orders", "spend", "returned_orders", "escalated_tickets", "escalation_rate",
          "events_total")


def slug(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_") or "x"


def build_frame(chunk: SourceChunk, now: datetime) -> pd.DataFrame:
    """Features indexed by customer_id, plus the `churned` label column (may be missing)."""
    customers = chunk.customers.set_index("customer_id")
    now_ts = pd.Timestamp(now)
    frame = pd.DataFrame(index=customers.index)
    signup = pd.to_datetime(customers.signup_date)
    frame["tenure_days"] = (now_ts - signup) / DAY
    frame["age"] = now_ts.year - pd.to_numeric(customers.birth_year, errors="coerce")
    for column in PROFILE_CATEGORIES:
        frame[column] = customers[column].astype(object).where(customers[column].notna(), None)
    frame = frame.join(_orders(chunk.orders, now_ts, frame.tenure_days))
    frame = frame.join(_tickets(chunk.tickets))
    frame = frame.join(_events(chunk.events, now_ts))
    frame = frame.join(_history(chunk.history, now_ts))
    counts = [c for c in frame.columns if is_count(c)]
    frame[counts] = frame[counts].fillna(0)
    frame = frame.join(_attributes(customers.attributes))
    frame[LABEL] = customers[LABEL].astype("boolean") if LABEL in customers else pd.NA
    return frame


def _orders(orders: pd.DataFrame, now: pd.Timestamp, tenure_days: pd.Series) -> pd.DataFrame:
    o = orders.set_index("customer_id")
    out = pd.DataFrame(index=o.index)
    out["orders"] = o.orders.astype(float)
    out["spend"] = pd.to_numeric(o.spend, errors="coerce").fillna(0.0)
    out["avg_order_value"] = out.spend / out.orders
    out["returned_orders"] = o.returned.astype(float)
    out["days_since_last_order"] = (now - pd.to_datetime(o.last_order)) / DAY
    months = (tenure_days.reindex(o.index) / 30.44).clip(lower=1.0)
    out["orders_per_month"] = out.orders / months
    return out


def _tickets(tickets: pd.DataFrame) -> pd.DataFrame:
    if tickets.empty:
        return pd.DataFrame(columns=["tickets", "escalated_tickets"], dtype=float)
    k = tickets.assign(
        escalated=tickets.escalated.astype(bool),
        csat=pd.to_numeric(tickets.csat, errors="coerce"),
        hours=(pd.to_datetime(tickets.resolved_at) - pd.to_datetime(tickets.created_at))
        / pd.Timedelta(hours=1),
        category=tickets.category.fillna("other").map(slug),
    )
    grouped = k.groupby("customer_id")
    out = pd.DataFrame({
        "tickets": grouped.size().astype(float),
        "escalated_tickets": grouped.escalated.sum().astype(float),
        "mean_csat": grouped.csat.mean(),
        "mean_resolution_hours": grouped.hours.mean(),
    })  # fmt: skip
    out["escalation_rate"] = out.escalated_tickets / out.tickets
    by_category = k.pivot_table(index="customer_id", columns="category", values="escalated",
                                aggfunc="size", fill_value=0)  # fmt: skip
    by_category.columns = [f"tickets_{c}" for c in by_category.columns]
    return out.join(by_category.astype(float))


def _events(events: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    if events.empty:
        return pd.DataFrame(columns=["events_total"], dtype=float)
    e = events.assign(name=events.name.fillna("page").map(slug))
    counts = e.pivot_table(index="customer_id", columns="name", values="count", aggfunc="sum",
                           fill_value=0)  # fmt: skip
    counts.columns = [f"events_{c}" for c in counts.columns]
    out = counts.astype(float)
    out["events_total"] = out.sum(axis=1)
    last = pd.to_datetime(e.groupby("customer_id")["last"].max())
    out["days_since_last_event"] = (now - last) / DAY
    return out


def _history(history: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    h = history.set_index("customer_id")
    return pd.DataFrame({
        "chat_conversations": h.conversations.astype(float),
        "chat_escalations": h.escalations.astype(float),
        "chat_fallbacks": h.fallbacks.astype(float),
        "days_since_last_chat": (now - pd.to_datetime(h.last_interaction_at)) / DAY,
    }, index=h.index)  # fmt: skip


def _attributes(attributes: pd.Series) -> pd.DataFrame:
    """CRM columns kept as attributes: numbers and flags as numbers, the rest as categories."""
    rows = [a if isinstance(a, dict) else {} for a in attributes]
    frame = pd.DataFrame.from_records(rows, index=attributes.index)
    out = {}
    for column in frame.columns:
        values = frame[column]
        present = values.dropna()
        name = f"attr_{slug(column)}"
        if present.map(lambda v: isinstance(v, (bool, int, float, np.number))).all():
            out[name] = pd.to_numeric(values.map(_number), errors="coerce")
        else:
            out[name] = values.map(lambda v: None if v is None or v != v else str(v))
    return pd.DataFrame(out, index=attributes.index)


def _number(value: object) -> float:
    if value is None:
        return np.nan
    return float(value)
