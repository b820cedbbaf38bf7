"""Whole sites beyond the example: theme overrides, right-to-left, aliases, subpaths."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from pathlib import Path

from tests.helpers import assert_clean_failure, local_targets, run_kbgen, serve


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _theme(site: Path, name: str) -> Path:
    """A theme `name` that extends the default one, chosen in the site's config: its folder."""
    theme = site / "themes" / name
    _write(theme / "theme.yaml", "extends: default\n")
    config = site / "config.yaml"
    config.write_text(config.read_text().replace("theme: default", f"theme: {name}"))
    return theme


def test_theme_override_replaces_one_template_and_one_asset(
    example_copy: Path, tmp_path: Path
) -> None:
    theme = _theme(example_copy, "brand")
    _write(
        theme / "templates" / "partials" / "breadcrumbs.html",
        '<p class="brand-crumbs">{{ page.title }}</p>\n',
    )
    _write(theme / "static" / "css" / "main.css", "body { color: rebeccapurple; }\n")
    _write(
        theme / "locales" / "fr.po",
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "On this page"\nmsgstr "Dans cet article"\n',
    )
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    article = (
        out / "fr/articles/community-management/role-des-representants/index.html"
    ).read_text(encoding="utf-8")
    assert '<p class="brand-crumbs">' in article  # the override
    assert 'class="language-switcher"' in article  # the rest of the default theme
    assert "Dans cet article" in article  # one UI string overridden
    assert "Aller au contenu" in article  # the others from the default catalog
    css = [p for p in (out / "assets/css").iterdir() if p.name.startswith("main.")]
    assert len(css) == 1 and css[0].read_text() == "body { color: rebeccapurple; }\n"


def test_theme_override_of_the_icons_draws_every_icon(example_copy: Path, tmp_path: Path) -> None:
    # `icon()` renders the theme's own macro (once per name); a template that still calls
    # the macro through `icons`, as base.html imports it, draws the same
    theme = _theme(example_copy, "drawn")
    _write(
        theme / "templates" / "partials" / "icons.html",
        '{% macro icon(name, class="icon") %}<i class="{{ class }}" data-drawn="{{ name }}">'
        "</i>{% endmacro %}\n",
    )
    _write(
        theme / "templates" / "rules.html",
        '{% extends "base.html" %}\n{% block main %}<p class="old">{{ icons.icon("star") }}'
        "</p>{% endblock %}\n",
    )
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    for lang in ("fr", "vi", "en"):
        article = next((out / lang / "articles").glob("*/*/index.html")).read_text("utf-8")
        assert '<i class="icon icon-small" data-drawn="clock"></i>' in article
        assert '<i class="icon search-icon" data-drawn="search"></i>' in article  # a fragment's
        assert '<svg class="icon' not in article  # no icon of the default theme's
        rules = (out / lang / "rules" / "index.html").read_text("utf-8")
        assert '<p class="old"><i class="icon" data-drawn="star"></i></p>' in rules


def test_theme_icons_without_the_icon_macro_name_that_file(
    example_copy: Path, tmp_path: Path
) -> None:
    theme = _theme(example_copy, "noicon")
    icons = theme / "templates" / "partials" / "icons.html"
    _write(icons, '{% macro glyph(name) %}<i data-glyph="{{ name }}"></i>{% endmacro %}\n')
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert_clean_failure(result)
    assert (
        "themes/noicon/templates/partials/icons.html: error: partials/icons.html has no macro "
        "'icon(name, class)'" in result.stderr
    ), result.stderr
    assert "base.html" not in result.stderr
    assert not out.exists()


def test_unknown_theme_is_an_error(example_copy: Path, tmp_path: Path) -> None:
    config = example_copy / "config.yaml"
    config.write_text(config.read_text().replace("theme: default", "theme: nosuch"))
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert "error: 'theme': unknown theme 'nosuch'" in result.stderr


def test_template_error_names_template_and_line(example_copy: Path, tmp_path: Path) -> None:
    theme = _theme(example_copy, "broken")
    _write(
        theme / "templates" / "rules.html",
        '{% extends "base.html" %}\n{% block main %}\n{{ page.no_such_thing }}\n{% endblock %}\n',
    )
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert "themes/broken/templates/rules.html:3: error: template error" in result.stderr
    assert "no_such_thing" in result.stderr


