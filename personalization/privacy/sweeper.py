"""Deleting, from Rasa's stores, the conversations in which customers erased their data,
once Rasa has stopped writing them (PrivacyRequests.sweep). The updater runs it in the
background; `python -m personalization sweep` runs it once (for a scheduler)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError

from personalization.privacy.requests import PrivacyRequests

log = logging.getLogger(__name__)


def sweep_once(requests: PrivacyRequests, quiet_seconds: float) -> int:
    try:
        swept = requests.sweep(quiet_seconds)
    except SQLAlchemyError as error:
        log.warning("Sweeping erased conversations failed (%s); trying again later.",
                    type(error).__name__)  # fmt: skip
        return 0
    if swept:
        log.info("Deleted %d erased conversation(s) from Rasa's stores.", swept)
    return swept


def start_sweeper(requests: PrivacyRequests, every: float, quiet_seconds: float,
                  stop: threading.Event) -> threading.Thread:  # fmt: skip
    def loop() -> None:
        while not stop.wait(every):
            sweep_once(requests, quiet_seconds)

    thread = threading.Thread(target=loop, name="sweeper", daemon=True)
    thread.start()
    return thread
