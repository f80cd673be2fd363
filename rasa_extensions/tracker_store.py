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
        if isinstance(event, UserUttered) and event.metadata:
            event.metadata = self._stored(event.metadata, sender_id)
            if isinstance(event.parse_data.get("metadata"), dict):  # (NLU copies it there)
                event.parse_data["metadata"] = event.metadata
        elif isinstance(event, SlotSet) and event.key == SESSION_START_METADATA_SLOT \
                and isinstance(event.value, dict):  # fmt: skip
            event.value = self._stored(event.value, sender_id)

    def _stored(self, metadata: dict, sender_id: str) -> dict:
        identity = identify(metadata, sender_id, self.secret, self.lifetime)
        return stored_metadata(metadata, identity)
