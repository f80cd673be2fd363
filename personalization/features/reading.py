"""Feature frames straight from a store: all at once, or chunk by chunk for scoring.

`granted_to="personalization"` (what training, scoring and the report ask for) reads only
customers whose current consent decision for that purpose is a grant: without a yes nothing
from a profile is used (docs/privacy.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pandas as pd

from personalization.features.frame import build_frame, is_count
from personalization.store import Store
from personalization.store.feature_sources import read_source_chunk
from personalization.store.sql import utcnow


def iter_features(store: Store, now: datetime | None = None, chunk_customers: int = 50_000,
                  granted_to: str | None = None) -> Iterator[pd.DataFrame]:  # fmt: skip
    """Feature frames of at most `chunk_customers` customers, in customer-id order. No read
    transaction stays open while the caller works on a chunk (it may write scores)."""
    now = now or utcnow()
    after = None
    while True:
        with store.engine.connect() as conn:
            chunk = read_source_chunk(conn, chunk_customers, after, granted_to)
        if chunk is None:
            return
        after = chunk.customers.customer_id.iloc[-1]
        yield build_frame(chunk, now)


def read_features(store: Store, now: datetime | None = None, chunk_customers: int = 50_000,
                  granted_to: str | None = None) -> pd.DataFrame:  # fmt: skip
    frames = list(iter_features(store, now, chunk_customers, granted_to))
    if not frames:
        if granted_to:
            raise ValueError(f"No customer of the profile store at {store.engine.url!r} has "
                             f"granted consent for {granted_to!r}, so there is nothing to "
                             "train on. Record consent (the chat asks for it; imports take a "
                             "`consent` column; see docs/privacy.md).")  # fmt: skip
        raise ValueError(f"The profile store at {store.engine.url!r} has no customers.")
    frame = pd.concat(frames)  # a column some chunks lack (a ticket category) is a gap there
    counts = [c for c in frame.columns if is_count(c)]
    frame[counts] = frame[counts].fillna(0.0)
    return frame
