"""The personalization rules file: read, check every part, report problems by line.

    version: 1
    settings: {intent_confidence_threshold: 0.8, churn_bands: {medium: 0.4, high: 0.7}, ...}
    defaults: {route: standard, offer: none, tone: casual, ...}
    rules:
      - name: VIP customers get a dedicated agent
        when: {vip: true}
        then: {route: vip_agent}

docs/personalization.md describes the format; `python -m personalization rules check FILE`
runs these checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personalization.rules.conditions import (
    ALWAYS,
    LIST_OPERATORS,
    NUMERIC_OPERATORS,
    OPERATORS,
    AllOf,
    AnyOf,
    NoneOf,
    Test,
)
from personalization.rules.fields import BOOL, NUMBER, OUTCOMES, TEXT, field_for
from personalization.rules.settings import RuleSettings, parse_settings
from personalization.yaml_lines import Located, YamlError, load_located

VERSION = 1
TOP_LEVEL = ("version", "settings", "defaults", "rules")
RULE_KEYS = ("name", "description", "when", "then")
COMBINATORS = {"all": AllOf, "any": AnyOf, "none": NoneOf}
BUILT_IN_DEFAULTS = {"vip": False, "route": "standard", "offer": "none", "tone": "casual",
                     "handoff": False, "personalize": True}  # fmt: skip


class RulesError(ValueError):
    """The rules file has problems; each names the file and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    name: str
    when: Any  # a condition (conditions.Test / AllOf / AnyOf / NoneOf)
    then: dict[str, Any]
    line: int
    reads: tuple[str, ...] = ()  # the fields `when` looks at, for the explanation


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    defaults: dict[str, Any]
    settings: RuleSettings
    source: str = "rules"


