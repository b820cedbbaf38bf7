"""search.engine: pagefind in headless Chromium: the same search box, search page, ?q= URLs
and filters as the lunr engine (test_search_browser.py), from the site's own origin."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from kbgen.build import BuildOptions, build
from tests.helpers import REPO, generated_corpus, serve
from tests.search_browser import watched_page

pytestmark = pytest.mark.browser

# The strict policy of test_search_browser.py, plus what Pagefind's WebAssembly needs.
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; object-src 'none'"
)


@pytest.fixture(scope="module")
def pagefind_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pagefind-kb")
    shutil.copytree(REPO / "content", root / "content")
    config = (REPO / "config.yaml").read_text(encoding="utf-8")
    (root / "config.yaml").write_text(config + "\nsearch:\n  engine: pagefind\n", "utf-8")
    return build(BuildOptions(root / "config.yaml", output=root / "site")).output


@pytest.fixture(scope="module")
def base(pagefind_site: Path) -> Iterator[str]:
    with serve(pagefind_site, csp=CSP) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = watched_page(browser, console_load_errors=True)
    yield page
    page.close()


def test_header_box_finds_an_accented_title_typed_without_accents(page: Any, base: str) -> None:
    page.goto(f"{base}fr/articles/self-service/pourquoi-le-libre-service/")
    page.wait_for_load_state("load")
    assert not any("/assets/search/" in url for url in page.requested)  # lazy
    box = page.locator("header #search-input")
    box.click()
    box.press_sequentially("regles communaute", delay=20)
    options = page.locator("#search-suggestions [role=option]")
    options.first.wait_for()
    first = options.first
    assert "Règles de la communauté" in first.locator(".search-result-title").inner_text()
    assert first.locator("mark").count() >= 1  # the matched words, highlighted
    assert any("/assets/search/pagefind-fr/" in url for url in page.requested)
    assert not any("/assets/search/pagefind-en/" in url for url in page.requested)
    assert first.locator("a").get_attribute("href") == "../../../../fr/rules/"
    box.press("ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.endswith("/fr/rules/")
    assert page.problems == []


def test_vietnamese_without_tone_marks(page: Any, base: str) -> None:
    page.goto(f"{base}vi/")
    box = page.locator("#search-input")
    box.fill("co so tri thuc")
    page.locator("#search-suggestions [role=option]").first.wait_for()
    titles = page.locator("#search-suggestions .search-result-title").all_inner_texts()
    assert titles
    box.press("Escape")
    assert page.locator("#search-suggestions").is_hidden()
    assert page.problems == []


def test_search_page_answers_the_query_in_its_url_and_filters_by_kind(page: Any, base: str) -> None:
    page.goto(f"{base}fr/search/?q={quote('modeles de reponse')}")
    links = page.locator("#search-results a")
    links.first.wait_for()
    assert links.first.get_attribute("href") == "../../fr/faq/modeles-de-reponse/"
    assert page.input_value("#search-page-input") == "modeles de reponse"
    chips = page.locator("#search-filters button")
    assert chips.count() >= 3  # All, and at least two kinds
    total = page.locator("#search-results li").count()
    faq = chips.filter(has_text="FAQ")
    faq.click()
    # (no wait_for_function: the page's policy forbids evaluating a string as script)
    page.locator("#search-results li:not(.search-result-faq)").first.wait_for(state="detached")
    assert page.locator("#search-results li").count() < total
    kinds = page.eval_on_selector_all("#search-results li", "items => items.map(i => i.className)")
    assert kinds and all("search-result-faq" in k for k in kinds)
    assert faq.get_attribute("aria-pressed") == "true"
    with page.expect_navigation():
        links.first.click()
    assert page.url.endswith("/fr/faq/modeles-de-reponse/")
    assert page.problems == []


def test_a_query_without_results_and_no_request_leaves_the_site(page: Any, base: str) -> None:
    page.goto(f"{base}en/search/?q=xyzzy")
    page.locator("#search-empty").wait_for()
    assert page.locator("#search-results a").count() == 0
    page.goto(f"{base}en/search/?q=rules")
    page.locator("#search-results a").first.wait_for()
    assert page.requested and all(url.startswith(base) for url in page.requested)
    assert page.problems == []


def test_more_results_beyond_the_first_page(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The search page shows Pagefind's results 50 at a time: "More results" adds the next
    ones and moves the focus to the first of them."""
    root = generated_corpus(tmp_path_factory.mktemp("pagefind-more") / "kb", 60)
    config = root / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "search:\n  engine: pagefind\n")
    site = build(BuildOptions(config, output=root / "site")).output
    with serve(site, csp=CSP) as base:
        page = browser.new_page()
        try:
            page.goto(f"{base}en/search/?q=the")
            more = page.locator("#search-results button.search-more")
            more.wait_for()
            assert more.inner_text() == "More results"
            assert page.locator("#search-results li").count() == 50
            more.click()
            page.locator("#search-results li").nth(50).wait_for()
            focused = page.evaluate(
                "document.activeElement.closest('li') === "
                "document.querySelectorAll('#search-results li')[50]"
            )
            assert focused
        finally:
            page.close()


