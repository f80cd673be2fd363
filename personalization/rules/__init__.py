"""Designer-editable personalization rules: fields, file format, checks and evaluation."""

from personalization.rules.engine import Because, evaluate
from personalization.rules.fields import FIELDS, OUTCOMES, ROUTES
from personalization.rules.ruleset import Rule, RulesError, RuleSet, load_rules, parse_rules
from personalization.rules.settings import RuleSettings, SupportHours

__all__ = ["FIELDS", "OUTCOMES", "ROUTES", "Because", "Rule", "RuleSet", "RuleSettings",
           "RulesError", "SupportHours", "evaluate", "load_rules", "parse_rules"]  # fmt: skip
