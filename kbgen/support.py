"""config.yaml's `feedback`, `contact` and `announcement`: what the help center offers its
readers beside the text ("Was this helpful?" and searches that found nothing, sent to the
site's own endpoint; "Still need help?"; a banner above every page), declared with schema.py
for config.py. `support_notes` says what the build prints about them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from kbgen.schema import At, Bool, Date, Invalid, PerLanguage, Rule, Section, Text
from kbgen.yamlfile import shown

# Hosts an endpoint may be reached on over plain http: the reader's own machine, for tests
# and local trials (a browser treats them as secure contexts too).
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
DATE_VARIABLE = "SOURCE_DATE_EPOCH"  # the reproducible-builds date, in seconds since 1970
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>\\`]")  # never part of a URL we write
_EMAIL = re.compile(  # a plain address: no quoted local part, a dot in the domain
    r"[^@\s\"'<>()\[\]\\,;:]+@[^@\s\"'<>()\[\]\\,;:/?#]+\.[^@\s\"'<>()\[\]\\,;:/?#.]+"
)


def build_date() -> dt.date:
    """The date of this build: $SOURCE_DATE_EPOCH (UTC) where set, as reproducible builds
    define it, else today. Raises Invalid when the variable is not a number of seconds."""
    given = os.environ.get(DATE_VARIABLE, "").strip()
    if not given:
        return dt.date.today()
    try:
        return dt.datetime.fromtimestamp(int(given), dt.timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        raise Invalid(
            f"the build date comes from ${DATE_VARIABLE}, which must be a whole number of "
            f"seconds since 1970, got {given!r}"
        ) from None


def _url(value: Any, example: str, *, local: bool = False, paths: bool = False) -> str:
    """An https:// URL (`local`: or http:// on this machine; `paths`: or a /path)."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"must be an https:// URL such as {example}, got {shown(value)}")
    text = value.strip()
    if _UNSAFE.search(text):
        raise Invalid(f"must be a plain URL, without spaces or quotes, got {shown(value)}")
    if paths and text.startswith("/") and not text.startswith("//"):
        return text
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise Invalid(f"is not a valid URL (check its host), got {shown(value)}") from None
    if "@" in parts.netloc:
        raise Invalid(f"must not hold a user name or password, got {shown(value)}")
    secure = parts.scheme == "https" or (local and parts.scheme == "http" and host in LOCAL_HOSTS)
    if not secure or not host:
        also = " (http:// only for 127.0.0.1 or localhost)" if local else ""
        also += " or a path of this site such as /en/status/" if paths else ""
        raise Invalid(f"must be an https:// URL such as {example}{also}, got {shown(value)}")
    if parts.fragment:
        raise Invalid(f"must not have a #fragment, got {shown(value)}")
    return text


# feedback -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackConfig:
    endpoint: str | None = None  # where votes and failed searches are POSTed; None: no widget
    report_failed_searches: bool = False

    @property
    def origin(self) -> str | None:
        if self.endpoint is None:
            return None
        parts = urlsplit(self.endpoint)
        return f"{parts.scheme}://{parts.netloc}"


def _endpoint(value: Any) -> str:
    return _url(value, "https://feedback.example.com/kb", local=True)


def _searches_need_an_endpoint(values: dict[str, Any], at: At) -> None:
    if values.get("report_failed_searches") and values.get("endpoint") is None:
        at.child("report_failed_searches").fail(
            "needs feedback.endpoint, the address searches are sent to"
        )


FEEDBACK = Section(
    FeedbackConfig,
    {
        "endpoint": Rule(_endpoint, default=None, null_is_absent=True),
        "report_failed_searches": Bool(default=False),
    },
    checks=[_searches_need_an_endpoint],
    problem="must be a mapping (endpoint, report_failed_searches)",
    null_is_absent=True,
)


# contact ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    url: str | None
    email: str | None


