"""YAML mappings loaded with the line of every key, so problems can name file:line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class YamlProblem:
    message: str
    line: int
    column: int | None = None
    key: str | None = None


@dataclass
class YamlMapping:
    """Values by key, the 1-based line of every (dotted) key, and what went wrong."""

    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)


def load_mapping(text: str, first_line: int = 1, what: str = "this YAML") -> YamlMapping:
    """Parse `text`, whose first line is line `first_line` of its file.

    A value that cannot be constructed (such as the date 2026-13-45) is a problem for its key
    only; the other keys still load, so that every problem is reported at once.
    """
    result = YamlMapping()
    offset = first_line - 1
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = (mark.line + 1 + offset) if mark else first_line
            column = (mark.column + 1) if mark else None
            problem = exc.problem or exc.context or "invalid YAML"
            result.problems.append(YamlProblem(f"invalid YAML: {problem}", line, column))
            return result
        except yaml.YAMLError as exc:
            result.problems.append(YamlProblem(f"invalid YAML: {exc}", first_line))
            return result
        if node is None:
            return result
        if not isinstance(node, yaml.MappingNode):
            result.problems.append(
                YamlProblem(
                    f"{what} must be a mapping of keys to values (key: value lines)",
                    node.start_mark.line + 1 + offset,
                    node.start_mark.column + 1,
                )
            )
            return result
        _record_lines(node, "", offset, result.lines)
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1 + offset
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                result.problems.append(YamlProblem("keys must be plain names", line))
                continue
            if key in result.values:
                result.problems.append(YamlProblem(f"'{key}' is given twice", line, key=key))
                continue
            try:
                result.values[key] = loader.construct_object(value_node, deep=True)
            except (yaml.YAMLError, ValueError, TypeError) as exc:
                reason = getattr(exc, "problem", None) or str(exc)
                result.problems.append(
                    YamlProblem(
                        f"'{key}': cannot read the value ({reason})",
                        value_node.start_mark.line + 1 + offset,
                        key=key,
                    )
                )
    finally:
        loader.dispose()
    return result


def _record_lines(node: Any, prefix: str, offset: int, lines: dict[str, int]) -> None:
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        path = f"{prefix}{key_node.value}"
        lines[path] = key_node.start_mark.line + 1 + offset
        if isinstance(value_node, yaml.MappingNode):
            _record_lines(value_node, path + ".", offset, lines)
