"""Deleting, from Rasa's stores, the conversations in which customers erased their data,
once Rasa has stopped writing them (PrivacyRequests.sweep). The updater runs it in the
background (every deployment's updater must: `--endpoints`); `python -m personalization sweep`
runs it once (for a scheduler).

A sweep that waits longer than OVERDUE_AFTER is overdue: the sweeper is not running, a
store cannot be reached, or the customer is still chatting. Every round logs a warning with
how many are overdue and how long the oldest has waited, and the updater's health endpoint
(updater/health.py) answers 503 meanwhile. Sender ids are not logged: on the REST channel a
sender id can be the customer id itself, and the customer was erased. Operators find them
in the profile store's `pending_sweeps` table.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from personalization.privacy.requests import PrivacyRequests
from personalization.store import Store
from personalization.store.sql import utcnow
from personalization.store.subject import pending_sweep_status

log = logging.getLogger(__name__)
OVERDUE_AFTER = 600.0  # seconds: ten minutes, five times the default quiet time


@dataclass(frozen=True)
class SweepStatus:
    pending_sweeps: int
    oldest_pending_sweep_seconds: float | None
    overdue_sweeps: int
    overdue_after_seconds: float

    @property
    def healthy(self) -> bool:
        return self.overdue_sweeps == 0

    def as_dict(self) -> dict:
        return asdict(self)


def sweep_status(store: Store, overdue_after: float = OVERDUE_AFTER) -> SweepStatus:
    now = utcnow()
    with store.engine.connect() as conn:
        waiting, oldest, overdue = pending_sweep_status(
            conn, now - timedelta(seconds=overdue_after))
    age = round((now - oldest).total_seconds(), 1) if oldest is not None else None
    return SweepStatus(waiting, age, overdue, overdue_after)


def sweep_once(requests: PrivacyRequests, quiet_seconds: float,
               overdue_after: float = OVERDUE_AFTER) -> int:  # fmt: skip
    swept = 0
    try:
        swept = requests.sweep(quiet_seconds)
    except SQLAlchemyError as error:
        log.warning("Sweeping erased conversations failed (%s); trying again later.",
                    type(error).__name__)  # fmt: skip
    if swept:
        log.info("Deleted %d erased conversation(s) from Rasa's stores.", swept)
    try:
        status = sweep_status(requests.store, overdue_after)
    except SQLAlchemyError:
        return swept  # the profile store is away: said above, or by the next round
    if not status.healthy:
        log.warning("%d erased conversation(s) have waited more than %.0f minutes to be deleted "
                    "from Rasa's stores (the oldest %.0f minutes): the customer may still be "
                    "chatting, or the tracker store or event broker cannot be reached. The "
                    "sender ids are in the profile store's pending_sweeps table.",
                    status.overdue_sweeps, overdue_after / 60,
                    (status.oldest_pending_sweep_seconds or 0) / 60)  # fmt: skip
    return swept


def start_sweeper(requests: PrivacyRequests, every: float, quiet_seconds: float,
                  stop: threading.Event,
                  overdue_after: float = OVERDUE_AFTER) -> threading.Thread:  # fmt: skip
    def loop() -> None:
        while not stop.wait(every):
            try:
                sweep_once(requests, quiet_seconds, overdue_after)
            except Exception as error:  # noqa: BLE001 - the sweeper goes on; the log says why
                log.error("Sweeping erased conversations failed (%s: %s); trying again in "
                          "%.0f s.", type(error).__name__, error, every)  # fmt: skip

    thread = threading.Thread(target=loop, name="sweeper", daemon=True)
    thread.start()
    return thread
