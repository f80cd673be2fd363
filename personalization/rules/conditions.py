"""Conditions of a personalization rule, evaluated over a dict of field values."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
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


_COMPARE = {"above": operator.gt, "below": operator.lt, "at_least": operator.ge,
            "at_most": operator.le}  # fmt: skip


def _check(op: str, wanted: Any) -> Callable[[Any], bool]:
    """The test as a function of the field's value, built once per rule file. An unknown
    value (None) matches no test, except "is not X"; "exists" asks exactly that."""
    if op == "exists":
        return lambda actual: (actual is not None) is wanted
    if op in ("equals", "not", *LIST_OPERATORS):
        options = wanted if op in LIST_OPERATORS else (wanted,)
        positive = op in ("equals", "in")

        def matches(actual: Any) -> bool:
            if actual is None:
                return not positive
            for option in options:
                if _same(actual, option):
                    return positive
            return not positive

        return matches
    if op == "between":
        low, high = wanted
        return lambda actual: (n := _number(actual)) is not None and low <= n <= high
    compare = _COMPARE[op]
    return lambda actual: (n := _number(actual)) is not None and compare(n, wanted)


@dataclass(frozen=True)
class Test:
    field: str
    operator: str
    value: Any
    check: Callable[[Any], bool] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "check", _check(self.operator, self.value))

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return self.check(facts.get(self.field))

    def fields(self) -> set[str]:
        return {self.field}


@dataclass(frozen=True)
class AllOf:
    parts: tuple

    def holds(self, facts: Mapping[str, Any]) -> bool:
        for part in self.parts:
            if not part.holds(facts):
                return False
        return True

    def fields(self) -> set[str]:
        return set().union(*(p.fields() for p in self.parts))


@dataclass(frozen=True)
class AnyOf(AllOf):
    def holds(self, facts: Mapping[str, Any]) -> bool:
        for part in self.parts:
            if part.holds(facts):
                return True
        return False


@dataclass(frozen=True)
class NoneOf(AnyOf):
    def holds(self, facts: Mapping[str, Any]) -> bool:
        return not AnyOf.holds(self, facts)


ALWAYS = AllOf(())
