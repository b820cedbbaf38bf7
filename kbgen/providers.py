"""Comment providers: each one's settings (declared with schema.py), where its embed loads
from, the topic front matter names, and the link to a thread; and `comments:` of config.yaml.

A provider is one `ProviderSchema` in `PROVIDERS` plus one template,
`partials/discussion/<name>.html`; nothing else names providers. This module belongs to the
config stage: config.py reads `comments:` through `COMMENTS`; discussions.py, after the site
model, gives each page its `Discussion`; `summary_notes` says what the build prints about them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from kbgen.schema import (
    NOTHING,
    At,
    Bool,
    Choice,
    Field,
    Int,
    Invalid,
    PerLanguage,
    Rule,
    Section,
    Text,
)
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
class ProviderSchema:
    name: str
    settings: Mapping[str, Field[Any]]  # `comments.<name>:`, read when it is the provider
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


# The providers' settings -------------------------------------------------------------------


def _https_url(value: Any, example: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"must be an https:// URL such as {example}, got {shown(value)}")
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise Invalid(f"must be an https:// URL such as {example}, got {shown(value)}")
    if "@" in parts.netloc or any(ch.isspace() or ch in "\"'<>\\" for ch in value):
        raise Invalid(f"is not a plain URL: {shown(value)}")
    return value


def _forum_url(value: Any) -> str:
    value = _https_url(value, "https://forum.example.com")
    if urlsplit(value).query or urlsplit(value).fragment:
        raise Invalid("must be the forum's address, without ?query or #fragment")
    return value if value.endswith("/") else value + "/"


def _pattern(value: Any, names: tuple[str, ...], example: str) -> str:
    value = _https_url(value, example)
    for name in _PLACEHOLDER.findall(value):
        if name not in names:
            known = ", ".join("{" + n + "}" for n in names)
            raise Invalid(f"unknown placeholder {{{name}}} (known: {known})")
    return value


def _url_pattern(value: Any) -> str:
    return _pattern(
        value, PATTERN_NAMES, "https://forum.example.com/new-topic?title={title}&url={url}"
    )


def _topic_pattern(value: Any) -> str:
    checked = _pattern(value, ("id",), "https://forum.example.com/t/{id}")
    if "{id}" not in checked:
        raise Invalid("must hold {id}, such as https://forum.example.com/t/{id}")
    return checked


class _Repo(Text):
    """A GitHub repository, owner/name."""

    def check(self, value: Any, at: At) -> str:
        text = super().check(value, at)
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", text):
            raise Invalid(f"must name a GitHub repository as owner/name, got {shown(value)}")
        return text


def _id_text(provider: str) -> Text:
    """A required id or name (giscus gives some as numbers)."""
    return Text(numbers=(int,), required=f"'{{key}}': is required for provider {provider}")


PROVIDERS: dict[str, ProviderSchema] = {
    schema.name: schema
    for schema in (
        ProviderSchema(
            "discourse",
            {
                "url": Rule(_forum_url, required="'{key}': is required for provider discourse"),
                # one category for every language, or one per language
                "category": PerLanguage(
                    Int(low=1, problem="must be a category id (a whole number), got {got}"),
                    default=None,
                ),
                "referrer_policy": Choice(REFERRER_POLICIES, default=None),
            },
            origin=_discourse_origin,
            directives=("script-src", "frame-src"),
            read_topic=_discourse_topic,
            link=_discourse_link,
            home=lambda settings: settings["url"],
            notes=_discourse_notes,
        ),
        ProviderSchema(
            "giscus",
            {
                "repo": _Repo(numbers=(int,), required="'{key}': is required for provider giscus"),
                "repo_id": _id_text("giscus"),
                "category": _id_text("giscus"),
                "category_id": _id_text("giscus"),
                "mapping": Choice(("url", "pathname", "title", "og:title"), default="url"),
                "strict": Bool(default=False),
                "reactions": Bool(default=True),
                "input_position": Choice(("bottom", "top"), default="bottom"),
                "theme": Text(numbers=(int,), default="preferred_color_scheme"),
            },
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
            {
                "url": Rule(_url_pattern, required="'{key}': is required for provider link"),
                "topic_url": Rule(_topic_pattern, default=None),
            },
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


# `comments:` of config.yaml -----------------------------------------------------------------


class _ProviderBlock(Field[Settings]):
    """`comments.<provider>:`, required where it is the provider; the blocks of other
    providers may stay in the file: they are checked, not required."""

    def __init__(self, schema: ProviderSchema) -> None:
        super().__init__(null_is_absent=True)
        self.name = schema.name
        self.chosen: Section[Settings] = Section(dict, schema.settings)
        self.kept: Section[Settings] = Section(
            dict, {key: f.optional() for key, f in schema.settings.items()}
        )

    def check(self, value: Any, at: At) -> Settings:
        chosen = at.value("comments.provider") == self.name
        return (self.chosen if chosen else self.kept).check(value, at)

    def absent(self, at: At) -> Any:
        if at.value("comments.provider") != self.name:
            return NOTHING
        # no settings at all: their problems name the line that chose the provider
        return self.chosen.check({}, at.anchored("comments.provider"))


def _comments(
    provider: str, threads: str, consent: bool, types: dict[str, bool], **blocks: Settings
) -> CommentsConfig:
    return CommentsConfig(provider, threads, consent, types, blocks.get(provider, {}))


def _needs_full_base_url(values: dict[str, Any], at: At) -> None:
    provider, base_url = values.get("provider", NONE), at.value("base_url", "/")
    if provider != NONE and not urlsplit(base_url).netloc:
        at.child("provider").fail(
            f"comments via {provider} key each thread by the page's full URL; set base_url "
            f"to the URL the site is served from (https://…), got {shown(base_url)}"
        )


_TYPES_SHAPE = ", ".join(f"{k}: {str(v).lower()}" for k, v in DEFAULT_TYPES.items())

COMMENTS = Section(
    _comments,
    {
        "provider": Choice(
            (*PROVIDERS, NONE),
            default=NONE,
            sep=" | ",
            problem="unknown provider {got} (use {choices})",
        ),
        "threads": Choice(
            THREAD_MODES, default="per-language", sep=" or ", problem="must be {choices}, got {got}"
        ),
        "consent": Bool(default=True),
        "types": Section(
            dict,
            {kind: Bool(default=on) for kind, on in DEFAULT_TYPES.items()},
            problem=f"must be a mapping such as {{{_TYPES_SHAPE}}}",
        ),
        **{name: _ProviderBlock(schema) for name, schema in PROVIDERS.items()},
    },
    checks=[_needs_full_base_url],
    problem="must be a mapping (provider, threads, consent, types, …)",
    null_is_absent=True,
)


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
