"""Custom heading ids (`## Les sanctions {#sanctions}`): anchors that survive translation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kbgen.build import BuildOptions, load_site
from kbgen.config import MarkdownOptions
from kbgen.markdown import create_parser, parse, plain_text, render
from kbgen.search.index import documents
from tests.helpers import assert_clean_failure, run_kbgen
from tests.helpers import edit_file as _edit

SITE = Path(__file__).parent / "sites" / "valid" / "custom-heading-ids"
HELLO = "content/{}/articles/start/hello.md"


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(SITE, root)
    return root


def test_the_id_is_the_heading_s_own_and_not_shown() -> None:
    md = create_parser(MarkdownOptions())
    body = (
        "## Les sanctions {#sanctions}\n\n"
        "## Sanctions\n\n"
        "## Avec *emphase* {#emphasis}\n\n"
        "Soulignée {#setext}\n---\n\n"
        "## Échappé \\{#not-an-id}\n"
    )
    doc = parse(md, body, 1, "x")
    assert [(h.id, h.text) for h in doc.headings()] == [
        ("sanctions", "Les sanctions"),
        ("sanctions-1", "Sanctions"),  # a generated id never takes a chosen one
        ("emphasis", "Avec emphase"),
        ("setext", "Soulignée"),
        ("echappe-not-an-id", "Échappé {#not-an-id}"),
    ]
    html = render(md, doc)
    assert '<h2 id="sanctions">Les sanctions <a class="header-anchor" href="#sanctions">' in html
    assert "{#sanctions}" not in html and "{#emphasis}" not in html
    assert "{#sanctions}" not in plain_text(doc) and "{#setext}" not in plain_text(doc)
    assert doc.id_problems() == []


def test_a_site_in_three_languages_links_by_custom_ids(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=_copy(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "0 warning(s)" in result.stdout and not result.stderr
    for lang in ("en", "fr", "vi"):
        hello = (out / lang / "articles/start/hello/index.html").read_text(encoding="utf-8")
        assert '<h2 id="sanctions">' in hello and '<h2 id="appeal">' in hello
        assert "{#" not in hello
        assert '<li class="toc-level-2"><a href="#sanctions">' in hello  # the table of contents
        assert 'href="../../../rules/#sanctions"' in hello  # another page's custom id
        assert 'href="../moderators/#contact-them"' in hello
        rules = (out / lang / "rules/index.html").read_text(encoding="utf-8")
        assert '<h2 id="sanctions">' in rules and 'href="../articles/start/hello/#appeal"' in rules
    vi = (out / "vi/articles/start/hello/index.html").read_text(encoding="utf-8")
    assert '<a href="#sanctions">Các hình thức xử phạt</a>' in vi
    # an untranslated page links to the translated headings of each language
    fr_faq = (out / "fr/faq/where/index.html").read_text(encoding="utf-8")
    assert 'href="../../rules/#sanctions"' in fr_faq
    search = json.loads((out / "assets/search/vi.json").read_text(encoding="utf-8"))
    assert "{#" not in json.dumps(search, ensure_ascii=False)


def test_search_headings_and_the_toc_use_the_custom_id() -> None:
    loaded = load_site(BuildOptions(SITE / "config.yaml"))
    assert not loaded.diagnostics.failed()
    page = next(p for p in loaded.site.in_language("fr", "article") if p.title == "Bonjour")
    assert [(h.id, h.text) for h in page.toc] == [
        ("sanctions", "Les sanctions"),
        ("appeal", "Faire appel"),
    ]
    [doc] = [d for d in documents(loaded.site, "fr", False) if d.url == page.url]
    assert doc.headings == "Les sanctions Faire appel"
    assert "{#" not in doc.text


def test_check_resolves_links_by_custom_id_not_by_the_heading_text(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    assert run_kbgen("check", cwd=root).returncode == 0
    # the heading's text no longer gives its id: a link to the slug of the text is broken
    _edit(
        root / HELLO.format("fr"), "(moderators.md#contact-them)", "(moderators.md#les-contacter)"
    )
    result = run_kbgen("check", cwd=root)
    assert_clean_failure(result)
    assert (
        "content/fr/articles/start/hello.md:13: error: broken link: 'moderators.md#les-contacter'"
        in result.stderr
    )


def test_a_duplicate_custom_id_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / HELLO.format("fr"), "## Faire appel {#appeal}", "## Faire appel {#sanctions}")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=root)
    assert_clean_failure(result)
    assert (
        "content/fr/articles/start/hello.md:11: error: the id '#sanctions' is used twice on "
        "this page (line 7)" in result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_a_custom_id_taken_by_a_rule_number_is_an_error(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "content/en/rules.md", "{#sanctions}", "{#1}")
    result = run_kbgen("check", cwd=root)
    assert_clean_failure(result)
    assert "content/en/rules.md:7: error: the id '#1' is used twice on this page" in result.stderr


def test_an_invalid_id_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / HELLO.format("vi"), "{#appeal}", "{#kháng nghị}")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=root)
    assert_clean_failure(result)
    assert (
        "content/vi/articles/start/hello.md:11: error: invalid heading id '{#kháng nghị}': "
        "use letters, digits, '-' and '_' only" in result.stderr
    )


def test_new_translation_keeps_the_ids(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shutil.rmtree(root / "content/vi")
    result = run_kbgen("new", "translation", HELLO.format("en"), "--to", "vi", cwd=root)
    assert result.returncode == 0, result.stderr
    text = (root / HELLO.format("vi")).read_text(encoding="utf-8")
    assert "## Sanctions {#sanctions}\n" in text and "## How to appeal {#appeal}\n" in text


def test_status_warns_of_a_linked_id_a_translation_lacks(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "content/vi/rules.md", " {#sanctions}", "")
    _edit(root / "content/vi/articles/start/moderators.md", " {#contact-them}", "")
    result = run_kbgen("status", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (
        "vi: warning: content/vi/rules.md has no heading with the id {#sanctions}, which "
        "content/en/rules.md has and content/en/articles/start/hello.md:5 links to; add "
        "{#sanctions} to the heading that translates it" in result.stdout
    )
    assert "content/vi/articles/start/moderators.md has no heading with the id {#contact-them}" in (
        result.stdout
    )
    assert "fr: warning" not in result.stdout
    data = json.loads(run_kbgen("status", "--json", cwd=root).stdout)
    assert data["languages"]["vi"]["missing_ids"][0] == {
        "file": "content/vi/rules.md",
        "id": "sanctions",
        "original": "content/en/rules.md",
        "linked_from": "content/en/articles/start/hello.md",
        "line": 5,
    }
    assert len(data["languages"]["vi"]["missing_ids"]) == 2
    assert data["languages"]["fr"]["missing_ids"] == []
    failing = run_kbgen("status", "--fail-on", "ids", cwd=root)
    assert failing.returncode == 1 and "found ids" in failing.stderr


def test_status_ignores_an_id_nobody_links_to(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(
        root / "content/en/rules.md",
        "## Sanctions {#sanctions}",
        "## Sanctions {#sanctions}\n\n## Unlinked {#unlinked}",
    )
    data = json.loads(run_kbgen("status", "--json", cwd=root).stdout)
    assert all(entry["missing_ids"] == [] for entry in data["languages"].values())
