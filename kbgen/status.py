"""Translation status: which translations are current, outdated, missing or orphaned.

A translation records the version of its original it was made from in its front matter:
`source_hash: sha256:…`, a hash of the original's title and body (NFC, `\\n` line ends,
trailing spaces and surrounding blank lines ignored; front matter left out, so changing a
date or a tag does not outdate translations). The original of a page is the page with the
same translation key in the default language.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import posixpath
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from kbgen.config import Config
from kbgen.diagnostics import Diagnostics
from kbgen.markdown import create_parser, links, number_rules, parse
from kbgen.site import Page, Site, translation_key
from kbgen.sources import Source, SourceSet, read_source
from kbgen.theme import Theme

HASH_KEY = "source_hash"
HASH_PREFIX = "sha256:"


@functools.lru_cache(maxsize=65536)  # `serve` asks again for unchanged originals
def text_hash(title: str, body: str) -> str:
    """The version of a page's text, as recorded in its translations' `source_hash`."""
    body = unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in body.split("\n")]
    text = unicodedata.normalize("NFC", title.strip()) + "\n\n" + "\n".join(lines).strip("\n")
    return HASH_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def source_hash(source: Source) -> str:
    return text_hash(source.meta.title, source.body)


def changed_on(source: Source) -> dt.date:
    """When an original last changed: its `updated` or `date`, else the file's mtime."""
    declared = source.meta.updated or source.meta.date
    if declared is not None:
        return declared
    try:
        return dt.date.fromtimestamp(source.path.stat().st_mtime)
    except OSError:
        return dt.date.today()


def is_outdated(translation: Source, original: Source) -> bool:
    recorded = translation.meta.source_hash
    return recorded is not None and recorded != source_hash(original)


def mark_outdated(site: Site, pages: Iterable[Page] | None = None) -> list[Page]:
    """Set `outdated_since` on the translations (of `pages`, or of the whole site) made
    from an older original; return the outdated ones."""
    outdated = []
    for page in site.pages if pages is None else pages:
        page.outdated_since = outdated_since(site, page)
        if page.outdated_since is not None:
            outdated.append(page)
    return outdated


def outdated_since(site: Site, page: Page) -> dt.date | None:
    """When the original of translation `page` changed, if the translation predates it."""
    source = page.source
    default = site.config.default_language
    if source is None or page.is_fallback or page.lang == default:
        return None
    if source.meta.source_hash is None:
        return None
    original = site.page(default, page.key)
    if original is None or original.source is None or original.is_fallback:
        return None
    return changed_on(original.source) if is_outdated(source, original.source) else None


# The status report ---------------------------------------------------------------------


@dataclass(frozen=True)
class MissingId:
    """A heading id that a translation lacks while its original has it and a page links
    to it: the link works in the original's language and breaks in this one."""

    translation: Source
    id: str
    original: Source
    linked_from: Source
    line: int


@dataclass
class LanguageStatus:
    lang: str
    original: bool  # the default language: its pages are the originals
    translated: list[Source] = field(default_factory=list)  # current (or not tracked)
    untracked: list[Source] = field(default_factory=list)  # translated, no source_hash
    outdated: list[tuple[Source, Source]] = field(default_factory=list)  # (translation, orig.)
    missing: list[Source] = field(default_factory=list)  # originals with no translation
    orphan: list[Source] = field(default_factory=list)  # translations whose original is gone
    missing_ui_strings: list[str] = field(default_factory=list)
    missing_ids: list[MissingId] = field(default_factory=list)


def translation_status(
    config: Config, sources: SourceSet, theme: Theme | None = None
) -> list[LanguageStatus]:
    """One entry per configured language, in config order."""
    default = config.default_language
    by_lang: dict[str, dict[str, Source]] = {lang: {} for lang in config.languages}
    for source in sources.pages:
        by_lang.setdefault(source.lang, {}).setdefault(translation_key(source), source)
    originals = by_lang.get(default, {})
    missing_strings = missing_ui_strings(theme, config.languages) if theme else {}
    lacking = missing_ids(config, sources, by_lang)
    report = []
    for lang in config.languages:
        status = LanguageStatus(lang, lang == default)
        status.missing_ui_strings = missing_strings.get(lang, [])
        status.missing_ids = lacking.get(lang, [])
        own = by_lang.get(lang, {})
        if lang == default:
            status.translated = list(own.values())
            report.append(status)
            continue
        for key, original in originals.items():
            translation = own.get(key)
            if translation is None:
                status.missing.append(original)
            elif is_outdated(translation, original):
                status.outdated.append((translation, original))
            else:
                status.translated.append(translation)
                if translation.meta.source_hash is None:
                    status.untracked.append(translation)
        status.orphan = [s for key, s in own.items() if key not in originals]
        report.append(status)
    return report