def load_rules(path: Path | str) -> RuleSet:
    """Read and check a rules file; raises RulesError listing every problem found."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesError([f"{path}: cannot be read ({error.strerror or error})"]) from None
    return parse_rules(text, str(path))


def parse_rules(text: str, source: str = "rules") -> RuleSet:
    try:
        doc = load_located(text)
    except YamlError as error:
        raise RulesError([f"{source}, line {error.line}: {error.problem}"]) from None
    checker = _Checker(doc, source)
    ruleset = checker.ruleset()
    if checker.problems:
        raise RulesError(checker.problems)
    return ruleset


class _Checker:
    def __init__(self, doc: Located, source: str) -> None:
        self.doc, self.source, self.found = doc, source, []

    def fail(self, path: tuple, problem: str) -> None:
        self.found.append((self.doc.line(path), problem))

    @property
    def problems(self) -> list[str]:
        return [f"{self.source}, line {line}: {problem}"
                for line, problem in sorted(self.found, key=lambda found: found[0])]  # fmt: skip

    def ruleset(self) -> RuleSet:
        root = self.doc.value
        if not isinstance(root, dict):
            self.fail((), "expected a mapping with the keys version, settings, defaults, rules")
            return RuleSet((), dict(BUILT_IN_DEFAULTS), RuleSettings(), self.source)
        for key in root:
            if key not in TOP_LEVEL:
                self.fail((key,), f"unknown key {key!r}; allowed: {', '.join(TOP_LEVEL)}")
        if root.get("version") != VERSION:
            self.fail(("version",), f"version must be {VERSION}, got {root.get('version')!r}")
        settings, problems = parse_settings(root.get("settings") or {})
        for path, problem in problems:
            self.fail(("settings", *path), problem)
        defaults = dict(BUILT_IN_DEFAULTS)
        given = root.get("defaults") or {}
        if isinstance(given, dict):
            defaults.update(self.outcomes(given, ("defaults",)))
        else:
            self.fail(("defaults",), "defaults must map outcomes to values")
        rules = root.get("rules")
        if not isinstance(rules, list):
            self.fail(("rules",), "rules must be a list of rules (- name: ..., when:, then:)")
            rules = []
        parsed, names = [], set()
        for i, raw in enumerate(rules):
            rule = self.rule(raw, ("rules", i))
            if rule is None:
                continue
            if rule.name.casefold() in names:
                self.fail(("rules", i, "name"), f"rule name {rule.name!r} is used twice")
            names.add(rule.name.casefold())
            parsed.append(rule)
        return RuleSet(tuple(parsed), defaults, settings, self.source)

    def rule(self, raw: Any, path: tuple) -> Rule | None:
        if not isinstance(raw, dict):
            self.fail(path, "a rule must be a mapping with name, when and then")
            return None
        for key in raw:
            if key not in RULE_KEYS:
                self.fail((*path, key), f"unknown rule key {key!r}; allowed: "
                                        f"{', '.join(RULE_KEYS)}")  # fmt: skip
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            self.fail((*path, "name") if "name" in raw else path, "a rule needs a name (text)")
            name = f"rule {path[-1] + 1}"
        when = self.condition(raw["when"], (*path, "when")) if "when" in raw else ALWAYS
        then = raw.get("then")
        if not isinstance(then, dict) or not then:
            self.fail((*path, "then") if "then" in raw else path,
                      f"rule {name!r} needs 'then:' with at least one outcome")  # fmt: skip
            then = {}
        return Rule(name.strip(), when, self.outcomes(then, (*path, "then")),
                    self.doc.line(path), tuple(sorted(when.fields())))  # fmt: skip

    def condition(self, raw: Any, path: tuple) -> Any:
        """A mapping (all of its entries hold) of field tests and all/any/none lists."""
        if not isinstance(raw, dict) or not raw:
            self.fail(path, "a condition must be a mapping like {churn_risk: {above: 0.7}}")
            return ALWAYS
        parts = []
        for key, value in raw.items():
            if key in COMBINATORS:
                if not isinstance(value, list) or not value:
                    self.fail((*path, key), f"{key!r} takes a list of conditions")
                    continue
                items = [self.condition(v, (*path, key, i)) for i, v in enumerate(value)]
                parts.append(COMBINATORS[key](tuple(items)))
            else:
                parts.extend(self.tests(key, value, (*path, key)))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def tests(self, name: Any, raw: Any, path: tuple) -> list[Test]:
        spec = field_for(name) if isinstance(name, str) else None
        if spec is None:
            self.fail(path, f"unknown field {name!r}; see docs/personalization.md for the "
                            "fields, or use attributes.<name> for a CRM attribute")  # fmt: skip
            return []
        operators = raw if isinstance(raw, dict) else {"equals": raw}
        tests = []
        for op, value in operators.items():
            where = (*path, op) if isinstance(raw, dict) else path
            if op not in OPERATORS:
                self.fail(where, f"unknown operator {op!r} for {name}; use one of "
                                 f"{', '.join(OPERATORS)}")  # fmt: skip
                continue
            problem = _value_problem(name, spec, op, value)
            if problem:
                self.fail(where, problem)
                continue
            if op in LIST_OPERATORS:
                value = tuple(str(v) if spec.kind == TEXT else v for v in value)
            elif spec.kind == TEXT and op in ("equals", "not"):
                value = str(value)
            elif op == "between":
                value = (float(value[0]), float(value[1]))
            tests.append(Test(name, op, value))
        return tests

    def outcomes(self, raw: dict, path: tuple) -> dict[str, Any]:
        result = {}
        for name, value in raw.items():
            spec = OUTCOMES.get(name)
            if spec is None:
                self.fail((*path, name), f"unknown outcome {name!r}; outcomes: "
                                         f"{', '.join(OUTCOMES)}")  # fmt: skip
                continue
            problem = _value_problem(name, spec, "equals", value)
            if problem:
                self.fail((*path, name), problem)
                continue
            result[name] = value
        return result


def _value_problem(name: str, spec, op: str, value: Any) -> str | None:
    """Why `value` cannot be used with `op` on the field, or None when it can."""
    if op == "exists":
        return None if isinstance(value, bool) else f"{name}: exists takes true or false"
    if spec.kind == BOOL and op in NUMERIC_OPERATORS + LIST_OPERATORS:
        return f"{name} is true or false: use {name}: true (or not: true)"
    if spec.kind == TEXT and op in NUMERIC_OPERATORS:
        return f"{name} is text: {op} needs a number field; use equals, not, in or not_in"
    if op in LIST_OPERATORS:
        if not isinstance(value, list) or not value:
            return f"{name}: {op} takes a non-empty list, e.g. [a, b]"
        return next(filter(None, (_scalar_problem(name, spec, v) for v in value)), None)
    if op == "between":
        if (not isinstance(value, list) or len(value) != 2
                or any(isinstance(v, bool) or not isinstance(v, int | float) for v in value)):
            return f"{name}: between takes two numbers, e.g. [0.4, 0.7]"
        if value[0] > value[1]:
            return f"{name}: between [{value[0]}, {value[1]}] is empty (low > high)"
        return None
    if op in NUMERIC_OPERATORS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{name}: {op} takes a number, got {value!r}"
        return None
    return _scalar_problem(name, spec, value)


def _scalar_problem(name: str, spec, value: Any) -> str | None:
    if spec.kind == BOOL and not isinstance(value, bool):
        return f"{name} is true or false, got {value!r}"
    if spec.kind == NUMBER and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"{name} is a number, got {value!r}"
    if spec.kind == TEXT:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            return f"{name} is text, got {value!r}"
        if spec.values and str(value) not in spec.values:
            return f"{name} must be one of {', '.join(spec.values)}; got {value!r}"
    if isinstance(value, dict | list) or value is None:
        return f"{name}: expected a single value, got {value!r}"
    return None
