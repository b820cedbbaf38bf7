"""The default theme's behaviours in headless Chromium: sidebar, sticky table of contents,
phone menu, FAQ accordion and deep links, dark mode, search dropdown, copy links, favicon."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.helpers import serve

pytestmark = pytest.mark.browser

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'"
FR_ARTICLE = "fr/articles/community-management/role-des-representants/"
EN_ARTICLE = "en/articles/community-management/representatives-role/"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site_url(example_site: Path) -> Iterator[str]:
    with serve(example_site, csp=CSP) as url:
        yield url


def _page(browser: Any, viewport: dict[str, int] = DESKTOP, **options: Any) -> Any:
    context = browser.new_context(viewport=viewport, locale="en-US", **options)
    page = context.new_page()
    page.problems = []  # console errors (CSP violations among them), failed requests
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: page.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return page


def test_sidebar_lists_the_section_and_marks_the_current_article(
    browser: Any, site_url: str
) -> None:
    page = _page(browser)
    page.goto(site_url + FR_ARTICLE)
    sidebar = page.locator(".sidebar")
    current = sidebar.locator("a[aria-current=page]")
    assert current.count() == 1
    assert current.is_visible()  # open beside the text on a wide screen
    assert current.inner_text() == page.locator("h1").inner_text()
    other = sidebar.locator("li a:not([aria-current])")
    assert other.count() >= 1
    other.first.click()
    page.wait_for_url("**/rediger-des-regles/")
    assert (
        page.locator(".sidebar a[aria-current=page]").inner_text()
        == page.locator("h1").inner_text()
    )
    assert page.problems == []
    page.context.close()


def test_sidebar_is_behind_a_button_on_a_phone(browser: Any, site_url: str) -> None:
    page = _page(browser, PHONE)
    page.goto(site_url + FR_ARTICLE)
    current = page.locator(".sidebar a[aria-current=page]")
    assert not current.is_visible()
    page.locator(".sidebar summary").click()
    assert current.is_visible()
    page.context.close()


def test_table_of_contents_stays_in_view_and_marks_the_heading_being_read(
    browser: Any, site_url: str
) -> None:
    page = _page(browser)
    page.goto(site_url + EN_ARTICLE)
    toc = page.locator(".article .toc")
    links = toc.locator("a")
    assert links.count() >= 3 and links.last.is_visible()
    last = links.last.get_attribute("href")
    page.locator(last).scroll_into_view_if_needed()
    page.evaluate(f"document.querySelector('{last}').scrollIntoView({{block: 'start'}})")
    marked = toc.locator("a[aria-current=location]")
    marked.wait_for()
    assert marked.count() == 1
    assert marked.get_attribute("href") == last
    box = toc.bounding_box()
    assert box is not None and 0 <= box["y"] < DESKTOP["height"]  # sticky: still on screen
    # back at the top, the first heading is the one marked
    first = links.first.get_attribute("href")
    page.evaluate(f"document.querySelector('{first}').scrollIntoView({{block: 'start'}})")
    page.wait_for_function(
        "h => document.querySelector('.article .toc a[aria-current]')?.getAttribute('href') === h",
        arg=first,
    )
    page.context.close()


def test_phone_menu_opens_and_closes_by_mouse_and_keyboard(browser: Any, site_url: str) -> None:
    page = _page(browser, PHONE)
    page.goto(site_url + EN_ARTICLE)
    assert not page.locator(".site-nav").is_visible()  # the wide screens' navigation
    button = page.locator(".menu summary")
    panel = page.locator(".menu-panel")
    assert button.is_visible() and not panel.is_visible()
    assert button.get_attribute("aria-label") == "Menu"
    button.click()
    assert panel.is_visible()
    assert panel.locator("a", has_text="Community rules").is_visible()
    button.click()
    assert not panel.is_visible()
    button.focus()
    page.keyboard.press("Enter")
    assert panel.is_visible()
    page.keyboard.press("Escape")  # closes, and gives focus back to the button
    assert not panel.is_visible()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Space")
    assert panel.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.menu-panel') !== null")
    page.context.close()


def test_phone_menu_works_without_javascript(browser: Any, site_url: str) -> None:
    page = _page(browser, PHONE, java_script_enabled=False)
    page.goto(site_url + EN_ARTICLE)
    page.locator(".menu summary").click()
    page.locator(".menu-panel a", has_text="Community rules").click()
    page.wait_for_url("**/en/rules/")
    page.context.close()


def test_article_title_and_first_paragraph_fit_the_first_phone_screen(
    browser: Any, site_url: str
) -> None:
    page = _page(browser, PHONE)
    for url in (EN_ARTICLE, FR_ARTICLE):
        page.goto(site_url + url)
        header = page.locator(".site-header").bounding_box()
        assert header is not None and header["height"] <= 64
        paragraph = page.locator(".content p").first.bounding_box()
        assert paragraph is not None and paragraph["y"] + 30 < PHONE["height"]
    page.context.close()


def test_header_is_one_height_in_every_language(browser: Any, site_url: str) -> None:
    page = _page(browser)
    heights = set()
    for url in ("en/", "fr/", "vi/", EN_ARTICLE, FR_ARTICLE, "fr/faq/"):
        page.goto(site_url + url)
        box = page.locator(".site-header").bounding_box()
        assert box is not None
        heights.add(round(box["height"]))
        search = page.locator(".site-header .search-box")
        if search.count():  # the home page has its search box in the hero
            box = search.bounding_box()
            assert box is not None and box["y"] < 40  # on the first row
    assert len(heights) == 1, heights
    page.context.close()


def test_faq_link_to_a_question_opens_it(browser: Any, site_url: str) -> None:
    page = _page(browser)
    page.goto(site_url + "fr/faq/#modeles-de-reponse")
    wanted = page.locator(".faq-details:has(#modeles-de-reponse)")
    assert wanted.get_attribute("open") is not None
    assert wanted.locator(".faq-answer").is_visible()
    assert page.locator(".faq-details[open]").count() == 1
    # a link within the page opens its question too
    page.evaluate("location.hash = '#contenu-des-regles'")
    # a locator, not an expression string: the page's script policy may refuse to evaluate one
    page.locator(".faq-details[open]:has(#contenu-des-regles)").wait_for()
    page.context.close()


def test_faq_link_to_a_question_opens_it_without_javascript(browser: Any, site_url: str) -> None:
    # Chromium opens a <details> holding the target of the URL's fragment
    page = _page(browser, java_script_enabled=False)
    page.goto(site_url + "fr/faq/#modeles-de-reponse")
    item = page.locator(".faq-item:is(#modeles-de-reponse, :has(#modeles-de-reponse))")
    item.locator(".faq-answer").wait_for(state="visible", timeout=5000)
    assert page.locator(".faq-details[open]").count() == 1
    question = item.locator("summary").bounding_box()
    assert question is not None and 0 <= question["y"] < 100  # the question is in view
    page.context.close()


def test_faq_expand_all_opens_every_answer(browser: Any, site_url: str) -> None:
    page = _page(browser)
    page.goto(site_url + "en/faq/")
    answers = page.locator(".faq-details")
    assert page.locator(".faq-details[open]").count() == 0
    page.locator(".faq-toggle-all").click()
    assert page.locator(".faq-details[open]").count() == answers.count()
    assert page.locator(".faq-toggle-all").inner_text() == "Collapse all"
    page.locator(".faq-toggle-all").click()
    assert page.locator(".faq-details[open]").count() == 0
    page.context.close()


def test_faq_question_opens_without_javascript(browser: Any, site_url: str) -> None:
    page = _page(browser, java_script_enabled=False)
    page.goto(site_url + "en/faq/")
    item = page.locator(".faq-item").first
    assert not item.locator(".faq-answer").is_visible()
    item.locator("summary").click()
    assert item.locator(".faq-answer").is_visible()
    page.context.close()


def test_dark_mode_toggle_is_remembered_across_pages(browser: Any, site_url: str) -> None:
    page = _page(browser, color_scheme="light")
    page.goto(site_url + EN_ARTICLE)
    background = "getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(background)
    toggle = page.locator(".theme-toggle")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    dark = page.evaluate(background)
    assert dark != light
    page.reload()
    assert page.locator("html").get_attribute("data-theme") == "dark"
    assert page.evaluate(background) == dark
    page.goto(site_url + "fr/")
    assert page.evaluate(background) == dark
    page.locator(".theme-toggle").click()  # and back
    page.reload()
    assert page.evaluate(background) == light
    assert page.problems == []
    page.context.close()


def test_dark_mode_follows_the_system(browser: Any, site_url: str) -> None:
    page = _page(browser, color_scheme="dark")
    page.goto(site_url + "en/")
    assert page.locator(".theme-toggle").get_attribute("aria-pressed") == "true"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 21, 26)"
    page.context.close()


def test_see_all_results_leads_to_the_search_page(browser: Any, site_url: str) -> None:
    page = _page(browser)
    page.goto(site_url + EN_ARTICLE)
    box = page.locator("#search-input")
    box.fill("rules")
    see_all = page.locator(".search-all a")
    see_all.wait_for()
    options = page.locator("#search-suggestions [role=option]")
    assert 1 <= options.count() <= 8
    text = see_all.inner_text()
    assert text.startswith("See all") and text.endswith("results")
    with page.expect_navigation():
        see_all.click()
    assert "/en/search/?q=rules" in page.url
    assert page.input_value("#search-page-input") == "rules"
    page.locator("#search-results a").first.wait_for()
    count = int(text.split()[2])
    assert page.locator("#search-results li").count() == count
    # filters by kind: each shows its own results
    filters = page.locator("#search-filters button")
    assert filters.count() >= 3
    filters.nth(1).click()
    assert filters.nth(1).get_attribute("aria-pressed") == "true"
    assert page.locator("#search-results li").count() < count
    assert page.problems == []
    page.context.close()


def test_copy_link_puts_the_address_of_a_rule_and_a_heading_in_the_clipboard(
    browser: Any, site_url: str
) -> None:
    page = _page(browser, permissions=["clipboard-read", "clipboard-write"])
    page.goto(site_url + "en/rules/")
    button = page.locator("li.rule[id='3'] .copy-link")
    button.focus()  # a button: reachable by keyboard
    page.keyboard.press("Enter")
    assert page.evaluate("navigator.clipboard.readText()") == site_url + "en/rules/#3"
    expect(button).to_have_text("Link copied")  # the clipboard answers asynchronously
    page.goto(site_url + EN_ARTICLE)
    heading = page.locator(".content h2[id]").first
    heading.locator(".copy-link").click()
    anchor = heading.get_attribute("id")
    assert page.evaluate("navigator.clipboard.readText()") == f"{site_url}{EN_ARTICLE}#{anchor}"
    page.context.close()


def test_no_page_asks_for_a_missing_favicon(browser: Any, site_url: str) -> None:
    page = _page(browser)
    for url in ("en/", EN_ARTICLE, "fr/faq/", "vi/rules/", "en/replies/", "en/search/?q=x"):
        page.goto(site_url + url)
        page.wait_for_load_state("load")
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert icon and icon.endswith(".svg")
    page.wait_for_timeout(300)  # the browser asks for the icon after the load
    assert page.problems == []
    page.context.close()
