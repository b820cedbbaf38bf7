"""Forum discussions in the built HTML: which pages have one, the settings' checks, the
Content-Security-Policy line. What happens in a browser is in test_comments_browser.py."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.comments_sites import (
    ARTICLE,
    ARTICLE_SOURCE,
    BASE,
    DISCOURSE,
    FAQ_FR,
    FORUM,
    GISCUS,
    LINK,
    build_site,
    page_html,
    set_front_matter,
    write_sources,
)
from tests.helpers import assert_clean_failure, run_kbgen, tags

BLOCK = '<section class="discussion"'


def _embed(html: str) -> dict[str, str | None]:
    found = [a for t, a in tags(html) if "discussion-embed" in (a.get("class") or "")]
    assert len(found) == 1
    return found[0]


def test_default_types_articles_faq_and_rules_but_not_replies(tmp_path: Path) -> None:
    result = build_site(write_sources(tmp_path / "kb", DISCOURSE))
    for url in (ARTICLE["fr"], ARTICLE["vi"], FAQ_FR, "fr/rules/", "vi/rules/"):
        assert page_html(result, url).count(BLOCK) == 1, url
    for url in ("fr/replies/", "fr/", "fr/faq/", "fr/articles/community-management/"):
        assert BLOCK not in page_html(result, url), url


def test_comments_false_and_the_type_switch_remove_the_block(tmp_path: Path) -> None:
    root = write_sources(
        tmp_path / "kb", DISCOURSE + "  types: {faq: false, rules: false, replies: true}\n"
    )
    set_front_matter(root, ARTICLE_SOURCE["fr"], "comments: false")
    # front matter decides for its page, even where its type is switched off
    set_front_matter(root, "content/fr/faq/community-rules/write-rules.md", "comments: true")
    result = build_site(root)
    assert BLOCK not in page_html(result, ARTICLE["fr"])
    assert "discussion.js" not in page_html(result, ARTICLE["fr"])
    assert BLOCK in page_html(result, ARTICLE["vi"])  # its translation keeps its own
    assert BLOCK not in page_html(result, FAQ_FR)
    assert BLOCK not in page_html(result, "fr/rules/")
    assert BLOCK in page_html(result, "fr/replies/")
    entries = [p for p in (result.output / "fr/faq").iterdir() if (p / "index.html").is_file()]
    with_block = [p.name for p in entries if BLOCK in (p / "index.html").read_text()]
    assert with_block == ["faut-il-ecrire-des-regles"]


def test_provider_none_writes_no_block(tmp_path: Path) -> None:
    result = build_site(write_sources(tmp_path / "kb", "comments: {provider: none}\n"))
    assert BLOCK not in page_html(result, ARTICLE["fr"])
    assert result.notes == []


def test_discourse_block_before_consent(tmp_path: Path) -> None:
    result = build_site(write_sources(tmp_path / "kb", DISCOURSE))
    html = page_html(result, ARTICLE["fr"])
    embed = _embed(html)
    assert embed["data-embed-src"] == "https://forum.example.com/javascripts/embed.js"
    assert embed["data-global-discourse-embed-url"] == BASE + ARTICLE["fr"]
    # nothing in the page itself loads from the forum
    for tag, attrs in tags(html):
        if tag in ("script", "iframe", "img", "link"):
            assert "forum.example.com" not in (attrs.get("src") or attrs.get("href") or "")
    assert "Lisez les règles de la communauté avant de publier" in html
    assert 'href="../../../rules/"' in html
    assert "La discussion est hébergée sur forum.example.com." in html
    vi = page_html(result, ARTICLE["vi"])
    assert "Hãy đọc quy tắc cộng đồng trước khi đăng bài" in vi
    assert "Cuộc thảo luận được lưu trữ trên forum.example.com." in vi


def test_csp_origins_and_discourse_categories_are_printed(tmp_path: Path) -> None:
    root = write_sources(tmp_path / "kb", DISCOURSE)
    result = run_kbgen("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (
        "kbgen: comments via discourse need Content-Security-Policy: "
        "script-src https://forum.example.com; frame-src https://forum.example.com\n"
    ) in result.stdout
    assert "path /fr/.* -> category 12; path /vi/.* -> category 13" in result.stdout


def test_giscus_prints_its_origins(tmp_path: Path) -> None:
    result = build_site(write_sources(tmp_path / "kb", GISCUS))
    assert result.notes == [
        "comments via giscus need Content-Security-Policy: script-src https://giscus.app; "
        "style-src https://giscus.app; frame-src https://giscus.app"
    ]


def test_link_mode_has_no_script_and_encodes_title_and_url(tmp_path: Path) -> None:
    result = build_site(write_sources(tmp_path / "kb", LINK))
    assert result.notes == []
    html = page_html(result, FAQ_FR)
    assert "discussion.js" not in html and "discussion-embed" not in html
    links = [a["href"] for t, a in tags(html) if t == "a" and "new-topic" in (a.get("href") or "")]
    assert len(links) == 1
    query = parse_qs(urlsplit(str(links[0])).query)
    assert query == {
        "title": ["Comment répondre à une discussion sur un changement de prix ?"],
        "url": [BASE + FAQ_FR],
    }
    assert "title=Comment%20r%C3%A9pondre%20%C3%A0%20une%20discussion" in str(links[0])


def test_the_example_site_links_to_its_placeholder_forum(example_site: Path) -> None:
    html = (example_site / ARTICLE["en"] / "index.html").read_text(encoding="utf-8")
    assert "Discuss this in the forum" in html
    assert "discussion.js" not in html  # link mode needs no loader


def test_giscus_topic_number_and_pathname_mapping(tmp_path: Path) -> None:
    root = write_sources(tmp_path / "kb", GISCUS.replace("mapping: url", "mapping: pathname"))
    set_front_matter(
        root, ARTICLE_SOURCE["fr"], "discussion: https://github.com/org/kb/discussions/7"
    )
    result = build_site(root)
    fr = _embed(page_html(result, ARTICLE["fr"]))
    assert (fr["data-script-data-mapping"], fr["data-script-data-term"]) == ("number", "7")
    vi = _embed(page_html(result, ARTICLE["vi"]))
    assert (vi["data-script-data-mapping"], vi["data-script-data-term"]) == (
        "specific",
        ARTICLE["vi"],
    )
    assert vi["data-script-data-lang"] == "vi"


CONFIG_HEAD = "languages: [fr, vi, en]\nbase_url: https://kb.example.com/\n"


@pytest.mark.parametrize(
    ("comments", "expected"),
    [
        (
            "comments:\n  provider: discourse\n  discourse:\n    category: 3\n",
            "config.yaml:5: error: 'comments.discourse.url': is required for provider discourse",
        ),
        (
            "comments:\n  provider: discourse\n",
            "config.yaml:4: error: 'comments.discourse.url': is required",
        ),
        (
            "comments:\n  provider: disqus\n",
            "config.yaml:4: error: 'comments.provider': unknown provider 'disqus' "
            "(use discourse | giscus | link | none)",
        ),
        (
            "comments:\n  provider: discourse\n  discourse:\n    url: http://forum.example.com\n",
            "config.yaml:6: error: 'comments.discourse.url': must be an https:// URL",
        ),
        (
            "comments:\n  provider: link\n  link: {url: 'ftp://forum.example.com/?t={title}'}\n",
            "config.yaml:5: error: 'comments.link.url': must be an https:// URL",
        ),
        (
            "comments:\n  provider: link\n  link:\n    url: https://f.example.com/?t={titel}\n",
            "config.yaml:6: error: 'comments.link.url': unknown placeholder {titel}",
        ),
        (
            "comments:\n  provider: giscus\n  giscus:\n    repo: org/kb\n    category: Q\n"
            "    category_id: D\n",
            "config.yaml:5: error: 'comments.giscus.repo_id': is required for provider giscus",
        ),
        (
            "comments:\n  provider: giscus\n  giscus:\n    repo: not a repo\n    repo_id: R\n"
            "    category: Q\n    category_id: D\n    mapping: hash\n",
            "config.yaml:10: error: 'comments.giscus.mapping': must be one of url, pathname",
        ),
        (
            "comments:\n  provider: discourse\n  threads: both\n  discourse: {url: "
            "'https://f.example.com'}\n",
            "config.yaml:5: error: 'comments.threads': must be per-language or shared",
        ),
        (
            "comments:\n  provider: discourse\n  discourse: {url: 'https://f.example.com'}\n"
            "  types: {article: yes please, reply: false}\n",
            "config.yaml:6: error: 'comments.types.reply': unknown key (known keys: article, "
            "faq, replies, rules)",
        ),
        (
            "comments:\n  provider: discourse\n  discourse:\n    url: https://f.example.com\n"
            "    category: {de: 4}\n",
            "config.yaml:7: error: 'comments.discourse.category': names language 'de'",
        ),
        (
            "comments:\n  provider: discourse\n  consent: maybe\n  discourse: {url: "
            "'https://f.example.com'}\n",
            "config.yaml:5: error: 'comments.consent': must be true or false",
        ),
    ],
)
def test_bad_comment_settings_fail_naming_the_key(
    example_copy: Path, tmp_path: Path, comments: str, expected: str
) -> None:
    (example_copy / "config.yaml").write_text(CONFIG_HEAD + comments, encoding="utf-8")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert expected in result.stderr
    assert not (tmp_path / "out").exists()


def test_every_settings_problem_is_reported_at_once(example_copy: Path, tmp_path: Path) -> None:
    (example_copy / "config.yaml").write_text(
        CONFIG_HEAD + "comments:\n  provider: giscus\n  threads: all\n  giscus:\n    repo: x\n"
        "    colour: red\n  types: {article: 1}\n",
        encoding="utf-8",
    )
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    for expected in (
        ":5: error: 'comments.threads'",
        ":7: error: 'comments.giscus.repo': must name a GitHub repository",
        ":8: error: 'comments.giscus.colour': unknown key",
        ":6: error: 'comments.giscus.repo_id': is required",
        ":9: error: 'comments.types.article': must be true or false",
    ):
        assert expected in result.stderr


def test_comments_need_a_full_base_url(example_copy: Path, tmp_path: Path) -> None:
    (example_copy / "config.yaml").write_text(
        "languages: [fr, vi, en]\nbase_url: /\ncomments:\n  provider: link\n"
        "  link: {url: 'https://f.example.com/new?u={url}'}\n",
        encoding="utf-8",
    )
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert "config.yaml:4: error: 'comments.provider': comments via link key each thread" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("comments", "discussion", "expected"),
    [
        (DISCOURSE, "https://other.example.com/t/x/5", "is not a topic of the forum"),
        (DISCOURSE, "javascript:alert(1)", "must be a topic id (42) or a topic URL"),
        (GISCUS, "https://github.com/other/repo/discussions/3", "must be a discussion number"),
        (LINK, "12", "must be the https:// URL of the thread (or set comments.link.topic_url"),
    ],
)
def test_bad_discussion_in_front_matter_names_file_and_line(
    tmp_path: Path, comments: str, discussion: str, expected: str
) -> None:
    root = write_sources(tmp_path / "kb", comments)
    set_front_matter(root, ARTICLE_SOURCE["fr"], f"discussion: '{discussion}'")
    result = run_kbgen("build", cwd=root)
    assert_clean_failure(result)
    assert re.search(
        r"representatives-role\.md:2: error: 'discussion': .*" + re.escape(expected), result.stderr
    ), result.stderr
    assert "build failed: 1 error(s)" in result.stderr  # not once per fallback page


def test_link_topic_url_pattern(tmp_path: Path) -> None:
    root = write_sources(
        tmp_path / "kb", LINK + "    topic_url: https://forum.example.com/t/{id}\n"
    )
    set_front_matter(root, ARTICLE_SOURCE["fr"], "discussion: 12")
    html = page_html(build_site(root), ARTICLE["fr"])
    assert '<a href="https://forum.example.com/t/12" rel="nofollow">' in html


@pytest.mark.parametrize(
    ("comments", "home"),
    [
        (DISCOURSE, FORUM),
        (GISCUS, "https://github.com/org/kb/discussions"),
        (LINK, FORUM),
        ("comments: {provider: none}\n", None),
    ],
)
def test_the_search_page_sends_readers_without_an_answer_to_the_forum(
    tmp_path: Path, comments: str, home: str | None
) -> None:
    result = build_site(write_sources(tmp_path / "kb", comments))
    html = page_html(result, "fr/search/")
    empty = html.split('id="search-empty"', 1)[1].split("</div>", 1)[0]
    links = [a.get("href") for t, a in tags(empty) if t == "a"]
    assert links[:2] == ["../faq/", "../rules/"]
    if home is None:
        assert len(links) == 2
    else:
        assert links[2:] == [home]
        assert "Poser la question à la communauté sur le forum" in empty
