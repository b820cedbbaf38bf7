"""Declared settings: one way to read config.yaml, the comment providers' settings and front
matter into typed values, reporting every problem at once with file:line.

A `Section` declares its keys as `Field`s, in the order they are read (a field may use the
values of fields read before it, such as `languages`), then cross-field `checks` run over
the values read. Problems are "'dotted.key': what is wrong, got <value>", at the key's line
(yamlfile.py records them). A key nobody declared is an error, or a warning where the section
says so (front matter). A section with an error gives no value: its caller stops.

A field's `default` is what a key that is not written gives, read like a written value (so
`content_dir: content` and no `content_dir` give the same folder); a default of None is given
as is, and a field without default is left out (the dataclass's own default applies).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from kbgen.diagnostics import Diagnostic, Diagnostics, Severity
from kbgen.yamlfile import shown

T = TypeVar("T")


class _Nothing:
    def __repr__(self) -> str:
        return "NOTHING"


NOTHING: Any = _Nothing()  # no default: an absent key is left out


class Invalid(ValueError):
    """A value a field refuses; the message says why (after "'key': ")."""


class _Reported(Invalid):
    """A section with errors, each reported where it was found."""


@dataclass
class Reading:
    """One file's mapping being read: where its problems go, and what has been read of it."""

    path: Path | None
    lines: Mapping[str, int]  # the line of every dotted key (yamlfile.load_mapping)
    diags: Diagnostics
    values: dict[str, Any] = field(default_factory=dict)  # by dotted key, as read so far
    # Values given on the command line instead of the file: dotted key -> (option, value).
    overrides: Mapping[str, tuple[str, Any]] = field(default_factory=dict)
    first_line: int | None = None  # the line named for a key that is not in the file

    def errors_since(self, count: int) -> bool:
        return any(d.severity == "error" for d in self.diags.items[count:])


class At:
    """One key of a reading: its value's place, and how problems name it."""

    __slots__ = ("anchor", "key", "name", "reading")  # made for every key of every file

    def __init__(self, reading: Reading, key: str, name: str, anchor: str | None = None) -> None:
        self.reading = reading
        self.key = key  # dotted; "" for the whole file
        self.name = name  # how messages name it: the key, or the option that replaced it
        self.anchor = anchor  # the key whose line to name when this one is not written

    def child(self, name: str) -> At:
        key = f"{self.key}.{name}" if self.key else name
        shown_as = f"{self.name}.{name}" if self.name else name
        return At(self.reading, key, shown_as, self.anchor)

    def anchored(self, anchor: str) -> At:
        return At(self.reading, self.key, self.name, anchor)

    def line(self) -> int | None:
        lines = self.reading.lines
        key = self.name if self.name in lines or self.anchor is None else self.anchor
        while key:  # a key that is not written: its parent's line
            if key in lines:
                return lines[key]
            key = key.rpartition(".")[0]
        return self.reading.first_line

    def fail(self, message: str) -> None:
        """Report "'key': message" at the key's line."""
        self.say("error", f"'{self.name}': {message}")

    def say(self, severity: Severity, message: str) -> None:
        """Report `message` as written, at the key's line."""
        reading = self.reading
        reading.diags.items.append(Diagnostic(severity, message, reading.path, self.line()))

    def value(self, key: str, otherwise: Any = None) -> Any:
        """The value read for dotted `key` (read before this one), or given by the caller."""
        return self.reading.values.get(key, otherwise)


