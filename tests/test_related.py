"""Related articles (related.py, `related:` in front matter), tag pages and the search words
of descriptions and tags."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

import kbgen.related
from kbgen.build import BuildOptions, build
from kbgen.incremental import LiveSite
from kbgen.search.query import SearchFile
from tests.helpers import assert_clean_failure, checksums, edit_file, run_kbgen

FR = "content/fr/articles"
ROLE = f"{FR}/community-management/representatives-role.md"
RULES = f"{FR}/community-management/writing-rules.md"
WHY = f"{FR}/self-service/why-self-service.md"
ROLE_PAGE = "fr/articles/community-management/role-des-representants/index.html"
RULES_PAGE = "fr/articles/community-management/rediger-des-regles/index.html"
WHY_PAGE = "fr/articles/self-service/pourquoi-le-libre-service/index.html"


def _related(site: Path, page: str) -> list[str]:
    """The links of a page's related articles block, as written."""
    html = (site / page).read_text(encoding="utf-8")
    block = re.search(r'<nav class="related".*?</nav>', html, re.S)
    return re.findall(r'href="([^"]*)"', block.group(0)) if block else []


def _choose(root: Path, path: str, related: str, after: str = "tags: ") -> None:
    """Add `related: …` to the front matter of `path`, on the line after the one starting
    with `after`."""
    file = root / path
    lines = file.read_text(encoding="utf-8").split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith(after))
    lines.insert(at + 1, f"related: {related}")
    file.write_text("\n".join(lines), encoding="utf-8")


def test_articles_of_one_section_sharing_a_tag_are_related(example_site: Path) -> None:
    assert _related(example_site, ROLE_PAGE) == ["../rediger-des-regles/"]
    assert _related(example_site, RULES_PAGE) == ["../role-des-representants/"]
    assert _related(example_site, WHY_PAGE) == []  # nothing scores the threshold
    # each language among its own articles: never a translation
    en = "en/articles/community-management/representatives-role/index.html"
    assert _related(example_site, en) == ["../writing-rules/"]


def test_chosen_articles_come_first(example_copy: Path) -> None:
    _choose(example_copy, ROLE, "[../self-service/why-self-service.md]")
    # a path into another language's folder names that article's translation
    _choose(example_copy, RULES, "['../../../en/articles/self-service/why-self-service.md']")
    site = build(BuildOptions(example_copy / "config.yaml", output=example_copy / "site")).output
    assert _related(site, ROLE_PAGE) == [
        "../../self-service/pourquoi-le-libre-service/",
        "../rediger-des-regles/",
    ]
    assert _related(site, RULES_PAGE)[0] == "../../self-service/pourquoi-le-libre-service/"


def test_a_text_edit_changes_the_related_articles(example_copy: Path) -> None:
    why = example_copy / WHY
    why.write_text(
        why.read_text(encoding="utf-8") + "\nLe rôle de vos représentants : une réponse à "
        "chaque question, une réponse rapide, une réponse juste ; savoir intervenir.\n",
        encoding="utf-8",
    )
    site = build(BuildOptions(example_copy / "config.yaml", output=example_copy / "site")).output
    assert _related(site, WHY_PAGE) == ["../../community-management/role-des-representants/"]


# Words that make the self-service article like the representatives' one (related by text).
ROLE_WORDS = (
    "Le rôle de vos représentants : une réponse à chaque question, une réponse rapide, "
    "une réponse juste ; savoir intervenir."
)


def _role_words_in_text(root: Path) -> None:
    why = root / WHY
    why.write_text(why.read_text(encoding="utf-8") + f"\n{ROLE_WORDS}\n", encoding="utf-8")


def _role_words_in_description(root: Path) -> None:
    edit_file(root / WHY, 'description: "', f'description: "{ROLE_WORDS} ')


