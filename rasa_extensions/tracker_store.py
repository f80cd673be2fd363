"""Rasa's SQL tracker store, keeping no signature once its message has been handled.

Each message of a signed-in customer carries the website's signature in its metadata
(personalization/conversation/identity.py). The action server checks it while the message is
handled; after that it is of no use, and kept it could be replayed or leak. So when a
conversation is saved, each new message's metadata (also in its parse data, and in the
`session_started_metadata` slot that Rasa fills from it) is stored with the verification
result in place of the signature and the claimed id: `{"identity": {"verified": true,
"customer_id": "C0001234"}}` or `{"identity": {"verified": false, "reason": "signature
expired"}}`. The event broker gets the same events
(Rasa publishes what it saves), and the updater and data requests read the result, which no
sender can forge: a record a sender put in its metadata is replaced too.

endpoints.yml:  tracker_store: {type: rasa_extensions.tracker_store.VerifiedSQLTrackerStore,
dialect: ..., db: ...}  (the same keys as Rasa's `type: SQL`). Needs the identity secret
(PERSONALIZATION_IDENTITY_SECRET) in the Rasa server's environment, as the action server has.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import SESSION_START_METADATA_SLOT
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from personalization.conversation.identity import identify, stored_metadata
from personalization.settings import Settings

log = logging.getLogger(__name__)


class VerifiedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, identity_secret: bytes | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = Settings.from_env()
        self.secret = identity_secret or settings.identity_secret  # (tests pass their own)
        self.lifetime = settings.signature_lifetime
        if not self.secret:
            log.warning("PERSONALIZATION_IDENTITY_SECRET is not set on the Rasa server: "
                        "conversations are stored as anonymous visitors' (no customer's "
                        "history or data requests will find them).")  # fmt: skip

    async def save(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            new = list(self._additional_events(session, tracker))  # what `save` will add
        for event in new:
            self._record_identity(event, tracker.sender_id)
        await super().save(tracker)

    def _record_identity(self, event: Event, sender_id: str) -> None:
        if isinstance(event, UserUttered):
            if event.metadata:
                event.metadata = self._stored(event.metadata, sender_id, event.timestamp)
            if "metadata" in event.parse_data:  # (NLU copies it there; the HTTP API takes it)
                event.parse_data["metadata"] = self._stored(event.parse_data["metadata"],
                                                            sender_id, event.timestamp)
        elif isinstance(event, SlotSet) and event.key == SESSION_START_METADATA_SLOT \
                and event.value is not None:  # fmt: skip
            event.value = self._stored(event.value, sender_id, event.timestamp)

    def _stored(self, metadata: Any, sender_id: str, at: float) -> dict:
        """Checked at the message's own time, as the action server checks it: both agree
        however long the turn took. Metadata that is not an object is dropped."""
        if not isinstance(metadata, dict):
            return {}
        identity = identify(metadata, sender_id, self.secret, self.lifetime, now=at)
        return stored_metadata(metadata, identity)
