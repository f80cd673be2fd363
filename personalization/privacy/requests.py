"""Data subject requests: give a customer everything held about them, or erase it from
every store. Both are written to the audit log (actor, action, keyed hash of the id, outcome,
counts), which never holds the customer's personal data.

Stores: the profile store (customers, preferences, scores and segments, interaction
history, tickets, orders, tracked events, consent), Rasa's SQL tracker store and SQL event
broker (conversations), and the trained models (the recommender's row of the customer:
erased by listing the keyed hash in the models' erased list, training/erased.py).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personalization.hashing import IdHasher
from personalization.privacy.conversations import TRACKER_STORE, ConversationStore
from personalization.store import Store, audit
from personalization.store.sql import utcnow
from personalization.store.subject import (
    add_pending_sweep,
    customer_data,
    erase_customer,
    pending_sweeps,
    remove_pending_sweep,
)

log = logging.getLogger(__name__)
MAX_ID_LENGTH = 64
RECOMMENDER_LISTED = "added to the recommender's erased list"


class RequestError(ValueError):
    """The request cannot be carried out as asked; the message says why."""


@dataclass
class ErasureReport:
    subject: str  # the keyed hash of the id: what the audit log and the output may show
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def anything_found(self) -> bool:
        return any(n for what, n in self.counts.items() if what != RECOMMENDER_LISTED)

    def summary(self) -> str:
        changed = ", ".join(f"{n:,} {what}" for what, n in self.counts.items() if n)
        return (f"Erased customer {self.subject[:12]}…: {changed or 'nothing was held'}. "
                "The id is on the suppression list: later events and imports for it are "
                "dropped.")  # fmt: skip


def mask_email(email: str) -> str:
    """a***@example.com: enough for the customer to recognise, little for anyone else."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "the email address on your account"


def _check_id(customer_id: str) -> str:
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise RequestError("A customer id is needed.")
    if len(customer_id) > MAX_ID_LENGTH or any(ord(c) < 32 for c in customer_id):
        raise RequestError(f"Not a customer id: at most {MAX_ID_LENGTH} printable characters.")
    return customer_id


@dataclass
class PrivacyRequests:
    store: Store
    hasher: IdHasher
    conversations: list[ConversationStore] = field(default_factory=list)
    models_dir: Path | None = None

    def export(self, customer_id: str, actor: str) -> dict[str, Any] | None:
        """Everything held about the customer as JSON-ready data; None if nothing is."""
        subject = self.hasher(_check_id(customer_id))
        try:
            with self.store.engine.connect() as conn:
                data = customer_data(conn, customer_id)
            tracker = next((c for c in self.conversations if c.role == TRACKER_STORE), None)
            conversations = self._conversations(tracker, customer_id) if tracker else []
            recommender = self._recommender_history(customer_id)
        except Exception as error:
            self._audit_failure(actor, "export", subject, {"error": type(error).__name__})
            raise
        found = data is not None or conversations or recommender
        self._audit(actor, "export", subject, "delivered" if found else "nothing held",
                    {"conversations": len(conversations)})  # fmt: skip
        if not found:
            return None
        return {"customer_id": customer_id, "exported_at": utcnow().isoformat() + "Z",
                **(data or {}), "conversations": conversations,
                "recommender": {"products_weighted": recommender}}  # fmt: skip

    def erase(self, customer_id: str, actor: str,
              current_sender: str | None = None) -> ErasureReport:  # fmt: skip
        """Erase everywhere. Safe to run again: a run that failed midway (a store down) is
        completed by the next; the suppression list is written first.

        `current_sender`: the conversation the request came from, which Rasa goes on writing
        after this returns; it is deleted again by `sweep` once it has been quiet."""
        report = ErasureReport(self.hasher(_check_id(customer_id)))
        step = "profile store"
        try:
            with self.store.begin() as conn:
                report.counts.update(erase_customer(conn, customer_id, report.subject))
                if current_sender:
                    add_pending_sweep(conn, current_sender)
            for store in self.conversations:
                step = store.role
                key = "conversations" if store.role == TRACKER_STORE else "broker events"
                senders = store.senders_of(customer_id)
                deleted = store.delete(senders)
                report.counts[f"{key} (rows)"] = report.counts.get(f"{key} (rows)", 0) + deleted
                if store.role == TRACKER_STORE:
                    report.counts["conversations"] = len(senders)
            step = "models"
            if self.models_dir is not None:
                from personalization.training.artifacts import record_erasure

                listed = record_erasure(self.models_dir, report.subject)
                report.counts[RECOMMENDER_LISTED] = int(listed)
        except Exception as error:
            self._audit_failure(actor, "erasure", report.subject,
                                {"step": step, "error": type(error).__name__, **report.counts})
            raise
        self._audit(actor, "erasure", report.subject, "completed", report.counts)
        return report

    def sweep(self, quiet_seconds: float = 120.0) -> int:
        """Delete the conversations erased from the chat once nobody has written to them
        for `quiet_seconds`; returns how many were swept."""
        with self.store.engine.connect() as conn:
            waiting = pending_sweeps(conn)
        swept = 0
        now = time.time()
        for sender, _ in waiting:
            latest = [at for c in self.conversations if (at := c.last_event_at(sender))]
            if latest and now - max(latest) < quiet_seconds:
                continue  # the conversation may still be going on
            for store in self.conversations:
                store.delete([sender])
            with self.store.begin() as conn:
                remove_pending_sweep(conn, sender)
            swept += 1
        return swept

    def _conversations(self, tracker: ConversationStore, customer_id: str) -> list[dict]:
        grouped: dict[str, list[dict]] = {}
        for sender, event in tracker.events(tracker.senders_of(customer_id)):
            grouped.setdefault(sender, []).append(event)
        return [{"sender_id": sender, "events": events} for sender, events in grouped.items()]

    def _recommender_history(self, customer_id: str) -> dict[str, float]:
        if self.models_dir is None or not (self.models_dir / "recommender.joblib").exists():
            return {}
        from personalization.training.artifacts import ArtifactError, load_models

        try:
            models = load_models(self.models_dir)
        except ArtifactError as error:
            log.warning("The models cannot be read for the export: %s", error)
            return {}
        return models.recommender.history_of(customer_id) if models.recommender else {}

    def _audit(self, actor: str, action: str, subject: str, outcome: str,
               detail: dict[str, Any]) -> None:  # fmt: skip
        with self.store.begin() as conn:
            audit.append(conn, actor, action, subject, outcome, detail)

    def _audit_failure(self, actor: str, action: str, subject: str, detail: dict) -> None:
        try:
            self._audit(actor, action, subject, "failed", detail)
        except Exception as error:  # noqa: BLE001 - the request's own error is the one to raise
            log.error("The failed %s of %s could not be written to the audit log (%s): the "
                      "profile store is unreachable.", action, subject[:12],
                      type(error).__name__)  # fmt: skip
