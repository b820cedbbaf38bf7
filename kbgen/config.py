"""config.yaml: its schema, defaults and validation (every problem reported at once)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

from kbgen.brand import BrandConfig, parse_brand
from kbgen.comments import CommentsConfig, parse_comments
from kbgen.diagnostics import BuildFailed, Diagnostics
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


@dataclass(frozen=True)
class LinkOptions:
    """How a broken link is reported: "error" (the build fails) or "warning" (it is shown
    as broken). `broken`: a link to a page or file that does not exist; `anchors`: a link
    to a heading or anchor that does not exist."""

    broken: str = "error"
    anchors: str = "error"


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
    brand: BrandConfig = field(default_factory=BrandConfig)  # logo, favicon, accent (brand.py)
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


class _Check:
    """Validates one raw config value; problems go to `diags` naming the key and its line."""

    def __init__(self, path: Path, lines: dict[str, int], diags: Diagnostics) -> None:
        self.path, self.lines, self.diags = path, lines, diags

    def fail(self, key: str, message: str) -> None:
        line = self.lines.get(key)
        self.diags.error(f"'{key}': {message}", self.path, line)

    def string(self, raw: dict[str, Any], key: str, default: str) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be a non-empty text, got {shown(value)}")
            return default
        return value.strip()

    def boolean(self, raw: dict[str, Any], key: str, default: bool, dotted: str) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.fail(dotted, f"must be true or false, got {shown(value)}")
            return default
        return value

    def unknown_keys(self, raw: dict[str, Any], known: set[str], prefix: str = "") -> None:
        for key in raw:
            if key not in known:
                allowed = ", ".join(sorted(known))
                self.fail(f"{prefix}{key}", f"unknown key (known keys: {allowed})")


TOP_LEVEL_KEYS = {
    "title",
    "base_url",
    "languages",
    "default_language",
    "content_dir",
    "output_dir",
    "theme",
    "fallback",
    "markdown",
    "comments",
    "search",
    "links",
    "cache_dir",
    "brand",
}
MARKDOWN_KEYS = {"allow_html", "highlight", "toc_depth"}
SEARCH_KEYS = {"enabled", "include_replies"}
LINKS_KEYS = {"broken", "anchors"}


def load_config(path: Path, base_url: str | None = None) -> Config:
    """Read and validate config.yaml; raise BuildFailed listing every problem."""
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
    raw = loaded.values
    check = _Check(path, loaded.lines, diags)
    check.unknown_keys(raw, TOP_LEVEL_KEYS)
    root = path.resolve().parent

    languages = _languages(raw, check)
    default_language = languages[0] if languages else "en"
    if "default_language" in raw:
        chosen = raw["default_language"]
        if chosen in languages:
            default_language = chosen
        else:
            check.fail(
                "default_language", f"{shown(chosen)} is not one of languages {list(languages)}"
            )

    title = _title(raw, check, languages)
    url = _base_url(
        base_url if base_url is not None else raw.get("base_url", "/"),
        check,
        from_cli=base_url is not None,
    )
    theme = check.string(raw, "theme", "default")
    if not is_theme_name(theme):
        check.fail(
            "theme",
            f"must be the name of a theme (a folder of themes/ beside config.yaml, or a theme "
            f"kbgen ships, such as default), not a path; got {theme!r}",
        )
    elif not ((root / "themes" / theme).is_dir() or (builtin_themes_dir() / theme).is_dir()):
        known = sorted(p.name for p in builtin_themes_dir().iterdir() if p.is_dir())
        check.fail(
            "theme",
            f"unknown theme '{theme}'; use one of {', '.join(known)} or create "
            f"themes/{theme}/ beside config.yaml",
        )
    fallback = raw.get("fallback", "default")
    if fallback not in FALLBACK_MODES:
        check.fail("fallback", f"must be one of {', '.join(FALLBACK_MODES)}, got {shown(fallback)}")
        fallback = "default"

    markdown = MarkdownOptions()
    md_raw = raw.get("markdown", {})
    if not isinstance(md_raw, dict):
        check.fail("markdown", "must be a mapping (allow_html, highlight, toc_depth)")
    else:
        check.unknown_keys(md_raw, MARKDOWN_KEYS, "markdown.")
        depth = md_raw.get("toc_depth", 3)
        if not isinstance(depth, int) or isinstance(depth, bool) or not 2 <= depth <= 6:
            check.fail(
                "markdown.toc_depth", f"must be a whole number from 2 to 6, got {shown(depth)}"
            )
            depth = 3
        markdown = MarkdownOptions(
            allow_html=check.boolean(md_raw, "allow_html", False, "markdown.allow_html"),
            highlight=check.boolean(md_raw, "highlight", True, "markdown.highlight"),
            toc_depth=depth,
        )

    # The providers' settings schemas live in comments.py, beside the providers.
    comments = parse_comments(raw.get("comments"), loaded.lines, path, diags, languages, url)
    search = SearchOptions()
    search_raw = raw.get("search", {})
    if not isinstance(search_raw, dict):
        check.fail("search", "must be a mapping (enabled, include_replies)")
    else:
        check.unknown_keys(search_raw, SEARCH_KEYS, "search.")
        search = SearchOptions(
            enabled=check.boolean(search_raw, "enabled", True, "search.enabled"),
            include_replies=check.boolean(
                search_raw, "include_replies", False, "search.include_replies"
            ),
        )

    links = _links(raw, check)
    content_dir = root / check.string(raw, "content_dir", "content")
    output_dir = root / check.string(raw, "output_dir", "site")
    cache_dir = root / check.string(raw, "cache_dir", ".kbgen-cache")
    _cache_dir(cache_dir, root, content_dir, output_dir, check)
    # The brand's schema and its contrast check live in brand.py.
    brand = parse_brand(raw.get("brand"), loaded.lines, path, root, diags)

    config = Config(
        path=path.resolve(),
        root=root,
        title=title,
        base_url=url,
        languages=languages,
        default_language=default_language,
        content_dir=content_dir,
        output_dir=output_dir,
        cache_dir=cache_dir,
        theme=theme,
        fallback=fallback,
        markdown=markdown,
        comments=comments,
        search=search,
        links=links,
        brand=brand,
    )
    if diags.errors:
        raise BuildFailed(diags)
    return config


def _links(raw: dict[str, Any], check: _Check) -> LinkOptions:
    value = raw.get("links", {})
    if not isinstance(value, dict):
        check.fail("links", "must be a mapping (broken, anchors)")
        return LinkOptions()
    check.unknown_keys(value, LINKS_KEYS, "links.")
    chosen = {}
    for key in sorted(LINKS_KEYS):
        severity = value.get(key, "error")
        if severity not in LINK_SEVERITIES:
            check.fail(
                f"links.{key}", f"must be one of {', '.join(LINK_SEVERITIES)}, got {severity!r}"
            )
            severity = "error"
        chosen[key] = severity
    return LinkOptions(**chosen)


def _languages(raw: dict[str, Any], check: _Check) -> tuple[str, ...]:
    value = raw.get("languages")
    if value is None:
        check.fail("languages", "is required: a list of language codes such as [fr, vi, en]")
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        check.fail(
            "languages",
            f"must be a list of language codes such as [fr, vi, en], got {shown(value)}",
        )
        return ()
    seen: list[str] = []
    for code in value:
        if not is_language_tag(code):
            check.fail(
                "languages",
                f"{code!r} is not a language tag (BCP 47, such as fr, vi, en, pt-BR, zh-Hant)",
            )
            continue
        try:
            Locale.parse(code.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            check.fail("languages", f"{code!r} is not a language code babel knows (try fr, vi, en)")
            continue
        if code in seen:
            check.fail("languages", f"{code!r} is listed twice")
            continue
        seen.append(code)
    return tuple(seen)


def _title(raw: dict[str, Any], check: _Check, languages: tuple[str, ...]) -> dict[str, str]:
    value = raw.get("title", "Knowledge base")
    if isinstance(value, str):
        return dict.fromkeys(languages, value)
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        for lang in value:
            if lang not in languages:
                check.fail("title", f"names language {shown(lang)}, which is not in languages")
        return dict(value)
    check.fail("title", "must be a text, or a mapping from language code to text")
    return {}


def _base_url(value: Any, check: _Check, from_cli: bool) -> str:
    key = "--base-url" if from_cli else "base_url"
    if not isinstance(value, str) or not value:
        check.fail(key, f"must be a URL such as https://example.com/help/, got {shown(value)}")
        return "/"
    try:
        parts = urlsplit(value)
    except ValueError:  # such as an unclosed [ of an IPv6 address
        check.fail(key, f"is not a valid URL (check its host), got {shown(value)}")
        return "/"
    if CONTROL.search(value):
        check.fail(key, f"must not contain spaces or control characters, got {shown(value)}")
        return "/"
    if value.startswith("/") and not parts.netloc:
        pass  # a site-relative base such as "/help/" is fine for previews
    elif parts.scheme not in ("http", "https") or not parts.netloc:
        check.fail(
            key, f"must start with https:// (or http://) and name a host, got {shown(value)}"
        )
        return "/"
    if parts.query or parts.fragment:
        check.fail(key, "must not have a ?query or #fragment")
    return value if value.endswith("/") else value + "/"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _resolved(path: Path) -> Path | None:
    """`path` made absolute, or None where the system cannot name it (a NUL, too long)."""
    try:
        return path.expanduser().resolve()
    except (OSError, ValueError):
        return None


def _cache_dir(cache: Path, root: Path, content: Path, output: Path, check: _Check) -> None:
    """kbgen writes its files into the build cache's folder: it must be a folder of its own,
    outside everything a build reads or publishes (the files would be published, or read as
    theme files, or be mixed with the user's). One problem is reported: the first found."""
    resolved = _resolved(cache)
    if resolved is None:
        check.fail("cache_dir", f"cannot use {shown(str(cache))} as a folder; choose another one")
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
        check.fail("cache_dir", f"{problem}; choose a folder of its own such as .kbgen-cache")
