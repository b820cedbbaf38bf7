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
    path = _relative_path(target, folder_of(from_url)) if target else ""
    if target.endswith("/") and path not in (".", ""):
        path += "/"
    if path == ".":
        path = "" if fragment else "./"
    path = quote(path, safe="/:.-_~!$&'()*+,;=@%")
    return f"{path}#{fragment}" if fragment else path


def _relative_path(target: str, folder: str) -> str:
    """posixpath.relpath(target, folder) for site-relative paths, without its os.getcwd()
    and normpath per call: every link of every page comes through here."""
    to_parts = [part for part in target.split("/") if part]
    from_parts = [part for part in folder.split("/") if part]
    if any(part in (".", "..") for part in (*to_parts, *from_parts)):
        return posixpath.relpath(target, folder.rstrip("/") or ".")  # not made by kbgen
    common = 0
    for to_part, from_part in zip(to_parts, from_parts, strict=False):
        if to_part != from_part:
            break
        common += 1
    return "/".join([".."] * (len(from_parts) - common) + to_parts[common:]) or "."


def output_path(url: str) -> str:
    """The file that serves a URL: pretty URLs are folders holding index.html."""
    return url + "index.html" if url.endswith("/") or not url else url


def normalize_alias(alias: str) -> str:
    """An alias as written ("/fr/old-page", "fr/old.html") as a site-relative URL."""
    alias = alias.strip("/")
    if alias.endswith(".html"):
        return alias
    return alias + "/"