class Field(Generic[T]):
    """One key: how its value is checked and made what kbgen uses.

    `required`: the whole message when the key is missing ("{key}" is its dotted name).
    `problem`: the message when the value is refused, instead of the field's own ("{got}" is
    the value as written). `null_is_absent`: `key:` with no value counts as not written.
    """

    def __init__(
        self,
        *,
        default: Any = NOTHING,
        required: str | None = None,
        problem: str | None = None,
        null_is_absent: bool = False,
    ) -> None:
        self.default = default
        self.required = required
        self.problem = problem
        self.null_is_absent = null_is_absent

    def check(self, value: Any, at: At) -> T:
        """The value as kbgen uses it; raise Invalid (or report through `at`) if it cannot be."""
        raise NotImplementedError

    def absent(self, at: At) -> Any:
        """What the key gives when it is not written (NOTHING: it is left out)."""
        if self.default is NOTHING or self.default is None:
            return self.default
        return self.check(self.default, at)

    def refused(self, value: Any, message: str, **names: Any) -> Invalid:
        """The problem with `value`: this field's `problem` if it has one (its "{got}" and
        other `names` filled in), else `message`."""
        if self.problem is None:
            return Invalid(message)
        return Invalid(self.problem.format(got=shown(value), **names))

    def optional(self) -> Field[T]:
        """This field, not required."""
        copied = copy.copy(self)
        copied.required = None
        return copied


def unknown_key(key: str, known: Sequence[str]) -> str:
    return f"'{key}': unknown key (known keys: {', '.join(sorted(known))})"


class Section(Field[T]):
    """A mapping of declared keys, made into `into(**values)` (a dataclass, or dict).

    `checks` run once every field is read, over the values read (a refused value gives its
    default); each reports through the `At` of the section. `unknown`: the severity of a key
    that is not declared, and its message."""

    def __init__(
        self,
        into: Callable[..., T],
        fields: Mapping[str, Field[Any]],
        *,
        checks: Sequence[Callable[[dict[str, Any], At], None]] = (),
        unknown: Severity = "error",
        unknown_message: Callable[[str, Sequence[str]], str] = unknown_key,
        default: Any = NOTHING,
        problem: str | None = None,
        null_is_absent: bool = False,
    ) -> None:
        super().__init__(
            default={} if default is NOTHING else default,
            problem=problem,
            null_is_absent=null_is_absent,
        )
        self.into, self.fields, self.checks = into, dict(fields), tuple(checks)
        self.unknown, self.unknown_message = unknown, unknown_message
        # fields for which a key not written gives nothing: skipped at once (front matter
        # leaves most keys out, in every file of the site)
        self._idle = {
            name
            for name, f in self.fields.items()
            if f.default is NOTHING and f.required is None and type(f).absent is Field.absent
        }

    def read(self, raw: Mapping[str, Any], reading: Reading, **given: Any) -> T | None:
        """A whole file's mapping, or None if it has an error. `given`: values that are not
        in the file (such as the folder of config.yaml), passed to `into` and to the fields."""
        reading.values.update(given)
        try:
            return self._made(raw, At(reading, "", ""), given)
        except _Reported:
            return None

    def check(self, value: Any, at: At) -> T:
        if not isinstance(value, dict):
            raise Invalid(self.problem or f"must be a mapping ({', '.join(self.fields)})")
        return self._made(value, at, {})

    def _made(self, raw: Mapping[str, Any], at: At, given: dict[str, Any]) -> T:
        reading = at.reading
        before = len(reading.diags.items)
        for key in raw:
            if key not in self.fields:
                child = at.child(key)
                child.say(self.unknown, self.unknown_message(child.name, list(self.fields)))
        values = {}
        for name, declared in self.fields.items():
            if name in self._idle and name not in raw and not reading.overrides:
                continue
            value = _read_field(declared, raw, name, at.child(name))
            if value is not NOTHING:
                values[name] = value
        for check in self.checks:
            check(values, at)
        if reading.errors_since(before):
            raise _Reported()
        return self.into(**given, **values)


def _read_field(declared: Field[Any], raw: Mapping[str, Any], name: str, at: At) -> Any:
    reading = at.reading
    if at.key in reading.overrides:
        option, value = reading.overrides[at.key]
        at = At(reading, at.key, option, at.anchor)
    elif name in raw and not (raw[name] is None and declared.null_is_absent):
        value = raw[name]
    else:
        if declared.required is not None:
            at.say("error", declared.required.format(key=at.name))
            return NOTHING
        value = NOTHING
    try:
        result = declared.absent(at) if value is NOTHING else declared.check(value, at)
    except _Reported:  # a section: its keys' values are recorded, its problems reported
        return NOTHING
    except Invalid as exc:
        at.fail(str(exc))
        try:  # later fields and checks see the default, as if the key were not written
            result = declared.absent(at)
        except Invalid:
            result = NOTHING
    if result is not NOTHING:
        reading.values[at.key] = result
    return result


