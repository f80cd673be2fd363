"""Rasa custom actions: thin adapters between the tracker and the personalization library.

Importing the package checks the settings, so `rasa run actions` refuses to start (exit
code 78) with a message saying what is wrong: each problem of the personalization rules file
with its line, a missing PERSONALIZATION_HASH_KEY or a wrong setting, an endpoints file whose
tracker store cannot be searched for a customer's conversations or would keep signatures.
"""

import rasa_sdk_plugins  # noqa: F401 - the action server's guard: no start without it
from actions.runtime import cannot_start, check_or_exit
from personalization.settings import Settings, SettingsError

try:
    check_or_exit(Settings.from_env())
except SettingsError as error:
    cannot_start(str(error))
