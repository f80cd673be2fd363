"""Running `python -m personalization ...` as a user does: a separate process, a clean env."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from tests.trackers import ROOT


def personalization_cli(
    db_url: str, timeout: float = 600, env: dict[str, str] | None = None
) -> Callable[..., subprocess.CompletedProcess]:
    run = [sys.executable, "-m", "personalization", "--db", db_url]

    def command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*run, *args], cwd=ROOT, env={"PATH": "/usr/bin:/bin", **(env or {})},
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip

    return command
