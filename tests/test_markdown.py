"""Markdown rendering: the extensions, heading ids, raw HTML, placeholders and rule ids."""

from __future__ import annotations

import unicodedata

import pytest

from kbgen.config import MarkdownOptions
from kbgen.markdown import (
    create_parser,
    links,
    number_rules,
    parse,
    placeholders,
    plain_text,
    render,
    slugify,
)


def html_of(text: str, **options: bool) -> str:
    md = create_parser(MarkdownOptions(**options))  # type: ignore[arg-type]
    return render(md, parse(md, text, 1, "doc"))


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Đây là cơ sở tri thức", "day-la-co-so-tri-thuc"),
        ("Règles de base", "regles-de-base"),
        ("Qu’est-ce qu’une FAQ ?", "qu-est-ce-qu-une-faq"),
        ("Step 2: export_data", "step-2-export-data"),
    ],
)
def test_heading_ids_are_readable_and_the_same_from_nfc_and_nfd(
    heading: str, expected: str
) -> None:
    assert slugify(heading) == expected
    assert slugify(unicodedata.normalize("NFD", heading)) == expected
    assert f'<h2 id="{expected}">' in html_of(f"## {heading}\n")


def test_duplicate_headings_get_distinct_ids() -> None:
    html = html_of("## Steps\n\n## Steps\n")
    assert '<h2 id="steps">' in html and '<h2 id="steps-1">' in html


def test_extensions() -> None:
    html = html_of(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~\n\n- [x] done\n- [ ] todo\n\n"
        'Text[^1].\n\n[^1]: A note.\n\n!!! warning "Careful"\n    Mind the gap.\n\n'
        "```python\nprint('hi')\n```\n"
    )
    assert "<table>" in html and "<td>1</td>" in html
    assert "<s>gone</s>" in html
    assert 'class="task-list-item-checkbox" checked="checked"' in html
    assert 'class="footnote-ref"' in html and 'class="footnotes"' in html
    assert '<div class="admonition warning">' in html and "Careful" in html
    assert '<code class="language-python"><span class="nb">print</span>' in html


def test_raw_html_is_text_unless_allowed() -> None:
    source = "<script>alert(1)</script>\n\nHi <b onclick=x>there</b>\n"
    safe = html_of(source)
    assert "<script>" not in safe and "&lt;script&gt;" in safe
    assert "<b onclick" not in safe
    allowed = html_of(
        source + '\n<a href="javascript:alert(1)">j</a> <a href="data:text/html,x">d</a>'
        " <details><summary>More</summary>kept</details>\n",
        allow_html=True,
    )
    assert "<b>there</b>" in allowed and "<details><summary>More</summary>" in allowed
    assert "onclick" not in allowed and "<script" not in allowed
    assert "javascript:" not in allowed and "data:" not in allowed


def test_table_alignment_uses_classes_not_style_attributes() -> None:
    html = html_of("| a | b |\n|:-:|--:|\n| 1 | 2 |\n")
    assert "style=" not in html
    assert '<th class="align-center">a</th>' in html and '<td class="align-right">2</td>' in html


def test_dangerous_link_schemes_are_not_links() -> None:
    html = html_of(
        "[x](javascript:alert(1)) [y](vbscript:msgbox) [z](data:text/html,x) "
        "![i](data:image/svg+xml,x) [w](JaVaScRiPt:x)\n"
    )
    assert "href=" not in html and "src=" not in html


def test_links_know_their_line() -> None:
    md = create_parser(MarkdownOptions())
    doc = parse(md, "Intro\n\nFirst [a](a.md)\nsecond line [b](b.md#x)\n\n![img](p.png)\n", 7, "d")
    assert [(ref.target, ref.line) for ref in links(doc)] == [
        ("a.md", 9),
        ("b.md#x", 10),
        ("p.png", 12),
    ]