# Kinds of field ------------------------------------------------------------------------------


class Bool(Field[bool]):
    def check(self, value: Any, at: At) -> bool:
        if not isinstance(value, bool):
            raise self.refused(value, f"must be true or false, got {shown(value)}")
        return value


class Int(Field[int]):
    """A whole number, from `low` to `high` where given."""

    def __init__(self, low: int | None = None, high: int | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.low, self.high = low, high

    def check(self, value: Any, at: At) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or (self.low is not None and value < self.low)
            or (self.high is not None and value > self.high)
        ):
            span = f" from {self.low} to {self.high}" if self.high is not None else ""
            raise self.refused(value, f"must be a whole number{span}, got {shown(value)}")
        return value


class Text(Field[str]):
    """A text (trimmed unless `strip` is false; empty only if `empty`); `numbers`: number
    types also taken, as their text (a title such as 2026)."""

    def __init__(
        self,
        *,
        empty: bool = False,
        strip: bool = True,
        numbers: tuple[type, ...] = (),
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.empty, self.strip, self.numbers = empty, strip, numbers

    def check(self, value: Any, at: At) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, *self.numbers)):
            text = None
        else:
            text = str(value).strip() if self.strip else str(value)
        if text is None or not (self.empty or text.strip()):
            kind = "a text" if self.empty else "a non-empty text"
            raise self.refused(value, f"must be {kind}, got {shown(value)}")
        return text


class Choice(Field[str]):
    """One of `choices`; `sep` joins them in the message."""

    def __init__(self, choices: Sequence[str], *, sep: str = ", ", **options: Any) -> None:
        super().__init__(**options)
        self.choices, self.sep = tuple(choices), sep

    def check(self, value: Any, at: At) -> str:
        if value not in self.choices:
            choices = self.sep.join(self.choices)
            message = f"must be one of {choices}, got {shown(value)}"
            raise self.refused(value, message, choices=choices)
        return str(value)


class Texts(Field[tuple[str, ...]]):
    """A list of texts (one text is a list of one); `each`: the check of every item, whose
    problems name the item."""

    def __init__(self, each: Field[Any] | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.each = each

    def check(self, value: Any, at: At) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise self.refused(value, f"must be a list of texts, got {shown(value)}")
        if self.each is not None:
            for item in items:
                try:
                    self.each.check(item, at)
                except Invalid as exc:
                    at.fail(f"{shown(item)}: {exc}")
        return tuple(items)


class Date(Field[dt.date]):
    def check(self, value: Any, at: At) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        elif isinstance(value, dt.date):
            return value
        raise self.refused(value, f"must be a date like 2026-03-12, got {shown(value)}")


class Rule(Field[T]):
    """A value checked by a function that returns it as kbgen uses it, or raises Invalid."""

    def __init__(self, rule: Callable[[Any], T], **options: Any) -> None:
        super().__init__(**options)
        self.rule = rule

    def check(self, value: Any, at: At) -> T:
        return self.rule(value)


class PerLanguage(Field[dict[str, T]]):
    """One value for every language (of the field `languages`), or a mapping from language
    code to value; `each` checks the values."""

    def __init__(self, each: Field[T], **options: Any) -> None:
        super().__init__(**options)
        self.each = each

    def check(self, value: Any, at: At) -> dict[str, T]:
        languages = at.value("languages", ())
        try:
            if not isinstance(value, dict):
                return dict.fromkeys(languages, self.each.check(value, at))
            for lang in value:
                if lang not in languages:
                    at.fail(f"names language {shown(lang)}, which is not in languages")
            return {lang: self.each.check(item, at) for lang, item in value.items()}
        except Invalid as exc:
            raise self.refused(value, str(exc)) from None
