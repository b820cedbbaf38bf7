"""The reply kit in headless Chromium: fields fill the template as the representative types,
"Copy" copies the filled text (through the Clipboard API, and on a plain-HTTP intranet host
without it), the filter box, each template's own page, and the page without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.helpers import edit_file, run_kbgen, serve, write_file

pytestmark = pytest.mark.browser

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'"
PRICE = "en/replies/price-change/"
# a name that is not localhost: a page served from it over HTTP is no secure context, as on
# an intranet (the browser below resolves it to 127.0.0.1)
INTRANET = "kb.intranet.test"
CLIPBOARD = ["clipboard-read", "clipboard-write"]


@pytest.fixture(scope="module")
def site_url(example_site: Path) -> Iterator[str]:
    with serve(example_site, csp=CSP) as url:
        yield url


@pytest.fixture(scope="module")
def intranet_browser(browser: Any) -> Iterator[Any]:
    """A second Chromium that resolves INTRANET to this machine."""
    instance = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {INTRANET} 127.0.0.1"],
        headless=True,
    )
    yield instance
    instance.close()


def _page(browser: Any, **options: Any) -> Any:
    context = browser.new_context(locale="en-US", **options)
    page = context.new_page()
    page.problems = []  # console errors (CSP violations among them), uncaught errors
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return page


def _clipboard(context: Any, secure_url: str) -> str:
    """The clipboard's text, read from a page of a secure origin of the same browser."""
    reader = context.new_page()
    reader.goto(secure_url + "robots.txt")
    text = str(reader.evaluate("navigator.clipboard.readText()"))
    reader.close()
    return text


def _fill_price_change(page: Any) -> None:
    page.get_by_label("user’s name or users’ names").fill("Alex")
    page.get_by_label("company’s name").fill("Acme")


