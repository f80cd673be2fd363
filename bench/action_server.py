"""The project's action server plus `action_noop` (returns nothing): the baseline of
bench/session_start.py, served by the same process over the same HTTP stack.

    .venv/bin/python -m bench.action_server --port 5099
"""

from __future__ import annotations

import argparse

from rasa_sdk import Action
from rasa_sdk.endpoint import run


class NoOpAction(Action):
    def name(self) -> str:
        return "action_noop"

    async def run(self, dispatcher, tracker, domain):
        return []


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    run("actions", port=parser.parse_args().port)