@dataclass(frozen=True)
class ContactConfig:
    url: Mapping[str, str] = field(default_factory=dict)  # by language
    email: Mapping[str, str] = field(default_factory=dict)  # by language

    def for_lang(self, lang: str) -> Contact | None:
        """How readers of `lang` reach the team, or None where the config gives no way."""
        url, email = self.url.get(lang), self.email.get(lang)
        return Contact(url, email) if url or email else None


def _contact_url(value: Any) -> str:
    return _url(value, "https://example.com/contact")


def _email(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else None
    if text is None or not _EMAIL.fullmatch(text):
        raise Invalid(f"must be an e-mail address such as support@example.com, got {shown(value)}")
    return text


def _url_or_email(values: dict[str, Any], at: At) -> None:
    written = any(f"{at.key}.{key}" in at.reading.lines for key in ("url", "email"))
    if not written:  # a value written but refused is reported at its own line
        at.fail("needs url, email or both (each one value, or one per language)")


def _contact(
    url: dict[str, str] | None = None, email: dict[str, str] | None = None
) -> ContactConfig:
    return ContactConfig(url or {}, email or {})


CONTACT = Section(
    _contact,
    {
        "url": PerLanguage(Rule(_contact_url), default=None, null_is_absent=True),
        "email": PerLanguage(Rule(_email), default=None, null_is_absent=True),
    },
    checks=[_url_or_email],
    problem="must be a mapping (url, email)",
    null_is_absent=True,
    default=None,
)


# announcement -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    """The banner of one language."""

    text: str
    link: str | None
    id: str  # changes with the text: a dismissal is remembered under it

    @classmethod
    def of(cls, text: str, link: str | None) -> Announcement:
        digest = hashlib.sha256(f"{text}\n{link or ''}".encode()).hexdigest()[:16]
        return cls(text, link, digest)


@dataclass(frozen=True)
class AnnouncementConfig:
    text: Mapping[str, str] = field(default_factory=dict)  # by language
    link: Mapping[str, str] = field(default_factory=dict)  # by language
    until: dt.date | None = None  # the last day it is shown
    ended: bool = False  # `until` is before the build date: shown nowhere

    def for_lang(self, lang: str) -> Announcement | None:
        text = self.text.get(lang)
        if self.ended or not text:
            return None
        return Announcement.of(text, self.link.get(lang))


def _announcement_link(value: Any) -> str:
    return _url(value, "https://status.example.com", paths=True)


class _Until(Date):
    """The last day of the announcement; the build date must be readable to compare it."""

    def check(self, value: Any, at: At) -> dt.date:
        day = super().check(value, at)
        build_date()  # a malformed $SOURCE_DATE_EPOCH is reported here, at this key's line
        return day


def _announcement(
    text: dict[str, str], link: dict[str, str] | None = None, until: dt.date | None = None
) -> AnnouncementConfig:
    made = AnnouncementConfig(text, link or {}, until)
    # decided when the config is read, so an announcement that ends changes the config's
    # key and the next build writes every page again (cache.py)
    return replace(made, ended=until is not None and build_date() > until)


ANNOUNCEMENT = Section(
    _announcement,
    {
        "text": PerLanguage(
            Text(),
            required="'{key}': is required: the announcement, one text or one per language",
            problem="must be a text, or a mapping from language code to text",
        ),
        "link": PerLanguage(Rule(_announcement_link), default=None, null_is_absent=True),
        "until": _Until(default=None, null_is_absent=True),
    },
    problem="must be a mapping (text, link, until)",
    null_is_absent=True,
    default=None,
)


def support_notes(feedback: FeedbackConfig, announcement: AnnouncementConfig | None) -> list[str]:
    """Lines the build prints: the origin the feedback endpoint needs in a CSP, an
    announcement that is no longer shown."""
    notes = []
    if feedback.origin is not None:
        notes.append(f"feedback needs Content-Security-Policy: connect-src {feedback.origin}")
    if announcement is not None and announcement.ended:
        notes.append(
            f"announcement ended on {announcement.until}: no page shows it; "
            "remove it from config.yaml"
        )
    return notes
