"""What Rasa's training cache must also see: the code a component calls outside its class.

Rasa fingerprints a component by its class's source, its config and its packages' versions;
a change in a module the class only imports would otherwise reuse the old trained result.
"""

from __future__ import annotations

import hashlib
import inspect
from importlib.metadata import version
from types import ModuleType


def code_and_versions(modules: list[ModuleType], packages: tuple[str, ...] = ()) -> str:
    digest = hashlib.sha256()
    for module in modules:
        digest.update(inspect.getsource(module).encode())
    for package in packages:
        digest.update(f"{package}=={version(package)}".encode())
    return digest.hexdigest()
