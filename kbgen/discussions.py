"""Each page's forum thread, once the site model is built (`Site.discussions`, by page URL):
the provider, the URL and title that key the thread, the topic named in front matter, and
the link that reaches it without JavaScript. The providers and their settings: providers.py."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from kbgen.diagnostics import Diagnostics
from kbgen.providers import CommentsConfig, Discussion, Thread
from kbgen.site import Page, Site
from kbgen.urls import encode_url


def has_discussion(comments: CommentsConfig, page: Page) -> bool:
    if comments.schema is None or page.kind not in comments.types:
        return False
    if page.comments is not None:  # front matter decides for its page
        return page.comments
    return comments.types[page.kind]


def thread_page(site: Site, page: Page) -> Page:
    """The page whose URL keys `page`'s thread.

    An untranslated page shown in another language joins the thread of the original it shows.
    Shared threads are keyed by the default language's page, or else by the first language,
    in config order, that has the page translated.
    """
    config = site.config
    if config.comments.threads == "shared":
        translations = site.translations(page)
        real = [p for p in translations.values() if not p.is_fallback]
        default = translations.get(config.default_language)
        if default is not None and not default.is_fallback:
            return default
        if real:
            return real[0]
    if page.fallback_of is not None:
        original = site.page(page.fallback_of, page.key)
        if original is not None:
            return original
    return page


def attach_discussions(site: Site, diags: Diagnostics) -> None:
    """Give every page that has a discussion its thread, in `site.discussions` by page URL.
    A `discussion:` the provider cannot use is an error naming the file and line."""
    comments = site.config.comments
    schema = comments.schema
    if schema is None:
        return
    origin = comments.origin
    reported: set[tuple[Path, str]] = set()  # fallbacks share their original's front matter
    for page in site.standalone_pages:
        if not has_discussion(comments, page):
            continue
        keyed = thread_page(site, page)
        named = page if page.discussion else keyed
        topic = None
        if named.discussion and named.source is not None:
            try:
                topic = schema.read_topic(comments.settings, named.discussion)
            except ValueError as exc:
                where = (named.source.path, str(exc))
                if where not in reported:
                    reported.add(where)
                    line = named.source.meta.lines.get("discussion")
                    diags.error(f"'discussion': {exc}", named.source.path, line)
                continue
        url = site.config.base_url + encode_url(keyed.url)
        thread = Thread(
            lang=page.lang,
            url=url,
            path=urlsplit(url).path.lstrip("/") or "index",
            title=keyed.title,
            document_title=f"{keyed.title} · {site.config.site_title(keyed.lang)}",
            topic=topic,
        )
        values = schema.values(comments.settings, thread)
        site.discussions[page.url] = Discussion(
            provider=schema.name,
            settings=comments.settings,
            consent=comments.consent,
            origin=origin,
            thread=thread,
            values=values,
            link=schema.link(comments.settings, thread, values),
        )
