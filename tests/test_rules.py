"""The personalization rules file: every check, with its line, and how rules decide."""

import subprocess
import sys
import textwrap

import pytest

from personalization.rules import FIELDS, OUTCOMES, RulesError, evaluate, load_rules, parse_rules
from tests.trackers import ROOT

MINIMAL = "version: 1\nrules: []\n"


def problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(textwrap.dedent(text), "r.yml")
    return caught.value.problems


def one_rule(when: str = "{known: true}", then: str = "{route: standard}") -> str:
    return f"version: 1\nrules:\n  - name: r\n    when: {when}\n    then: {then}\n"


def test_the_project_rules_file_is_valid_and_expresses_the_promised_defaults():
    ruleset = load_rules(ROOT / "personalization.yml")
    decide = lambda **facts: evaluate(ruleset, facts)[0]  # noqa: E731
    assert decide(loyalty_status="gold")["route"] == "vip_agent"
    assert decide(churn_risk=0.75)["offer"] == "retention"
    assert decide(churn_risk=0.75)["route"] == "standard"
    assert decide(churn_risk=0.85)["route"] == "escalation"
    assert decide(complexity=4)["route"] == "escalation"
    assert decide(new_customer=True)["route"] == "onboarding"
    assert decide()["route"] == "standard"
    assert decide(churn_risk=0.5)["offer"] == "none"
    assert ruleset.settings.intent_confidence_threshold == 0.8


@pytest.mark.parametrize(("text", "line", "words"), [
    ("version: 1\nrules:\n  - name: a\n    when: {churn_rsk: 1}\n    then: {vip: true}\n", 4,
     "unknown field 'churn_rsk'"),
    (one_rule("{churn_risk: {abov: 0.7}}"), 4, "unknown operator 'abov'"),
    (one_rule(then="{colour: red}"), 5, "unknown outcome 'colour'"),
    (one_rule(then="{route: vip}"), 5, "route must be one of"),
    (one_rule(then="{vip: maybe}"), 5, "vip is true or false"),
    (one_rule("{churn_risk: {above: high}}"), 4, "above takes a number"),
    (one_rule("{churn_risk: {between: [0.9, 0.1]}}"), 4, "is empty"),
    (one_rule("{churn_risk: {between: 0.5}}"), 4, "between takes two numbers"),
    (one_rule("{vip: {above: 1}}"), 4, "vip is true or false"),
    (one_rule("{segment: {above: 1}}"), 4, "segment is text"),
    (one_rule("{account_tier: {in: []}}"), 4, "takes a non-empty list"),
    (one_rule("{tone_preference: rude}"), 4, "must be one of formal, casual"),
    (one_rule("{orders: many}"), 4, "orders is a number"),
    (one_rule("{known: {exists: 3}}"), 4, "exists takes true or false"),
    (one_rule("{any: {known: true}}"), 4, "'any' takes a list"),
    (one_rule("[known]"), 4, "a condition must be a mapping"),
    (one_rule(then="{}"), 5, "needs 'then:'"),
    ("version: 1\nrules:\n  - when: {known: true}\n    then: {vip: true}\n", 3, "needs a name"),
    ("version: 1\nrules:\n  - name: a\n    then: {vip: true}\n    colour: red\n", 5,
     "unknown rule key 'colour'"),
    ("version: 1\nrules:\n  - name: a\n    then: {vip: true}\n  - name: A\n    then: {vip: true}\n",
     5, "used twice"),
    ("version: 1\nrules:\n  - just a string\n", 3, "a rule must be a mapping"),
    ("version: 1\nrules: {}\n", 2, "rules must be a list"),
    ("version: 2\nrules: []\n", 1, "version must be 1"),
    ("version: 1\ncolour: red\nrules: []\n", 2, "unknown key 'colour'"),
    ("version: 1\ndefaults: {route: nowhere}\nrules: []\n", 2, "route must be one of"),
    ("version: 1\nsettings: {intent_confidence_threshold: 1.5}\nrules: []\n", 2,
     "must be a number from 0.0 to 1.0"),
    ("version: 1\nsettings: {absence_days: 2.5}\nrules: []\n", 2, "whole number"),
    ("version: 1\nsettings: {churn_bands: {medium: 0.8, high: 0.7}}\nrules: []\n", 2,
     "medium must be below high"),
    ("version: 1\nsettings: {churn_bands: {low: 0.1}}\nrules: []\n", 2, "exactly medium and high"),
    ("version: 1\nsettings:\n  support_hours:\n    timezone: Mars/Olympus\nrules: []\n", 4,
     "unknown time zone"),
    ("version: 1\nsettings:\n  support_hours:\n    days: {mon: 9-5}\nrules: []\n", 4,
     "hours must look like"),
    ("version: 1\nsettings:\n  support_hours:\n    days: {funday: '09:00-17:00'}\nrules: []\n", 4,
     "unknown day"),
    ("version: 1\nsettings: {topics: [a]}\nrules: []\n", 2, "topics maps intents"),
    ("version: 1\nsettings: {colour: red}\nrules: []\n", 2, "unknown setting 'colour'"),
    ("version: 1\nrules:\n  - name: a\n    then: {vip: true\n", 5, "not valid YAML"),
    ("version: 1\nversion: 1\nrules: []\n", 2, "given twice"),
    ("- a\n- b\n", 1, "expected a mapping"),
])  # fmt: skip
def test_each_problem_is_reported_with_its_line(text, line, words):
    found = problems(text)
    assert any(p.startswith(f"r.yml, line {line}:") and words in p for p in found), found


