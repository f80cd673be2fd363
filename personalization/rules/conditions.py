"""Conditions of a personalization rule, evaluated over a dict of field values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OPERATORS = ("equals", "not", "in", "not_in", "above", "below", "at_least", "at_most",
             "between", "exists")  # fmt: skip
NUMERIC_OPERATORS = ("above", "below", "at_least", "at_most", "between")
LIST_OPERATORS = ("in", "not_in")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return a == b


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass(frozen=True)
class Test:
    field: str
    operator: str
    value: Any

    def holds(self, facts: Mapping[str, Any]) -> bool:
        actual = facts.get(self.field)
        op, wanted = self.operator, self.value
        if op == "exists":
            return (actual is not None) is wanted
        if actual is None:
            # an unknown value matches no test, except "is not X"
            return op in ("not", "not_in")
        if op == "equals":
            return _same(actual, wanted)
        if op == "not":
            return not _same(actual, wanted)
        if op in LIST_OPERATORS:
            inside = any(_same(actual, w) for w in wanted)
            return inside if op == "in" else not inside
        number = _number(actual)
        if number is None:
            return False
        if op == "between":
            return wanted[0] <= number <= wanted[1]
        return {"above": number > wanted, "below": number < wanted,
                "at_least": number >= wanted, "at_most": number <= wanted}[op]  # fmt: skip

    def fields(self) -> set[str]:
        return {self.field}


@dataclass(frozen=True)
class AllOf:
    parts: tuple

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return all(p.holds(facts) for p in self.parts)

    def fields(self) -> set[str]:
        return set().union(*(p.fields() for p in self.parts))


@dataclass(frozen=True)
class AnyOf(AllOf):
    def holds(self, facts: Mapping[str, Any]) -> bool:
        return any(p.holds(facts) for p in self.parts)


@dataclass(frozen=True)
class NoneOf(AllOf):
    def holds(self, facts: Mapping[str, Any]) -> bool:
        return not any(p.holds(facts) for p in self.parts)


ALWAYS = AllOf(())
