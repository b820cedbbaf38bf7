"""The built example in a real headless Chromium: switcher, root redirect, 404, copy button."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import serve

pytestmark = pytest.mark.browser

FR_ARTICLE = "fr/articles/community-management/role-des-representants/"
VI_ARTICLE = "vi/articles/community-management/vai-tro-cua-dai-dien/"


@pytest.fixture(scope="module")
def site_url(example_site: Path) -> Iterator[str]:
    with serve(example_site) as url:
        yield url


def _page(browser: Any, locale: str = "fr-FR") -> Any:
    context = browser.new_context(locale=locale)
    return context.new_page()


def test_switcher_keeps_the_reader_on_the_same_article(browser: Any, site_url: str) -> None:
    page = _page(browser)
    page.goto(site_url + FR_ARTICLE)
    assert page.locator("h1").inner_text().startswith("Le rôle de vos représentants")
    page.locator(".language-switcher summary").click()  # the language menu opens
    page.locator(".language-switcher a[hreflang=vi]").click()
    page.wait_for_url(site_url + VI_ARTICLE)
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "đại diện" in page.locator("h1").inner_text()
    page.context.close()


def test_switcher_reaches_an_untranslated_page_and_says_so(browser: Any, site_url: str) -> None:
    page = _page(browser)
    page.goto(site_url + "fr/faq/repondre-changement-de-prix/")
    link = page.locator(".language-switcher a[hreflang=vi]")
    assert "untranslated" in (link.get_attribute("class") or "")
    page.locator(".language-switcher summary").click()
    link.click()
    page.wait_for_url(site_url + "vi/faq/repondre-changement-de-prix/")
    assert "chưa được dịch" in page.locator(".banner-untranslated").inner_text()
    page.context.close()


@pytest.mark.parametrize(
    ("locale", "expected"), [("vi-VN", "vi/"), ("en-GB", "en/"), ("de-DE", "fr/")]
)
def test_root_page_sends_readers_to_their_language(
    browser: Any, site_url: str, locale: str, expected: str
) -> None:
    page = _page(browser, locale)
    page.goto(site_url)
    page.wait_for_url(site_url + expected)
    assert page.locator("html").get_attribute("lang") == expected.rstrip("/")
    page.context.close()


def test_root_page_remembers_a_chosen_language(browser: Any, site_url: str) -> None:
    page = _page(browser, "vi-VN")
    page.goto(site_url + FR_ARTICLE)
    page.locator(".language-switcher summary").click()
    page.locator(".language-switcher a[hreflang=en]").click()
    page.wait_for_url("**/en/**")
    page.goto(site_url)
    page.wait_for_url(site_url + "en/")
    page.context.close()


def test_missing_page_shows_the_localized_404(browser: Any, site_url: str) -> None:
    page = _page(browser, "vi-VN")
    response = page.goto(site_url + "vi/khong-co-trang-nay/")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Không tìm thấy trang"
    # its stylesheet and links work from any depth
    assert page.evaluate("document.styleSheets.length") >= 1
    page.locator("main a").first.click()
    page.wait_for_url(site_url + "vi/")
    page.context.close()


def test_reply_copy_button_copies_the_template(browser: Any, site_url: str) -> None:
    context = browser.new_context(locale="en-US", permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site_url + "en/replies/")
    button = page.locator("#price-change .copy-button")
    assert button.is_visible()
    button.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Hello [user’s name or users’ names]!")
    assert "Use this template" not in copied
    context.close()


def test_keyboard_user_can_skip_to_content(browser: Any, site_url: str) -> None:
    page = _page(browser)
    page.goto(site_url + FR_ARTICLE)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.context.close()
