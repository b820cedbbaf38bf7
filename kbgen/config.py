"""config.yaml: its settings as `Config`, declared in `CONFIG` (read with schema.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

from kbgen.brand import BrandConfig, BrandField
from kbgen.diagnostics import BuildFailed, Diagnostics
from kbgen.providers import COMMENTS, CommentsConfig
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
)
from kbgen.support import (
    ANNOUNCEMENT,
    CONTACT,
    FEEDBACK,
    AnnouncementConfig,
    ContactConfig,
    FeedbackConfig,
)
from kbgen.yamlfile import load_mapping, shown

FALLBACK_MODES = ("default", "none")
LINK_SEVERITIES = ("error", "warning")

# A BCP 47 language tag (RFC 5646: language[-script][-region][-variant]...[-extension]
# [-x-private]): language codes name folders and URLs, so nothing else may pass.
LANGUAGE_TAG = re.compile(
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # language, extended language
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"  # variants
    r"(?:-[0-9A-WYZa-wyz](?:-[A-Za-z0-9]{2,8})+)*"  # extensions
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"  # private use
)
# A theme's name: a folder of themes/ (or of kbgen's own themes), never a path.
THEME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
SEARCH_ENGINES = ("lunr", "pagefind")
CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")  # control characters and the space


@dataclass(frozen=True)
class MarkdownOptions:
    allow_html: bool = False
    highlight: bool = True
    toc_depth: int = 3


@dataclass(frozen=True)
class SearchOptions:
    enabled: bool = True
    include_replies: bool = False
    engine: str = "lunr"  # or "pagefind" (search/pagefind.py), for very large sites


@dataclass(frozen=True)
class LinkOptions:
    """How a broken link is reported: "error" (the build fails) or "warning" (it is shown
    as broken). `broken`: a link to a page or file that does not exist; `anchors`: a link
    to a heading or anchor that does not exist."""

    broken: str = "error"
    anchors: str = "error"


@dataclass(frozen=True)
class RelatedWeights:
    """How much each likeness of two articles adds to their score (related.py)."""

    text: int = 100  # the cosine of their search words' TF-IDF vectors (0 to 1)
    tags: int = 60  # the cosine of their tag sets (0 to 1)
    section: int = 20  # 1 when they are in the same section


@dataclass(frozen=True)
class RelatedOptions:
    """An article's related articles: at most `count` (0: none), each scoring at least
    `threshold` (weights × likenesses, added up)."""

    count: int = 5
    threshold: int = 25
    weights: RelatedWeights = field(default_factory=RelatedWeights)


@dataclass(frozen=True)
class Config:
    path: Path
    root: Path  # the folder holding config.yaml; relative paths are taken from it
    title: dict[str, str]  # site title by language
    base_url: str  # always ends with "/"
    languages: tuple[str, ...]
    default_language: str
    content_dir: Path
    output_dir: Path
    theme: str
    fallback: str
    markdown: MarkdownOptions = field(default_factory=MarkdownOptions)
    comments: CommentsConfig = field(default_factory=CommentsConfig)
    search: SearchOptions = field(default_factory=SearchOptions)
    links: LinkOptions = field(default_factory=LinkOptions)
    related: RelatedOptions = field(default_factory=RelatedOptions)
    brand: BrandConfig = field(default_factory=BrandConfig)  # logo, favicon, accent (brand.py)
    # "Was this helpful?", "Still need help?" and the banner above every page (support.py)
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    contact: ContactConfig | None = None
    announcement: AnnouncementConfig | None = None
    cache_dir: Path = Path(
        ".kbgen-cache"
    )  # the build cache (cache.py); load_config makes it absolute

    @property
    def base_path(self) -> str:
        """The path part of base_url, such as "/help/"."""
        return urlsplit(self.base_url).path or "/"

    def site_title(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get(self.default_language) or "Knowledge base"


def is_language_tag(code: str) -> bool:
    return LANGUAGE_TAG.fullmatch(code) is not None


def is_theme_name(name: str) -> bool:
    return THEME_NAME.fullmatch(name) is not None and ".." not in name


def builtin_themes_dir() -> Path:
    """Where the bundled themes are: inside the installed package, or the repository's."""
    packaged = Path(__file__).parent / "themes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "themes"


# The kinds of value only config.yaml has ------------------------------------------------------


