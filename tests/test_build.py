"""The example knowledge base builds whole, in every language, with consistent links."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from kbgen.build import BuildResult
from tests.helpers import local_targets, run_kbgen, tags

LANGS = ("fr", "vi", "en")
ARTICLES = {
    "fr": "fr/articles/community-management/role-des-representants/index.html",
    "vi": "vi/articles/community-management/vai-tro-cua-dai-dien/index.html",
    "en": "en/articles/community-management/representatives-role/index.html",
}
UNTRANSLATED_IN_VI = "vi/faq/repondre-changement-de-prix/index.html"


def read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", LANGS)
def test_every_kind_of_page_exists_in_every_language(example_site: Path, lang: str) -> None:
    for rel in (
        "index.html",
        "faq/index.html",
        "rules/index.html",
        "replies/index.html",
        "404.html",
        "articles/self-service/index.html",
        "articles/community-management/index.html",
    ):
        assert (example_site / lang / rel).is_file(), f"{lang}/{rel}"
    assert (example_site / ARTICLES[lang]).is_file()
    faq_entries = [p for p in (example_site / lang / "faq").iterdir() if p.is_dir()]
    assert len(faq_entries) >= 6
    for name in ("index.html", "404.html", "sitemap.xml", "robots.txt"):
        assert (example_site / name).is_file()


def test_pages_carry_language_and_direction(example_site: Path) -> None:
    for lang in LANGS:
        html = read(example_site, ARTICLES[lang])
        assert f'<html lang="{lang}" dir="ltr">' in html


def test_every_relative_link_and_asset_resolves(example_site: Path) -> None:
    """Links are relative, so the site works from any folder of any static server."""
    pages = list(example_site.rglob("*.html"))
    assert len(pages) > 50
    for page in pages:
        if page.name == "404.html":
            continue  # served at any path: its links are absolute, checked below
        for href, target, fragment in local_targets(page, example_site):
            assert target.is_file(), f"{page.relative_to(example_site)}: {href}"
            if fragment and target.suffix == ".html":
                ids = {a.get("id") for _, a in tags(target.read_text(encoding="utf-8"))}
                assert fragment in ids, f"{page.relative_to(example_site)}: {href}"


def test_links_between_markdown_files_become_page_urls(example_site: Path) -> None:
    html = read(example_site, ARTICLES["fr"])
    assert 'href="../../../rules/#3"' in html
    assert 'href="../../../replies/price-change/"' in html  # a template's own page
    rules = read(example_site, "fr/rules/index.html")
    assert '<li id="3" class="rule">' in rules
    assert 'href="#3"' in rules  # a visible link moderators can copy
    assert ".md" not in "".join(a.get("href") or "" for _, a in tags(html))


def _alternates(html: str) -> dict[str, str]:
    return {
        str(a["hreflang"]): str(a["href"])
        for t, a in tags(html)
        if t == "link" and a.get("rel") == "alternate" and a.get("hreflang")
    }


def test_hreflang_sitemap_and_translations_agree(example_site: Path) -> None:
    base = "https://kb.example.com/"
    namespaces = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "x": "http://www.w3.org/1999/xhtml",
    }
    tree = ET.parse(example_site / "sitemap.xml")
    entries = tree.getroot().findall("s:url", namespaces)
    assert len(entries) > 40
    for entry in entries:
        loc = entry.find("s:loc", namespaces).text  # type: ignore[union-attr]
        assert loc and loc.startswith(base)
        rel = unquote(loc[len(base) :]) + "index.html"  # URLs are percent-encoded
        page = example_site / rel
        assert page.is_file(), rel
        html = page.read_text(encoding="utf-8")
        in_page = _alternates(html)
        in_sitemap = {
            str(link.get("hreflang")): str(link.get("href"))
            for link in entry.findall("x:link", namespaces)
        }
        assert in_page == in_sitemap, rel
        for hreflang, href in in_page.items():
            target = example_site / (unquote(href[len(base) :]) + "index.html")
            assert target.is_file(), f"{rel} -> {href}"
            # every alternate names the same set: translations point at each other
            assert _alternates(target.read_text(encoding="utf-8")) == in_page
            if hreflang != "x-default":
                assert f'<html lang="{hreflang}"' in target.read_text(encoding="utf-8")
    locs = {e.find("s:loc", namespaces).text for e in entries}  # type: ignore[union-attr]
    assert base + UNTRANSLATED_IN_VI.removesuffix("index.html") not in locs


def test_article_alternates_name_all_three_languages(example_site: Path) -> None:
    alternates = _alternates(read(example_site, ARTICLES["vi"]))
    assert set(alternates) == {"fr", "vi", "en", "x-default"}
    assert alternates["x-default"] == alternates["fr"]


def test_untranslated_page_falls_back_with_a_banner(example_site: Path) -> None:
    html = read(example_site, UNTRANSLATED_IN_VI)
    assert "Trang này chưa được dịch sang Tiếng Việt" in html  # banner in the reader's language
    assert '<meta name="robots" content="noindex">' in html
    assert (
        '<link rel="canonical" href="https://kb.example.com/fr/faq/repondre-changement-de-prix/">'
    ) in html
    # the French text is marked as French (and its direction); the page around it is not
    assert '<main id="main" tabindex="-1">' in html
    assert '<div class="content" lang="fr" dir="ltr">' in html
    assert 'hreflang="' not in html.split("</head>")[0].split("canonical")[1]
    # the switcher marks the language that has no translation
    fr_page = read(example_site, "fr/faq/repondre-changement-de-prix/index.html")
    assert 'class="untranslated"' in fr_page


def test_fallback_none_leaves_the_page_out(example_copy: Path, tmp_path: Path) -> None:
    config = example_copy / "config.yaml"
    config.write_text(config.read_text().replace("fallback: default", "fallback: none"))
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "out" / UNTRANSLATED_IN_VI).exists()
    assert (tmp_path / "out" / "fr/faq/repondre-changement-de-prix/index.html").exists()


def test_localized_ui_strings_and_dates(example_site: Path) -> None:
    fr, vi = read(example_site, ARTICLES["fr"]), read(example_site, ARTICLES["vi"])
    assert "Sur cette page" in fr and "Trên trang này" in vi
    assert re.search(r'<time datetime="2026-\d\d-\d\d">\d+ \w+ 2026</time>', fr)
    assert re.search(r"<time datetime=\"2026-\d\d-\d\d\">\d+ tháng \d+, 2026</time>", vi)
    switcher = fr.split('class="language-switcher"')[1].split("</nav>")[0]
    assert "Français" in switcher and "Tiếng Việt" in switcher and "English" in switcher


def test_json_ld_and_open_graph(example_site: Path) -> None:
    faq = read(example_site, "en/faq/index.html")
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', faq, re.S)
    data = [json.loads(b) for b in blocks]
    faq_page = next(d for d in data if d["@type"] == "FAQPage")
    assert len(faq_page["mainEntity"]) >= 6
    article = read(example_site, ARTICLES["en"])
    types = {
        json.loads(b)["@type"]
        for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', article, re.S)
    }
    assert types == {"Article", "BreadcrumbList"}
    assert '<meta property="og:locale" content="en_US">' in article
    assert '<meta property="og:locale:alternate" content="fr_FR">' in article
    assert "Sitemap: https://kb.example.com/sitemap.xml" in read(example_site, "robots.txt")


def _json_ld(html: str) -> list[dict[str, Any]]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(b) for b in blocks]


def test_structured_data_holds_only_its_own_language(example_site: Path) -> None:
    # 'vi' shows a French FAQ entry as a fallback: it is listed on the page, but vi's FAQPage
    # (inLanguage vi) holds only Vietnamese questions, and the fallback's Article says 'fr'
    faq = read(example_site, "vi/faq/index.html")
    assert "Comment répondre à une discussion sur un changement de prix" in faq
    [faq_page] = [d for d in _json_ld(faq) if d["@type"] == "FAQPage"]
    assert faq_page["inLanguage"] == "vi"
    names = [q["name"] for q in faq_page["mainEntity"]]
    assert names and not any("changement de prix" in name for name in names)
    fallback = read(example_site, UNTRANSLATED_IN_VI)
    [article] = [d for d in _json_ld(fallback) if d["@type"] == "Article"]
    assert article["inLanguage"] == "fr"


def test_reply_templates_page(example_site: Path) -> None:
    html = read(example_site, "fr/replies/index.html")
    assert html.count('<section class="reply"') == 3
    assert 'data-placeholder="1">[nom de l’entreprise]</mark>' in html
    assert 'class="copy-button"' in html
    # each language's templates are in its own words, their [placeholders] too
    vi = read(example_site, "vi/replies/index.html")
    assert 'data-placeholder="1">[tên công ty]</mark>' in vi
    assert 'data-placeholder="1">[company’s name]</mark>' in read(
        example_site, "en/replies/index.html"
    )
    for french_or_vietnamese in (html, vi):
        text = french_or_vietnamese.split("<main", 1)[1]
        assert "Thank you" not in text and "We " not in text and "name]" not in text


def test_faq_index_groups_every_question_with_its_answer(example_site: Path) -> None:
    html = read(example_site, "vi/faq/index.html")
    assert html.count('<section class="faq-group"') == 2
    assert html.count('<section class="faq-item"') == 8  # 7 translated + 1 fallback
    fallback = '<section class="faq-item" lang="fr" dir="ltr">'
    assert html.count(fallback) == 1
    assert html.count('<span class="faq-anchor" id="repondre-changement-de-prix">') == 1
    assert 'id="tham-gia-moi-cuoc-tro-chuyen"' in html


def test_root_page_lists_languages_without_javascript(example_site: Path) -> None:
    html = read(example_site, "index.html")
    links = [a for t, a in tags(html) if t == "a" and a.get("data-language")]
    assert [a["href"] for a in links] == ["fr/", "vi/", "en/"]
    assert "<script>" not in html


def test_no_inline_script_or_event_handler_anywhere(example_site: Path) -> None:
    for page in example_site.rglob("*.html"):
        for tag, attrs in tags(page.read_text(encoding="utf-8")):
            assert not any(name.startswith("on") for name in attrs), page
            if tag == "script":
                assert attrs.get("src") or attrs.get("type") == "application/ld+json", page


def test_nothing_is_loaded_from_another_origin(example_site: Path) -> None:
    for page in example_site.rglob("*.html"):
        for tag, attrs in tags(page.read_text(encoding="utf-8")):
            if tag in ("script", "img", "iframe") or (
                tag == "link" and attrs.get("rel") in ("stylesheet", "preload", "icon")
            ):
                value = attrs.get("src") or attrs.get("href") or ""
                assert "//" not in value, f"{page}: {value}"


def test_summary_line(example_build: BuildResult) -> None:
    # 18 pages from the sources and generated lists, 3 reply templates, the search page,
    # 5 tags and their index
    assert example_build.pages_per_language == {"fr": 28, "vi": 28, "en": 28}
    assert not example_build.diagnostics.items
