"""YAML read with the line of every value, for error messages that say where to look."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple  # keys and list indexes from the document root to a value


class YamlError(ValueError):
    """The text is not valid YAML; `line` is 1-based."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


@dataclass(frozen=True)
class Located:
    """A plain Python value and the 1-based line of each value inside it, by path."""

    value: Any
    lines: dict[Path, int]

    def line(self, path: Path) -> int:
        """The line of `path`, or of its nearest parent that has one."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)


def load_located(text: str) -> Located:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise YamlError(mark.line + 1 if mark else 1, f"not valid YAML ({problem})") from None
    lines: dict[Path, int] = {}
    value = _build(root, (), lines) if root is not None else None
    return Located(value, lines)


def _build(node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key in result:
                raise YamlError(key_node.start_mark.line + 1, f"{key!r} is given twice")
            result[key] = _build(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    return yaml.constructor.SafeConstructor().construct_object(node)  # int, bool, str, ...
