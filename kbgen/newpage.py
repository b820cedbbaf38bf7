"""`kbgen new`: a new page, or the translation of one, written where the layout wants it.

Never overwrites: if the file exists, it says so and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from kbgen.config import Config
from kbgen.diagnostics import Diagnostics
from kbgen.markdown import slugify
from kbgen.sources import classify, path_piece_problem, read_source, split_front_matter
from kbgen.status import HASH_KEY, source_hash
from kbgen.yamlfile import load_mapping

KINDS = ("article", "faq", "reply")
MAX_SLUG = 80  # bytes of UTF-8 in the file name a title gives
# front-matter keys a translation does not take from its original: old URLs and forum
# threads belong to one language, and it records its own source_hash
NOT_TRANSLATED_KEYS = ("aliases", "discussion", HASH_KEY)
BODIES = {
    "article": "Write the article here. Start sections with `## A heading`.\n",
    "faq": "Write the answer here.\n",
    "reply": "Hello [user's name],\n\nWrite the reply here; put what changes in [brackets].\n",
}


class UsageError(Exception):
    """A wrong argument: the command line says what to do (exit 2)."""


def file_slug(title: str) -> str:
    """The title as a file name: its slug, cut after a whole word once it is longer than
    MAX_SLUG characters (a file name holds 255 bytes at most, and a URL reads better short)."""
    slug = slugify(title)
    words = slug.split("-")
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word]).encode("utf-8")) > MAX_SLUG:
            break
        kept.append(word)
    # a first word longer than that is cut where it must be (between characters)
    return "-".join(kept) or slug.encode("utf-8")[:MAX_SLUG].decode("utf-8", "ignore")


def _front_matter(values: dict[str, Any]) -> str:
    return yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=1000)


def new_page(
    config: Config,
    kind: str,
    lang: str,
    title: str,
    section: str | None,
    diags: Diagnostics,
    today: dt.date | None = None,
) -> list[Path]:
    """Write a new article, FAQ entry or reply template; return the files written (a new
    section also gets its _section.md). Problems go to `diags`."""
    if kind not in KINDS:
        raise UsageError(f"unknown page kind '{kind}': use one of {', '.join(KINDS)}")
    if lang not in config.languages:
        raise UsageError(
            f"'{lang}' is not a language of {config.path}: use one of {', '.join(config.languages)}"
        )
    title = unicodedata.normalize("NFC", title.strip())
    if not title:
        raise UsageError("the title is empty: give the page's title in quotes")
    if kind == "article" and not section:
        raise UsageError("an article belongs to a section: add --section NAME (a folder name)")
    if kind == "reply" and section:
        raise UsageError("reply templates have no sections: leave out --section")
    if section is not None:
        # an article's section may be a sub-section: "billing/refunds"
        problem = path_piece_problem(section, allow_slash=kind == "article")
        if not problem and any(p.startswith(("_", ".")) for p in section.strip("/").split("/")):
            problem = "must not start with _ or ."
        if problem:
            raise UsageError(f"--section {section!r}: {problem}")
        section = section.strip("/")
    slug = file_slug(title)
    folder = {"article": f"articles/{section}", "faq": "faq", "reply": "replies"}[kind]
    if kind == "faq" and section:
        folder = f"faq/{section}"
    lang_dir = config.content_dir / lang
    target = lang_dir / folder / f"{slug}.md"
    if target.exists():
        diags.error(
            "a page with this name exists already; open it, or choose another title", target
        )
        return []
    values: dict[str, Any] = {"title": title, "description": ""}
    if kind == "article":
        values["date"] = today or dt.date.today()
    written = []
    if section is not None and not (lang_dir / folder / "_section.md").exists():
        # a new section or FAQ group: give it the file that titles it
        section_file = lang_dir / folder / "_section.md"
        section_title = section.rsplit("/", 1)[-1].replace("-", " ").capitalize()
        written.append(
            _write(section_file, _front_matter({"title": section_title, "description": ""}), "")
        )
    written.append(_write(target, _front_matter(values), BODIES[kind]))
    return written


def new_translation(config: Config, original_path: Path, to: str, diags: Diagnostics) -> list[Path]:
    """Write the translation into `to` of a default-language page: its front matter (but
    aliases and discussion) with the original's source_hash, and its body to translate.
    An article or FAQ entry of a section (or group) that `to` lacks brings the section's
    _section.md along, translated the same way. Returns the files written."""
    if to not in config.languages:
        raise UsageError(
            f"--to {to}: not a language of {config.path}; use one of {', '.join(config.languages)}"
        )
    original_path = original_path.resolve()
    content = config.content_dir.resolve()
    if not original_path.is_file():
        diags.error("no such file; give the path of the page to translate", original_path)
        return []
    if not original_path.is_relative_to(content):
        diags.error(f"not a page of the content folder {content}", original_path)
        return []
    lang, *rest = original_path.relative_to(content).parts
    rel = unicodedata.normalize("NFC", "/".join(rest))
    if lang != config.default_language:
        diags.error(
            f"translations are made from the default language ('{config.default_language}'); "
            f"give the file in content/{config.default_language}/",
            original_path,
        )
        return []
    if to == lang:
        raise UsageError(f"--to {to}: that is the original's own language")
    kind_and_group = classify(rel)
    if kind_and_group is None:
        diags.error("not a page of the knowledge-base layout", original_path)
        return []
    target = config.content_dir / to / rel
    if target.exists():
        diags.error(
            f"the '{to}' translation exists already; after updating it, run "
            f"kbgen status --mark-current {target}",
            target,
        )
        return []
    written = _translate(original_path, lang, rel, target, diags)
    if written is None:
        return []
    kind, group = kind_and_group
    if kind not in ("article", "faq") or group is None:
        return [written]
    # Without them the new language's sections have no title (and the build warns): the
    # section's _section.md comes along, and those of the sections it sits in.
    sections = []
    folders = posixpath.dirname(rel).split("/")
    for depth in range(2, len(folders) + 1):
        section_rel = "/".join(folders[:depth]) + "/_section.md"
        section_original = content / lang / section_rel
        section_target = config.content_dir / to / section_rel
        if section_original.is_file() and not section_target.exists():
            section = _translate(section_original, lang, section_rel, section_target, diags)
            if section:
                sections.append(section)
    return [*sections, written]


def _translate(
    original_path: Path, lang: str, rel: str, target: Path, diags: Diagnostics
) -> Path | None:
    original = read_source(original_path, lang, rel, diags)
    if original is None or diags.errors:
        return None
    text = original_path.read_bytes().decode("utf-8-sig")
    split = split_front_matter(text.replace("\r\n", "\n"), original_path, diags)
    if split is None:
        return None
    yaml_text, _body, _line = split
    values = dict(load_mapping(yaml_text, first_line=2, what="front matter").values)
    for key in NOT_TRANSLATED_KEYS:
        values.pop(key, None)
    values[HASH_KEY] = source_hash(original)
    return _write(target, _front_matter(values), original.body.lstrip("\n"))


def _write(path: Path, front_matter: str, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
        handle.write(f"---\n{front_matter}---\n\n{body}")
    return path
