"""Markdown to HTML with markdown-it-py: the parser, heading ids, and token transforms.

Pages are parsed first and rendered later, because a link to another page can only be
checked once every page's heading ids are known (see kbgen.site).
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from kbgen.config import MarkdownOptions

_ALLOWED_TAGS = nh3.ALLOWED_TAGS | {
    "section",
    "input",
    "mark",
    "details",
    "summary",
    "figure",
    "figcaption",
    "kbd",
    "s",
    "sup",
    "sub",
    "abbr",
    "dl",
    "dt",
    "dd",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir", "aria-label", "aria-hidden", "role"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "input": {"type", "checked", "disabled"},
    "ol": {"start", "type"},
    "th": {"colspan", "rowspan", "align"},
    "td": {"colspan", "rowspan", "align"},
    "abbr": {"title"},
    "mark": {"data-placeholder"},  # a reply template's placeholder (kbgen's own markup)
}
_NOT_SLUG = re.compile(r"[^\w]+|_+")
# a reply template's `[placeholder]`: brackets around text on one line, not only spaces
# (`[ ]` is a task box); a link's `[text](url)` is a link token by then, not text
_PLACEHOLDER = re.compile(r"\[([^\[\]\n]*[^\s\[\]][^\[\]\n]*)\]")
# `## Les sanctions {#sanctions}`: a heading's own id, written at the end of its line
_HEADING_ID = re.compile(r"[ \t]*\{#([^{}]*)\}[ \t]*$")
_VALID_ID = re.compile(r"[\w-]+")
_FORMATTER = HtmlFormatter(nowrap=True)


def slugify(text: str) -> str:
    """Readable, stable ids: "Đây là cơ sở tri thức" gives "day-la-co-so-tri-thuc".

    Accents are dropped after NFKD decomposition, so NFC and NFD input give the same id;
    đ is mapped by hand because Unicode does not decompose it.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    slug = _NOT_SLUG.sub("-", bare.lower()).strip("-")
    return unicodedata.normalize("NFC", slug) or "section"


@functools.cache
def _lexer(lang: str) -> Lexer | None:
    # Pygments looks a name up through every lexer's aliases: once per language is enough
    try:
        return get_lexer_by_name(lang)
    except ClassNotFound:
        return None


def _highlight(code: str, lang: str, _attrs: Any) -> str:
    lexer = _lexer(lang) if lang else None
    if lexer is None:
        return ""  # markdown-it escapes the code itself
    return str(pygments_highlight(code, lexer, _FORMATTER))


_UNSAFE_SCHEME = re.compile(r"^\s*(javascript|vbscript|data|file):", re.IGNORECASE)


def _safe_link(url: str) -> bool:
    # markdown-it already refuses javascript: and vbscript:; data: images are refused too,
    # since an SVG data URL can carry script.
    return not _UNSAFE_SCHEME.match(unicodedata.normalize("NFKC", url).replace("\x00", ""))


def create_parser(options: MarkdownOptions) -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": options.allow_html, "highlight": _highlight if options.highlight else None},
    )
    md.validateLink = _safe_link  # type: ignore[method-assign]
    md.enable(["table", "strikethrough"])
    # Options markdown-it reads with .get() in every block or inline run, set to their
    # defaults: a missing one costs a KeyError raised and caught each time (OptionsDict).
    for name in (
        "strikethrough_single_tilde",
        "tasklists",
        "alerts",
        "inline_definitions",
        "store_labels",
    ):
        md.options.setdefault(name, False)
    md.use(footnote_plugin)
    md.use(tasklists_plugin, label=True)  # each checkbox labelled by its text (axe: label)
    md.use(admon_plugin)
    # before the anchors plugin, which keeps an id a heading has and gives the others
    # slugs that differ from it
    md.core.ruler.after("inline", "heading_id", _heading_ids)
    # before the text is joined, so that escaped brackets (`\\[`) are no placeholder
    md.core.ruler.before("text_join", "placeholders", _mark_placeholders)
    md.use(
        anchors_plugin,
        min_level=1,
        max_level=6,
        slug_func=slugify,
        permalink=True,
        permalinkSymbol="#",
    )
    return md


def _heading_ids(state: StateCore) -> None:
    """Take a trailing `{#id}` off a heading's text and make it the heading's id.

    Hugo, Pandoc, MkDocs and Docusaurus write it so: translated headings keep the id that
    links use. It runs before the text is joined, so an escaped `\\{#id}` stays text. An id
    that is not letters, digits, `-` and `_` stays in the text and is marked, for an error.
    """
    tokens = state.tokens
    for index, token in enumerate(tokens[:-1]):
        children = tokens[index + 1].children
        if token.type != "heading_open" or not children or children[-1].type != "text":
            continue
        last = children[-1]
        match = _HEADING_ID.search(last.content)
        if match is None:
            continue
        wanted = match.group(1)
        if not _VALID_ID.fullmatch(wanted):
            token.meta["invalid_id"] = wanted
            continue
        token.attrSet("id", wanted)
        token.meta["custom_id"] = True
        last.content = last.content[: match.start()]
        if not last.content:
            children.pop()


