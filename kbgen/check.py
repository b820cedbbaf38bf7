"""`kbgen check`: what the build checks, without writing a site; `--external` also tries
every link to another site.

The build's stages run up to the site model (front matter, layout, internal links and
anchors, images and other files), nothing is rendered or written. External links are
checked with the standard library: one HEAD request per distinct URL (GET when a server
refuses HEAD), several at a time, each with a timeout.
"""

from __future__ import annotations

import concurrent.futures
import fnmatch
import http.client
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

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
    """None if `url` answers; else (severity, what went wrong)."""
    status = None
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                return None  # redirects followed; 2xx (and 3xx without Location) land here
        except urllib.error.HTTPError as exc:
            status = exc.code
            if method == "HEAD" and status in RETRY_WITH_GET:
                continue
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