def missing_ids(
    config: Config, sources: SourceSet, by_lang: dict[str, dict[str, Source]]
) -> dict[str, list[MissingId]]:
    """Per language, the ids linked to (`page.md#id`, from any page of any language) that
    the original has and the translation lacks, each once, with the first link to it."""
    default = config.default_language
    originals = by_lang.get(default, {})
    md = create_parser(config.markdown)
    by_rel = {(s.lang, s.rel): s for s in sources.pages}
    known: dict[Path, set[str]] = {}

    def ids(source: Source) -> set[str]:
        if source.path not in known:
            doc = parse(md, source.body, source.body_line, "status")
            if source.kind == "rules":
                number_rules(doc, str)
            known[source.path] = doc.anchors()
        return known[source.path]

    found: dict[str, list[MissingId]] = {}
    reported: set[tuple[Path, str]] = set()
    for source in sources.pages:
        if ".md#" not in source.body:  # no link to another page's heading: skip parsing
            continue
        doc = parse(md, source.body, source.body_line, "status")
        for ref in links(doc):
            parts = urlsplit(ref.target)
            if parts.scheme or parts.netloc or not parts.fragment:
                continue
            if not parts.path.endswith(".md"):
                continue
            folder = posixpath.dirname(source.rel)
            rel = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
            target = by_rel.get((source.lang, rel)) or by_rel.get((default, rel))
            wanted = unquote(parts.fragment)
            original = originals.get(translation_key(target)) if target else None
            if original is None or wanted not in ids(original):
                continue  # a broken link: the build reports it
            for lang in config.languages:
                translation = by_lang.get(lang, {}).get(translation_key(original))
                if lang == default or translation is None or wanted in ids(translation):
                    continue
                if (translation.path, wanted) not in reported:
                    reported.add((translation.path, wanted))
                    missing = MissingId(translation, wanted, original, source, ref.line)
                    found.setdefault(lang, []).append(missing)
    return found


def status_data(config: Config, report: list[LanguageStatus]) -> dict[str, Any]:
    """The report as plain data (`kbgen status --json`); files relative to config.yaml's
    folder."""

    def rel(path: Path) -> str:
        try:
            return path.resolve().relative_to(config.root).as_posix()
        except ValueError:
            return str(path)

    languages = {}
    for entry in report:
        languages[entry.lang] = {
            "original": entry.original,
            "translated": [rel(s.path) for s in entry.translated],
            "untracked": [rel(s.path) for s in entry.untracked],
            "outdated": [
                {
                    "file": rel(t.path),
                    "original": rel(o.path),
                    "original_changed": changed_on(o).isoformat(),
                }
                for t, o in entry.outdated
            ],
            "missing": [rel(s.path) for s in entry.missing],
            "orphan": [rel(s.path) for s in entry.orphan],
            "missing_ui_strings": entry.missing_ui_strings,
            "missing_ids": [
                {
                    "file": rel(m.translation.path),
                    "id": m.id,
                    "original": rel(m.original.path),
                    "linked_from": rel(m.linked_from.path),
                    "line": m.line,
                }
                for m in entry.missing_ids
            ],
        }
    return {"default_language": config.default_language, "languages": languages}


COLUMNS = ("translated", "outdated", "missing", "orphan", "missing_ui_strings")


def status_table(data: dict[str, Any]) -> str:
    """The report as a table per language, then what to do about each problem."""
    header = ("language", "translated", "outdated", "missing", "orphan", "UI strings missing")
    rows = [header]
    for lang, entry in data["languages"].items():
        counts = [str(len(entry[column])) for column in COLUMNS]
        if entry["original"]:
            rows.append((f"{lang} (original)", counts[0], "-", "-", "-", counts[4]))
        else:
            rows.append((lang, *counts))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row))
        for row in rows
    ]
    default = data["default_language"]
    for lang, entry in data["languages"].items():
        for item in entry["outdated"]:
            lines.append(
                f"{lang}: outdated: {item['file']} (its original changed on "
                f"{item['original_changed']}; update it, then kbgen status --mark-current "
                f"{item['file']})"
            )
        for item in entry["missing"]:
            lines.append(f"{lang}: missing: kbgen new translation {item} --to {lang}")
        for item in entry["orphan"]:
            lines.append(f"{lang}: orphan: {item} (no page in '{default}' has its path or key)")
        for item in entry["missing_ids"]:
            lines.append(
                f"{lang}: warning: {item['file']} has no heading with the id "
                f"{{#{item['id']}}}, which {item['original']} has and "
                f"{item['linked_from']}:{item['line']} links to; add {{#{item['id']}}} to the "
                "heading that translates it"
            )
        for message in entry["missing_ui_strings"]:
            lines.append(f"{lang}: UI string missing from the theme's locales/{lang}.po: {message}")
    untracked = sum(len(entry["untracked"]) for entry in data["languages"].values())
    if untracked:
        lines.append(
            f"{untracked} translation(s) record no source_hash, so whether they are outdated is "
            "unknown; once checked: kbgen status --mark-current FILE"
        )
    return "\n".join(lines)


