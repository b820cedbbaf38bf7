"""What readers do beside reading, in headless Chromium: "Was this helpful?" votes and searches
that found nothing, sent to a real feedback endpoint that the test runs on 127.0.0.1 and that
records every request it receives; "Still need help?"; the announcement above every page.

Each site is served with a strict Content-Security-Policy whose connect-src is the one the
build printed for the endpoint, so a request it would block fails the test."""

from __future__ import annotations

import http.server
import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from kbgen.build import BuildResult
from tests.comments_sites import ARTICLE, BASE, LINK, build_site, write_sources
from tests.helpers import edit_file, serve

pytestmark = pytest.mark.browser

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'"
ARTICLE_KEY = "article:articles/community-management/representatives-role"
FAQ_EN = "en/faq/breaking-rules/"
BUILD_DAY = "1795910400"  # 2026-11-29, as $SOURCE_DATE_EPOCH
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


class Endpoint:
    """A feedback endpoint on 127.0.0.1: answers CORS as a real one must, and keeps each POST
    (its headers and its body, read as JSON) for the test."""

    def __init__(self, status: int = 204) -> None:
        self.received: queue.Queue[tuple[dict[str, str], Any]] = queue.Queue()
        self.preflights = 0
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _cors(self) -> None:
                self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin", "*"))
                self.send_header("Access-Control-Allow-Methods", "POST")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Vary", "Origin")

            def do_OPTIONS(self) -> None:  # the preflight of a JSON POST from another origin
                endpoint.preflights += 1
                self.send_response(204)
                self._cors()
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    data = json.loads(body)
                except ValueError:
                    data = {"not JSON": body.decode("utf-8", "replace")}
                endpoint.received.put((headers, data))
                self.send_response(status)
                self._cors()
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/collect"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self) -> tuple[dict[str, str], Any]:
        """The next request received (a bounded wait, not a timing: it fails after 20 s)."""
        try:
            return self.received.get(timeout=20)
        except queue.Empty:
            raise AssertionError("the feedback endpoint received nothing") from None

    def nothing_more(self) -> bool:
        return self.received.empty()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    found = Endpoint()
    yield found
    found.close()


def _site(root: Path, extra: str) -> BuildResult:
    """The example knowledge base with comments as plain forum links, and `extra` config."""
    return build_site(write_sources(root, LINK + extra))


def _csp(result: BuildResult) -> str:
    """The test's strict policy, plus the connect-src origin the build said it needs."""
    needed = [n for n in result.notes if "connect-src" in n]
    origins = needed[0].split("connect-src ", 1)[1] if needed else ""
    return f"{CSP}; connect-src 'self' {origins}".strip()


@contextmanager
def _browse(browser: Any, result: BuildResult, **options: Any) -> Iterator[tuple[Any, str]]:
    with serve(result.output, csp=_csp(result)) as base:
        context = browser.new_context(locale="en-US", **options)
        context.add_init_script(WATCH_VIOLATIONS)
        # a cookie the endpoint's host (127.0.0.1, any port) would be sent if the browser
        # sent credentials: the endpoint must never see it
        context.add_cookies([{"name": "session", "value": "reader-42", "url": base}])
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        try:
            yield page, base
        finally:
            context.close()


CONTACT = """\
contact:
  url: {en: https://example.com/help/contact, fr: https://example.com/fr/contact}
  email: support@example.com
"""


def _feedback(endpoint: Endpoint, searches: bool = False) -> str:
    return (
        f"feedback:\n  endpoint: {endpoint.url}\n"
        f"  report_failed_searches: {'true' if searches else 'false'}\n{CONTACT}"
    )


