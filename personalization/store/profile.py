"""A customer's profile as the rest of the library reads it (plain data, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class OrderSummary:
    order_id: str
    status: str
    total: float | None
    currency: str | None
    placed_at: datetime
    items: tuple[tuple[str, int], ...]  # (product_id, quantity)


@dataclass(frozen=True)
class TicketSummary:
    ticket_id: str
    category: str | None
    created_at: datetime
    resolved_at: datetime | None
    escalated: bool
    csat: int | None


@dataclass(frozen=True)
class Profile:
    customer_id: str
    name: str | None = None
    email: str | None = None
    country: str | None = None
    region: str | None = None
    language: str | None = None
    birth_year: int | None = None
    age_band: str | None = None
    account_tier: str | None = None
    loyalty_status: str | None = None
    signup_date: date | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    # preferences
    tone: str | None = None
    preferred_language: str | None = None
    product_interests: tuple[str, ...] = ()
    # model outputs
    segment: str | None = None
    persona: str | None = None
    churn_risk: float | None = None
    model_version: str | None = None
    scored_at: datetime | None = None
    # interaction history
    last_interaction_at: datetime | None = None
    conversations: int = 0
    requests_by_intent: dict[str, int] = field(default_factory=dict)
    escalations: int = 0
    fallbacks: int = 0
    # orders and tickets
    order_count: int = 0
    lifetime_value: float = 0.0  # sum of order totals
    open_tickets: int = 0
    # recent activity, newest first
    recent_orders: tuple[OrderSummary, ...] = ()
    recent_tickets: tuple[TicketSummary, ...] = ()
    consent: dict[str, bool] = field(default_factory=dict)  # purpose -> granted
    consent_notice: dict[str, str | None] = field(default_factory=dict)  # purpose -> notice

    @property
    def first_name(self) -> str | None:
        return self.name.split()[0] if self.name and self.name.strip() else None
