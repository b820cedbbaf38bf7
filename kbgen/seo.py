"""What search engines read: hreflang alternates, JSON-LD, sitemap.xml and robots.txt."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from kbgen.site import STANDALONE_KINDS, Page, Site
from kbgen.urls import encode_url

# every page written as a file of its own, but the search page and the "not found" pages
INDEXED_KINDS = tuple(k for k in STANDALONE_KINDS if k not in ("search", "not_found"))


def absolute_url(site: Site, url: str) -> str:
    """The full URL of a site-relative one of the model, percent-encoded: used for canonical,
    hreflang, Open Graph, JSON-LD, the sitemap and robots.txt."""
    return site.config.base_url + encode_url(url)


def is_indexed(page: Page) -> bool:
    """Listed in the sitemap, with hreflang alternates."""
    return page.kind in INDEXED_KINDS and not page.is_fallback


def may_be_indexed(page: Page) -> bool:
    """Not marked `noindex`. The search page is a real landing page (its form and filters), so
    it may be indexed; its `?q=` results are drawn in the browser on the same HTML, whose
    canonical link names the bare page, and the script marks them `noindex` too."""
    return is_indexed(page) or page.kind == "search"


def alternates(site: Site, page: Page) -> list[tuple[str, str]]:
    """(hreflang, absolute URL) for the translations that really exist, and x-default."""
    if not is_indexed(page):
        return []
    real = {lang: p for lang, p in site.translations(page).items() if not p.is_fallback}
    if len(real) < 2:
        return []
    found = [(lang, absolute_url(site, p.url)) for lang, p in real.items()]
    default = real.get(site.config.default_language)
    if default is not None:
        found.append(("x-default", absolute_url(site, default.url)))
    return found


def canonical(site: Site, page: Page) -> str:
    """A fallback page points search engines to the original it shows."""
    if page.is_fallback:
        original = site.page(str(page.fallback_of), page.key)
        if original is not None:
            return absolute_url(site, original.url)
    return absolute_url(site, page.url)


def json_ld(site: Site, page: Page, breadcrumbs: list[tuple[str, Page]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    url = absolute_url(site, page.url)
    if page.kind in ("article", "faq", "rules"):
        article: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": page.title,
            # a fallback shows its original's text: that is the language it is written in
            "inLanguage": page.fallback_of or page.lang,
            "url": url,
            "mainEntityOfPage": url,
        }
        if page.description:
            article["description"] = page.description
        if page.date:
            article["datePublished"] = page.date.isoformat()
        if page.updated or page.date:
            article["dateModified"] = (page.updated or page.date).isoformat()  # type: ignore[union-attr]
        found.append(article)
    if page.kind == "faq_index":
        questions = [
            {
                "@type": "Question",
                "name": entry.title,
                "acceptedAnswer": {"@type": "Answer", "text": entry.text},
            }
            for group in site.faq_groups.get(page.lang, [])
            for entry in group.entries
            # entries shown untranslated are the original language's FAQPage's, not this one's
            if not entry.is_fallback
        ]
        if questions:
            found.append(
                {
                    "@context": "https://schema.org",
                    "@type": "FAQPage",
                    "inLanguage": page.lang,
                    "mainEntity": questions,
                }
            )
    if len(breadcrumbs) > 1:
        found.append(
            {
                "@context": "https://schema.org",
                "@type": "BreadcrumbList",
                "itemListElement": [
                    {
                        "@type": "ListItem",
                        "position": n,
                        "name": title,
                        "item": absolute_url(site, crumb.url),
                    }
                    for n, (title, crumb) in enumerate(breadcrumbs, start=1)
                ],
            }
        )
    return found


def sitemap(site: Site) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for page in site.standalone_pages:
        if not is_indexed(page):
            continue
        lines.append("  <url>")
        lines.append(f"    <loc>{escape(absolute_url(site, page.url))}</loc>")
        modified = page.updated or page.date
        if modified:
            lines.append(f"    <lastmod>{modified.isoformat()}</lastmod>")
        for hreflang, href in alternates(site, page):
            lines.append(
                f'    <xhtml:link rel="alternate" hreflang={quoteattr(hreflang)} '
                f"href={quoteattr(href)}/>"
            )
        lines.append("  </url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


def robots(site: Site) -> bytes:
    return (f"User-agent: *\nAllow: /\n\nSitemap: {absolute_url(site, 'sitemap.xml')}\n").encode()