def test_reply_kit_fills_the_template_and_copies_it(browser: Any, site_url: str) -> None:
    page = _page(browser, permissions=CLIPBOARD)
    page.goto(site_url + PRICE)
    assert page.evaluate("window.isSecureContext")
    _fill_price_change(page)
    text = page.locator("#price-change-text")
    # [company’s name] is written twice: its one field fills both
    assert text.locator("mark.is-filled").all_inner_texts() == ["Alex", "Acme", "Acme"]
    page.get_by_role("button", name="Copy the reply").click()
    # the clipboard answers asynchronously: waited for
    expect(page.locator(".copy-button")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Hello Alex! Thank you for starting this discussion.")
    assert "actions taken by Acme.\n\nThis [price reduction/increase/sales] was" in copied
    assert "understand Acme reasons" in copied and "[company’s name]" not in copied
    # emptied, a field gives its placeholder back
    page.get_by_label("company’s name").fill("")
    assert text.locator("mark.is-filled").all_inner_texts() == ["Alex"]
    page.get_by_role("button", name="Clear the fields").click()
    # (no wait_for_function: the page's policy forbids evaluating a string as script, which
    # Playwright does for an expression when its first try is not already true)
    text.locator("mark.is-filled").first.wait_for(state="detached")
    assert "[user’s name or users’ names]" in text.inner_text()
    assert page.problems == []
    page.context.close()


def test_what_is_typed_is_text_never_markup(browser: Any, site_url: str) -> None:
    page = _page(browser)
    page.goto(site_url + PRICE)
    page.get_by_label("company’s name").fill('<img src=x onerror="window.owned=1"><b>Acme</b>')
    text = page.locator("#price-change-text")
    assert text.locator("img, b").count() == 0
    assert '<img src=x onerror="window.owned=1"><b>Acme</b>' in text.inner_text()
    assert page.evaluate("window.owned") is None
    page.context.close()


def test_copy_works_on_a_plain_http_intranet_host(intranet_browser: Any, site_url: str) -> None:
    page = _page(intranet_browser, permissions=CLIPBOARD)
    page.goto(site_url.replace("127.0.0.1", INTRANET) + PRICE)
    # the case at hand: no secure context, so no Clipboard API
    assert page.evaluate("[window.isSecureContext, typeof navigator.clipboard]") == [
        False,
        "undefined",
    ]
    _fill_price_change(page)
    button = page.get_by_role("button", name="Copy the reply")
    assert button.is_visible()
    button.click()
    # the clipboard answers asynchronously: waited for
    expect(page.locator(".copy-button")).to_have_text("Copied")
    copied = _clipboard(page.context, site_url)
    assert copied.startswith("Hello Alex! Thank you")
    assert "understand Acme reasons" in copied
    assert page.problems == []
    page.context.close()


def test_when_copying_fails_the_button_says_so_and_selects_the_text(
    intranet_browser: Any, site_url: str
) -> None:
    page = _page(intranet_browser)
    # a browser that refuses the copy command too (some do, outside a secure context)
    page.add_init_script("document.execCommand = function () { return false; };")
    page.goto(site_url.replace("127.0.0.1", INTRANET) + PRICE)
    _fill_price_change(page)
    page.get_by_role("button", name="Copy the reply").click()
    label = page.locator(".copy-button").inner_text()
    assert label == "Not copied: the text is selected, press Ctrl+C"
    selected = page.evaluate("window.getSelection().toString()")
    assert selected.startswith("Hello Alex! Thank you") and "Acme reasons" in selected
    page.context.close()


def test_filter_shows_only_the_templates_with_the_words_typed(browser: Any, site_url: str) -> None:
    page = _page(browser)
    page.goto(site_url + "vi/replies/")
    replies = page.locator("section.reply")
    assert replies.count() == 3
    search = page.get_by_label("Lọc các mẫu")
    search.fill("GIAM gia")  # without tone marks, any case: "giảm giá" of its description
    visible = [r for r in replies.all() if r.is_visible()]
    assert [r.get_attribute("id") for r in visible] == ["price-change"]
    assert page.locator(".toc li:visible").count() == 1
    assert page.locator(".reply-filter-status").inner_text() == "Số mẫu hiển thị: 1"
    search.fill("zzzz")
    assert [r for r in replies.all() if r.is_visible()] == []
    assert page.locator(".reply-filter-status").inner_text() == "Không có mẫu nào chứa các từ này."
    search.fill("")
    assert all(r.is_visible() for r in replies.all())
    page.context.close()


def test_filter_reads_descriptions_and_text_not_what_is_typed(browser: Any, site_url: str) -> None:
    page = _page(browser)
    page.goto(site_url + "en/replies/")
    page.locator("#negative-experience").get_by_label(
        "negative experience/alternative", exact=True
    ).fill("quarrel")
    search = page.get_by_label("Filter the templates")
    search.fill("quarrel")  # in closing-quarrel's title; typed into another template only
    assert [r.get_attribute("id") for r in page.locator("section.reply:visible").all()] == [
        "closing-quarrel"
    ]
    search.fill("alternative")  # in negative-experience's description and text
    assert [r.get_attribute("id") for r in page.locator("section.reply:visible").all()] == [
        "negative-experience"
    ]
    page.context.close()


def test_a_template_page_is_reached_from_the_list_and_works_alike(
    browser: Any, site_url: str
) -> None:
    page = _page(browser, permissions=CLIPBOARD)
    page.goto(site_url + "fr/replies/")
    page.locator("#price-change").get_by_role("link", name="Ouvrir ce modèle").click()
    page.wait_for_url(site_url + "fr/replies/price-change/")
    page.get_by_label("nom de l’entreprise").fill("Acme")
    page.get_by_role("button", name="Copier la réponse").click()
    assert "décisions prises par Acme." in page.evaluate("navigator.clipboard.readText()")
    assert page.problems == []
    page.context.close()


def test_without_javascript_templates_are_shown_as_text(browser: Any, site_url: str) -> None:
    page = _page(browser, java_script_enabled=False)
    for url in ("en/replies/", PRICE):
        page.goto(site_url + url)
        text = page.locator("#price-change-text")
        assert text.is_visible()
        assert "[company’s name]" in text.inner_text()
        for hidden in (".reply-form", ".copy-button", ".reply-filter"):
            assert not page.locator(hidden).first.is_visible()
    page.context.close()


def test_reply_kit_reads_right_to_left(browser: Any, example_copy: Path, tmp_path: Path) -> None:
    config = example_copy / "config.yaml"
    edit_file(config, "languages: [fr, vi, en]", "languages: [fr, vi, en, ar]")
    write_file(
        example_copy / "content/ar/replies/price-change.md",
        '---\ntitle: "رد على تغيير السعر"\n---\n\nمرحبا [اسم المستخدم]! شكرا لك من [اسم الشركة].\n',
    )
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    with serve(tmp_path / "out", csp=CSP) as url:
        page = _page(browser, permissions=CLIPBOARD)
        page.goto(url + "ar/replies/price-change/")
        assert page.evaluate("document.documentElement.dir") == "rtl"
        fieldset = page.locator(".reply-form fieldset").bounding_box()
        label = page.get_by_text("اسم الشركة", exact=True).bounding_box()
        field = page.get_by_label("اسم الشركة").bounding_box()
        # labels and fields start on the right, as the text does
        right = fieldset["x"] + fieldset["width"]
        assert right - (label["x"] + label["width"]) < 40
        assert abs((field["x"] + field["width"]) - (label["x"] + label["width"])) < 2
        page.get_by_label("اسم الشركة").fill("أكمي")
        page.get_by_role("button").filter(has_text="Copy the reply").click()
        assert (
            page.evaluate("navigator.clipboard.readText()")
            == "مرحبا [اسم المستخدم]! شكرا لك من أكمي."
        )
        # nothing sticks out sideways
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.problems == []
        page.context.close()