class _LanguageTags(Field[tuple[str, ...]]):
    """`languages`: BCP 47 tags babel knows, each once (each problem reported)."""

    def check(self, value: Any, at: At) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise Invalid(
                f"must be a list of language codes such as [fr, vi, en], got {shown(value)}"
            )
        seen: list[str] = []
        for code in value:
            if not is_language_tag(code):
                at.fail(
                    f"{code!r} is not a language tag (BCP 47, such as fr, vi, en, pt-BR, zh-Hant)"
                )
                continue
            try:
                Locale.parse(code.replace("-", "_"))
            except (UnknownLocaleError, ValueError):
                at.fail(f"{code!r} is not a language code babel knows (try fr, vi, en)")
                continue
            if code in seen:
                at.fail(f"{code!r} is listed twice")
                continue
            seen.append(code)
        return tuple(seen)


class _DefaultLanguage(Field[str]):
    """One of `languages`; the first when not written."""

    def absent(self, at: At) -> str:
        languages = at.value("languages", ())
        return languages[0] if languages else "en"

    def check(self, value: Any, at: At) -> str:
        languages = at.value("languages", ())
        if value not in languages:
            raise Invalid(f"{shown(value)} is not one of languages {list(languages)}")
        return str(value)


class _BaseUrl(Field[str]):
    """An http(s) URL naming a host, or a site-relative path such as /help/; ends with "/"."""

    def check(self, value: Any, at: At) -> str:
        if not isinstance(value, str) or not value:
            raise Invalid(f"must be a URL such as https://example.com/help/, got {shown(value)}")
        try:
            parts = urlsplit(value)
        except ValueError:  # such as an unclosed [ of an IPv6 address
            raise Invalid(f"is not a valid URL (check its host), got {shown(value)}") from None
        if CONTROL.search(value):
            raise Invalid(f"must not contain spaces or control characters, got {shown(value)}")
        if value.startswith("/") and not parts.netloc:
            pass  # a site-relative base such as "/help/" is fine for previews
        elif parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid(
                f"must start with https:// (or http://) and name a host, got {shown(value)}"
            )
        if parts.query or parts.fragment:
            at.fail("must not have a ?query or #fragment")
        return value if value.endswith("/") else value + "/"


class _ThemeName(Text):
    """A folder of themes/ beside config.yaml, or a theme kbgen ships."""

    def check(self, value: Any, at: At) -> str:
        theme = super().check(value, at)
        root: Path = at.value("root")
        if not is_theme_name(theme):
            at.fail(
                f"must be the name of a theme (a folder of themes/ beside config.yaml, or a "
                f"theme kbgen ships, such as default), not a path; got {theme!r}"
            )
        elif not ((root / "themes" / theme).is_dir() or (builtin_themes_dir() / theme).is_dir()):
            known = sorted(p.name for p in builtin_themes_dir().iterdir() if p.is_dir())
            at.fail(
                f"unknown theme '{theme}'; use one of {', '.join(known)} or create "
                f"themes/{theme}/ beside config.yaml",
            )
        return theme


class _SearchEngine(Choice):
    """`search.engine`: lunr (bundled) or pagefind, which needs its package installed."""

    def __init__(self, **options: Any) -> None:
        super().__init__(SEARCH_ENGINES, sep=" | ", **options)

    def check(self, value: Any, at: At) -> str:
        engine = super().check(value, at)
        if engine == "pagefind" and at.value("search.enabled", True):
            missing = _pagefind_missing()
            if missing is not None:
                at.fail(
                    f'the pagefind engine needs {missing}: pip install "kbgen[pagefind]" '
                    "(or set search.engine to lunr)"
                )
        return engine