def test_vietnamese_d_without_its_stroke(page: Any, base: str) -> None:
    """Pagefind folds accents and tone marks but not "đ": "dai dien" still finds "đại diện",
    and the snippet shows the text as written, not the folded words indexed after it."""
    page.goto(f"{base}vi/search/?q={quote('dai dien')}")
    links = page.locator("#search-results a")
    links.first.wait_for()
    snippets = page.locator("#search-results .search-result-snippet").all_inner_texts()
    marked = page.locator("#search-results mark").all_inner_texts()
    assert any("đại" in m.lower() for m in marked), marked
    assert not any("dai dien" in s.lower() for s in snippets)
    assert page.problems == []


def test_stop_words_are_left_out_of_a_long_query_as_the_lunr_engine_does(
    page: Any, base: str
) -> None:
    """The word `with` is on other pages but not on this one: Pagefind, asked for every word,
    would not find it; the lunr engine leaves such words out, and so does kbgen's query of
    three other words or more (a shorter one keeps them, to tell titles apart)."""
    page.goto(f"{base}en/search/?q={quote('close quarrel thread with')}")
    links = page.locator("#search-results a")
    links.first.wait_for()
    assert links.first.get_attribute("href") == "../../en/faq/close-quarrel-thread/"
    page.goto(f"{base}en/search/?q={quote('the with')}")  # stop words only: asked as typed
    page.locator("#search-results a").first.wait_for()
    assert page.problems == []


# Three queries from one search box while the bundle loads, then one from the search page.
ASK_QUICKLY = """
async () => {
  const form = document.querySelector("form.search-box");
  const engine = window.kbgenPagefind.start(form);
  const answered = [];
  const done = new Promise((resolve) => {
    engine.addEventListener("message", (event) => {
      answered.push([event.data.id, event.data.q]);
      if (event.data.id === 4) resolve();
    });
  });
  engine.postMessage({ type: "search", id: 1, q: "ru", from: 1 });
  engine.postMessage({ type: "search", id: 2, q: "rul", from: 1 });
  engine.postMessage({ type: "search", id: 3, q: "rules", from: 1 });
  engine.postMessage({ type: "search", id: 4, q: "rules", from: 2 });
  await done;
  return answered;
}
"""


def test_a_query_typed_while_another_runs_replaces_the_one_waiting(page: Any, base: str) -> None:
    """Pagefind answers one search at a time: of a box's queries waiting behind the one it
    runs, only the newest is asked (each letter typed asks), not every one in turn."""
    page.goto(f"{base}en/")
    answered = page.evaluate(ASK_QUICKLY)
    assert answered == [[1, "ru"], [3, "rules"], [4, "rules"]]
    assert page.problems == []
