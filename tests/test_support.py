"""config.yaml's feedback, contact and announcement (support.py): their values, their
errors at file:line, what the build prints, and an announcement's end date."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from kbgen.config import load_config
from kbgen.diagnostics import BuildFailed
from tests.comments_sites import ARTICLE, LINK, build_site, page_html, write_sources
from tests.helpers import assert_clean_failure, run_kbgen, tags

DAY = 86400
NOV_29 = 1795910400  # 2026-11-29 00:00 UTC, as $SOURCE_DATE_EPOCH


def _config(tmp_path: Path, block: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"languages: [en, fr]\nbase_url: https://kb.example.com/\n{block}")
    return path


def _problems(tmp_path: Path, block: str) -> list[str]:
    try:
        load_config(_config(tmp_path, block))
    except BuildFailed as failed:
        return [d.format(tmp_path) for d in failed.diagnostics.items]
    return []


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://feedback.example.com/kb",
        "https://example.com/collect?site=kb",
        "http://127.0.0.1:8080/feedback",
        "http://localhost/feedback",
        "http://[::1]:9000/",
    ],
)
def test_an_https_or_local_endpoint_is_taken(tmp_path: Path, endpoint: str) -> None:
    config = load_config(_config(tmp_path, f"feedback:\n  endpoint: '{endpoint}'\n"))
    assert config.feedback.endpoint == endpoint
    assert config.feedback.report_failed_searches is False


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("http://feedback.example.com/", "must be an https:// URL such as"),
        ("ftp://example.com/", "must be an https:// URL such as"),
        ("/feedback", "must be an https:// URL such as"),
        ("https://user:secret@example.com/", "must not hold a user name or password"),
        ("https://example.com/a b", "must be a plain URL"),
        ("https://example.com/#top", "must not have a #fragment"),
        ("42", "must be an https:// URL"),
    ],
)
def test_a_wrong_endpoint_is_an_error_at_its_line(
    tmp_path: Path, endpoint: str, expected: str
) -> None:
    problems = _problems(tmp_path, f"feedback:\n  endpoint: '{endpoint}'\n")
    assert len(problems) == 1
    assert problems[0].startswith("config.yaml:4: error: 'feedback.endpoint': " + expected)


def test_each_problem_of_the_three_blocks_is_named_at_its_line(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        "feedback:\n"  # 3
        "  report_failed_searches: true\n"  # 4
        "  reports: yes\n"  # 5
        "contact:\n"  # 6
        "  email: {en: support@example.com, fr: nope}\n"  # 7
        "announcement:\n"  # 8
        "  link: {en: ftp://example.com/}\n"  # 9
        "  until: soon\n",  # 10
    )
    assert problems == [
        "config.yaml:5: error: 'feedback.reports': unknown key "
        "(known keys: endpoint, report_failed_searches)",
        "config.yaml:4: error: 'feedback.report_failed_searches': needs feedback.endpoint, "
        "the address searches are sent to",
        "config.yaml:7: error: 'contact.email': must be an e-mail address such as "
        "support@example.com, got 'nope'",
        "config.yaml:8: error: 'announcement.text': is required: the announcement, one text "
        "or one per language",
        "config.yaml:9: error: 'announcement.link': must be an https:// URL such as "
        "https://status.example.com or a path of this site such as /en/status/, "
        "got 'ftp://example.com/'",
        "config.yaml:10: error: 'announcement.until': must be a date like 2026-03-12, got 'soon'",
    ]


def test_contact_needs_a_url_or_an_email_and_languages_it_knows(tmp_path: Path) -> None:
    assert _problems(tmp_path, "contact: {}\n") == [
        "config.yaml:3: error: 'contact': needs url, email or both (each one value, or one "
        "per language)"
    ]
    assert _problems(tmp_path, "contact:\n  url: {de: https://example.com/}\n") == [
        "config.yaml:4: error: 'contact.url': names language 'de', which is not in languages"
    ]


def test_contact_is_per_language(tmp_path: Path) -> None:
    config = load_config(
        _config(
            tmp_path,
            "contact:\n  url: {fr: https://example.com/fr/contact}\n  email: help@example.com\n",
        )
    )
    assert config.contact is not None
    en, fr = config.contact.for_lang("en"), config.contact.for_lang("fr")
    assert en is not None and (en.url, en.email) == (None, "help@example.com")
    assert fr is not None and fr.url == "https://example.com/fr/contact"
    assert fr.email == "help@example.com"


def test_no_keys_no_widget_no_contact_no_announcement(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "feedback:\ncontact:\nannouncement:\n"))
    assert config.feedback.endpoint is None
    assert config.contact is None and config.announcement is None


def test_a_malformed_build_date_is_an_error_at_the_end_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "tomorrow")
    assert _problems(tmp_path, "announcement:\n  text: Hi\n  until: 2026-12-31\n") == [
        "config.yaml:5: error: 'announcement.until': the build date comes from "
        "$SOURCE_DATE_EPOCH, which must be a whole number of seconds since 1970, got 'tomorrow'"
    ]


def test_the_build_prints_the_origin_the_endpoint_needs(tmp_path: Path) -> None:
    root = write_sources(
        tmp_path / "kb", LINK + "feedback:\n  endpoint: https://feedback.example.com/kb/votes\n"
    )
    result = run_kbgen("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (
        "kbgen: feedback needs Content-Security-Policy: connect-src https://feedback.example.com"
        in result.stdout
    )
    # comments via link need no origin: the feedback endpoint is the only one
    assert "comments via" not in result.stdout
    article = (root / "site" / ARTICLE["en"] / "index.html").read_text()
    assert 'data-endpoint="https://feedback.example.com/kb/votes"' in article
    rules = (root / "site/en/rules/index.html").read_text()  # no widget, no failed searches
    assert "feedback" not in rules


def test_an_announcement_leaves_the_first_build_after_its_last_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_sources(
        tmp_path / "kb", LINK + "announcement:\n  text: Moving day\n  until: 2026-11-30\n"
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOV_29 + DAY))  # its last day: shown
    result = build_site(root)
    assert "Moving day" in page_html(result, ARTICLE["fr"])
    assert not any("announcement" in note for note in result.notes)

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOV_29 + 2 * DAY))  # the day after
    result = build_site(root)  # with the cache of the first build: nothing else changed
    for url in (ARTICLE["fr"], ARTICLE["en"], "vi/"):
        html = page_html(result, url)
        assert "Moving day" not in html and "kbgen-announcement" not in html
    assert result.notes == [
        "announcement ended on 2026-11-30: no page shows it; remove it from config.yaml"
    ]


def test_an_invalid_block_fails_the_command_cleanly(tmp_path: Path) -> None:
    root = write_sources(tmp_path / "kb", LINK + "announcement: yes\n")
    result = run_kbgen("build", cwd=root)
    assert_clean_failure(result)
    assert "'announcement': must be a mapping (text, link, until)" in result.stderr


def test_every_page_keeps_its_theme_css_and_js_under_60_kb_gzipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOV_29))
    root = write_sources(
        tmp_path / "kb",
        LINK
        + "feedback:\n  endpoint: https://feedback.example.com/kb\n"
        + "  report_failed_searches: true\n"
        + "contact:\n  email: support@example.com\n"
        + "announcement:\n  text: Maintenance on Sunday\n  until: 2026-12-31\n",
    )
    site = build_site(root).output
    pages = [ARTICLE["en"] + "index.html", "en/faq/breaking-rules/index.html"]
    pages += ["en/index.html", "en/search/index.html", "en/404.html", "en/rules/index.html"]
    for rel in pages:
        page = site / rel
        html = page.read_text(encoding="utf-8")
        assert "Maintenance on Sunday" in html
        files = set()
        for tag, attrs in tags(html):
            names = ["src"] if tag == "script" else ["href"] if tag == "link" else []
            names += ["data-worker", "data-core", "data-lunr"]  # the search box loads these
            for name in names:
                value = attrs.get(name) or ""
                if value.endswith((".css", ".js")) and "://" not in value:
                    files.add(value.split("/assets/", 1)[1])
        assert any(f.startswith("js/feedback.") for f in files) or rel.endswith("404.html")
        size = sum(len(gzip.compress((site / "assets" / f).read_bytes(), 9)) for f in files)
        assert len(files) >= 5, files  # main.css, highlight.css, theme.js, kbgen.js, search…
        assert size < 60 * 1024, (rel, size, sorted(files))
