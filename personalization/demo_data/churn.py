"""Who churns, and when: a logistic function of each customer's behaviour, plus noise.

Everything that feeds it is behaviour or CRM data a model can see: plan and contract, tenure,
how many orders and how long since the last, tickets, escalations, CSAT, payment method and
newsletter. A customer who churns stops shopping at a date 30-540 days ago, so their last
order is older and their tickets cluster before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from personalization.demo_data.people import BUSINESS_TIER, FREE, MONTHLY, PAYMENTS, Population
from personalization.demo_data.sampling import DAY, sigmoid

CHURN_RATE = 0.235
MIN_TENURE_DAYS = 30  # too new to call churned
NEVER = np.iinfo(np.int64).max // 4


@dataclass
class Churn:
    churned: np.ndarray
    at_s: np.ndarray  # NEVER for customers who stay
    probability: np.ndarray


def churn_logit(
    pop: Population,
    orders: np.ndarray,
    last_order_s: np.ndarray,
    tickets: np.ndarray,
    escalations: np.ndarray,
    mean_csat: np.ndarray,
    now_s: int,
) -> np.ndarray:
    tenure_years = (now_s - pop.signup_s) / (365.25 * DAY)
    recency_days = np.where(last_order_s >= 0, now_s - last_order_s, now_s - pop.signup_s) / DAY
    csat_gap = np.where(np.isnan(mean_csat), 0.0, mean_csat - 4.0)
    return (
        0.9 * (pop.tier == FREE) - 0.6 * (pop.tier == BUSINESS_TIER)
        + 0.7 * (pop.contract == MONTHLY)
        - 0.35 * np.log(tenure_years + 0.3)
        - 0.45 * np.log1p(orders) + 0.5 * np.log1p(recency_days / 30)
        + 0.45 * np.minimum(tickets, 5) + 0.8 * np.minimum(escalations, 3) - 0.6 * csat_gap
        - 0.3 * pop.newsletter + 0.25 * (pop.payment == PAYMENTS.index("klarna"))
        - 0.3 * (pop.payment == PAYMENTS.index("bank_transfer"))
    )  # fmt: skip


def decide_churn(
    rng: np.random.Generator, pop: Population, logit: np.ndarray, now_s: int,
    rate: float = CHURN_RATE,
) -> Churn:  # fmt: skip
    eligible = now_s - pop.signup_s >= MIN_TENURE_DAYS * DAY
    noisy = logit + rng.normal(0.0, 0.6, pop.n)
    target = min(rate / max(eligible.mean(), 1e-9), 0.95)
    probability = np.where(eligible, sigmoid(noisy + _intercept(noisy[eligible], target)), 0.0)
    churned = rng.random(pop.n) < probability
    low = np.maximum(pop.signup_s + 21 * DAY, now_s - 540 * DAY)
    high = now_s - 30 * DAY
    low = np.minimum(low, high)
    at = low + (rng.random(pop.n) * (high - low)).astype(np.int64)
    at = np.maximum(at, pop.signup_s + DAY)
    return Churn(churned, np.where(churned, at, NEVER), probability)


def _intercept(logit: np.ndarray, target: float) -> float:
    """The shift that makes the mean churn probability equal `target` (bisection)."""
    if len(logit) == 0:
        return 0.0
    low, high = -20.0, 20.0
    for _ in range(40):
        mid = (low + high) / 2
        if sigmoid(logit + mid).mean() < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2
