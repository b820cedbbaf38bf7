"""The search UI in headless Chromium, served with a strict Content-Security-Policy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.helpers import serve
from tests.search_browser import watched_page

pytestmark = pytest.mark.browser

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'"
XSS = "<img src=x onerror=window.__xss=1>"


@pytest.fixture(scope="module")
def base(example_site: Path) -> Iterator[str]:
    with serve(example_site, csp=CSP) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = watched_page(browser)
    yield page
    page.close()


def test_header_box_on_a_french_page_opens_a_result_by_keyboard(page: Any, base: str) -> None:
    page.goto(f"{base}fr/articles/self-service/pourquoi-le-libre-service/")
    page.wait_for_load_state("load")
    # Lazy: nothing of the index is fetched before the box is used.
    assert not any("/assets/search/" in url for url in page.requested)
    box = page.locator("header #search-input")
    box.click()
    box.press_sequentially("regles communaute", delay=20)
    options = page.locator("#search-suggestions [role=option]")
    options.first.wait_for()
    assert page.get_attribute("#search-input", "aria-expanded") == "true"
    first = options.first
    assert "Règles de la communauté" in first.locator(".search-result-title").inner_text()
    assert first.locator("mark").count() >= 1  # the matched words, highlighted
    assert any("/assets/search/fr." in url for url in page.requested)
    box.press("ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    assert page.get_attribute("#search-input", "aria-activedescendant") == first.get_attribute("id")
    box.press("ArrowDown")
    box.press("ArrowUp")
    assert first.get_attribute("aria-selected") == "true"
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.endswith("/fr/rules/")
    assert page.problems == []


def test_escape_closes_the_suggestions(page: Any, base: str) -> None:
    page.goto(f"{base}vi/")
    box = page.locator("#search-input")
    box.fill("co so tri thuc")
    page.locator("#search-suggestions [role=option]").first.wait_for()
    box.press("Escape")
    assert page.locator("#search-suggestions").is_hidden()
    assert page.get_attribute("#search-input", "aria-expanded") == "false"
    box.fill("c")  # under two characters: no suggestions
    assert page.locator("#search-suggestions").is_hidden()


def test_search_page_answers_the_query_in_its_url(page: Any, base: str) -> None:
    page.goto(f"{base}fr/search/?q={quote('modeles de reponse')}")
    links = page.locator("#search-results a")
    links.first.wait_for()
    assert links.first.get_attribute("href") == "../../fr/faq/modeles-de-reponse/"
    assert page.input_value("#search-page-input") == "modeles de reponse"
    assert page.locator("#search-empty").is_hidden()
    with page.expect_navigation():
        links.first.click()
    assert page.url.endswith("/fr/faq/modeles-de-reponse/")
    assert page.problems == []


def test_results_of_a_query_are_marked_noindex_and_the_bare_page_is_not(
    page: Any, base: str
) -> None:
    robots = "Array.from(document.querySelectorAll('meta[name=robots]'), m => m.content)"
    page.goto(f"{base}en/search/")
    page.wait_for_load_state("load")
    assert page.evaluate(robots) == []
    page.goto(f"{base}en/search/?q=rules")
    page.wait_for_selector("#search-results li")
    assert page.evaluate(robots) == ["noindex"]


def test_search_page_without_result_points_to_the_faq_rules_and_forum(page: Any, base: str) -> None:
    page.goto(f"{base}en/search/?q=xyzzy")
    empty = page.locator("#search-empty")
    empty.wait_for()
    assert "xyzzy" in empty.locator(".search-empty-message").inner_text()
    hrefs = [a.get_attribute("href") for a in empty.locator("a").all()]
    # the example's comments go to forum.example.com, so readers are sent there last
    assert hrefs == ["../faq/", "../rules/", "https://forum.example.com/"]
    assert page.locator("#search-results a").count() == 0


def test_a_query_with_markup_is_shown_as_text(page: Any, base: str) -> None:
    page.goto(f"{base}fr/search/?q={quote(XSS)}")
    message = page.locator("#search-empty .search-empty-message")
    message.wait_for()
    assert XSS in message.inner_text()
    box = page.locator("#search-input")
    box.fill(XSS)
    page.locator("#search-suggestions li").first.wait_for()
    assert XSS in page.locator("#search-suggestions").inner_text()
    assert page.locator("main img, header img").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.problems == []


def test_no_request_leaves_the_site(page: Any, base: str) -> None:
    page.goto(f"{base}en/search/?q=rules")
    page.locator("#search-results a").first.wait_for()
    assert page.requested and all(url.startswith(base) for url in page.requested)


def test_snippets_come_from_small_files_and_mark_only_the_words(page: Any, base: str) -> None:
    # "Có." opens the answer: the mark holds "Có", not its full stop; a line break of the
    # text shows as a separator, not as words running together
    page.goto(f"{base}vi/search/?q={quote('có quy tắc')}")
    results = page.locator("#search-results li")
    results.first.wait_for()
    marked = page.locator("#search-results mark")
    marked.first.wait_for()
    texts = marked.all_inner_texts()
    assert "Có" in texts
    assert all(re.fullmatch(r"\w+", text) for text in texts), texts
    # the index came without the pages' texts; they came in files for the results shown
    snippet_files = [u for u in page.requested if re.search(r"/assets/search/vi/\d+\.json$", u)]
    assert snippet_files
    index = page.evaluate("fetch('../../assets/search/vi.json').then(r => r.text())")
    assert "Việc ghi ra những quy tắc" not in index
    assert page.problems == []


def test_suggestions_show_snippets_and_a_heading_does_not_run_into_its_text(
    page: Any, base: str
) -> None:
    page.goto(f"{base}en/")
    box = page.locator("#search-input")
    box.fill("self-service")
    snippet = page.locator("#search-suggestions .search-result-snippet mark").first
    snippet.wait_for()
    texts = page.locator("#search-suggestions .search-result-snippet").all_inner_texts()
    assert any(" · " in text for text in texts), texts
    assert page.problems == []
