"""Rasa's endpoints file as Rasa reads it: YAML in which `${NAME}` stands for the environment
variable NAME (the scale-out configuration, config/scaled/endpoints.yml, takes its hosts and
names so)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

VARIABLE = re.compile(r"\$\{([^}]*)\}")


class EndpointsError(ValueError):
    pass


def _expand(value: Any, path: Path) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, path) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, path) for v in value]
    if not isinstance(value, str):
        return value
    missing = [name for name in VARIABLE.findall(value) if name not in os.environ]
    if missing:
        raise EndpointsError(f"{path}: set the environment variable(s) {', '.join(missing)} "
                             f"(used in {value!r})")  # fmt: skip
    return VARIABLE.sub(lambda m: os.environ[m.group(1)], value)


def read_endpoints(path: Path, *sections: str) -> dict[str, Any]:
    """The endpoints file's `sections`, their variables filled in (a process needs only the
    variables of the sections it reads)."""
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise EndpointsError(f"{path}: cannot be read ({error})") from None
    if not isinstance(config, dict):
        raise EndpointsError(f"{path}: not a mapping of endpoints")
    return {name: _expand(config[name], path) for name in sections if name in config}