def ui_string_ids(theme: Theme) -> set[str]:
    """Every UI string the theme uses: those its templates ask for and those any of its
    catalogs translate (the Python side's strings, such as page titles, are in those)."""
    ids: set[str] = set()
    for folder in theme.template_dirs:
        for path in sorted(folder.rglob("*.html")):
            with path.open("rb") as handle:
                for _line, _func, message, _comments in babel_extract(
                    handle, ("_", "gettext", "ngettext"), [], {}
                ):
                    first = message[0] if isinstance(message, (tuple, list)) else message
                    if isinstance(first, str) and first:
                        ids.add(first)
    for folder in theme.locale_dirs:
        for po_path in sorted(folder.glob("*.po")):
            for message in _read_catalog(po_path):
                ids.add(message)
    return ids


def _read_catalog(po_path: Path, translated_only: bool = False) -> Iterable[str]:
    try:
        data = po_path.read_bytes()
        catalog = read_po(io.BytesIO(data))
    except (OSError, ValueError):
        return []  # the build reports unreadable catalogs
    found = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
        strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
        if translated_only and (message.fuzzy or not all(strings)):
            continue
        found.append(str(msgid))
    return found


def missing_ui_strings(theme: Theme, languages: Iterable[str]) -> dict[str, list[str]]:
    """For each language, the theme's UI strings no catalog along the theme chain translates."""
    wanted = ui_string_ids(theme)
    missing = {}
    for lang in languages:
        have: set[str] = set()
        for folder in theme.locale_dirs:
            have.update(_read_catalog(folder / f"{lang}.po", translated_only=True))
        missing[lang] = sorted(wanted - have)
    return missing


# --mark-current ------------------------------------------------------------------------


def set_front_matter_value(text: str, key: str, value: str) -> str:
    """`text` with `key: value` in its front matter, replacing the key's line if it has one;
    everything else (comments, order, line endings) is kept."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        raise ValueError("the file has no front matter")
    for index in range(1, len(lines)):
        stripped = lines[index].rstrip()
        if stripped in ("---", "..."):
            lines.insert(index, f"{key}: {value}")
            return newline.join(lines)
        if stripped.startswith(f"{key}:"):
            lines[index] = f"{key}: {value}"
            return newline.join(lines)
    raise ValueError("the front matter is never closed")


def find_original(config: Config, translation: Source, diags: Diagnostics) -> Source | None:
    """The default language's page with the translation's key (same path tried first)."""
    default = config.default_language
    key = translation_key(translation)
    same_path = config.content_dir / default / translation.rel
    if same_path.is_file():
        candidate = read_source(same_path, default, translation.rel, Diagnostics())
        if candidate is not None and translation_key(candidate) == key:
            return candidate
    lang_dir = config.content_dir / default
    for path in sorted(lang_dir.rglob("*.md")) if lang_dir.is_dir() else []:
        rel = path.relative_to(lang_dir).as_posix()
        candidate = read_source(path, default, unicodedata.normalize("NFC", rel), Diagnostics())
        if candidate is not None and translation_key(candidate) == key:
            return candidate
    diags.error(
        f"no original in '{default}' for this page (translation key {key}); it is an "
        "orphan: remove it or give it the translation_key of its original",
        translation.path,
    )
    return None


def mark_current(config: Config, path: Path, diags: Diagnostics) -> str | None:
    """Record in translation `path` that it matches its original as it is now; return the
    hash written, or None with the problem in `diags`."""
    path = path.resolve()
    content = config.content_dir.resolve()
    if not path.is_relative_to(content) or len(path.relative_to(content).parts) < 2:
        diags.error(f"not a page of the content folder {content}; give a file inside it", path)
        return None
    lang, *rest = path.relative_to(content).parts
    if lang not in config.languages:
        diags.error(f"'{lang}' is not a language of config.yaml", path)
        return None
    if lang == config.default_language:
        diags.error(
            f"this is an original ('{lang}' is the default language); only translations "
            "record the version of their original",
            path,
        )
        return None
    rel = unicodedata.normalize("NFC", "/".join(rest))
    translation = read_source(path, lang, rel, diags)
    if translation is None:
        if not diags.errors:
            diags.error("not a page of the knowledge base (see the content layout)", path)
        return None
    original = find_original(config, translation, diags)
    if original is None:
        return None
    value = source_hash(original)
    raw = path.read_bytes().decode("utf-8-sig")  # written back with its own line endings
    try:
        path.write_text(set_front_matter_value(raw, HASH_KEY, value), encoding="utf-8", newline="")
    except ValueError as exc:
        diags.error(f"{exc}; add front matter first", path, 1)
        return None
    except OSError as exc:
        diags.error(f"cannot write the file: {exc.strerror}", path)
        return None
    return value
