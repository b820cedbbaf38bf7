"""Forum discussions: comment providers, their settings, and what a page's thread is.

The config stage validates `comments:` (`parse_comments`, called by config.py, so every
problem is reported with the other config problems). Once the site model is built,
`discussions.attach_discussions` gives every page that has a discussion its thread
(`Site.discussions`), which the theme renders through `partials/discussion.html`.

A provider is one `ProviderSchema` in `PROVIDERS` plus one template,
`partials/discussion/<name>.html`; nothing else names providers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from kbgen.diagnostics import Diagnostics
from kbgen.yamlfile import shown

NONE = "none"
THREAD_MODES = ("per-language", "shared")
# Kinds of page that may have a discussion, and whether they have one unless configured.
DEFAULT_TYPES: dict[str, bool] = {"article": True, "faq": True, "rules": True, "replies": False}
REFERRER_POLICIES = (
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
)
COMMENTS_KEYS = {"provider", "threads", "consent", "types"}
PATTERN_NAMES = ("title", "url", "lang")  # placeholders of a link pattern
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

Settings = Mapping[str, Any]


@dataclass(frozen=True)
class Topic:
    """An existing thread named by front matter `discussion:`."""

    id: str | None  # the provider's topic id or discussion number, when it has one
    url: str  # where a reader reaches it


@dataclass(frozen=True)
class Thread:
    """What keys a page's thread, whatever the provider."""

    lang: str  # the reader's language (of the page that shows the discussion)
    url: str  # absolute URL of the page that keys the thread (canonical; shared: default language)
    path: str  # that URL's path without the leading "/" ("index" for the root), as giscus keys it
    title: str  # that page's title
    document_title: str  # that page's <title>
    topic: Topic | None  # from front matter, if the page names its thread


@dataclass(frozen=True)
class Discussion:
    """The discussion block of one page, as its template needs it."""

    provider: str
    settings: Settings
    consent: bool  # True: load the embed only after the reader agrees
    origin: str | None  # the origin the embed loads from; None: nothing is loaded
    thread: Thread
    values: Mapping[str, str]  # provider-specific values computed per page
    link: str  # reaches the thread without JavaScript

    @property
    def host(self) -> str:
        return urlsplit(self.origin or self.link).netloc

    @property
    def topic(self) -> Topic | None:
        return self.thread.topic

    @property
    def template(self) -> str:
        return f"partials/discussion/{self.provider}.html"


# Settings schemas ------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One setting of a provider: `kind` names the check in `_CHECKS`."""

    name: str
    kind: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProviderSchema:
    name: str
    fields: tuple[Field, ...]
    # The origin the embed loads scripts and frames from; None for a provider that loads nothing.
    origin: Callable[[Settings], str | None]
    # Content-Security-Policy directives that must allow that origin.
    directives: tuple[str, ...]
    # Front matter `discussion:` as a Topic; raises ValueError with the reason it cannot be.
    read_topic: Callable[[Settings, str], Topic]
    # The link that reaches the thread without JavaScript (for `link`, the whole block).
    link: Callable[[Settings, Thread, Mapping[str, str]], str]
    # The forum's front page, for readers who found no answer (the search page links to it).
    home: Callable[[Settings], str | None] = lambda settings: None
    # Values the template needs that depend on the page.
    values: Callable[[Settings, Thread], dict[str, str]] = lambda settings, thread: {}
    # Extra lines for the build summary (such as settings to make on the provider's side).
    notes: Callable[[Settings, str], list[str]] = lambda settings, base_url: []


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) > 0


# discourse: the official embed (javascripts/embed.js reading window.DiscourseEmbed).


def _discourse_origin(settings: Settings) -> str:
    parts = urlsplit(settings["url"])
    return f"{parts.scheme}://{parts.netloc}"


def _discourse_topic(settings: Settings, value: str) -> Topic:
    forum = settings["url"]
    if _digits(value):
        return Topic(value, f"{forum}t/{value}")
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        if not value.startswith(forum):
            raise ValueError(f"{shown(value)} is not a topic of the forum {forum}")
        found = re.fullmatch(
            r"t/(?:[^/]+/)?(\d+)(?:/\d+)?/?", parts.path[len(urlsplit(forum).path) :]
        )
        if found:
            return Topic(found.group(1), value)
    raise ValueError(
        f"must be a topic id (42) or a topic URL of the forum ({forum}t/some-title/42), "
        f"got {shown(value)}"
    )


def _discourse_link(settings: Settings, thread: Thread, values: Mapping[str, str]) -> str:
    if thread.topic is not None:
        return thread.topic.url
    # Topics made by the embed quote the page's URL, so a search for it finds the thread.
    return f"{settings['url']}search?q={quote(thread.url, safe='')}"


