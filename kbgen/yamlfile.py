"""YAML mappings loaded with the line of every key, so problems can name file:line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LARGEST_NUMBER = 2**63 - 1  # whole numbers as most tools read them (64 bits)


class _Loader(_BaseLoader):
    """The safe loader, but whole numbers fit in 64 bits: Python's own are unbounded, and
    one of thousands of digits cannot even be printed."""

    def construct_yaml_int(self, node: Any) -> int:
        try:
            value = int(super().construct_yaml_int(node))
        except ValueError:
            value = LARGEST_NUMBER + 1  # more digits than Python reads at once
        if not -LARGEST_NUMBER - 1 <= value <= LARGEST_NUMBER:
            raise ValueError(f"the number is too large: at most {LARGEST_NUMBER:,}")
        return value


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)

# A YAML alias (*name) repeats a whole value, so nine lines of aliases can stand for a billion
# values ("billion laughs"): a file whose values, aliases written out, hold more than this is
# refused before anything walks or prints them. Real front matter and configs hold a few dozen.
MAX_VALUES = 100_000
SHOWN_LENGTH = 80  # the longest value quoted in a message


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
        except yaml.reader.ReaderError as exc:
            # a character YAML forbids: say which, and where, rather than libyaml's position
            char = exc.character if isinstance(exc.character, int) else ord(exc.character)
            at = exc.position  # libyaml counts bytes of UTF-8, PyYAML characters
            if not (at < len(text) and ord(text[at]) == char):
                at = len(text.encode("utf-8")[:at].decode("utf-8", "ignore"))
            before = text[:at]
            line = before.count("\n") + first_line
            column = at - (before.rfind("\n") + 1) + 1
            message = f"invalid YAML: the character U+{char:04X} is not allowed; remove it"
            result.problems.append(YamlProblem(message, line, column))
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
        _record_lines(node, "", offset, result.lines, set())
        budget = MAX_VALUES
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1 + offset
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                result.problems.append(YamlProblem("keys must be plain names", line))
                continue
            if key in result.values:
                result.problems.append(YamlProblem(f"'{key}' is given twice", line, key=key))
                continue
            size = _plain_size(value_node)
            size = _expanded_size(value_node, budget) if size is None else size
            if size is None or size > budget:
                why = (
                    "it contains itself through an alias (*name)"
                    if size is None
                    else f"with its aliases (*name) written out it holds over {MAX_VALUES:,} values"
                )
                result.problems.append(
                    YamlProblem(
                        f"'{key}': value refused: {why}; write it without aliases", line, key=key
                    )
                )
                continue
            budget -= size
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


def _record_lines(
    node: Any, prefix: str, offset: int, lines: dict[str, int], seen: set[int]
) -> None:
    # a mapping reached again through an alias is not walked again: its keys have lines
    # already, and walking every alias could mean a billion paths (or an endless loop)
    seen.add(id(node))
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        path = f"{prefix}{key_node.value}"
        lines[path] = key_node.start_mark.line + 1 + offset
        if isinstance(value_node, yaml.MappingNode) and id(value_node) not in seen:
            _record_lines(value_node, path + ".", offset, lines, seen)


def _plain_size(node: Any) -> int | None:
    """The number of values of a scalar or a list of scalars (most front matter): nothing
    to walk. None for anything else."""
    if isinstance(node, yaml.ScalarNode):
        return 1
    if isinstance(node, yaml.SequenceNode) and all(
        isinstance(item, yaml.ScalarNode) for item in node.value
    ):
        return 1 + len(node.value)
    return None


def _expanded_size(root: Any, limit: int) -> int | None:
    """How many values `root` holds with its aliases written out, counted up to just past
    `limit` (each node once, so this is quick however large the count); None if the value
    contains itself."""
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done:
            total = 1 + sum(sizes[id(child)] for child in children)
            sizes[id(node)] = min(total, limit + 1)
            entered.discard(id(node))
            continue
        if id(node) in entered:
            return None  # reached again on the way down from itself: a loop
        entered.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def shown(value: Any) -> str:
    """A value read from YAML as a message quotes it: written as in YAML, at most
    SHOWN_LENGTH characters (a value can be huge; Python's repr of it means nothing to a
    writer)."""
    text = _shown(value, SHOWN_LENGTH + 1)
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 1] + "…"


def _shown(value: Any, room: int) -> str:
    # `room`: how much is still wanted; a list stops as soon as it is past it
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        digits = value.bit_length() * 0.30103
        return str(value) if digits < 1000 else f"(a number of about {digits:,.0f} digits)"
    if isinstance(value, (float, dt.date)):
        return value.isoformat() if isinstance(value, dt.date) else repr(value)
    if isinstance(value, str):
        return repr(value[:room])
    if isinstance(value, (list, tuple)):
        return _shown_items(value, "[", "]", room, pairs=False)
    if isinstance(value, dict):
        return _shown_items(value.items(), "{", "}", room, pairs=True)
    return repr(value)[:room]


def _shown_items(items: Iterable[Any], opening: str, closing: str, room: int, pairs: bool) -> str:
    parts: list[str] = []
    used = 1
    for item in items:
        if used > room:
            parts.append("…")
            break
        if pairs:
            text = _shown(item[0], room - used)
            text += ": " + _shown(item[1], room - used - len(text))
        else:
            text = _shown(item, room - used)
        parts.append(text)
        used += len(text) + 2
    return opening + ", ".join(parts) + closing
