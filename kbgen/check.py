"""`kbgen check`: what the build checks, without writing a site; `--external` also tries
every link to another site.

The build's stages run up to the site model (front matter, layout, internal links and
anchors, images and other files), nothing is rendered or written. External links are
checked with the standard library: one HEAD request per distinct URL (GET when a server
refuses HEAD), several at a time, each URL within a timeout (connecting, answering and
redirects together).
"""

from __future__ import annotations

import concurrent.futures
import fnmatch
import http.client
import threading
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kbgen import __version__
from kbgen.build import BuildOptions, LoadedSite, load_site
from kbgen.diagnostics import Diagnostics
from kbgen.site import ExternalLink

USER_AGENT = f"kbgen-link-check/{__version__} (+https://pypi.org/project/kbgen/)"
# answers that say "not for robots" rather than "gone": reported as warnings
REFUSED = {401, 403, 429}
RETRY_WITH_GET = {400, 403, 404, 405, 501}  # some servers mishandle HEAD


@dataclass
class CheckResult:
    loaded: LoadedSite
    diagnostics: Diagnostics
    pages: int
    external_checked: int = 0  # distinct URLs tried
    external_ignored: int = 0
    external_links: list[ExternalLink] = field(default_factory=list)


def check(
    options: BuildOptions,
    external: bool = False,
    timeout: float = 10.0,
    ignore: Iterable[str] = (),
    workers: int = 8,
) -> CheckResult:
    """Check the site; BuildFailed for a broken config or theme, else every problem in the
    result's diagnostics."""
    diags = Diagnostics()
    loaded = load_site(options, diags)
    if not diags.errors:  # the paths of the files the build would write: none claimed twice
        from kbgen.render import Assets, check_output_paths

        check_output_paths(loaded.site, Assets.collect(loaded.theme), diags)
    result = CheckResult(loaded, diags, len(loaded.site.standalone_pages))
    if external:
        patterns = list(ignore)
        links = loaded.site.external_links
        wanted = [link for link in links if not _ignored(link.url, patterns)]
        result.external_links = wanted
        result.external_ignored = len(links) - len(wanted)
        result.external_checked = check_external(wanted, diags, timeout, workers)
    return result


def _ignored(url: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(url, p) or url.startswith(p) for p in patterns)


def check_external(
    links: list[ExternalLink],
    diags: Diagnostics,
    timeout: float = 10.0,
    workers: int = 8,
    fetch: Callable[[str, float], tuple[str, str] | None] | None = None,
) -> int:
    """Try each distinct URL once, `workers` at a time; report each dead one at every place
    it is written. Returns the number of URLs tried."""
    where: dict[str, list[ExternalLink]] = defaultdict(list)
    for link in links:
        where[link.url].append(link)
    fetch = fetch or probe
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        answers = dict(zip(where, pool.map(lambda url: fetch(url, timeout), where), strict=True))
    for url, problem in answers.items():
        if problem is None:
            continue
        severity, message = problem
        for link in where[url]:
            report = diags.warning if severity == "warning" else diags.error
            report(f"external link {url}: {message}", link.file, link.line)
    return len(where)


def probe(url: str, timeout: float) -> tuple[str, str] | None:
    """None if `url` answers within `timeout` seconds in all; else (severity, what went
    wrong)."""
    # A socket timeout bounds each read, not the answer: a server sending a byte every half
    # second would hold a check for ever. The URL is tried in a thread of its own, given
    # `timeout` seconds in all; one still waiting then is left behind (a daemon thread, its
    # socket timeout still ends it once the server falls silent).
    answer: list[tuple[str, str] | None] = []
    worker = threading.Thread(target=lambda: answer.append(_probe(url, timeout)), daemon=True)
    worker.start()
    worker.join(timeout)
    if not answer:
        return "error", f"no complete answer within {timeout:g} s"
    return answer[0]


class _NotWeb(urllib.error.URLError):
    """A redirect to another scheme than http(s) (ftp:, file:, data:…)."""


class _WebRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise _NotWeb(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_WebRedirects)


def _probe(url: str, timeout: float) -> tuple[str, str] | None:
    status = None
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
        try:
            with _opener.open(request, timeout=timeout):
                return None  # a 2xx answer, redirects followed
        except urllib.error.HTTPError as exc:
            status = exc.code
            if 300 <= status < 400:  # urllib's own refusal: a loop, or a file: address
                return "error", f"HTTP {status}: a redirect that cannot be followed ({exc.reason})"
            if method == "HEAD" and status in RETRY_WITH_GET:
                continue
        except _NotWeb as exc:
            return "error", (
                f"redirects to {exc.reason}, which is not an http(s) address; link to the "
                "page itself"
            )
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                return "error", f"no answer within {timeout:g} s"
            return "error", f"cannot connect ({reason}); fix or remove the link"
        except TimeoutError:
            return "error", f"no answer within {timeout:g} s"
        except (http.client.HTTPException, ValueError, OSError) as exc:
            return "error", f"broken answer or URL ({exc.__class__.__name__}: {exc})"
        break
    if status in REFUSED:
        return "warning", f"HTTP {status}: the server refuses automated checks; check it by hand"
    return "error", f"HTTP {status}: the page is gone or broken; fix or remove the link"