def _discourse_notes(settings: Settings, base_url: str) -> list[str]:
    categories = settings.get("category") or {}
    if not categories:
        return []
    parts = urlsplit(base_url)
    routes = "; ".join(
        f"path {parts.path}{lang}/.* -> category {number}" for lang, number in categories.items()
    )
    return [
        "comments via discourse: Discourse files new topics in the category of the matching "
        f"embeddable host (Admin > Embedding): host {parts.netloc}, {routes}"
    ]


# giscus: GitHub Discussions through giscus.app/client.js and the data- attributes of its script.

GISCUS_ORIGIN = "https://giscus.app"


def _giscus_topic(settings: Settings, value: str) -> Topic:
    repo = settings["repo"]
    if _digits(value):
        return Topic(value, f"https://github.com/{repo}/discussions/{value}")
    found = re.fullmatch(
        rf"https://github\.com/{re.escape(repo)}/discussions/(\d+)/?", value, re.IGNORECASE
    )
    if found:
        return Topic(found.group(1), value)
    raise ValueError(
        "must be a discussion number (42) or the URL of a discussion of "
        f"{repo} (https://github.com/{repo}/discussions/42), got {shown(value)}"
    )


def _giscus_values(settings: Settings, thread: Thread) -> dict[str, str]:
    # kbgen computes the term itself ("specific" mapping), so that shared threads and
    # previews served from another address still find the thread the mapping names.
    terms = {
        "url": thread.url,
        "pathname": thread.path,
        "title": thread.document_title,
        "og:title": thread.title,
    }
    return {"term": terms[settings["mapping"]]}


def _giscus_link(settings: Settings, thread: Thread, values: Mapping[str, str]) -> str:
    if thread.topic is not None:
        return thread.topic.url
    query = quote(values["term"], safe="")
    return f"https://github.com/{settings['repo']}/discussions?discussions_q={query}"


# link: no embed, only a link to the forum.


def fill_pattern(pattern: str, values: Mapping[str, str]) -> str:
    """A link pattern with each {name} replaced by its value, URL-encoded."""
    return _PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), pattern)


def _link_topic(settings: Settings, value: str) -> Topic:
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.netloc:
        return Topic(None, value)
    if _digits(value) and settings.get("topic_url"):
        return Topic(value, settings["topic_url"].replace("{id}", value))
    hint = "" if settings.get("topic_url") else " (or set comments.link.topic_url for topic ids)"
    raise ValueError(f"must be the https:// URL of the thread{hint}, got {shown(value)}")


def _link_home(settings: Settings) -> str | None:
    # The pattern is a new-topic address; its site's root is the forum, unless the host varies.
    parts = urlsplit(settings["url"])
    return None if "{" in parts.netloc else f"{parts.scheme}://{parts.netloc}/"


def _link_link(settings: Settings, thread: Thread, values: Mapping[str, str]) -> str:
    if thread.topic is not None:
        return thread.topic.url
    return fill_pattern(
        settings["url"], {"title": thread.title, "url": thread.url, "lang": thread.lang}
    )


PROVIDERS: dict[str, ProviderSchema] = {
    schema.name: schema
    for schema in (
        ProviderSchema(
            "discourse",
            (
                Field("url", "forum_url", required=True),
                Field("category", "per_language_id"),
                Field("referrer_policy", "choice", choices=REFERRER_POLICIES),
            ),
            origin=_discourse_origin,
            directives=("script-src", "frame-src"),
            read_topic=_discourse_topic,
            link=_discourse_link,
            home=lambda settings: settings["url"],
            notes=_discourse_notes,
        ),
        ProviderSchema(
            "giscus",
            (
                Field("repo", "repo", required=True),
                Field("repo_id", "text", required=True),
                Field("category", "text", required=True),
                Field("category_id", "text", required=True),
                Field(
                    "mapping",
                    "choice",
                    default="url",
                    choices=("url", "pathname", "title", "og:title"),
                ),
                Field("strict", "bool", default=False),
                Field("reactions", "bool", default=True),
                Field("input_position", "choice", default="bottom", choices=("bottom", "top")),
                Field("theme", "text", default="preferred_color_scheme"),
            ),
            origin=lambda settings: GISCUS_ORIGIN,
            # client.js adds giscus.app/default.css to the page, and the widget is a frame.
            directives=("script-src", "style-src", "frame-src"),
            read_topic=_giscus_topic,
            link=_giscus_link,
            home=lambda settings: f"https://github.com/{settings['repo']}/discussions",
            values=_giscus_values,
        ),
        ProviderSchema(
            "link",
            (
                Field("url", "url_pattern", required=True),
                Field("topic_url", "topic_pattern"),
            ),
            origin=lambda settings: None,
            directives=(),
            read_topic=_link_topic,
            link=_link_link,
            home=_link_home,
        ),
    )
}


