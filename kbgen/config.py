"""config.yaml: its schema, defaults and validation (every problem reported at once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

from kbgen.brand import BrandConfig, parse_brand
from kbgen.comments import CommentsConfig, parse_comments
from kbgen.diagnostics import BuildFailed, Diagnostics
from kbgen.yamlfile import load_mapping

FALLBACK_MODES = ("default", "none")


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
            self.fail(key, f"must be a non-empty text, got {value!r}")
            return default
        return value.strip()

    def boolean(self, raw: dict[str, Any], key: str, default: bool, dotted: str) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.fail(dotted, f"must be true or false, got {value!r}")
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
    "cache_dir",
    "brand",
}
MARKDOWN_KEYS = {"allow_html", "highlight", "toc_depth"}
SEARCH_KEYS = {"enabled", "include_replies"}


def load_config(path: Path, base_url: str | None = None) -> Config:
    """Read and validate config.yaml; raise BuildFailed listing every problem."""
    diags = Diagnostics()
    try:
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
            check.fail("default_language", f"{chosen!r} is not one of languages {list(languages)}")

    title = _title(raw, check, languages)
    url = _base_url(
        base_url if base_url is not None else raw.get("base_url", "/"),
        check,
        from_cli=base_url is not None,
    )
    theme = check.string(raw, "theme", "default")
    if not ((root / "themes" / theme).is_dir() or (builtin_themes_dir() / theme).is_dir()):
        known = sorted(p.name for p in builtin_themes_dir().iterdir() if p.is_dir())
        check.fail(
            "theme",
            f"unknown theme '{theme}'; use one of {', '.join(known)} or create "
            f"themes/{theme}/ beside config.yaml",
        )
    fallback = raw.get("fallback", "default")
    if fallback not in FALLBACK_MODES:
        check.fail("fallback", f"must be one of {', '.join(FALLBACK_MODES)}, got {fallback!r}")
        fallback = "default"

    markdown = MarkdownOptions()
    md_raw = raw.get("markdown", {})
    if not isinstance(md_raw, dict):
        check.fail("markdown", "must be a mapping (allow_html, highlight, toc_depth)")
    else:
        check.unknown_keys(md_raw, MARKDOWN_KEYS, "markdown.")
        depth = md_raw.get("toc_depth", 3)
        if not isinstance(depth, int) or isinstance(depth, bool) or not 2 <= depth <= 6:
            check.fail("markdown.toc_depth", f"must be a whole number from 2 to 6, got {depth!r}")
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

    # The brand's schema and its contrast check live in brand.py.
    brand = parse_brand(raw.get("brand"), loaded.lines, path, root, diags)

    config = Config(
        path=path.resolve(),
        root=root,
        title=title,
        base_url=url,
        languages=languages,
        default_language=default_language,
        content_dir=root / check.string(raw, "content_dir", "content"),
        output_dir=root / check.string(raw, "output_dir", "site"),
        cache_dir=root / check.string(raw, "cache_dir", ".kbgen-cache"),
        theme=theme,
        fallback=fallback,
        markdown=markdown,
        comments=comments,
        search=search,
        brand=brand,
    )
    if diags.errors:
        raise BuildFailed(diags)
    return config


def _languages(raw: dict[str, Any], check: _Check) -> tuple[str, ...]:
    value = raw.get("languages")
    if value is None:
        check.fail("languages", "is required: a list of language codes such as [fr, vi, en]")
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        check.fail(
            "languages", f"must be a list of language codes such as [fr, vi, en], got {value!r}"
        )
        return ()
    seen: list[str] = []
    for code in value:
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
                check.fail("title", f"names language {lang!r}, which is not in languages")
        return dict(value)
    check.fail("title", "must be a text, or a mapping from language code to text")
    return {}


def _base_url(value: Any, check: _Check, from_cli: bool) -> str:
    key = "--base-url" if from_cli else "base_url"
    if not isinstance(value, str) or not value:
        check.fail(key, f"must be a URL such as https://example.com/help/, got {value!r}")
        return "/"
    parts = urlsplit(value)
    if value.startswith("/") and not parts.netloc:
        pass  # a site-relative base such as "/help/" is fine for previews
    elif parts.scheme not in ("http", "https") or not parts.netloc:
        check.fail(key, f"must start with https:// (or http://) and name a host, got {value!r}")
        return "/"
    if parts.query or parts.fragment:
        check.fail(key, "must not have a ?query or #fragment")
    return value if value.endswith("/") else value + "/"