@dataclass
class Heading:
    level: int
    id: str
    text: str


@dataclass
class Document:
    """A parsed Markdown body; `body_line` turns token line maps into file lines."""

    tokens: list[Token]
    body_line: int
    env: dict[str, Any] = field(default_factory=dict)

    def headings(self) -> list[Heading]:
        found = []
        for index, token in enumerate(self.tokens):
            if token.type == "heading_open" and token.attrGet("id"):
                text = inline_text(self.tokens[index + 1])
                found.append(Heading(int(token.tag[1]), str(token.attrGet("id")), text))
        return found

    def anchors(self) -> set[str]:
        """Every id a link may point to: headings, rules, footnotes are left out."""
        ids = set()
        for token in self.tokens:
            value = token.attrGet("id")
            if value:
                ids.add(str(value))
        return ids

    def id_problems(self) -> list[tuple[int | None, str]]:
        """(file line, message) for each invalid `{#id}`, and each `{#id}` that another
        heading or rule of the page has too: links to it would be ambiguous."""
        problems: list[tuple[int | None, str]] = []
        first: dict[str, int | None] = {}  # id -> the line of its first element
        for token in self.tokens:
            line = token.map[0] + self.body_line if token.map else None
            invalid = token.meta.get("invalid_id") if token.meta else None
            if invalid is not None:
                problems.append(
                    (
                        line,
                        f"invalid heading id '{{#{invalid}}}': use letters, digits, '-' "
                        "and '_' only, such as {#refund-policy}",
                    )
                )
            value = token.attrGet("id")
            if not value:
                continue
            value = str(value)
            if value not in first:
                first[value] = line
            elif token.meta.get("custom_id") or _has_custom_id(self.tokens, value):
                where = f" (line {first[value]})" if first[value] is not None else ""
                problems.append(
                    (
                        line,
                        f"the id '#{value}' is used twice on this page{where}; give "
                        "one of the headings another {#id}",
                    )
                )
        return problems


def _has_custom_id(tokens: list[Token], value: str) -> bool:
    return any(t.meta.get("custom_id") and t.attrGet("id") == value for t in tokens if t.meta)


def parse(
    md: MarkdownIt, body: str, body_line: int, doc_id: str, placeholders: bool = False
) -> Document:
    """Parse a body; with `placeholders` (a reply template), mark its `[placeholders]`."""
    # docId keeps footnote ids apart when several documents share one page (the FAQ index)
    env: dict[str, Any] = {"docId": doc_id}
    if placeholders:
        env[_PLACEHOLDERS] = []
    tokens = md.parse(body, env)
    _align_with_classes(tokens)
    return Document(tokens, body_line, env)


def _align_with_classes(tokens: list[Token]) -> None:
    """Table alignment as classes: a strict Content-Security-Policy blocks style attributes."""
    for token in tokens:
        style = token.attrGet("style") if token.type in ("th_open", "td_open") else None
        if style:
            token.attrs.pop("style")
            token.attrJoin("class", "align-" + str(style).rpartition(":")[2].strip())


def render(md: MarkdownIt, doc: Document) -> str:
    html = str(md.renderer.render(doc.tokens, md.options, doc.env))
    if md.options.get("html"):
        # Raw HTML was let through: keep the markup, drop scripts, handlers and unsafe URLs.
        html = nh3.clean(
            html,
            tags=_ALLOWED_TAGS,
            attributes=_ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto", "tel"},
            link_rel=None,
            strip_comments=False,
        )
    return html


def inline_text(inline: Token) -> str:
    """The text of an inline token, without the heading permalink."""
    parts: list[str] = []
    skipping = False
    for child in inline.children or []:
        if child.type == "link_open" and child.attrGet("class") == "header-anchor":
            skipping = True
        elif child.type == "link_close" and skipping:
            skipping = False
        elif not skipping and child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif not skipping and child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


_BLOCK_ENDS = {
    "paragraph_close",
    "heading_close",
    "list_item_close",
    "tr_close",
    "blockquote_close",
    "admonition_title_close",
}


_BLANK_LINES = re.compile(r"\n\s*\n+")


def plain_text(doc: Document) -> str:
    """The words of the page, without markup: what search indexes."""
    parts: list[str] = []
    for token in doc.tokens:
        if token.type == "inline":
            parts.append(inline_text(token))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
        elif token.type in ("th_close", "td_close"):
            parts.append(" ")
        if token.type in _BLOCK_ENDS:
            parts.append("\n")
    text = _BLANK_LINES.sub("\n", "".join(parts)).replace("\t", " ")
    # runs of spaces as one; a regular expression would match (and replace) every space
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip()