def test_a_no_vote_with_its_comment_reaches_the_endpoint_as_one_json_post(
    browser: Any, tmp_path: Path, endpoint: Endpoint
) -> None:
    result = _site(tmp_path / "kb", _feedback(endpoint))
    origin = endpoint.url.rsplit("/", 1)[0]
    assert f"feedback needs Content-Security-Policy: connect-src {origin}" in result.notes
    with _browse(browser, result) as (page, base):
        page.goto(base + ARTICLE["fr"])
        widget = page.locator(".feedback")
        assert widget.get_by_role("heading", name="Cet article vous a-t-il été utile").is_visible()
        page.get_by_role("button", name="Non", exact=True).click()
        # after "No": a short comment, and the page's discussion and contact
        comment = page.get_by_label("Que cherchiez-vous")
        assert comment.is_visible()
        discussion = widget.get_by_role("link", name="Posez votre question dans la discussion")
        assert discussion.get_attribute("href") == "#discussion"
        assert page.locator("#discussion").count() == 1
        contact = widget.get_by_role("link", name="Nous contacter")
        assert contact.get_attribute("href") == "https://example.com/fr/contact"
        assert endpoint.nothing_more()  # "No" alone is not sent: it goes with its comment
        comment.fill("Les délais de réponse")
        page.get_by_role("button", name="Envoyer", exact=True).click()

        headers, data = endpoint.next()
        assert data == {
            "type": "vote",
            "url": BASE + ARTICLE["fr"],
            "lang": "fr",
            "key": ARTICLE_KEY,
            "vote": "no",
            "comment": "Les délais de réponse",
        }
        assert headers["content-type"] == "application/json"
        assert "cookie" not in headers  # no cookie, no identifier: only what is above
        assert headers["origin"] == base.rstrip("/")
        expect(widget.get_by_role("status")).to_have_text("Merci pour votre avis.")

        # the vote is remembered: the reader sees it, and it is not sent again
        page.reload()
        no = page.get_by_role("button", name="Non", exact=True)
        assert no.get_attribute("aria-pressed") == "true" and no.is_disabled()
        assert (
            page.get_by_role("button", name="Oui", exact=True).get_attribute("aria-pressed")
            == "false"
        )
        expect(widget.get_by_role("status")).to_have_text("Merci pour votre avis.")

        # "Yes" on an FAQ entry is sent at once; it is the next request the endpoint sees
        page.goto(base + FAQ_EN)
        page.get_by_role("heading", name="Was this answer helpful?").wait_for()
        page.get_by_role("button", name="Yes", exact=True).click()
        headers, data = endpoint.next()
        assert data["vote"] == "yes" and data["comment"] == ""
        assert (data["url"], data["lang"]) == (BASE + FAQ_EN, "en")
        assert data["key"].startswith("faq:")
        assert "cookie" not in headers
        assert page.evaluate("window.__violations") == []
        assert page.errors == []


def test_a_no_vote_is_sent_when_the_reader_leaves_without_sending(
    browser: Any, tmp_path: Path, endpoint: Endpoint
) -> None:
    result = _site(tmp_path / "kb", _feedback(endpoint))
    with _browse(browser, result) as (page, base):
        page.goto(base + ARTICLE["en"])
        page.get_by_role("button", name="No", exact=True).click()
        page.get_by_label("What were you looking for").fill("steps for moderators")
        page.goto(base + "en/rules/")
        _, data = endpoint.next()
        assert (data["vote"], data["comment"], data["lang"]) == ("no", "steps for moderators", "en")


def test_a_vote_the_endpoint_refused_is_not_remembered(browser: Any, tmp_path: Path) -> None:
    refusing = Endpoint(status=500)
    try:
        result = _site(tmp_path / "kb", _feedback(refusing))
        with _browse(browser, result) as (page, base):
            page.goto(base + ARTICLE["en"])
            yes = page.get_by_role("button", name="Yes", exact=True)
            yes.click()
            refusing.next()
            status = page.locator(".feedback").get_by_role("status")
            expect(status).to_have_text("Your feedback could not be sent.")
            assert yes.is_enabled() and yes.get_attribute("aria-pressed") == "false"
            page.reload()  # not remembered: the reader may vote again
            expect(page.get_by_role("button", name="Yes", exact=True)).to_be_enabled()
            assert page.evaluate("Object.keys(localStorage)") == []
    finally:
        refusing.close()


def test_without_javascript_or_endpoint_there_is_no_widget(
    browser: Any, tmp_path: Path, endpoint: Endpoint
) -> None:
    result = _site(tmp_path / "kb", _feedback(endpoint))
    with _browse(browser, result, java_script_enabled=False) as (page, base):
        page.goto(base + ARTICLE["en"])
        assert page.locator(".feedback").count() == 1
        assert not page.locator(".feedback").is_visible()
    plain = _site(tmp_path / "plain", "")
    with _browse(browser, plain) as (page, base):
        page.goto(base + ARTICLE["en"])
        assert page.locator(".feedback").count() == 0
        assert page.locator("script[src*=feedback]").count() == 0


def test_only_final_searches_that_found_nothing_are_reported(
    browser: Any, tmp_path: Path, endpoint: Endpoint
) -> None:
    result = _site(tmp_path / "kb", _feedback(endpoint, searches=True))
    with _browse(browser, result) as (page, base):
        page.goto(base + ARTICLE["en"])
        box = page.locator("form.search-box input[name=q]")
        box.press_sequentially("zzqxv")  # "zz", "zzq", "zzqx" find nothing either
        page.get_by_text("No results for “zzqxv”.").wait_for()
        page.keyboard.press("Tab")  # done with it: the box loses focus
        _, data = endpoint.next()
        assert data == {
            "type": "search",
            "url": BASE + ARTICLE["en"],
            "lang": "en",
            "query": "zzqxv",
        }

        box.fill("")
        box.press_sequentially("moderators")  # found: never reported
        page.locator("#search-suggestions [role=option]").first.wait_for()
        page.keyboard.press("Tab")

        page.goto(base + "en/search/?q=qqwwzz")  # the search page opened with a query
        page.locator("#search-empty").wait_for()
        _, data = endpoint.next()
        assert (data["query"], data["url"]) == ("qqwwzz", BASE + "en/search/")

        # Enter opens the search page, which reports the query: once, not also on leaving
        page.goto(base + ARTICLE["en"])
        box.press_sequentially("xxyyzz")
        page.get_by_text("No results for “xxyyzz”.").wait_for()
        box.press("Enter")
        page.wait_for_url("**/en/search/?q=xxyyzz")
        page.locator("#search-empty").wait_for()
        _, data = endpoint.next()
        assert data["query"] == "xxyyzz"

        # a vote after all that is the next request: nothing else was sent in between
        page.goto(base + ARTICLE["en"])
        page.get_by_role("button", name="Yes", exact=True).click()
        _, data = endpoint.next()
        assert data["type"] == "vote"
        assert page.evaluate("window.__violations") == []
        assert page.errors == []