def _scoring(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[object]]:
    """From now on, the language of each scoring of related articles (anew or patched) and
    the texts whose words are counted."""
    scored: list[str] = []
    counted: list[object] = []
    real_words = kbgen.related.words

    def recorded(name: str) -> None:
        real = getattr(kbgen.related, name)

        def scoring(articles: list[Any], *args: Any) -> Any:
            scored.append(articles[0].lang)
            return real(articles, *args)

        monkeypatch.setattr(kbgen.related, name, scoring)

    def recorded_words(texts: Any) -> Any:
        counted.append(texts)
        return real_words(texts)

    recorded("_scored")
    recorded("_rescored")
    monkeypatch.setattr(kbgen.related, "words", recorded_words)
    return scored, counted


@pytest.mark.parametrize("edit", [_role_words_in_text, _role_words_in_description])
def test_a_cached_build_scores_again_only_what_an_edit_changed(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch, edit: Any
) -> None:
    options = BuildOptions(example_copy / "config.yaml", output=example_copy / "site")
    build(options)
    edit(example_copy)
    scored, counted = _scoring(monkeypatch)
    build(options)
    # the other languages' articles are as they were: their related articles too; and of
    # the French articles, only the edited one's words are counted again
    assert scored == ["fr"]
    assert len(counted) == 1
    assert _related(example_copy / "site", WHY_PAGE) == [
        "../../community-management/role-des-representants/"
    ]
    monkeypatch.undo()
    build(BuildOptions(example_copy / "config.yaml", output=example_copy / "cold", cache=False))
    assert checksums(example_copy / "site") == checksums(example_copy / "cold")


def test_serve_counts_again_only_the_words_of_an_edited_article(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    _role_words_in_text(example_copy)
    scored, counted = _scoring(monkeypatch)
    outcome = live.update([example_copy / WHY])
    assert outcome.ok and outcome.method == "bodies"
    assert scored == ["fr"]
    assert len(counted) == 1
    assert live.site is not None
    page = next(p for p in live.site.pages if p.url == WHY_PAGE.removesuffix("index.html"))
    assert page.related == ("article:articles/community-management/representatives-role",)


def test_related_can_be_turned_off(example_copy: Path) -> None:
    config = example_copy / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "related:\n  count: 0\n", "utf-8")
    site = build(BuildOptions(config, output=example_copy / "site")).output
    assert _related(site, ROLE_PAGE) == []


@pytest.mark.parametrize(
    ("related", "message"),
    [
        ("[../nowhere.md]", "'related': '../nowhere.md' names no file (content/fr/articles/"),
        ("[../../rules.md]", "is not an article"),
        ("[representatives-role.md]", "is this article itself"),
        ("[../../../../secret.md]", "leads out of the language folders"),
        ("[refunds]", "must be the path of an article's Markdown file"),
        ("3", "must be a list of texts"),
    ],
)
def test_a_wrong_related_path_is_an_error_at_its_line(
    example_copy: Path, tmp_path: Path, related: str, message: str
) -> None:
    _choose(example_copy, ROLE, related)
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert f"{ROLE}:9: error: " in result.stderr
    assert message in result.stderr


def test_a_related_article_of_another_language_must_be_translated(
    example_copy: Path, tmp_path: Path
) -> None:
    (example_copy / "content/en/articles/self-service/only-english.md").write_text(
        '---\ntitle: "Only in English"\n---\n\nText.\n', encoding="utf-8"
    )
    _choose(example_copy, ROLE, "['../../../en/articles/self-service/only-english.md']")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert f"{ROLE}:9: error: 'related': " in result.stderr
    assert "is in 'en' and has no 'fr' translation" in result.stderr


def test_related_config_values_are_checked(example_copy: Path, tmp_path: Path) -> None:
    config = example_copy / "config.yaml"
    lines = len(config.read_text(encoding="utf-8").rstrip("\n").split("\n"))
    config.write_text(
        config.read_text(encoding="utf-8").rstrip("\n")
        + "\nrelated:\n  count: -1\n  weights: {text: many, colour: 3}\n",
        "utf-8",
    )
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert f"config.yaml:{lines + 2}: error: 'related.count': must be a whole number" in (
        result.stderr
    )
    assert f"config.yaml:{lines + 3}: error: 'related.weights.text'" in result.stderr
    assert "'related.weights.colour': unknown key" in result.stderr