@dataclass
class LinkRef:
    """A link or image in the body, with the file line it stands on."""

    token: Token
    attr: str  # "href" or "src"
    line: int

    @property
    def target(self) -> str:
        return str(self.token.attrGet(self.attr) or "")


def links(doc: Document) -> Iterator[LinkRef]:
    for token in doc.tokens:
        if token.type != "inline" or token.map is None:
            continue
        line = token.map[0] + doc.body_line
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "link_open" and child.attrGet("class") != "header-anchor":
                yield LinkRef(child, "href", line)
            elif child.type == "image":
                yield LinkRef(child, "src", line)


def number_rules(doc: Document, label: Callable[[int], str]) -> None:
    """Give each item of the rules' top-level ordered lists the id of its number ("#3").

    Moderators cite rules by number, so the id is the number itself, with a visible link.
    """
    depth = 0
    number = 0
    tokens = list(doc.tokens)  # doc.tokens may grow below (an empty item gets a text)
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            if token.type == "ordered_list_open" and depth == 1:
                number = int(token.attrGet("start") or 1) - 1
                token.attrJoin("class", "rules")
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "list_item_open" and depth == 1 and _in_ordered(tokens, index):
            number += 1
            token.attrSet("id", str(number))
            token.attrJoin("class", "rule")
            anchor = Token("html_inline", "", 0)
            anchor.content = (
                f'<a class="rule-anchor" href="#{number}" '
                f'aria-label="{html.escape(label(number))}">§{number}</a> '
            )
            inline = _item_text(doc.tokens, token)
            inline.children = [anchor, *(inline.children or [])]


def _item_text(tokens: list[Token], item: Token) -> Token:
    """The inline token of the list item `item` opens (its first paragraph or heading); an
    empty item (`2.` alone) gets one, so that its anchor stays inside it."""
    start = next(i for i, token in enumerate(tokens) if token is item)
    for token in tokens[start + 1 :]:
        if token.type == "list_item_close" and token.level == item.level:
            break
        if token.type == "inline" and token.level == item.level + 2:
            return token
    inline = Token("inline", "", 0)
    inline.level = item.level + 2
    tokens.insert(start + 1, inline)
    return inline


def _in_ordered(tokens: list[Token], index: int) -> bool:
    level = tokens[index].level
    for token in reversed(tokens[:index]):
        if token.level == level - 1 and token.type.endswith("_list_open"):
            return token.type == "ordered_list_open"
    return False


_PLACEHOLDERS = "kbgen_placeholders"  # the env entry: the template's placeholders in order


def _mark_placeholders(state: StateCore) -> None:
    """Wrap each `[placeholder]` of a reply template in `<mark class="placeholder"
    data-placeholder="N">`: N numbers its field, one per placeholder however often it is
    written (the same words in any case and spacing). The theme fills the marks as the
    representative types. Not in links (their text is the link's), code or escapes."""
    names: list[str] | None = state.env.get(_PLACEHOLDERS)
    if names is None:
        return
    keys = [placeholder_key(n) for n in names]
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        in_link = 0
        for child in _joined_text(token.children):
            in_link += {"link_open": 1, "link_close": -1}.get(child.type, 0)
            if child.type != "text" or in_link or "[" not in child.content:
                children.append(child)
                continue
            position = 0
            for match in _PLACEHOLDER.finditer(child.content):
                name = " ".join(match.group(1).split())
                if placeholder_key(name) not in keys:
                    names.append(name)
                    keys.append(placeholder_key(name))
                children.append(_text(child.content[position : match.start()]))
                children.extend(_wrapped(match.group(0), keys.index(placeholder_key(name))))
                position = match.end()
            children.append(_text(child.content[position:]))
        token.children = [c for c in children if c.type != "text" or c.content]


def _joined_text(children: list[Token]) -> list[Token]:
    """The children with adjacent text joined, as `text_join` does later (an entity or an
    escape inside a placeholder is part of it), except escaped brackets: `\\[` is text."""
    joined: list[Token] = []
    for child in children:
        bracket = (
            child.type == "text_special" and child.info == "escape" and child.content in ("[", "]")
        )
        if child.type in ("text", "text_special") and not bracket:
            if joined and joined[-1].type == "text":
                joined[-1] = _text(joined[-1].content + child.content)
                continue
            child = _text(child.content) if child.type == "text_special" else child
        joined.append(child)
    return joined


def placeholder_key(name: str) -> str:
    """Placeholders written alike are one field: `[Name]` and `[name]`."""
    return " ".join(name.split()).casefold()


def placeholders(doc: Document) -> tuple[str, ...]:
    """A reply template's placeholders (without brackets), each once, in order."""
    return tuple(doc.env.get(_PLACEHOLDERS, ()))


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _wrapped(content: str, number: int) -> list[Token]:
    opening = Token("html_inline", "", 0)
    opening.content = f'<mark class="placeholder" data-placeholder="{number}">'
    closing = Token("html_inline", "", 0)
    closing.content = "</mark>"
    return [opening, _text(content), closing]
