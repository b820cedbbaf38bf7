"""Find the content files of every language and read their front matter (`FRONT_MATTER`)."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbgen.config import Config
from kbgen.diagnostics import Diagnostic, Diagnostics, shown_path
from kbgen.schema import (
    At,
    Bool,
    Date,
    Field,
    Int,
    Invalid,
    Reading,
    Section,
    Text,
    Texts,
)
from kbgen.urls import tag_slug
from kbgen.workers import Forked
from kbgen.yamlfile import load_mapping, shown

READ_AHEAD_FROM = 400  # Markdown files to read: fewer are read by one process
MAX_SOURCE_BYTES = 10 * 1024 * 1024  # larger files are almost surely not hand-written pages
LAYOUT_HINT = (
    "expected _index.md, rules.md, articles/<section>/*.md (sub-sections in sub-folders), "
    "faq/*.md, faq/<group>/*.md or replies/*.md"
)
# What a slug (a file or folder name, or `slug:`) may not hold: what a URL path cannot hold
# as is, or would read otherwise once a server decodes it (a "%41" folder is asked for as "A").
_BAD_PATH_PIECE = re.compile(r"[\x00-\x1f\x7f-\x9f\\?#%]|^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class FrontMatter:
    title: str
    description: str = ""
    slug: str | None = None
    translation_key: str | None = None
    weight: int = 0
    tags: tuple[str, ...] = ()
    date: dt.date | None = None
    updated: dt.date | None = None
    draft: bool = False
    comments: bool | None = None
    aliases: tuple[str, ...] = ()
    discussion: str | None = None
    source_hash: str | None = None  # a translation: the version of its original it was made from
    promoted: bool = False  # shown among the promoted articles of the home page
    icon: str | None = None  # a section's icon: one of the theme's named icons
    related: tuple[str, ...] = ()  # an article's chosen related articles: .md paths, as written
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Source:
    """One Markdown file of one language, split into front matter and body."""

    path: Path
    lang: str
    rel: str  # posix path inside the language folder, NFC: "articles/billing/refunds.md"
    kind: str  # home, rules, section, article, faq_group, faq, reply
    group: str | None  # the section (articles) or group (faq) folder name
    meta: FrontMatter
    body: str
    body_line: int  # the file line on which the body starts


@dataclass(frozen=True)
class Asset:
    """A file beside the Markdown (an image, a PDF) copied to the same place in the output."""

    path: Path
    lang: str
    rel: str


@dataclass
class SourceSet:
    pages: list[Source] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)


# What reading one file gave: a page, an asset or nothing, and what it reported.
ReadResult = tuple["Source | Asset | None", tuple[Diagnostic, ...]]
FileStat = tuple[int, int]  # size, modification time in ns


@dataclass
class SourceMemo:
    """The files the last build read, by path: one whose size and modification time are
    unchanged gives what it gave then (its warnings included) without being read again.
    Reading and parsing the front matter of every file is seconds on a large site."""

    stats: dict[str, FileStat | None]  # this build's stat of every content file
    known: dict[str, tuple[FileStat, ReadResult]] = field(default_factory=dict)  # last build's
    seen: dict[str, tuple[FileStat, ReadResult]] = field(default_factory=dict)  # this build's
    # files being read in another process (`read_ahead`), and what that gave once known
    _ahead: Forked[list[ReadResult]] | None = field(default=None, repr=False)
    _ahead_paths: dict[str, None] = field(default_factory=dict, repr=False)  # (in order)
    _ahead_read: dict[str, ReadResult] = field(default_factory=dict, repr=False)

    def unchanged(self, key: str) -> bool:
        """Whether the file (by `str(path)`) is as the last build read it."""
        stat, before = self.stats.get(key), self.known.get(key)
        return stat is not None and before is not None and before[0] == stat

    def read(
        self, path: Path, reader: Callable[[Diagnostics], Source | Asset | None]
    ) -> ReadResult:
        key = str(path)
        stat = self.stats.get(key)
        before = self.known.get(key) if self.unchanged(key) else None
        if before is not None:
            result = before[1]
        elif (ahead := self._read_ahead(key)) is not None:
            result = ahead
        else:
            result = _read_now(reader)
        # not kept: files that failed (the build stops) and links, whose target has a stat
        # of its own
        failed = any(d.severity == "error" for d in result[1])
        if stat is not None and not failed and not path.is_symlink():
            # (the last build's entry itself when reused: the cache saves only what changed)
            self.seen[key] = before or (stat, result)
        return result

    def read_ahead(
        self, files: list[tuple[Path, Path, str]], content_root: Path, drafts: bool
    ) -> None:
        """Start reading `files` ((path, its language's folder, language), as
        `read_content_file` reads them) in a forked process: `read` takes what that gave
        when it comes to one of them."""
        self.stop_reading_ahead()
        self._ahead_paths = dict.fromkeys(str(path) for path, _, _ in files)
        self._ahead = Forked(_read_files, files, content_root, drafts)

    def _read_ahead(self, key: str) -> ReadResult | None:
        if self._ahead is not None and key in self._ahead_paths:
            try:
                results = self._ahead.result()
            except Exception:  # (the process died): read here, one by one
                results = None
            self._ahead = None
            if results is not None:
                self._ahead_read = dict(zip(self._ahead_paths, results, strict=True))
            self._ahead_paths = {}
        return self._ahead_read.pop(key, None)

    def stop_reading_ahead(self) -> None:
        """What was read ahead and not asked for dropped (and its process ended)."""
        if self._ahead is not None:
            self._ahead.stop()
        self._ahead, self._ahead_paths, self._ahead_read = None, {}, {}


def _read_files(
    files: list[tuple[Path, Path, str]], content_root: Path, drafts: bool
) -> list[ReadResult]:
    """What `SourceMemo.read` gives for each of `files` read anew (in a process of its own)."""
    return [
        _read_now(_reader(path, lang_dir, lang, content_root, drafts))
        for path, lang_dir, lang in files
    ]


def _read_now(reader: Callable[[Diagnostics], Source | Asset | None]) -> ReadResult:
    reported = Diagnostics()
    return reader(reported), tuple(reported.items)


def _reader(
    path: Path, lang_dir: Path, lang: str, content_root: Path, drafts: bool
) -> Callable[[Diagnostics], Source | Asset | None]:
    """`read_content_file` for one file, waiting for the Diagnostics it reports to."""
    return functools.partial(read_content_file, path, lang_dir, lang, content_root, drafts=drafts)


def discover_sources(
    config: Config,
    diags: Diagnostics,
    drafts: bool = False,
    memo: SourceMemo | None = None,
    jobs: int = 1,
) -> SourceSet:
    """Every language's pages and assets, in `discovery_order`. Without a `memo`, one that
    knows no file: every file is read. With `jobs` > 1, the files of a large site are read
    by two processes."""
    found = SourceSet()
    content = config.content_dir
    if not content.is_dir():
        diags.error(
            f"the content folder {content} does not exist; create it with one folder "
            "per language, or set content_dir in config.yaml",
            config.path,
        )
        return found
    if leads_out(content, config.root):
        diags.error(
            f"the content folder is a symbolic link leading out of the site's folder (to "
            f"{content.resolve()}); kbgen reads nothing outside {config.root} unless "
            "config.yaml names it: set content_dir to that folder, or move it here",
            content,
        )
        return found
    try:
        present = {p.name for p in content.iterdir() if p.is_dir() and not p.name.startswith(".")}
    except OSError as exc:
        diags.error(f"cannot read the folder: {exc.strerror}; fix its permissions", content)
        return found
    for extra in sorted(present - set(config.languages)):
        diags.warning(
            f"folder '{extra}' is not a language listed in config.yaml; it is "
            "ignored (add it to languages to publish it)",
            content / extra,
        )
    memo = memo or SourceMemo({})
    if jobs > 1:
        _start_reading_ahead(config, drafts, memo)
    # thousands of objects that live as long as the model, and no garbage (the YAML loader
    # is disposed of): not walked by the cyclic collector while they are made, nor after
    # (frozen: freed as usual once unreferenced, never walked)
    collecting = gc.isenabled()
    gc.disable()
    try:
        _walk_languages(config, found, diags, drafts, memo)
    finally:
        memo.stop_reading_ahead()
        gc.freeze()
        if collecting:
            gc.enable()
    return found


def _walk_languages(
    config: Config, found: SourceSet, diags: Diagnostics, drafts: bool, memo: SourceMemo
) -> None:
    content = config.content_dir
    for lang in config.languages:
        lang_dir = content / lang
        if lang_dir.is_symlink():
            # as for the folders below it: what a link leads to is not the site's to publish
            diags.error(
                f"the language folder is a symbolic link (to {os.path.realpath(lang_dir)}); "
                f"kbgen reads no folder through a link: make {lang_dir} a folder holding "
                "the language's files",
                lang_dir,
            )
            continue
        if not lang_dir.is_dir():
            diags.warning(
                f"language '{lang}' is configured but {shown_path(lang_dir)} does not exist; "
                f"create it (its pages fall back to {config.default_language})",
                config.path,
                None,
            )
            continue
        _walk(lang_dir, lang_dir, lang, content.resolve(), found, diags, drafts, memo)


def _start_reading_ahead(config: Config, drafts: bool, memo: SourceMemo) -> None:
    """On a large site, the last files to read (Markdown files the memo does not know) read
    in another process while this one reads the first ones."""
    if memo.stats and sum(not memo.unchanged(k) for k in memo.stats) < READ_AHEAD_FROM:
        return  # the last build's cache knows all but a few: not worth listing them
    files: list[tuple[Path, Path, str]] = []
    for lang in config.languages:
        lang_dir = config.content_dir / lang
        if lang_dir.is_dir() and not lang_dir.is_symlink():
            files += [
                (path, lang_dir, lang)
                for path in _files(lang_dir, Diagnostics())  # (the walk says what it finds)
                if path.name.endswith(".md") and not memo.unchanged(str(path))
            ]
    if len(files) >= READ_AHEAD_FROM:
        # a little less than half: this process also takes in what the other one sends
        memo.read_ahead(files[len(files) * 11 // 20 :], config.content_dir.resolve(), drafts)


def discover_at(config: Config, path: Path, diags: Diagnostics, drafts: bool = False) -> SourceSet:
    """What `discover_sources` finds at `path` (a file or a folder inside the content folder,
    or nothing if it is gone), by the same rules: only in a language's folder, nothing
    hidden, no folder reached through a link. `kbgen serve` reads a changed path with it."""
    found = SourceSet()
    content = config.content_dir
    parts = path.relative_to(content).parts
    if not parts or parts[0] not in config.languages or any(p.startswith(".") for p in parts):
        return found
    lang_dir = content / parts[0]
    folders = [content / Path(*parts[:n]) for n in range(1, len(parts))]
    if any(folder.is_symlink() for folder in folders):
        return found  # discover_sources reads no folder through a link (it says so)
    memo = SourceMemo({})
    if path.is_dir() and not path.is_symlink():
        _walk(path, lang_dir, parts[0], content.resolve(), found, diags, drafts, memo)
    elif path.exists() or path.is_symlink():
        _read_one(path, lang_dir, parts[0], content.resolve(), found, diags, drafts, memo)
    return found


def discovery_order(config: Config, path: Path) -> tuple[int, tuple[tuple[int, str], ...]]:
    """Where `path` (in a language folder) comes in what `discover_sources` finds: languages
    in config order, then a folder's files (by name) before its subfolders (by name)."""
    parts = path.relative_to(config.content_dir).parts
    lang = config.languages.index(parts[0])
    return (lang, (*((1, d) for d in parts[1:-1]), (0, parts[-1])))


def leads_out(folder: Path, root: Path) -> bool:
    """`folder`, written inside `root`, is reached through a symbolic link leading out of it
    (a folder config.yaml names outside its own folder is the writer's choice, not a link's)."""
    written = Path(os.path.normpath(folder))
    return written.is_relative_to(root) and not folder.resolve().is_relative_to(root.resolve())


def _unreadable(diags: Diagnostics) -> Callable[[OSError], None]:
    """os.walk's onerror: a folder that cannot be listed is an error, never a silent gap."""

    def report(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else None
        diags.error(
            f"cannot read the folder: {exc.strerror or exc}; fix its permissions "
            "(chmod, or build as its owner) or move it out of the content folder",
            where,
        )

    return report


def _walk(
    top: Path,
    lang_dir: Path,
    lang: str,
    content_root: Path,
    found: SourceSet,
    diags: Diagnostics,
    drafts: bool,
    memo: SourceMemo,
) -> None:
    """The files of folder `top` of a language's folder, in the order of `discovery_order`."""
    for path in _files(top, diags):
        _read_one(path, lang_dir, lang, content_root, found, diags, drafts, memo)


def _files(top: Path, diags: Diagnostics) -> Iterator[Path]:
    """The files in folder `top`, in the order of `discovery_order`: none hidden, none in a
    folder reached through a link (`diags` is told, as each folder is reached)."""
    for dirpath, dirnames, filenames in os.walk(top, onerror=_unreadable(diags), followlinks=False):
        folder = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for link in [d for d in dirnames if (folder / d).is_symlink()]:
            diags.warning(
                "symbolic link to a folder skipped; copy the folder into content/ instead",
                folder / link,
            )
            dirnames.remove(link)
        for name in sorted(filenames):
            if not name.startswith("."):
                yield folder / name


def _read_one(
    path: Path,
    lang_dir: Path,
    lang: str,
    content_root: Path,
    found: SourceSet,
    diags: Diagnostics,
    drafts: bool,
    memo: SourceMemo,
) -> None:
    item, reported = memo.read(path, _reader(path, lang_dir, lang, content_root, drafts))
    diags.items.extend(reported)
    if isinstance(item, Source):
        found.pages.append(item)
    elif isinstance(item, Asset):
        found.assets.append(item)


def read_content_file(
    path: Path,
    lang_dir: Path,
    lang: str,
    content_root: Path,
    diags: Diagnostics,
    drafts: bool = False,
) -> Source | Asset | None:
    """One file of a language folder (not hidden, not in a hidden folder) as a page or an
    asset; None if it is skipped."""
    rel = unicodedata.normalize("NFC", path.relative_to(lang_dir).as_posix())
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            diags.warning("broken or looping symbolic link skipped", path)
            return None
        if not target.is_relative_to(content_root):
            diags.warning("symbolic link leading out of the content folder skipped", path)
            return None
    if not path.is_file():  # reading a named pipe or a device would wait forever
        diags.warning("not a regular file (a named pipe, socket or device) skipped", path)
        return None
    if not path.name.endswith(".md"):
        if not os.access(path, os.R_OK):  # copied only once the site is made: say it now
            diags.error("cannot read the file: permission denied; fix its permissions", path)
            return None
        return Asset(path, lang, rel)
    source = read_source(path, lang, rel, diags)
    if source is not None and (drafts or not source.meta.draft):
        return source
    return None


def classify(rel: str) -> tuple[str, str | None] | None:
    """The kind of page a path inside a language folder holds, and its section or group."""
    parts = rel.split("/")
    match parts:
        case ["_index.md"]:
            return "home", None
        case ["rules.md"]:
            return "rules", None
        # a section's folder may hold sub-sections, to any depth: its group is the folder path
        case ["articles", *folders, "_section.md"] if folders:
            return "section", "/".join(folders)
        case ["articles", *folders, name] if folders and not name.startswith("_"):
            return "article", "/".join(folders)
        case ["faq", name] if not name.startswith("_"):
            return "faq", None
        case ["faq", group, "_section.md"]:
            return "faq_group", group
        case ["faq", group, name] if not name.startswith("_"):
            return "faq", group
        case ["replies", name] if not name.startswith("_"):
            return "reply", None
    return None


def read_source(path: Path, lang: str, rel: str, diags: Diagnostics) -> Source | None:
    kind_and_group = classify(rel)
    if kind_and_group is None:
        diags.warning(f"not part of the knowledge-base layout, ignored ({LAYOUT_HINT})", path)
        return None
    text = read_text(path, diags)
    if text is None:
        return None
    if not text.strip():
        diags.warning("empty file skipped; give it front matter with a title", path)
        return None
    kind, group = kind_and_group
    split = split_front_matter(text, path, diags)
    if split is None:
        return None
    yaml_text, body, body_line = split
    meta = parse_front_matter(yaml_text, path, diags)
    if meta is None:
        # The error is recorded; a stand-in keeps links to this page from piling up errors.
        meta = FrontMatter(title=Path(rel).stem)
    return Source(path, lang, rel, kind, group, meta, body, body_line)


def read_text(path: Path, diags: Diagnostics) -> str | None:
    """UTF-8 (a BOM is allowed), any line endings, returned NFC with \\n line ends."""
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            diags.warning(
                f"file of {size // (1024 * 1024)} MB skipped: pages over "
                f"{MAX_SOURCE_BYTES // (1024 * 1024)} MB are not built; split it",
                path,
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        diags.error(f"cannot read the file: {exc.strerror}", path)
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        diags.error(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8", path, line
        )
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def split_front_matter(text: str, path: Path, diags: Diagnostics) -> tuple[str, str, int] | None:
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        diags.error(
            "no front matter: start the file with a line '---', then 'title: ...', then '---'",
            path,
            1,
        )
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    diags.error(
        "front matter opened with '---' is never closed; add a line '---' after its last key",
        path,
        1,
        1,
    )
    return None


def parse_front_matter(yaml_text: str, path: Path, diags: Diagnostics) -> FrontMatter | None:
    loaded = load_mapping(yaml_text, first_line=2, what="front matter")
    for yaml_problem in loaded.problems:
        diags.error(yaml_problem.message, path, yaml_problem.line, yaml_problem.column)
    if loaded.problems and not loaded.values:
        return None
    # a missing title names line 1, the '---' that opens the front matter
    reading = Reading(path, loaded.lines, diags, first_line=1)
    return FRONT_MATTER.read(loaded.values, reading, lines=loaded.lines)


def path_piece_problem(value: Any, allow_slash: bool) -> str | None:
    """Why `value` cannot be a slug (or an alias, which may hold '/'), or None. One rule for
    `slug:` and the file and folder names that give a slug when there is none (site.py)."""
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty text"
    if value != value.strip() or any(ch.isspace() for ch in value):
        return "must not contain spaces; use '-' between words"
    if _BAD_PATH_PIECE.search(value) or "://" in value:
        return "must not contain a URL scheme, '\\', '?', '#', '%' or control characters"
    pieces = value.strip("/").split("/")
    if not allow_slash and "/" in value:
        return "must not contain '/'; a slug names one folder"
    if any(piece in ("", ".", "..") for piece in pieces):
        return "must not contain '.', '..' or empty path segments"
    return None


class _PathPiece(Field[str]):
    """A slug, or with `allow_slash` an alias: `path_piece_problem` says what it cannot be."""

    def __init__(self, allow_slash: bool) -> None:
        super().__init__()
        self.allow_slash = allow_slash

    def check(self, value: Any, at: At) -> str:
        problem = path_piece_problem(value, self.allow_slash)
        if problem:
            raise Invalid(problem)
        return str(value)


def _typo(key: str, known: Sequence[str]) -> str:
    return f"unknown front-matter key '{key}' (a typo? known keys: {', '.join(known)})"


class _IconName(Text):
    """`icon`: the name of one of the theme's icons ("book", "users"…)."""

    def check(self, value: Any, at: At) -> str:
        if isinstance(value, str) and re.fullmatch(r"[a-z0-9-]+", value.strip()):
            return value.strip()
        raise Invalid(f"must be an icon name such as 'book' (see README), got {shown(value)}")


class _Tag(Text):
    """A tag: a text with a letter or digit, to make its page's URL from (urls.tag_slug)."""

    def check(self, value: Any, at: At) -> str:
        tag = super().check(value, at)
        if not tag_slug(tag):
            raise Invalid("must hold a letter or digit (its page's URL is made of them)")
        return tag


class _MarkdownPath(Text):
    """`related`: the path of a page's Markdown file, relative to the file (as a link)."""

    def check(self, value: Any, at: At) -> str:
        path = super().check(value, at)
        if not path.endswith(".md") or "://" in path or path.startswith("/") or "#" in path:
            raise Invalid(
                "must be the path of an article's Markdown file relative to this file, "
                "such as ../billing/refunds.md"
            )
        return path


FRONT_MATTER = Section(
    FrontMatter,
    {
        "title": Text(
            numbers=(int, float),  # title: 2026 is a title
            required="'{key}' is required: add a line 'title: ...' to the front matter",
            null_is_absent=True,
        ),
        "description": Text(empty=True, null_is_absent=True),
        "slug": _PathPiece(allow_slash=False),
        "translation_key": Text(empty=True, null_is_absent=True),
        "weight": Int(),
        "tags": Texts(each=_Tag()),
        "date": Date(),
        "updated": Date(),
        "draft": Bool(),
        "comments": Bool(),
        "aliases": Texts(each=_PathPiece(allow_slash=True)),
        "discussion": Text(numbers=(int,), problem="must be a topic id or a thread URL"),
        "source_hash": Text(
            problem="must be the text kbgen wrote; run kbgen status --mark-current"
        ),
        "promoted": Bool(),
        "icon": _IconName(),
        "related": Texts(each=_MarkdownPath()),
    },
    unknown="warning",  # a typo must not stop a build: --strict makes it fail
    unknown_message=_typo,
)
