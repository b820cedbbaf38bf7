"""Related articles, tag pages, and search over descriptions, in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.helpers import serve

pytestmark = pytest.mark.browser

ROLE = "fr/articles/community-management/role-des-representants/"
RULES = "fr/articles/community-management/rediger-des-regles/"


@pytest.fixture(scope="module")
def site_url(example_site: Path) -> Iterator[str]:
    with serve(example_site) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    yield page
    context.close()


def test_a_related_article_is_one_click_away(page: Any, site_url: str) -> None:
    page.goto(site_url + ROLE)
    related = page.get_by_role("navigation", name="Articles liés")
    assert related.get_by_role("heading").inner_text() == "Articles liés"
    link = related.get_by_role("link", name="Rédiger des règles pour les utilisateurs")
    link.click()
    page.wait_for_url(site_url + RULES)
    assert page.locator("h1").inner_text().startswith("Rédiger des règles")
    assert page.problems == []


def test_a_tag_leads_to_the_pages_it_marks_and_to_every_tag(page: Any, site_url: str) -> None:
    page.goto(site_url + ROLE)
    page.locator(".tags").get_by_role("link", name="modération").click()
    page.wait_for_url("**/fr/tags/**")
    assert unquote(page.url) == site_url + "fr/tags/modération/"
    assert page.locator("h1").inner_text() == "modération"
    listed = page.locator("main .article-list a")
    assert listed.all_inner_texts() == [
        "Le rôle de vos représentants dans la base de connaissances",
        "Rédiger des règles pour les utilisateurs de la base de connaissances",
    ]
    page.locator(".breadcrumbs").get_by_role("link", name="Étiquettes").click()
    page.wait_for_url(site_url + "fr/tags/")
    tags = page.locator("main .tag-list a").all_inner_texts()
    assert "modération" in tags and "libre-service" in tags
    page.locator("main .tag-list").get_by_role("link", name="libre-service").click()
    page.locator("main .article-list").get_by_role("link", name="Pourquoi proposer").click()
    page.wait_for_url("**/fr/articles/self-service/pourquoi-le-libre-service/")
    assert page.problems == []


def test_search_finds_a_word_only_in_a_description(page: Any, site_url: str) -> None:
    page.goto(site_url + RULES)
    box = page.locator("header #search-input")
    box.click()
    # in the description of an FAQ entry only
    box.press_sequentially("rappelant", delay=20)
    first = page.locator("#search-suggestions [role=option]").first
    first.wait_for()
    assert (
        first.locator(".search-result-title")
        .inner_text()
        .startswith("Comment un représentant doit-il clore un fil")
    )
    assert page.problems == []