@dataclass(frozen=True)
class CommentsConfig:
    provider: str = NONE
    threads: str = "per-language"
    consent: bool = True
    types: Mapping[str, bool] = field(default_factory=lambda: dict(DEFAULT_TYPES))
    settings: Settings = field(default_factory=dict)  # the chosen provider's, validated

    @property
    def schema(self) -> ProviderSchema | None:
        return PROVIDERS.get(self.provider)

    @property
    def origin(self) -> str | None:
        schema = self.schema
        return schema.origin(self.settings) if schema else None

    @property
    def forum_home(self) -> str | None:
        schema = self.schema
        return schema.home(self.settings) if schema else None

    def csp(self) -> dict[str, list[str]]:
        """The Content-Security-Policy sources each directive needs for the provider."""
        schema, origin = self.schema, self.origin
        if schema is None or origin is None:
            return {}
        return {directive: [origin] for directive in schema.directives}


def summary_notes(comments: CommentsConfig, base_url: str) -> list[str]:
    """Lines the build prints about comments: the CSP origins, and provider-side settings."""
    schema = comments.schema
    if schema is None:
        return []
    notes = []
    csp = comments.csp()
    if csp:
        policy = "; ".join(f"{d} {' '.join(sources)}" for d, sources in csp.items())
        notes.append(f"comments via {comments.provider} need Content-Security-Policy: {policy}")
    return notes + schema.notes(comments.settings, base_url)


# Validation (the config stage) -------------------------------------------------------------


class _Reporter:
    """Errors naming the dotted key and its line in config.yaml (or its parent's line)."""

    def __init__(self, lines: Mapping[str, int], path: Path, diags: Diagnostics) -> None:
        self.lines, self.path, self.diags = lines, path, diags

    def line(self, key: str) -> int | None:
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0]
        return None

    def fail(self, key: str, message: str, at: str | None = None) -> None:
        """`at`: the key whose line to name, when `key` itself is not in the file."""
        self.diags.error(f"'{key}': {message}", self.path, self.line(at or key))

    def unknown_keys(self, raw: Mapping[str, Any], known: set[str], prefix: str) -> None:
        for key in raw:
            if key not in known:
                self.fail(f"{prefix}{key}", f"unknown key (known keys: {', '.join(sorted(known))})")


def parse_comments(
    raw: Any,
    lines: Mapping[str, int],
    path: Path,
    diags: Diagnostics,
    languages: tuple[str, ...],
    base_url: str,
) -> CommentsConfig:
    """`comments:` of config.yaml, validated; problems go to `diags`, naming key and line."""
    report = _Reporter(lines, path, diags)
    if raw is None:
        return CommentsConfig()
    if not isinstance(raw, dict):
        report.fail("comments", "must be a mapping (provider, threads, consent, types, …)")
        return CommentsConfig()
    report.unknown_keys(raw, COMMENTS_KEYS | set(PROVIDERS), "comments.")

    provider = raw.get("provider", NONE)
    if provider != NONE and provider not in PROVIDERS:
        known = " | ".join([*PROVIDERS, NONE])
        report.fail("comments.provider", f"unknown provider {shown(provider)} (use {known})")
        provider = NONE
    threads = raw.get("threads", "per-language")
    if threads not in THREAD_MODES:
        report.fail(
            "comments.threads", f"must be {' or '.join(THREAD_MODES)}, got {shown(threads)}"
        )
        threads = "per-language"
    consent = raw.get("consent", True)
    if not isinstance(consent, bool):
        report.fail("comments.consent", f"must be true or false, got {shown(consent)}")
        consent = True
    types = _types(raw.get("types", {}), report)

    settings: dict[str, Any] = {}
    for name, schema in PROVIDERS.items():
        # Blocks of other providers may stay in the file; they are checked, not required.
        if name in raw or name == provider:
            checked = _settings(schema, raw.get(name), report, languages, name == provider)
            if name == provider:
                settings = checked
    if provider != NONE and not urlsplit(base_url).netloc:
        report.fail(
            "comments.provider",
            f"comments via {provider} key each thread by the page's full URL; set base_url "
            f"to the URL the site is served from (https://…), got {shown(base_url)}",
        )
    return CommentsConfig(provider, threads, consent, types, settings)