def test_all_problems_are_reported_at_once_in_line_order():
    found = problems("""\
        version: 1
        rules:
          - name: a
            when: {churn_rsk: 1}
            then: {route: nowhere}
          - name: b
            when: {vip: {above: 1}}
            then: {colour: red}
        """)
    assert [p.split(":")[0] for p in found] == ["r.yml, line 4", "r.yml, line 5",
                                                 "r.yml, line 7", "r.yml, line 8"]


def test_crm_attributes_can_be_tested_by_name():
    ruleset = parse_rules(one_rule("{attributes.contract: Month-to-month}", "{offer: retention}"))
    assert evaluate(ruleset, {"attributes.contract": "month-to-month"})[0]["offer"] == "retention"
    assert evaluate(ruleset, {"attributes.contract": "Two year"})[0]["offer"] == "none"
    assert evaluate(ruleset, {})[0]["offer"] == "none"


def test_the_first_rule_that_sets_an_outcome_wins_and_later_rules_read_it():
    ruleset = parse_rules("""\
version: 1
rules:
  - name: gold is vip
    when: {loyalty_status: gold}
    then: {vip: true}
  - name: vip to agent
    when: {vip: true}
    then: {route: vip_agent, tone: formal}
  - name: everyone casual
    then: {tone: casual, route: escalation}
""")
    outcomes, reasons = evaluate(ruleset, {"loyalty_status": "Gold"})
    assert outcomes["route"] == "vip_agent" and outcomes["tone"] == "formal"
    why = {b.outcome: b for b in reasons}
    assert why["vip"].source == "rule: gold is vip"
    assert why["vip"].inputs == {"loyalty_status": "Gold"}
    assert why["route"].source == "rule: vip to agent" and why["route"].inputs == {"vip": True}
    assert why["offer"].source == "default"
    outcomes, reasons = evaluate(ruleset, {"loyalty_status": "silver"})
    assert outcomes["route"] == "escalation" and outcomes["tone"] == "casual"


@pytest.mark.parametrize(("condition", "facts", "holds"), [
    ("{churn_risk: {above: 0.7}}", {"churn_risk": 0.71}, True),
    ("{churn_risk: {above: 0.7}}", {"churn_risk": 0.7}, False),
    ("{churn_risk: {at_least: 0.7}}", {"churn_risk": 0.7}, True),
    ("{churn_risk: {below: 0.2}}", {"churn_risk": None}, False),
    ("{churn_risk: {between: [0.4, 0.7]}}", {"churn_risk": 0.5}, True),
    ("{account_tier: {in: [Plus, Premium]}}", {"account_tier": "premium"}, True),
    ("{account_tier: {not_in: [Plus, Premium]}}", {"account_tier": "Free"}, True),
    ("{account_tier: {not: Free}}", {}, True),
    ("{account_tier: {exists: false}}", {}, True),
    ("{segment: 3}", {"segment": "3"}, True),
    ("{any: [{vip: true}, {orders: {at_least: 10}}]}", {"vip": False, "orders": 12}, True),
    ("{none: [{vip: true}, {orders: {at_least: 10}}]}", {"vip": False, "orders": 12}, False),
    ("{intent: complaint, lifetime_value: {at_least: 1000}}",
     {"intent": "complaint", "lifetime_value": 999.0}, False),
])  # fmt: skip
def test_conditions(condition, facts, holds):
    ruleset = parse_rules(one_rule(condition, "{route: escalation}"))
    assert (evaluate(ruleset, facts)[0]["route"] == "escalation") is holds


def test_rules_check_command_exit_codes_and_messages(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(one_rule("{churn_rsk: 1}"))
    command = [sys.executable, "-m", "personalization", "rules", "check"]
    ok = subprocess.run([*command, str(ROOT / "personalization.yml")], capture_output=True,
                        text=True, cwd=ROOT)  # fmt: skip
    assert ok.returncode == 0 and "OK" in ok.stdout
    failed = subprocess.run([*command, str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert failed.returncode == 1
    assert f"{bad}, line 4: unknown field 'churn_rsk'" in failed.stderr


def test_the_reference_lists_every_field_outcome_and_operator():
    from personalization.rules.conditions import OPERATORS

    reference = (ROOT / "docs" / "personalization.md").read_text()
    missing = [name for name in (*FIELDS, *OUTCOMES, *OPERATORS) if f"`{name}`" not in reference]
    assert missing == []
