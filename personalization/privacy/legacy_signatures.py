"""Conversations stored before identity was checked per message still hold the website's
old signatures (HMAC-SHA256 of the customer id alone, valid forever) in their events, and
no verification result: exports and erasures, which go by results only, do not find them.

`python -m personalization upgrade-conversations` checks each such signature once, the old
way, and rewrites the event as the Rasa server now stores it (identity.stored_metadata): the
result in place of the signature, in the tracker store and the SQL event broker alike. Safe
to run again (an upgraded event holds no signature). Run it once after upgrading, with the
identity secret the old signatures were made with, and then change that secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from personalization.conversation.identity import (
    ID_KEY,
    SESSION_METADATA_SLOT,
    SIGNATURE_KEY,
    Identity,
    stored_metadata,
)
from personalization.privacy.conversations import ConversationStore


def old_identity(metadata: dict, secret: bytes) -> Identity:
    """The check before per-message identity: the id alone was signed (one line: only this
    upgrade still needs it)."""
    claimed, signature = metadata.get(ID_KEY), metadata.get(SIGNATURE_KEY)
    if not isinstance(claimed, str) or not isinstance(signature, str):
        return Identity(None, "customer id without a signature (before the upgrade)")
    expected = hmac.new(secret, claimed.encode(), hashlib.sha256).hexdigest().encode()
    if hmac.compare_digest(expected, signature.strip().lower().encode(errors="replace")):
        return Identity(claimed, "signature verified (before the upgrade)")
    return Identity(None, "customer id with a wrong signature (before the upgrade)")


def upgraded(event: Any, secret: bytes) -> dict | None:
    """The event as it is stored now, or None if it holds no old signature."""
    if not isinstance(event, dict):
        return None
    places = []
    if event.get("event") == "user":
        places = [(event, "metadata"), (event.get("parse_data") or {}, "metadata")]
    elif event.get("event") == "slot" and event.get("name") == SESSION_METADATA_SLOT:
        places = [(event, "value")]
    changed = False
    for holder, key in places:
        metadata = holder.get(key)
        if isinstance(metadata, dict) and SIGNATURE_KEY in metadata:
            holder[key] = stored_metadata(metadata, old_identity(metadata, secret))
            changed = True
    return event if changed else None


@dataclass
class Upgrade:
    role: str
    events: int = 0  # rewritten


def upgrade_store(store: ConversationStore, secret: bytes) -> Upgrade:
    done = Upgrade(store.role)
    if not store.exists():
        return done
    e = store.table
    with store.engine.begin() as conn:
        rows = conn.execute(e.select().with_only_columns(e.c.id, e.c.data)
                            .where(e.c.data.like(f"%{SIGNATURE_KEY}%"))).all()  # fmt: skip
        for row in rows:
            try:
                event = upgraded(json.loads(row.data), secret)
            except ValueError:
                continue  # not JSON: not an event Rasa wrote
            if event is not None:
                conn.execute(update(e).where(e.c.id == row.id).values(data=json.dumps(event)))
                done.events += 1
    return done