def test_right_to_left_language_by_config_alone(example_copy: Path, tmp_path: Path) -> None:
    config = example_copy / "config.yaml"
    config.write_text(
        config.read_text().replace("languages: [fr, vi, en]", "languages: [fr, vi, en, ar]")
    )
    _write(
        example_copy / "content/ar/rules.md",
        '---\ntitle: "قواعد المجتمع"\n---\n\n1. **الاحترام**: كن لطيفا.\n',
    )
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    rules = (out / "ar/rules/index.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in rules
    # untranslated pages fall back to French, still inside a right-to-left page
    article = (
        out / "ar/articles/community-management/role-des-representants/index.html"
    ).read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in article and 'lang="fr"' in article
    assert "العربية" in article  # the switcher names Arabic in Arabic
    assert "the theme has no UI strings for 'ar'" in result.stderr


def test_fallback_text_keeps_its_own_language_and_direction(
    example_copy: Path, tmp_path: Path
) -> None:
    # French (left to right) shown untranslated in Arabic (right to left), and Arabic shown
    # untranslated in French: each fallback's text says its language and direction, so its
    # punctuation does not flip; the page's own words around it stay in the page's.
    config = example_copy / "config.yaml"
    config.write_text(
        config.read_text().replace("languages: [fr, vi, en]", "languages: [fr, vi, en, ar]")
    )
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    rtl = ' lang="ar" dir="rtl"'
    ltr = ' lang="fr" dir="ltr"'
    article = (
        out / "ar/articles/community-management/role-des-representants/index.html"
    ).read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in article and '<main id="main" tabindex="-1">' in article
    assert f"<h1{ltr}>Le rôle de vos représentants" in article
    assert f'<div class="content"{ltr}>' in article
    assert f'<span aria-current="page"{ltr}>' in article  # its breadcrumb
    faq = (out / "ar/faq/index.html").read_text(encoding="utf-8")
    # the untranslated question's item (its anchor is inside it)
    item = r'<section class="faq-item"([^>]*)>((?!</section>).)*id="repondre-changement-de-prix"'
    found = re.search(item, faq, re.S)
    assert found is not None and found.group(1) == ltr
    assert f'<span class="badge"{rtl}>' in faq  # "not translated yet", in the page's language
    replies = (out / "ar/replies/index.html").read_text(encoding="utf-8")
    assert f'<div class="reply-text" id="price-change-text"{ltr}>' in replies
    # the reverse: right-to-left text shown untranslated in a left-to-right language
    site = tmp_path / "rtl-first"
    _write(
        site / "config.yaml", "title: KB\nbase_url: https://kb.example.com/\nlanguages: [ar, en]\n"
    )
    _write(site / "content/ar/faq/question.md", '---\ntitle: "هل هذا سؤال؟"\n---\n\nنعم.\n')
    result = run_kbgen("build", cwd=site)
    assert result.returncode == 0, result.stderr
    english = (site / "site/en/faq/question/index.html").read_text(encoding="utf-8")
    assert '<html lang="en" dir="ltr">' in english
    assert f"<h1{rtl}>هل هذا سؤال؟</h1>" in english
    assert f'<div class="content"{rtl}>' in english
    home = (site / "site/en/index.html").read_text(encoding="utf-8")
    assert f"{rtl}>هل هذا سؤال؟</a>" in home


def test_aliases_redirect_to_the_page(example_copy: Path, tmp_path: Path) -> None:
    article = example_copy / "content/fr/articles/self-service/why-self-service.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(
        text.replace("---\ntitle:", "---\naliases: [/fr/ancien-article/]\ntitle:", 1),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert run_kbgen("build", "--output", str(out), cwd=example_copy).returncode == 0
    redirect = (out / "fr/ancien-article/index.html").read_text(encoding="utf-8")
    assert (
        '<meta http-equiv="refresh" content="0; url=../articles/self-service/'
        'pourquoi-le-libre-service/">'
    ) in redirect
    assert 'rel="canonical" href="https://kb.example.com/fr/articles/self-service/' in redirect


def test_alias_equal_to_a_page_url_names_both_files(example_copy: Path, tmp_path: Path) -> None:
    article = example_copy / "content/fr/articles/self-service/why-self-service.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(
        text.replace("---\ntitle:", "---\naliases: [fr/rules/]\ntitle:", 1), encoding="utf-8"
    )
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert "why-self-service.md:2: error: alias 'fr/rules/' is the URL of" in result.stderr
    assert "content/fr/rules.md" in result.stderr


def test_two_pages_with_one_url_name_both_files(example_copy: Path, tmp_path: Path) -> None:
    section = example_copy / "content/en/articles/self-service"
    (section / "copy.md").write_text("---\ntitle: Copy\nslug: why-self-service\n---\nText.\n")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert "two pages claim the URL /en/articles/self-service/why-self-service/" in result.stderr
    assert "copy.md" in result.stderr and "why-self-service.md" in result.stderr


def test_slug_collision_is_the_one_error_and_names_both_files_alike(
    example_copy: Path, tmp_path: Path
) -> None:
    # A second French article takes the slug of "writing-rules.md", whose headings other pages
    # link to; its Vietnamese translations are missing, so 'vi' shows both as fallbacks.
    role = example_copy / "content/fr/articles/community-management/representatives-role.md"
    text = role.read_text(encoding="utf-8")
    role.write_text(text.replace("slug: role-des-representants", "slug: rediger-des-regles"))
    for name in ("writing-rules.md", "representatives-role.md"):
        (example_copy / "content/vi/articles/community-management" / name).unlink()
    (example_copy / "content/vi/faq/representatives/every-conversation.md").unlink()
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr  # no false broken links, not repeated for 'vi'
    folder = "content/fr/articles/community-management/"
    assert errors[0].startswith(f"{folder}writing-rules.md:4: error: two pages claim the URL")
    assert f"this file and {folder}representatives-role.md;" in errors[0]


def test_site_served_from_a_subpath(example_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_kbgen(
        "build", "--output", str(out), "--base-url", "https://example.com/help/", cwd=example_copy
    )
    assert result.returncode == 0, result.stderr
    with serve(out, prefix="/help/") as base:
        for rel in ("", "fr/", "vi/faq/", "en/articles/self-service/why-self-service/"):
            page = out / rel / "index.html"
            for href, target, _ in local_targets(page, out):
                url = urllib.parse.urljoin(base + rel, href)
                with urllib.request.urlopen(url) as response:
                    assert response.status == 200, url
                assert target.is_file()
        # the 404 page's links are absolute, under the subpath
        not_found = (out / "vi/404.html").read_text(encoding="utf-8")
        assert 'href="/help/vi/"' in not_found and 'href="/help/assets/css/main.' in not_found
        page = (out / "fr/index.html").read_text(encoding="utf-8")
        assert '<link rel="canonical" href="https://example.com/help/fr/">' in page