def test_still_need_help_after_articles_on_empty_searches_and_the_404_page(
    browser: Any, tmp_path: Path
) -> None:
    result = _site(tmp_path / "kb", CONTACT)
    with _browse(browser, result) as (page, base):
        page.goto(base + ARTICLE["en"])
        block = page.locator("aside.contact")
        assert block.get_by_role("heading", name="Still need help?").is_visible()
        link = block.get_by_role("link", name="Contact us")
        assert link.get_attribute("href") == "https://example.com/help/contact"
        mail = block.get_by_role("link", name="support@example.com")
        assert mail.get_attribute("href") == "mailto:support@example.com"

        page.goto(base + "en/search/?q=community")  # results: no contact block
        page.locator("#search-results li").first.wait_for()
        assert not page.get_by_role("heading", name="Still need help?").is_visible()
        page.goto(base + "en/search/?q=qqwwzz")
        page.locator("#search-empty").wait_for()
        assert page.locator("#search-empty").get_by_role("link", name="Contact us").is_visible()

        response = page.goto(base + "en/no-such-page/")
        assert response is not None and response.status == 404
        assert page.get_by_role("heading", name="Still need help?").is_visible()
        assert page.get_by_role("link", name="Contact us").is_visible()

        # vi has no contact URL in the map: only the address given for every language
        page.goto(base + "vi/rules/nope/")
        assert page.get_by_role("heading", name="Vẫn cần trợ giúp?").is_visible()
        assert page.locator("aside.contact a").count() == 1
        assert page.evaluate("window.__violations") == []


ANNOUNCEMENT = """\
announcement:
  text: {en: "Scheduled maintenance on Sunday", fr: "Maintenance prévue dimanche"}
  link: https://status.example.com/
  until: 2026-12-31
"""


def test_the_announcement_shows_above_every_page_until_dismissed(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_DAY)
    root = tmp_path / "kb"
    result = _site(root, ANNOUNCEMENT)
    with _browse(browser, result) as (page, base):
        page.goto(base + "en/")
        banner = page.get_by_role("complementary", name="Announcement")
        assert banner.is_visible()
        link = banner.get_by_role("link", name="Scheduled maintenance on Sunday")
        assert link.get_attribute("href") == "https://status.example.com/"
        header = page.locator("header.site-header").bounding_box()
        shown = banner.bounding_box()
        assert shown is not None and header is not None and shown["y"] < header["y"]

        page.get_by_role("button", name="Hide this announcement").click()
        assert not banner.is_visible()
        page.goto(base + ARTICLE["en"])  # remembered on every page of the site
        assert page.locator(".announcement").count() == 1
        assert not page.locator(".announcement").is_visible()
        page.goto(base + ARTICLE["fr"])  # another text: shown
        assert page.get_by_role("complementary", name="Annonce").is_visible()

        # a new text shows again, to those who dismissed the old one
        edit_file(root / "config.yaml", "Scheduled maintenance", "Extended maintenance")
        build_site(root)
        page.goto(base + ARTICLE["en"])
        assert page.get_by_role("link", name="Extended maintenance on Sunday").is_visible()
        assert page.evaluate("window.__violations") == []
        assert page.errors == []

    with _browse(browser, result, java_script_enabled=False) as (page, base):
        page.goto(base + "en/")
        assert page.get_by_role("link", name="Extended maintenance on Sunday").is_visible()
        assert not page.get_by_role("button", name="Hide this announcement").is_visible()


def test_the_announcement_mirrors_in_a_right_to_left_language(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_DAY)
    root = write_sources(tmp_path / "kb", LINK + ANNOUNCEMENT.replace("{en:", "{ar: إعلان, en:"))
    edit_file(root / "config.yaml", "languages: [fr, vi, en]", "languages: [fr, vi, en, ar]")
    rules = root / "content/ar/rules.md"
    rules.parent.mkdir(parents=True)
    rules.write_text('---\ntitle: "قواعد المجتمع"\n---\n\n1. **الاحترام**: كن لطيفا.\n')
    result = build_site(root)
    with _browse(browser, result) as (page, base):
        page.goto(base + "ar/rules/")
        text = page.locator(".announcement-text").bounding_box()
        button = page.locator(".announcement-dismiss").bounding_box()
        assert text is not None and button is not None
        assert button["x"] + button["width"] <= text["x"]  # the button at the inline end: left