def test_rules_get_their_number_as_id() -> None:
    md = create_parser(MarkdownOptions())
    doc = parse(md, "Intro.\n\n1. **Be kind**: always.\n2. **No spam**.\n   - nested\n", 1, "r")
    number_rules(doc, lambda n: f"Rule {n}")
    html = render(md, doc)
    assert '<li id="1" class="rule"><a class="rule-anchor" href="#1" aria-label="Rule 1">' in html
    assert '<li id="2" class="rule">' in html
    assert "<li>nested</li>" in html


@pytest.mark.parametrize("text", ["1. Kind.\n2.\n3. Calm.\n", "1. Kind.\n2.\n", "1.\n"])
def test_an_empty_rule_keeps_its_anchor_inside_it(text: str) -> None:
    md = create_parser(MarkdownOptions())
    doc = parse(md, text, 1, "r")
    number_rules(doc, lambda n: f"Rule {n}")
    items = render(md, doc).split("<li ")[1:]
    assert len(items) == text.count(".\n")
    for number, item in enumerate(items, 1):
        assert item.startswith(f'id="{number}" class="rule">')
        assert item.count('class="rule-anchor"') == 1
        assert f'href="#{number}"' in item


def test_placeholders_are_highlighted_and_escaped() -> None:
    md = create_parser(MarkdownOptions())
    doc = parse(md, "Hello [user’s name]! See [<b>x</b>] and [a](b.md).\n", 1, "p", True)
    html = render(md, doc)
    assert '<mark class="placeholder" data-placeholder="0">[user’s name]</mark>' in html
    assert '<mark class="placeholder" data-placeholder="1">[&lt;b&gt;x&lt;/b&gt;]</mark>' in html
    assert '<a href="b.md">a</a>' in html
    assert placeholders(doc) == ("user’s name", "<b>x</b>")


def test_a_placeholder_written_twice_is_one_field() -> None:
    md = create_parser(MarkdownOptions())
    text = "Hi [name], from [Company].\n\n- [company] thanks [ Name ]!\n"
    doc = parse(md, text, 1, "p", placeholders=True)
    assert placeholders(doc) == ("name", "Company")
    html = render(md, doc)
    assert html.count('data-placeholder="0"') == 2 and html.count('data-placeholder="1"') == 2


@pytest.mark.parametrize(
    "text",
    [
        "See [the rules](rules.md) and [the FAQ][faq].\n\n[faq]: faq/\n",  # links
        "A `[code]` span.\n",
        "    [indented code]\n",
        "Escaped \\[brackets\\] stay text.\n",
        "- [ ] a task\n- [x] done\n",
        "A box [ ] and a note[^1].\n\n[^1]: The note.\n",
        "[see [this] link](rules.md)\n",
    ],
)
def test_what_is_not_a_placeholder(text: str) -> None:
    md = create_parser(MarkdownOptions())
    doc = parse(md, text, 1, "p", placeholders=True)
    assert placeholders(doc) == ()
    assert "<mark" not in render(md, doc)


def test_placeholders_are_marked_only_when_asked_and_survive_raw_html() -> None:
    md = create_parser(MarkdownOptions())
    assert "<mark" not in render(md, parse(md, "Hi [name].\n", 1, "p"))
    md = create_parser(MarkdownOptions(allow_html=True))
    html = render(md, parse(md, "Hi [name] <b>x</b>.\n", 1, "p", placeholders=True))
    assert '<mark class="placeholder" data-placeholder="0">[name]</mark>' in html


def test_plain_text_has_no_markup() -> None:
    md = create_parser(MarkdownOptions())
    doc = parse(
        md,
        "## Title\n\nSome *bold* `code` and [a link](x.md).\n\n| a | b |\n|--|--|\n| c | d |\n",
        1,
        "t",
    )
    text = plain_text(doc)
    assert text.startswith("Title\nSome bold code and a link.")
    assert "<" not in text and "#" not in text and "*" not in text


def test_plain_text_has_one_space_between_words_and_no_blank_line() -> None:
    md = create_parser(MarkdownOptions())
    body = "A  long\tgap,   then\n\n\n\nmore.\n\n```\ncode\t\t  indented\n\n\nend\n```\n"
    assert plain_text(parse(md, body, 1, "t")) == "A long gap, then\nmore.\ncode indented\nend"
