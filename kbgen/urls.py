"""Site-relative URLs ("fr/faq/") and how one page reaches another from where it is served."""

from __future__ import annotations

import posixpath
from urllib.parse import quote


def folder_of(url: str) -> str:
    """The folder a page's relative links start from: "fr/faq/" for "fr/faq/" or
    "fr/faq/index.html", "" for the site root."""
    if url.endswith("/") or not url:
        return url
    folder = posixpath.dirname(url)
    return folder + "/" if folder else ""


def relative_url(from_url: str, to_url: str) -> str:
    """A link from the page at `from_url` to `to_url`, both site-relative, that works from
    any folder the site is served from (and from file://)."""
    target, _, fragment = to_url.partition("#")
    start = folder_of(from_url).rstrip("/") or "."
    path = posixpath.relpath(target or ".", start) if target else ""
    if target.endswith("/") and path not in (".", ""):
        path += "/"
    if path == ".":
        path = "" if fragment else "./"
    path = quote(path, safe="/:.-_~!$&'()*+,;=@%")
    return f"{path}#{fragment}" if fragment else path


def output_path(url: str) -> str:
    """The file that serves a URL: pretty URLs are folders holding index.html."""
    return url + "index.html" if url.endswith("/") or not url else url


def normalize_alias(alias: str) -> str:
    """An alias as written ("/fr/old-page", "fr/old.html") as a site-relative URL."""
    alias = alias.strip("/")
    if alias.endswith(".html"):
        return alias
    return alias + "/"