def _pagefind_missing() -> str | None:
    """What of Pagefind is not installed (search/pagefind.py runs its binary), or None."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return "the pagefind package"
    return None if get_executable() is not None else "the Pagefind binary"


class _Folder(Field[Path]):
    """A folder, taken from the folder of config.yaml when relative."""

    def check(self, value: Any, at: At) -> Path:
        root: Path = at.value("root")
        return root / _TEXT.check(value, at)


_TEXT = Text()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _resolved(path: Path) -> Path | None:
    """`path` made absolute, or None where the system cannot name it (a NUL, too long)."""
    try:
        return path.expanduser().resolve()
    except (OSError, ValueError):
        return None


def _own_cache_dir(values: dict[str, Any], at: At) -> None:
    """kbgen writes its files into the build cache's folder: it must be a folder of its own,
    outside everything a build reads or publishes (the files would be published, or read as
    theme files, or be mixed with the user's). One problem is reported: the first found."""
    root: Path = at.value("root")
    cache, content, output = values["cache_dir"], values["content_dir"], values["output_dir"]
    key = at.child("cache_dir")
    resolved = _resolved(cache)
    if resolved is None:
        key.fail(f"cannot use {shown(str(cache))} as a folder; choose another one")
        return
    cache = resolved
    problem = None
    for label, folder in (
        ("the filesystem root", Path("/")),
        ("your home folder", Path.home()),
        ("the folder of config.yaml", root),
    ):
        if _inside(folder.resolve(), cache):
            problem = f"{cache} is or contains {label}"
            break
    else:
        for label, folder in (
            ("the content folder", content),
            ("the output folder", output),
            ("the site's themes folder", root / "themes"),
            ("kbgen's themes folder", builtin_themes_dir()),
        ):
            found = _resolved(folder)  # None: a folder the system refuses, reported later
            if found is None:
                continue
            folder = found
            if _inside(cache, folder) or _inside(folder, cache):
                problem = f"{cache} is, contains or lies inside {label} ({folder})"
                break
    if problem is not None:
        key.fail(f"{problem}; choose a folder of its own such as .kbgen-cache")


CONFIG = Section(
    Config,
    # read in this order: a key may use those above it (title and default_language use
    # languages; comments use base_url; cache_dir is checked against content_dir and output_dir)
    {
        "languages": _LanguageTags(
            required="'{key}': is required: a list of language codes such as [fr, vi, en]",
            null_is_absent=True,
        ),
        "default_language": _DefaultLanguage(),
        "title": PerLanguage(
            Text(empty=True, strip=False),
            default="Knowledge base",
            problem="must be a text, or a mapping from language code to text",
        ),
        "base_url": _BaseUrl(default="/"),
        "theme": _ThemeName(default="default"),
        "fallback": Choice(FALLBACK_MODES, default="default"),
        "markdown": Section(
            MarkdownOptions, {"allow_html": Bool(), "highlight": Bool(), "toc_depth": Int(2, 6)}
        ),
        "comments": COMMENTS,
        "search": Section(
            SearchOptions,
            {"enabled": Bool(), "include_replies": Bool(), "engine": _SearchEngine(default="lunr")},
        ),
        "links": Section(
            LinkOptions, {"broken": Choice(LINK_SEVERITIES), "anchors": Choice(LINK_SEVERITIES)}
        ),
        "related": Section(
            RelatedOptions,
            {
                "count": Int(0, 50),
                "threshold": Int(0, 1000),
                "weights": Section(
                    RelatedWeights,
                    {"text": Int(0, 1000), "tags": Int(0, 1000), "section": Int(0, 1000)},
                ),
            },
        ),
        "content_dir": _Folder(default="content"),
        "output_dir": _Folder(default="site"),
        "cache_dir": _Folder(default=".kbgen-cache"),
        "brand": BrandField(),  # logo, favicon, accent colour and its contrast (brand.py)
        "feedback": FEEDBACK,  # feedback, contact, announcement: support.py
        "contact": CONTACT,
        "announcement": ANNOUNCEMENT,
    },
    checks=[_own_cache_dir],
)


def load_config(path: Path, base_url: str | None = None) -> Config:
    """Read and validate config.yaml; raise BuildFailed listing every problem.
    `base_url`: given on the command line, it replaces the file's."""
    diags = Diagnostics()
    try:
        if path.exists() and not path.is_file():  # a named pipe would block the read forever
            diags.error("not a regular file; config.yaml must be a plain text file", path)
            raise BuildFailed(diags)
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        diags.error(
            "no such file; run `kbgen init DIR` to start a site, or pass --config PATH", path
        )
        raise BuildFailed(diags) from None
    except (OSError, UnicodeDecodeError) as exc:
        diags.error(f"cannot read the config: {exc}", path)
        raise BuildFailed(diags) from None
    loaded = load_mapping(text, what="config.yaml")
    for problem in loaded.problems:
        diags.error(problem.message, path, problem.line, problem.column)
    if loaded.problems and not loaded.values:
        raise BuildFailed(diags)  # nothing could be read: the schema would only add noise
    overrides = {} if base_url is None else {"base_url": ("--base-url", base_url)}
    reading = Reading(path, loaded.lines, diags, overrides=overrides)
    config = CONFIG.read(loaded.values, reading, path=path.resolve(), root=path.resolve().parent)
    if config is None or diags.errors:
        raise BuildFailed(diags)
    return config