def test_a_tag_without_letters_is_an_error_at_its_line(example_copy: Path, tmp_path: Path) -> None:
    edit_file(example_copy / ROLE, 'tags: ["représentants"', 'tags: ["???"')
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert f"{ROLE}:8: error: 'tags': '???': must hold a letter or digit" in result.stderr


def test_each_tag_has_a_page_per_language(example_site: Path) -> None:
    tag = example_site / "fr/tags/modération/index.html"
    html = tag.read_text(encoding="utf-8")
    assert "../../articles/community-management/role-des-representants/" in html
    assert "../../articles/community-management/rediger-des-regles/" in html
    assert "pourquoi-le-libre-service" not in html
    assert (example_site / "vi/tags/tự-phục-vụ/index.html").is_file()
    index = (example_site / "fr/tags/index.html").read_text(encoding="utf-8")
    assert 'href="mod%C3%A9ration/"' in index
    role = (example_site / ROLE_PAGE).read_text(encoding="utf-8")
    assert 'href="../../../tags/mod%C3%A9ration/" rel="tag"' in role
    sitemap = (example_site / "sitemap.xml").read_text(encoding="utf-8")
    assert "/fr/tags/mod%C3%A9ration/</loc>" in sitemap


def test_a_word_only_in_a_description_or_a_tag_is_found(example_copy: Path) -> None:
    edit_file(example_copy / WHY, 'tags: ["libre-service"', 'tags: ["autonomie", "libre-service"')
    site = build(BuildOptions(example_copy / "config.yaml", output=example_copy / "site")).output
    search = SearchFile.load((site / "assets/search/fr.json").read_bytes())
    # in the description of an FAQ entry only
    assert search.search("rappelant") == ["fr/faq/clore-une-dispute/"]
    assert search.search("autonomie") == ["fr/articles/self-service/pourquoi-le-libre-service/"]


def test_an_untranslated_article_lists_its_originals_related_articles(example_copy: Path) -> None:
    (example_copy / "content/vi/articles/community-management/writing-rules.md").unlink()
    site = build(BuildOptions(example_copy / "config.yaml", output=example_copy / "site")).output
    # shown in French at the vi URL: its original's related articles, translated ones only
    shown = "vi/articles/community-management/rediger-des-regles/index.html"
    assert _related(site, shown) == ["../vai-tro-cua-dai-dien/"]
    # and an article is never related to a page in another language
    role = "vi/articles/community-management/vai-tro-cua-dai-dien/index.html"
    assert _related(site, role) == []


def test_serve_shows_a_text_edit_before_it_scores_related_articles_again(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text edit is served first (scoring a language's articles takes a second on a large
    site); its language's related articles come right after, as a cold build has them."""
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    _role_words_in_text(example_copy)
    scored, _ = _scoring(monkeypatch)
    seen: list[tuple[list[str], bytes]] = []

    def shown(_: object) -> None:
        seen.append((list(scored), live.files[WHY_PAGE]))

    outcome = live.update([example_copy / WHY], shown)
    assert outcome.ok and outcome.method == "bodies"
    assert len(seen) == 1, "the edit was not shown on its own"
    scored_then, page = seen[0]
    assert scored_then == [] and b"savoir intervenir" in page
    assert b'<nav class="related"' not in page  # its related articles: not scored yet
    assert scored == ["fr"] and outcome.related is not None and outcome.related.ok
    assert WHY_PAGE in outcome.related.changed
    options = BuildOptions(example_copy / "config.yaml", output=example_copy / "cold")
    cold = checksums(build(options).output)
    served = {p: hashlib.sha256(data).hexdigest() for p, data in live.files.items()}
    pages = [p for p in cold if p.endswith(".html")]
    assert {p: served.get(p) for p in pages} == {p: cold[p] for p in pages}