def _types(raw: Any, report: _Reporter) -> dict[str, bool]:
    types = dict(DEFAULT_TYPES)
    if not isinstance(raw, dict):
        shape = ", ".join(f"{k}: {str(v).lower()}" for k, v in DEFAULT_TYPES.items())
        report.fail("comments.types", f"must be a mapping such as {{{shape}}}")
        return types
    report.unknown_keys(raw, set(DEFAULT_TYPES), "comments.types.")
    for kind, value in raw.items():
        if kind not in DEFAULT_TYPES:
            continue
        if isinstance(value, bool):
            types[kind] = value
        else:
            report.fail(f"comments.types.{kind}", f"must be true or false, got {shown(value)}")
    return types


def _settings(
    schema: ProviderSchema,
    raw: Any,
    report: _Reporter,
    languages: tuple[str, ...],
    chosen: bool,
) -> dict[str, Any]:
    prefix = f"comments.{schema.name}"
    # Settings missing altogether: name the line that chose the provider.
    anchor = "comments.provider" if raw is None else None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        report.fail(prefix, f"must be a mapping ({', '.join(f.name for f in schema.fields)})")
        return {}
    report.unknown_keys(raw, {f.name for f in schema.fields}, prefix + ".")
    values: dict[str, Any] = {}
    for spec in schema.fields:
        key = f"{prefix}.{spec.name}"
        if spec.name not in raw:
            if spec.required and chosen:
                report.fail(key, f"is required for provider {schema.name}", anchor)
            values[spec.name] = spec.default
            continue
        try:
            values[spec.name] = _CHECKS[spec.kind](raw[spec.name], spec, languages)
        except ValueError as exc:
            report.fail(key, str(exc))
            values[spec.name] = spec.default
    return values


def _https_url(value: Any, example: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be an https:// URL such as {example}, got {shown(value)}")
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"must be an https:// URL such as {example}, got {shown(value)}")
    if "@" in parts.netloc or any(ch.isspace() or ch in "\"'<>\\" for ch in value):
        raise ValueError(f"is not a plain URL: {shown(value)}")
    return value


def _check_forum_url(value: Any, spec: Field, languages: tuple[str, ...]) -> str:
    value = _https_url(value, "https://forum.example.com")
    if urlsplit(value).query or urlsplit(value).fragment:
        raise ValueError("must be the forum's address, without ?query or #fragment")
    return value if value.endswith("/") else value + "/"


def _check_pattern(value: Any, names: tuple[str, ...], example: str) -> str:
    value = _https_url(value, example)
    for name in _PLACEHOLDER.findall(value):
        if name not in names:
            known = ", ".join("{" + n + "}" for n in names)
            raise ValueError(f"unknown placeholder {{{name}}} (known: {known})")
    return value


def _check_url_pattern(value: Any, spec: Field, languages: tuple[str, ...]) -> str:
    return _check_pattern(
        value, PATTERN_NAMES, "https://forum.example.com/new-topic?title={title}&url={url}"
    )


def _check_topic_pattern(value: Any, spec: Field, languages: tuple[str, ...]) -> str:
    checked = _check_pattern(value, ("id",), "https://forum.example.com/t/{id}")
    if "{id}" not in checked:
        raise ValueError("must hold {id}, such as https://forum.example.com/t/{id}")
    return checked


def _check_text(value: Any, spec: Field, languages: tuple[str, ...]) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise ValueError(f"must be a non-empty text, got {shown(value)}")
    return str(value).strip()


def _check_repo(value: Any, spec: Field, languages: tuple[str, ...]) -> str:
    text = _check_text(value, spec, languages)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", text):
        raise ValueError(f"must name a GitHub repository as owner/name, got {shown(value)}")
    return text


def _check_choice(value: Any, spec: Field, languages: tuple[str, ...]) -> str:
    if value not in spec.choices:
        raise ValueError(f"must be one of {', '.join(spec.choices)}, got {shown(value)}")
    return str(value)


def _check_bool(value: Any, spec: Field, languages: tuple[str, ...]) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {shown(value)}")
    return value


def _check_per_language_id(value: Any, spec: Field, languages: tuple[str, ...]) -> dict[str, int]:
    def number(item: Any) -> int:
        if isinstance(item, bool) or not isinstance(item, int) or item <= 0:
            raise ValueError(f"must be a category id (a whole number), got {shown(item)}")
        return item

    if isinstance(value, dict):
        for lang in value:
            if lang not in languages:
                raise ValueError(f"names language {shown(lang)}, which is not in languages")
        return {lang: number(item) for lang, item in value.items()}
    # one number: the same category for every language
    return dict.fromkeys(languages, number(value))


_CHECKS: dict[str, Callable[[Any, Field, tuple[str, ...]], Any]] = {
    "forum_url": _check_forum_url,
    "url_pattern": _check_url_pattern,
    "topic_pattern": _check_topic_pattern,
    "text": _check_text,
    "repo": _check_repo,
    "choice": _check_choice,
    "bool": _check_bool,
    "per_language_id": _check_per_language_id,
}
