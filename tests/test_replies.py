"""The reply kit as built: each reply template's own page (/<lang>/replies/<slug>/) through
the model like any page (links, sitemap, translations, URL and output-path clashes), a
field per [placeholder] on it and on the replies page, and the theme's weight per page."""

from __future__ import annotations

import gzip
from pathlib import Path

from tests.helpers import assert_clean_failure, edit_file, run_kbgen, tags, write_file

PRICE = "en/replies/price-change/index.html"


def read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def fields(html: str, prefix: str) -> list[str]:
    """The labels' `for` of the form of one template (its fields, in order)."""
    return [
        str(a["for"])
        for t, a in tags(html)
        if t == "label" and str(a.get("for", "")).startswith(prefix + "-field-")
    ]


def test_each_template_has_its_own_page_with_a_field_per_placeholder(example_site: Path) -> None:
    html = read(example_site, PRICE)
    assert "<h1>Reply to a thread about a price change</h1>" in html
    # [company’s name] is written twice: one field fills both
    assert fields(html, "price-change") == [f"price-change-field-{n}" for n in range(4)]
    assert html.count('data-placeholder="1">[company’s name]</mark>') == 2
    assert '<label for="price-change-field-1">company’s name</label>' in html
    # hidden without JavaScript: the text is shown as it is
    assert '<form class="reply-form" data-reply-form="price-change-text" hidden>' in html
    # the same form on the replies page, where every template has its own
    listing = read(example_site, "en/replies/index.html")
    assert fields(listing, "price-change") == fields(html, "price-change")
    assert len(fields(listing, "closing-quarrel")) == 2
    assert '<a href="price-change/">' in listing  # each template links to its own page
    assert '<a href="../#price-change">' in html  # and back


def test_a_template_page_is_linked_like_any_page(example_site: Path) -> None:
    html = read(example_site, PRICE)
    hreflangs = {a.get("hreflang"): a.get("href") for t, a in tags(html) if t == "link"}
    assert hreflangs["fr"] == "https://kb.example.com/fr/replies/price-change/"
    assert hreflangs["vi"] == "https://kb.example.com/vi/replies/price-change/"
    switcher = [a for t, a in tags(html) if t == "a" and a.get("data-language") == "vi"]
    assert switcher and switcher[0]["href"] == "../../../vi/replies/price-change/"
    assert "https://kb.example.com/en/replies/price-change/" in read(example_site, "sitemap.xml")
    crumbs = html.split('class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="../">Reply templates</a>' in crumbs


def test_an_untranslated_template_is_shown_in_the_original_language(
    example_copy: Path, tmp_path: Path
) -> None:
    (example_copy / "content/vi/replies/price-change.md").unlink()
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    html = read(tmp_path / "out", "vi/replies/price-change/index.html")
    assert '<meta name="robots" content="noindex">' in html
    assert 'class="banner banner-untranslated"' in html
    assert '<div class="reply-text" id="price-change-text" lang="fr" dir="ltr">' in html
    assert '<label for="price-change-field-1" lang="fr" dir="ltr">nom de l’entreprise</label>' in (
        html
    )


def test_two_templates_with_one_slug_are_an_error_naming_both(example_copy: Path) -> None:
    edit_file(
        example_copy / "content/en/replies/closing-quarrel.md", "weight: 3", "slug: price-change"
    )
    result = run_kbgen("build", cwd=example_copy)
    assert_clean_failure(result)
    assert (
        "content/en/replies/price-change.md: error: two pages claim the URL "
        "/en/replies/price-change/: this file and content/en/replies/closing-quarrel.md"
    ) in result.stderr


def test_a_template_page_clashing_with_a_file_is_an_error(example_copy: Path) -> None:
    write_file(example_copy / "content/en/replies/price-change/index.html", "<p>mine</p>")
    result = run_kbgen("build", cwd=example_copy)
    assert_clean_failure(result)
    assert "both write /en/replies/price-change/index.html" in result.stderr


def test_a_template_named_as_no_url_allows_is_an_error(example_copy: Path) -> None:
    write_file(example_copy / "content/en/replies/two words.md", "---\ntitle: T\n---\n\nHi [x].\n")
    result = run_kbgen("build", cwd=example_copy)
    assert_clean_failure(result)
    assert "content/en/replies/two words.md: error: the file name gives the URL slug" in (
        result.stderr
    )


def test_links_to_a_template_lead_to_its_page_and_its_headings(example_copy: Path) -> None:
    write_file(
        example_copy / "content/en/replies/with-heading.md",
        "---\ntitle: With a heading\n---\n\n## When to send it\n\nHi [name], see "
        "[the other](price-change.md).\n",
    )
    edit_file(
        example_copy / "content/en/rules.md",
        "\n1. ",
        "\nSee [when](replies/with-heading.md#when-to-send-it).\n\n1. ",
    )
    out = example_copy / "out"
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    assert 'href="../replies/with-heading/#when-to-send-it"' in read(out, "en/rules/index.html")
    # the template's own link, relative to each page that shows it
    assert 'href="../price-change/"' in read(out, "en/replies/with-heading/index.html")
    assert 'href="price-change/"' in read(out, "en/replies/index.html")


def test_theme_css_and_js_stay_under_60_kb_gzip_on_the_reply_pages(example_site: Path) -> None:
    for rel in ("en/replies/index.html", PRICE):
        page = example_site / rel
        loaded = [
            a.get("href") if t == "link" else a.get("src")
            for t, a in tags(page.read_text(encoding="utf-8"))
            if (t == "link" and a.get("rel") == "stylesheet") or (t == "script" and a.get("src"))
        ]
        assert any("replies" in str(u) for u in loaded)
        size = sum(
            len(gzip.compress((page.parent / str(u)).resolve().read_bytes())) for u in loaded
        )
        assert size < 60_000, (rel, size)
