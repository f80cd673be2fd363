"""Rasa custom actions: thin adapters between the tracker and the personalization library.

Importing the package checks the personalization rules file, so `rasa run actions` refuses
to start (exit code 78) with a message naming each problem and its line.
"""

from actions.runtime import load_rules_or_exit
from personalization.settings import Settings

load_rules_or_exit(Settings.from_env())
