"""Forum discussions in headless Chromium, on built sites served locally.

There is no network: every request the browser makes is recorded, requests to the local
server go through, and the providers' scripts are answered by Playwright's request routing
with small fakes that behave like the real ones (they read the same settings and open the
same kind of frame), so the tests see what the provider would receive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.comments_sites import (
    ARTICLE,
    ARTICLE_SOURCE,
    BASE,
    DISCOURSE,
    FAQ_FR,
    FAQ_VI_FALLBACK,
    GISCUS,
    LINK,
    build_site,
    set_front_matter,
    write_sources,
)
from tests.helpers import serve

pytestmark = pytest.mark.browser

# Like Discourse's embed.js: read window.DiscourseEmbed, open embed/comments in a frame.
FAKE_DISCOURSE_EMBED = """
(function () {
  var DE = window.DiscourseEmbed || {};
  window.__discourseSeen = JSON.parse(JSON.stringify(DE));
  var query = [];
  if (DE.discourseEmbedUrl) query.push("embed_url=" + encodeURIComponent(DE.discourseEmbedUrl));
  if (DE.topicId) query.push("topic_id=" + DE.topicId);
  var frame = document.createElement("iframe");
  frame.src = DE.discourseUrl + "embed/comments?" + query.join("&");
  document.getElementById("discourse-comments").appendChild(frame);
})();
"""
# Like giscus's client.js: read the data- attributes of its own script, add giscus.app's
# stylesheet, open <lang>/widget in a frame inside .giscus.
FAKE_GISCUS_CLIENT = """
(function () {
  var script = document.currentScript;
  var data = script.dataset;
  var origin = new URL(script.src).origin;
  window.__giscusSeen = Object.assign({crossorigin: script.getAttribute("crossorigin")}, data);
  var params = new URLSearchParams({repo: data.repo, repoId: data.repoId,
    category: data.category, categoryId: data.categoryId, strict: data.strict});
  if (data.mapping === "number") params.set("number", data.term);
  else if (data.mapping === "specific") params.set("term", data.term);
  else params.set("term", location.href);
  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = origin + "/default.css";
  document.head.prepend(style);
  var frame = document.createElement("iframe");
  frame.src = origin + (data.lang ? "/" + data.lang : "") + "/widget?" + params;
  document.querySelector(".giscus").appendChild(frame);
})();
"""
# Every CSP violation and console error, from before the page's own scripts run.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


class Browsing:
    """One browser context on a served site, recording every request it makes."""

    def __init__(self, context: Any, base: str) -> None:
        self.context, self.base = context, base
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        context.add_init_script(WATCH_VIOLATIONS)
        context.route("**/*", self._answer)
        self.page = context.new_page()
        self.page.on(
            "console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None
        )
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def _answer(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(self.base):
            route.continue_()
        elif url == "https://forum.example.com/javascripts/embed.js":
            route.fulfill(body=FAKE_DISCOURSE_EMBED, content_type="text/javascript")
        elif url == "https://giscus.app/client.js":
            route.fulfill(body=FAKE_GISCUS_CLIENT, content_type="text/javascript")
        elif url.startswith("https://giscus.app/default.css"):
            route.fulfill(body=".giscus { display: block; }", content_type="text/css")
        elif url.startswith(("https://forum.example.com/", "https://giscus.app/")):
            route.fulfill(body="<p>the thread</p>", content_type="text/html")
        else:
            route.abort()

    def third_party(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.base)]

    def open(self, url: str) -> None:
        self.page.goto(self.base + url)
        self.page.wait_for_load_state("load")
        # discussion.js is deferred; give it the chance to (wrongly) load anything
        self.page.wait_for_timeout(150)

    def click_and_wait_for(self, label: str, url_part: str) -> str:
        with self.page.expect_request(lambda r: url_part in r.url) as request:
            self.page.get_by_role("button", name=label).click()
        return self.recorded(str(request.value.url))

    def recorded(self, url: str) -> str:
        """Wait until the route handler, which runs after the request event, has seen `url`."""
        for _ in range(100):
            if url in self.requests:
                return url
            self.page.wait_for_timeout(20)
        raise AssertionError(f"{url} was requested but never routed")

    def violations(self) -> list[str]:
        return list(self.page.evaluate("window.__violations"))


@contextmanager
def browsing(
    browser: Any, site: Path, csp: str | None = None, **options: Any
) -> Iterator[Browsing]:
    with serve(site, csp=csp) as base:
        context = browser.new_context(**options)
        try:
            yield Browsing(context, base)
        finally:
            context.close()


def _embed_url(frame_url: str) -> str | None:
    values = parse_qs(urlsplit(frame_url).query).get("embed_url")
    return values[0] if values else None


def test_discourse_loads_only_after_the_click_with_a_thread_per_language(
    browser: Any, tmp_path: Path
) -> None:
    site = build_site(write_sources(tmp_path / "kb", DISCOURSE)).output
    with browsing(browser, site) as b:
        b.open(ARTICLE["fr"])
        consent = b.page.locator(".discussion-consent")
        assert consent.is_visible()
        assert "hébergée sur forum.example.com" in consent.inner_text()
        assert b.page.get_by_role("link", name="Lisez les règles de la communauté").is_visible()
        assert b.third_party() == []  # nothing from the forum before the click

        frame = b.click_and_wait_for("Afficher la discussion", "/embed/comments")
        assert b.third_party()[0] == "https://forum.example.com/javascripts/embed.js"
        assert _embed_url(frame) == BASE + ARTICLE["fr"]
        seen = b.page.evaluate("window.__discourseSeen")
        assert seen["discourseUrl"] == "https://forum.example.com/"
        assert not consent.is_visible()
        assert b.page.evaluate("localStorage.getItem('kbgen-discussions')") is None

        before = len(b.third_party())
        b.open(ARTICLE["vi"])  # "show" once is not "always": the next page asks again
        assert len(b.third_party()) == before
        frame_vi = b.click_and_wait_for("Hiển thị thảo luận", "/embed/comments")
        assert _embed_url(frame_vi) == BASE + ARTICLE["vi"]
        assert _embed_url(frame_vi) != _embed_url(frame)

        # an untranslated page joins the thread of the original it shows
        b.open(FAQ_VI_FALLBACK)
        frame_fallback = b.click_and_wait_for("Hiển thị thảo luận", "/embed/comments")
        assert _embed_url(frame_fallback) == BASE + FAQ_FR
        assert b.console_errors == []


def test_discourse_shared_threads_without_consent_prompt(browser: Any, tmp_path: Path) -> None:
    site = build_site(
        write_sources(tmp_path / "kb", DISCOURSE + "  threads: shared\n  consent: false\n")
    ).output
    keys = {}
    with browsing(browser, site) as b:
        for lang in ("fr", "vi", "en"):
            # consent: false: the embed loads with the page, no click
            with b.page.expect_request(lambda r: "/embed/comments" in r.url) as frame:
                b.page.goto(b.base + ARTICLE[lang])
            keys[lang] = _embed_url(b.recorded(frame.value.url))
            assert not b.page.locator(".discussion-consent").is_visible()
    assert keys == dict.fromkeys(("fr", "vi", "en"), BASE + ARTICLE["fr"])


def test_always_load_is_remembered_until_withdrawn(browser: Any, tmp_path: Path) -> None:
    site = build_site(write_sources(tmp_path / "kb", DISCOURSE)).output
    with browsing(browser, site) as b:
        b.open(ARTICLE["en"])
        assert b.third_party() == []
        b.click_and_wait_for("Always load discussions", "/embed/comments")
        assert b.page.evaluate("localStorage.getItem('kbgen-discussions')") == "always"

        with b.page.expect_request(lambda r: "/embed/comments" in r.url) as frame:
            b.page.goto(b.base + "en/rules/")  # another page: loads with no click
        assert _embed_url(b.recorded(frame.value.url)) == BASE + "en/rules/"
        assert not b.page.locator(".discussion-consent").is_visible()

        b.page.get_by_role("button", name="Ask before loading discussions").click()
        assert b.page.evaluate("localStorage.getItem('kbgen-discussions')") is None
        before = len(b.third_party())
        b.open(ARTICLE["vi"])
        assert len(b.third_party()) == before
        assert b.page.locator(".discussion-consent").is_visible()


def test_discourse_topic_from_front_matter(browser: Any, tmp_path: Path) -> None:
    root = write_sources(tmp_path / "kb", DISCOURSE)
    set_front_matter(root, ARTICLE_SOURCE["fr"], "discussion: 42")
    set_front_matter(
        root, ARTICLE_SOURCE["vi"], "discussion: https://forum.example.com/t/vai-tro/77"
    )
    site = build_site(root).output
    with browsing(browser, site) as b:
        b.open(ARTICLE["fr"])
        frame = b.click_and_wait_for("Afficher la discussion", "/embed/comments")
        assert parse_qs(urlsplit(frame).query) == {"topic_id": ["42"]}
        b.open(ARTICLE["vi"])
        frame = b.click_and_wait_for("Hiển thị thảo luận", "/embed/comments")
        assert parse_qs(urlsplit(frame).query) == {"topic_id": ["77"]}


def test_without_javascript_a_link_reaches_the_thread(browser: Any, tmp_path: Path) -> None:
    root = write_sources(tmp_path / "kb", DISCOURSE)
    set_front_matter(root, ARTICLE_SOURCE["fr"], "discussion: 42")
    site = build_site(root).output
    with browsing(browser, site, java_script_enabled=False) as b:
        b.open(ARTICLE["fr"])
        link = b.page.get_by_role("link", name="Ouvrir la discussion sur forum.example.com")
        assert link.is_visible()
        assert link.get_attribute("href") == "https://forum.example.com/t/42"
        assert not b.page.get_by_role("button", name="Afficher la discussion").is_visible()
        b.open(ARTICLE["vi"])  # no topic id: a search for the page's URL finds its thread
        link = b.page.get_by_role("link", name="Mở cuộc thảo luận trên forum.example.com")
        assert link.get_attribute("href") == (
            "https://forum.example.com/search?q=" + quote(BASE + ARTICLE["vi"], safe="")
        )
        assert b.third_party() == []


def _widget(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    return parts.path, parse_qs(parts.query)


@pytest.mark.parametrize("threads", ["per-language", "shared"])
def test_giscus_after_the_click_with_language_and_thread_key(
    browser: Any, tmp_path: Path, threads: str
) -> None:
    site = build_site(write_sources(tmp_path / "kb", GISCUS + f"  threads: {threads}\n")).output
    widgets = {}
    with browsing(browser, site) as b:
        for lang, label in (("fr", "Afficher la discussion"), ("vi", "Hiển thị thảo luận")):
            before = len(b.third_party())
            b.open(ARTICLE[lang])
            assert len(b.third_party()) == before, "giscus contacted before the click"
            widgets[lang] = _widget(b.click_and_wait_for(label, "/widget?"))
            assert "https://giscus.app/client.js" in b.third_party()[before:]
            assert "https://giscus.app/default.css" in b.third_party()[before:]
        seen = b.page.evaluate("window.__giscusSeen")
        assert seen["repo"] == "org/kb" and seen["repoId"] == "R_kgDOexample"
        assert seen["crossorigin"] == "anonymous"
    (fr_path, fr), (vi_path, vi) = widgets["fr"], widgets["vi"]
    assert (fr_path, vi_path) == ("/fr/widget", "/vi/widget")  # lang from the page's language
    assert fr["category"] == vi["category"] == ["Q&A"]
    assert fr["categoryId"] == ["DIC_kwDOexample"]
    assert fr["term"] == [BASE + ARTICLE["fr"]]
    if threads == "shared":
        assert vi["term"] == fr["term"]
    else:
        assert vi["term"] == [BASE + ARTICLE["vi"]]


def test_link_mode_makes_no_third_party_request(browser: Any, tmp_path: Path) -> None:
    site = build_site(write_sources(tmp_path / "kb", LINK)).output
    with browsing(browser, site) as b:
        for url, lang in ((FAQ_FR, "fr"), (ARTICLE["vi"], "vi"), (FAQ_VI_FALLBACK, "vi")):
            b.open(url)
            name = {"fr": "En discuter sur le forum", "vi": "Thảo luận về nội dung này"}[lang]
            href = str(b.page.get_by_role("link", name=name).get_attribute("href"))
            assert href.startswith("https://forum.example.com/new-topic?")
            query = parse_qs(urlsplit(href).query)
            canonical = b.page.locator("link[rel=canonical]").get_attribute("href")
            assert query["url"] == [canonical]  # the fallback: its original's URL
            assert query["title"] == [b.page.locator("h1").inner_text()]
            assert not b.page.locator(".discussion-consent").count()
        assert b.third_party() == []
        assert not any("discussion." in u for u in b.requests)  # no loader needed


@pytest.mark.parametrize("comments", [DISCOURSE, GISCUS], ids=["discourse", "giscus"])
def test_the_printed_csp_origins_are_enough(browser: Any, tmp_path: Path, comments: str) -> None:
    result = build_site(write_sources(tmp_path / "kb", comments))
    policy = result.notes[0].split("Content-Security-Policy: ", 1)[1]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    csp = "default-src 'self'; " + "; ".join(
        f"{name} 'self' {sources}" for name, sources in directives.items()
    )
    with browsing(browser, result.output, csp=csp) as b:
        b.open(ARTICLE["fr"])
        assert b.third_party() == []
        frame = "/embed/comments" if comments == DISCOURSE else "/widget?"
        b.click_and_wait_for("Afficher la discussion", frame)
        b.page.wait_for_selector(".discussion-embed iframe")
        b.page.wait_for_timeout(200)
        assert b.violations() == []
        assert not [e for e in b.console_errors if "Content Security Policy" in e]
    # and without the provider's origin, the policy does block it: the check above can fail
    with browsing(browser, result.output, csp="default-src 'self'") as b:
        b.open(ARTICLE["fr"])
        b.page.get_by_role("button", name="Afficher la discussion").click()
        b.page.locator(".discussion-failed").wait_for()  # a locator: the policy refuses eval
        assert b.violations() != []


PAYLOAD = '"></div><script>window.__pwned = 1; alert(1)</script>'


def test_settings_cannot_inject_script(browser: Any, tmp_path: Path) -> None:
    comments = GISCUS.replace("category: Q&A", f"category: '{PAYLOAD}'").replace(
        "mapping: url",
        "mapping: og:title\n    theme: '</script><script>window.__pwned = 2</script>'",
    )
    root = write_sources(tmp_path / "kb", comments)
    article = root / ARTICLE_SOURCE["fr"]  # a title, which og:title mapping sends to giscus
    text = article.read_text(encoding="utf-8")
    title_line = next(line for line in text.split("\n") if line.startswith("title:"))
    article.write_text(
        text.replace(title_line, "title: 'Le rôle \"</script><script>alert(3)</script>'"),
        encoding="utf-8",
    )
    result = build_site(root)
    html = (result.output / ARTICLE["fr"] / "index.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html
    with browsing(browser, result.output) as b:
        b.open(ARTICLE["fr"])
        widget = b.click_and_wait_for("Afficher la discussion", "/widget?")
        seen = b.page.evaluate("window.__giscusSeen")
        assert seen["category"] == PAYLOAD  # reached the provider as text, whole
        assert seen["theme"] == "</script><script>window.__pwned = 2</script>"
        assert parse_qs(urlsplit(widget).query)["category"] == [PAYLOAD]
        assert seen["term"] == 'Le rôle "</script><script>alert(3)</script>'
        assert b.page.evaluate("window.__pwned") is None
        assert b.dialogs == []
        assert b.page.locator("script:not([src]):not([type='application/ld+json'])").count() == 0
