"""schema.py: declared settings read into typed values, every problem at once at its line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kbgen.config import load_config
from kbgen.diagnostics import BuildFailed, Diagnostics
from kbgen.schema import (
    At,
    Bool,
    Choice,
    Field,
    Int,
    Invalid,
    PerLanguage,
    Reading,
    Section,
    Text,
    Texts,
)
from kbgen.sources import parse_front_matter
from kbgen.yamlfile import load_mapping


@dataclass(frozen=True)
class Brand:
    color: str = "#1f6feb"
    logo: str | None = None
    rounded: bool = True


class _Color(Field[str]):
    """A #rrggbb color dark enough for white text (the theme's buttons)."""

    def check(self, value: Any, at: At) -> str:
        text = Text().check(value, at)
        if len(text) != 7 or not text.startswith("#"):
            raise Invalid(f"must be a color such as #1f6feb, got {text!r}")
        return text


def _not_both(values: dict[str, Any], at: At) -> None:
    if values.get("logo") and values.get("rounded") is False:
        at.child("rounded").fail("cannot be false with a logo")


SITE = Section(
    dict,
    {
        "languages": Texts(),
        "name": PerLanguage(Text(), default="Help"),
        "size": Int(1, 9, default=3),
        "mode": Choice(("light", "dark"), default="light"),
        "brand": Section(
            Brand, {"color": _Color(), "logo": Text(), "rounded": Bool()}, checks=[_not_both]
        ),
    },
)


def _read(text: str, **options: Any) -> tuple[Any, list[str]]:
    loaded = load_mapping(text)
    diags = Diagnostics()
    values = SITE.read(loaded.values, Reading(Path("site.yaml"), loaded.lines, diags, **options))
    return values, [d.format() for d in diags.items]


def test_a_declared_section_gives_typed_values_and_defaults() -> None:
    values, problems = _read("languages: [fr, en]\nname: {fr: Aide}\nbrand: {logo: logo.svg}\n")
    assert problems == []
    assert values == {
        "languages": ("fr", "en"),
        "name": {"fr": "Aide"},
        "size": 3,
        "mode": "light",
        "brand": Brand(logo="logo.svg"),
    }
    values, _ = _read("languages: [fr, en]\n")
    assert values["name"] == {"fr": "Help", "en": "Help"}  # the default, read as if written


def test_every_problem_is_reported_at_once_at_its_line() -> None:
    values, problems = _read(
        "languages: [fr]\nname: {de: Hilfe}\nsize: 12\nmode: dim\ncolour: red\n"
        "brand:\n  color: blue\n  logo: x.svg\n  rounded: false\n  shadow: true\n"
    )
    assert values is None
    assert problems == [
        "site.yaml:5: error: 'colour': unknown key (known keys: brand, languages, mode, name, "
        "size)",
        "site.yaml:2: error: 'name': names language 'de', which is not in languages",
        "site.yaml:3: error: 'size': must be a whole number from 1 to 9, got 12",
        "site.yaml:4: error: 'mode': must be one of light, dark, got 'dim'",
        "site.yaml:10: error: 'brand.shadow': unknown key (known keys: color, logo, rounded)",
        "site.yaml:7: error: 'brand.color': must be a color such as #1f6feb, got 'blue'",
        "site.yaml:9: error: 'brand.rounded': cannot be false with a logo",
    ]


def test_a_value_given_on_the_command_line_is_named_by_its_option() -> None:
    _, problems = _read("size: 4\n", overrides={"size": ("--size", 40)})
    assert problems == ["site.yaml: error: '--size': must be a whole number from 1 to 9, got 40"]


def test_a_section_that_is_not_a_mapping_lists_its_keys() -> None:
    _, problems = _read("brand: [red]\n")
    assert problems == ["site.yaml:1: error: 'brand': must be a mapping (color, logo, rounded)"]


def _config_problems(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        load_config(tmp_path / "config.yaml")
    return [d.format(tmp_path) for d in failed.value.diagnostics.items]


def test_a_provider_that_is_not_a_name_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    problems = _config_problems(tmp_path, "languages: [en]\ncomments:\n  provider: [giscus]\n")
    assert problems == [
        "config.yaml:3: error: 'comments.provider': unknown provider ['giscus'] "
        "(use discourse | giscus | link | none)"
    ]


def test_every_category_of_an_unknown_language_is_reported(tmp_path: Path) -> None:
    problems = _config_problems(
        tmp_path,
        "languages: [fr, en]\nbase_url: https://kb.example.com/\ncomments:\n"
        "  provider: discourse\n  discourse:\n    url: https://forum.example.com\n"
        "    category: {de: 4, es: 5}\n",
    )
    assert problems == [
        "config.yaml:7: error: 'comments.discourse.category': names language 'de', which is "
        "not in languages",
        "config.yaml:7: error: 'comments.discourse.category': names language 'es', which is "
        "not in languages",
    ]


def test_a_link_severity_is_quoted_as_yaml_writes_it(tmp_path: Path) -> None:
    problems = _config_problems(tmp_path, "languages: [en]\nlinks:\n  broken: true\n")
    assert problems == [
        "config.yaml:3: error: 'links.broken': must be one of error, warning, got true"
    ]


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        ("title: true\n", "a.md:2: error: 'title': must be a non-empty text, got true"),
        ("title: '  '\n", "a.md:2: error: 'title': must be a non-empty text, got '  '"),
        (
            "title:\ndraft: no\n",
            "a.md:2: error: 'title' is required: add a line 'title: ...' to the front matter",
        ),
    ],
)
def test_a_refused_title_says_what_it_got(front_matter: str, expected: str) -> None:
    diags = Diagnostics()
    assert parse_front_matter(front_matter, Path("a.md"), diags) is None
    assert [d.format() for d in diags.items] == [expected]
