"""A decision is data: the slots to set, and why each has its value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from personalization.rules import Because

# Slots a decision sets (domain.yml declares them); None clears a slot.
SLOTS = ("personalized", "known_customer", "consent", "first_name", "full_name", "segment",
         "persona", "account_tier", "vip", "churn_risk", "churn_band", "tone", "language",
         "product_interests", "new_customer", "returning_after_absence", "route", "offer",
         "handoff", "agents_available", "part_of_day")  # fmt: skip


@dataclass(frozen=True)
class Decision:
    slots: dict[str, Any]
    reasons: tuple[Because, ...]
    facts: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def personalized(self) -> bool:
        return bool(self.slots["personalized"])

    def because(self, name: str) -> Because | None:
        return next((b for b in self.reasons if b.outcome == name), None)

    def explanation(self) -> list[str]:
        return [str(b) for b in self.reasons] + [f"warning: {w}" for w in self.warnings]
