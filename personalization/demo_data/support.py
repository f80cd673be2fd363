"""Support tickets: how many, about what, escalated or not, how fast, and how satisfied.

Customers with more `friction` open more tickets, escalate more and rate lower; slow and
escalated tickets get lower CSAT. Ticket times are placed once churn is known, so a customer
who left has no ticket after leaving and often a few just before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from personalization.demo_data.people import Population
from personalization.demo_data.sampling import DAY, HOUR, pick, pick_by_group, sigmoid

TICKET_CATEGORIES = ("delivery", "refund", "payment", "account", "product", "complaint")
CATEGORY_WEIGHTS = np.array([
    [0.30, 0.16, 0.13, 0.15, 0.19, 0.07],  # customers with little friction
    [0.27, 0.20, 0.12, 0.10, 0.15, 0.16],  # customers for whom things often go wrong
])  # fmt: skip
CHANNELS = ("chat", "email", "phone", "web")
CHANNEL_WEIGHTS = (0.45, 0.30, 0.15, 0.10)
TYPICAL_HOURS = np.array([2.0, 18.0, 1.0, 24.0])  # per channel
SURVEY_ANSWERED = 0.65


@dataclass
class Tickets:
    customer: np.ndarray
    category: np.ndarray  # index into TICKET_CATEGORIES
    channel: np.ndarray  # index into CHANNELS
    escalated: np.ndarray
    hours: np.ndarray  # time to resolve
    csat: np.ndarray  # 1-5, 0 where the survey went unanswered
    created_s: np.ndarray | None = None
    resolved_s: np.ndarray | None = None  # -1 while unresolved

    def per_customer(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ticket count, escalation count and mean CSAT (NaN without an answer) per customer."""
        count = np.bincount(self.customer, minlength=n)
        escalations = np.bincount(self.customer, weights=self.escalated, minlength=n)
        rated = self.csat > 0
        total = np.bincount(self.customer[rated], weights=self.csat[rated], minlength=n)
        answers = np.bincount(self.customer[rated], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return count, escalations, np.where(answers > 0, total / answers, np.nan)


def plan_tickets(rng: np.random.Generator, pop: Population, orders: np.ndarray) -> Tickets:
    rate = 0.45 * pop.friction**1.4 * (0.3 + 0.25 * np.minimum(orders, 8))
    count = np.minimum(rng.poisson(rate), 30)
    customer = np.repeat(np.arange(pop.n), count)
    friction = pop.friction[customer]
    category = pick_by_group(rng, (friction > 1.3).astype(np.int64), CATEGORY_WEIGHTS)
    channel = pick(rng, CHANNEL_WEIGHTS, len(customer))
    escalated = rng.random(len(customer)) < sigmoid(
        -2.7 + 1.1 * np.log(friction) + 1.0 * (category == 5) + 0.4 * (category == 1)
        + 0.3 * (channel == 2)
    )  # fmt: skip
    hours = TYPICAL_HOURS[channel] * rng.lognormal(0.0, 0.9, len(customer))
    hours = np.where(escalated, hours * 3.5, hours)
    score = (4.5 - 1.3 * escalated - 0.45 * np.log1p(hours / 24) - 0.6 * np.log(friction)
             - 0.4 * (category == 5) + rng.normal(0, 0.7, len(customer)))  # fmt: skip
    csat = np.clip(np.round(score), 1, 5).astype(np.int64)
    csat = np.where(rng.random(len(customer)) < SURVEY_ANSWERED, csat, 0)
    return Tickets(customer, category, channel, escalated, hours, csat)


def place_tickets(
    rng: np.random.Generator,
    tickets: Tickets,
    pop: Population,
    end_s: np.ndarray,
    churned: np.ndarray,
    now_s: int,
) -> Tickets:
    """Give tickets times within each customer's active period; recent ones may be open."""
    c = tickets.customer
    start = pop.signup_s[c]
    span = np.maximum(end_s[c] - start - HOUR, 0)
    late = churned[c] & (rng.random(len(c)) < 0.5)  # trouble just before leaving
    window = np.where(late, np.minimum(span, 90 * DAY), span)
    created = end_s[c] - HOUR - (rng.random(len(c)) * window).astype(np.int64)
    created = np.maximum(created, start)
    resolved = created + (tickets.hours * HOUR).astype(np.int64)
    stuck = rng.random(len(c)) < 0.015
    open_ = (resolved > now_s) | stuck
    resolved = np.where(open_, -1, resolved)
    csat = np.where(open_, 0, tickets.csat)
    return Tickets(c, tickets.category, tickets.channel, tickets.escalated, tickets.hours, csat,
                   created, resolved)  # fmt: skip
