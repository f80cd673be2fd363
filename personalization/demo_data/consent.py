"""Consent to personalization: most grant it under the current notice, a few decline or later
withdraw (churned customers more often). `consent_state` is the latest record per customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from personalization.demo_data.people import Population
from personalization.demo_data.sampling import DAY, pick, seconds, to_datetime, unassigned

PURPOSE = "personalization"
NOTICE_VERSION = "2026-01"
NOTICE_PUBLISHED = datetime(2026, 1, 1)
DECISIONS = (0.85, 0.10, 0.05)  # grant, decline, never answered
WITHDRAW_CHANNELS = ("web", "email", "chat")


@dataclass
class Consent:
    granted_now: np.ndarray  # per customer: their current decision is a grant
    records: pd.DataFrame  # columns of consent_records, `id` left to the database
    state: pd.DataFrame  # columns of consent_state


def decide_consent(
    rng: np.random.Generator, pop: Population, churned: np.ndarray, customer_ids: np.ndarray,
    now_s: int,
) -> Consent:  # fmt: skip
    decision = pick(rng, DECISIONS, pop.n)
    answered = np.flatnonzero(decision < 2)
    # Earlier customers answered the current notice within two months of it, later ones at
    # sign-up (everyone at sign-up when `now` is before the notice).
    notice_s = seconds(NOTICE_PUBLISHED)
    asked = pop.signup_s
    if notice_s < now_s:
        window = min(60 * DAY, now_s - notice_s)
        asked = np.maximum(asked, notice_s + (rng.random(pop.n) * window).astype(np.int64))
    at = np.clip(asked + rng.integers(5, 600, pop.n), pop.signup_s + 5, now_s - 1)
    withdraws = ((decision == 0) & (rng.random(pop.n) < 0.05 + 0.10 * churned)
                 & (now_s - at > DAY))  # fmt: skip
    withdraw_at = at + 3600 + (rng.random(pop.n) * (now_s - at - 3600)).astype(np.int64)
    withdrawn = np.flatnonzero(withdraws)

    customer = np.concatenate([answered, withdrawn])
    granted = np.concatenate([decision[answered] == 0, np.zeros(len(withdrawn), dtype=bool)])
    recorded = np.concatenate([at[answered], withdraw_at[withdrawn]])
    channels = np.array(WITHDRAW_CHANNELS, dtype=object)
    channel = np.concatenate([np.full(len(answered), "web", dtype=object),
                              channels[pick(rng, (0.6, 0.25, 0.15), len(withdrawn))]])  # fmt: skip
    order = np.lexsort((customer, recorded))
    records = pd.DataFrame({
        "id": unassigned(len(order)),
        "customer_id": customer_ids[customer[order]],
        "purpose": PURPOSE,
        "granted": granted[order],
        "recorded_at": to_datetime(recorded[order]),
        "channel": channel[order],
        "notice_version": NOTICE_VERSION,
    })  # fmt: skip
    current = np.where(withdraws, withdraw_at, at)[answered]
    current_granted = (decision == 0) & ~withdraws
    state = pd.DataFrame({
        "customer_id": customer_ids[answered],
        "purpose": PURPOSE,
        "granted": current_granted[answered],
        "recorded_at": to_datetime(current),
        "notice_version": NOTICE_VERSION,
    })  # fmt: skip
    return Consent(current_granted, records, state)
