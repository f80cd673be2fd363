"""Apply a rule set to the facts of one moment of a conversation.

Rules are read top to bottom. For each outcome, the first rule whose `when` holds and that
names the outcome decides it; later rules cannot change it. A rule sees the facts plus the
outcomes decided before it (an outcome nobody decided yet reads as its default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from personalization.rules.ruleset import RuleSet


class Because(NamedTuple):
    """Why an outcome has its value: the rule (or "default") and the inputs it read."""

    outcome: str
    value: Any
    source: str  # "rule: <name>" or "default" (or, from the personalizer, "model"/"gate")
    inputs: dict[str, Any]

    def __str__(self) -> str:
        seen = ", ".join(f"{k}={_show(v)}" for k, v in sorted(self.inputs.items()))
        return f"{self.outcome}={_show(self.value)} by {self.source}" + (
            f" ({seen})" if seen else "")


def evaluate(ruleset: RuleSet, facts: Mapping[str, Any]) -> tuple[dict[str, Any], list[Because]]:
    decided: dict[str, Because] = {}
    view = {**facts, **ruleset.defaults}  # facts, and each outcome as decided so far
    for rule in ruleset.rules:
        if decided.keys() >= rule.then.keys():
            continue  # nothing left for it to decide
        if not rule.when.holds(view):
            continue
        inputs = {name: view.get(name) for name in rule.reads}
        source = f"rule: {rule.name}"
        for outcome, value in rule.then.items():
            if outcome not in decided:
                decided[outcome] = Because(outcome, value, source, inputs)
                view[outcome] = value
    reasons = [decided.get(outcome) or Because(outcome, default, "default", {})
               for outcome, default in ruleset.defaults.items()]
    return {because.outcome: because.value for because in reasons}, reasons


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "unknown"
    return str(value)
