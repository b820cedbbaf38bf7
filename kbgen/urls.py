"""Site-relative URLs ("fr/faq/") and how one page reaches another from where it is served.

The site model keeps URLs decoded ("vi/câu-hỏi/"): they are also the paths of the output
files. They are percent-encoded (UTF-8) where they are written into a page, the sitemap or
the search index: by relative_url for links, by encode_url for the rest.
"""

from __future__ import annotations

import functools
import posixpath
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote

# What a path may hold as is: RFC 3986's unreserved characters (quote keeps letters, digits and
# "_.-~"), its sub-delims, "@" and "/". ":" is encoded: "a:b/" would read as a URL scheme.
_PATH_SAFE = "/!$&'()*+,;=@~"
# In a fragment (anchors: ASCII ids, or what a writer typed after "#"), only what cannot stand
# in a URL is encoded; an escape already there ("#%C3%A9") is kept.
_FRAGMENT_UNSAFE = re.compile(r'[\x00-\x20\x7f"<>\\^`{|}#]')


def _encode_fragment(fragment: str) -> str:
    return _FRAGMENT_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", fragment)


def encode_url(url: str) -> str:
    """A site-relative URL of the model as it is written: "vi/câu-hỏi/#a" gives
    "vi/c%C3%A2u-h%E1%BB%8Fi/#a"."""
    path, hash_, fragment = url.partition("#")
    path = quote(path, safe=_PATH_SAFE)
    return f"{path}#{_encode_fragment(fragment)}" if hash_ else path


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
    return links_from(from_url)(to_url)


def links_from(from_url: str) -> Callable[[str], str]:
    """`relative_url` from one page, its folder split once: a page's every link comes here.
    A link out of the page's folder is "../" and the link from the folder's parent, which
    the pages side by side in it share (kept by `_links_kept`)."""
    folder = folder_of(from_url)
    direct = _links_from_folder(folder)
    if "/" not in folder[:-1] or "//" in folder or "." in folder:  # (not one of kbgen's)
        return direct
    parent = _links_kept(folder_of(folder[:-1]))

    def link(to_url: str) -> str:
        target = to_url.partition("#")[0]
        # into the page's own folder, or written with ".", "//" or a leading "/" (its parts
        # then need not be what they look like): made from the page's folder itself
        if (
            not target
            or target.startswith((folder, "/"))
            or target == folder[:-1]
            or "." in target
            or "//" in target
        ):
            return direct(to_url)
        from_parent = parent(to_url)
        if from_parent[:2] == "./" or from_parent[:1] in ("#", ""):  # the parent itself
            return direct(to_url)
        return "../" + from_parent

    return link


@functools.lru_cache(maxsize=64)
def _links_kept(folder: str) -> Callable[[str], str]:
    """The links from `folder`, each made once (for the pages in its subfolders)."""
    made: dict[str, str] = {}
    direct = _links_from_folder(folder)

    def link(to_url: str) -> str:
        found = made.get(to_url)
        if found is None:
            found = made[to_url] = direct(to_url)
        return found

    return link


def _links_from_folder(folder: str) -> Callable[[str], str]:
    from_parts = [part for part in folder.split("/") if part]
    odd_from = any(part in (".", "..") for part in from_parts)

    def link(to_url: str) -> str:
        target, _, fragment = to_url.partition("#")
        path = _relative_path(target, from_parts, odd_from) if target else ""
        if target.endswith("/") and path not in (".", ""):
            path += "/"
        if path == ".":
            path = "" if fragment else "./"
        path = quote(path, safe=_PATH_SAFE)
        return f"{path}#{_encode_fragment(fragment)}" if fragment else path

    return link


def _relative_path(target: str, from_parts: list[str], odd_from: bool) -> str:
    """posixpath.relpath(target, folder) for site-relative paths (the folder given split),
    without its os.getcwd() and normpath per call: every link of every page comes here."""
    to_parts = [part for part in target.split("/") if part]
    if odd_from or "." in to_parts or ".." in to_parts:  # not made by kbgen
        return posixpath.relpath(target, "/".join(from_parts) or ".")
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


@functools.lru_cache(maxsize=1 << 12)  # a site has few tags, on many pages each
def tag_slug(tag: str) -> str:
    """The URL piece of a tag's page: its letters, digits (any script, accents kept, as the
    slugs of file names) and `_ + .`, lower case, every other run of characters one "-":
    "Knowledge base" gives "knowledge-base", "tự phục vụ" gives "tự-phục-vụ". Empty when the
    tag has no letter or digit (front matter refuses it)."""
    kept = []
    for char in unicodedata.normalize("NFC", tag).lower():
        if char.isalnum() or char in "_+." or unicodedata.category(char).startswith("M"):
            kept.append(char)
        elif kept and kept[-1] != "-":
            kept.append("-")
    slug = "".join(kept).strip("-.")
    return slug if any(c.isalnum() for c in slug) else ""
