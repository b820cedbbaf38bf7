"""`kbgen serve`: the site served from memory, rebuilt as files change, reloaded in the browser.

The site is never written to disk: pages live in memory (kbgen.incremental), so serve needs
no output folder and cannot overwrite one. Content files such as images are read from the
content folder when asked for, only if they really are inside it. Every HTML page served
gets one `<script src="/__kbgen/live.js">` (a same-origin file, so a strict CSP still
holds) that long-polls `/__kbgen/events`: it reloads the page after a rebuild and shows
the build's errors over the last good page when a build fails.

Only GET and HEAD are answered; a path with `..`, a backslash, a NUL or an empty segment,
encoded or not, gets 404, as does anything not in the site. A request whose Host header is
not an IP address, `localhost` or the --host given gets 403 (allowed_host): a page of
another site that points its own name at 127.0.0.1 (DNS rebinding) cannot read the preview.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import mimetypes
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from kbgen.build import BuildOptions
from kbgen.config import load_config
from kbgen.diagnostics import BuildFailed, Diagnostic, Diagnostics
from kbgen.incremental import LiveSite, Outcome
from kbgen.theme import load_theme
from kbgen.watch import Watcher

LIVE_JS = Path(__file__).with_name("live.js")
PREFIX = "/__kbgen/"
POLL_SECONDS = 25.0  # a long poll returns after this even if nothing happened
# After a text edit is served, the related articles of its language are scored again (a
# second of CPU on a large site, in this process): they wait this long, so that the
# browsers' reload (the event, the page, its assets) is not slowed by them
RELOAD_GRACE_SECONDS = 0.25
NOT_BUILT = (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    "<title>kbgen serve</title>\n</head>\n<body>\n<h1>kbgen serve</h1>\n"
    "<p>The site has not been built yet: {reason}</p>\n</body>\n</html>\n"
)


@dataclass
class BuildState:
    """What the browser is told: the files' version and the last build's errors."""

    version: int = 0
    error: int = 0  # counts failed builds; 0 while the last build succeeded
    errors: tuple[dict[str, str], ...] = ()


class DevServer:
    def __init__(self, live: LiveSite, root: Path, log: Callable[[str], None]) -> None:
        self.live = live
        self.root = root  # diagnostics name files relative to this folder
        self.log = log
        self.state = BuildState()
        self.changed = threading.Condition()
        self.failures = 0
        self.printed: set[Diagnostic] = set()
        self.building = True
        self.stopping = False

    # Builds --------------------------------------------------------------------------------

    def report(self, outcome: Outcome, what: str) -> None:
        """Tell waiting browsers, then print the outcome. Warnings already printed after an
        earlier build are not printed again: a big site can have thousands, and printing
        them all after each save would cost more than the rebuild (and sorting them out
        takes milliseconds: browsers are told first)."""
        with self.changed:
            if outcome.ok:
                self.state = BuildState(self.live.version)
            else:
                self.failures += 1
                shown = tuple(
                    {"where": _where(d, self.root), "message": d.message}
                    for d in outcome.diagnostics.errors
                )
                self.state = BuildState(self.live.version, self.failures, shown)
            self.building = False
            self.changed.notify_all()
        items = outcome.diagnostics.items
        fresh = [d for d in items if d.severity == "error" or d not in self.printed]
        self.printed = set(items)
        for item in fresh:
            self.log(item.format(self.root))
        repeated = len(items) - len(fresh)
        again = f" ({repeated} warning(s) as before)" if repeated else ""
        if outcome.ok:
            pages = f"{outcome.rendered} file(s) rendered" if not outcome.full else "full build"
            self.log(f"kbgen: {what}: {pages} in {outcome.seconds:.2f} s{again}")
        else:
            errors = len(outcome.diagnostics.errors)
            self.log(f"kbgen: {what}: {errors} error(s); still serving the last good build")

    def on_batch(self, paths: set[Path]) -> None:
        relevant = sorted(p for p in paths if self.live.relevant(p))
        if not relevant:
            return
        # temporary files of editors' saves are gone by now: name what is there
        named = [p for p in relevant if p.exists()] or relevant
        shown = ", ".join(_shown(p, self.root) for p in named[:3])
        shown += " …" if len(named) > 3 else ""
        what = f"rebuilt after {shown}"
        reported: list[Outcome] = []

        def show(outcome: Outcome) -> None:  # the edit is served: browsers reload now
            reported.append(outcome)
            self.report(outcome, what)
            time.sleep(RELOAD_GRACE_SECONDS)  # before the related articles are scored

        try:
            outcome = self.live.update(relevant, show)
        except Exception as exc:  # a bug must not stop the server: show it, keep serving
            self.log(traceback.format_exc())
            diags = Diagnostics()
            diags.error(f"kbgen failed while rebuilding ({exc!r}); please report this bug")
            outcome = Outcome(False, diags, False)
        if not reported:
            self.report(outcome, what)
        if outcome.related is not None:
            self.report(outcome.related, "related articles scored again")

    # Requests ------------------------------------------------------------------------------

    def wait_for_change(self, version: int, error: int) -> BuildState:
        with self.changed:
            self.changed.wait_for(
                lambda: (
                    self.stopping
                    or (
                        not self.building
                        and (self.state.version, self.state.error) != (version, error)
                    )
                ),
                timeout=POLL_SECONDS,
            )
            return self.state

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()


def allowed_host(header: str | None, host: str) -> bool:
    """Whether a request's Host header names this server: an IP address (a rebound name is
    never one), `localhost`, or `host`, the name it was asked to listen on."""
    if not header:
        return False
    try:
        name = urlsplit(f"//{header}").hostname
    except ValueError:
        return False
    if not name:
        return False
    if name in ("localhost", host.lower().strip("[]")):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def site_path(raw: str) -> str | None:
    """The site-relative file a request path asks for, or None when it must not be served."""
    if not raw.startswith("/") or raw.startswith("//"):
        return None  # absolute-form or scheme-relative targets are not for this server
    path = urlsplit(raw).path
    decoded = unquote(path)
    if "\\" in decoded or "\x00" in decoded:
        return None
    segments = decoded.split("/")[1:]
    if any(s in (".", "..") for s in segments) or "" in segments[:-1]:
        return None
    rel = "/".join(segments)
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "kbgen-serve"
    dev: DevServer  # set on the subclass `serve` makes
    host: str  # the --host given, set likewise

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal shows builds, not requests

    def do_GET(self) -> None:
        self.respond(head=False)

    def do_HEAD(self) -> None:
        self.respond(head=True)

    def refuse(self) -> None:
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = refuse

    def respond(self, head: bool) -> None:
        if not allowed_host(self.headers.get("Host"), self.host):
            message = (
                "kbgen serve answers requests for localhost, an IP address or the --host "
                "it was given, not for this Host header.\n"
            )
            self.send(403, "text/plain; charset=utf-8", message.encode(), head)
            return
        raw = self.path
        if raw.startswith(PREFIX):
            self.tool(raw, head)
            return
        rel = site_path(raw)
        # the version first: the files taken next are at least that new (at worst the
        # browser reloads once more); they are one whole build even if a rebuild swaps them
        version = self.dev.state.version
        files = self.dev.live.files
        if rel is None:
            self.not_found(files, "", head, version)
            return
        data = files.get(rel)
        if data is None and not rel.endswith("index.html") and f"{rel}/index.html" in files:
            self.send_response(301)
            self.send_header("Location", urlsplit(raw).path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if data is None:
            data = self.dev.live.search_data(rel)
        if data is None:
            data = self.content_file(rel)
        if data is None:
            if not files:
                reason = "it is building" if self.dev.building else "the build failed"
                page = NOT_BUILT.format(reason=reason).encode()
                self.send(503, "text/html; charset=utf-8", self.inject(page, version), head)
                return
            self.not_found(files, rel, head, version)
            return
        kind = _content_type(rel)
        if kind.startswith("text/html"):
            data = self.inject(data, version)
        self.send(200, kind, data, head)

    def content_file(self, rel: str) -> bytes | None:
        """An image or other file of the content folder, if it is one and lies inside it."""
        path = self.dev.live.assets.get(rel)
        config = self.dev.live.config
        if path is None or config is None:
            return None
        try:
            real = path.resolve(strict=True)
            if not real.is_relative_to(config.content_dir.resolve()) or not real.is_file():
                return None  # a symbolic link made to lead elsewhere since the build
            return real.read_bytes()
        except OSError:
            return None

    def not_found(self, files: dict[str, bytes], rel: str, head: bool, version: int) -> None:
        lang = rel.split("/")[0]
        page = files.get(f"{lang}/404.html") if lang else None
        page = page or files.get("404.html") or b"<!doctype html><title>404</title>Not found"
        self.send(404, "text/html; charset=utf-8", self.inject(page, version), head)

    def inject(self, page: bytes, version: int) -> bytes:
        """The page with the live-reload script; `version`: the build it comes from."""
        tag = f'<script src="{PREFIX}live.js" data-version="{version}" defer></script>'
        at = page.find(b"</head>")
        if at < 0:
            return page + tag.encode()
        return page[:at] + tag.encode() + b"\n" + page[at:]

    def tool(self, raw: str, head: bool) -> None:
        parts = urlsplit(raw)
        if parts.path == PREFIX + "live.js":
            self.send(200, "text/javascript; charset=utf-8", LIVE_JS.read_bytes(), head)
        elif parts.path == PREFIX + "events":
            query = parse_qs(parts.query)
            version = _int(query.get("version", ["0"])[0])
            error = _int(query.get("error", ["0"])[0])
            state = self.dev.wait_for_change(version, error) if not head else self.dev.state
            body = {"version": state.version, "error": state.error, "errors": list(state.errors)}
            self.send(200, "application/json", json.dumps(body).encode(), head)
        else:
            self.not_found({}, "", head, self.dev.state.version)

    def send(self, status: int, kind: str, data: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        # what the built site promises to work under; live.js keeps to it too
        config = self.dev.live.config
        pagefind = config is not None and config.search.engine == "pagefind"
        # Pagefind's search runs WebAssembly: it needs 'wasm-unsafe-eval' (the build says so)
        policy = "script-src 'self' 'wasm-unsafe-eval'" if pagefind else "script-src 'self'"
        self.send_header("Content-Security-Policy", policy)
        self.end_headers()
        if not head:
            self.wfile.write(data)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A browser that closes a tab or reloads mid-response (the live-reload poll above
        # all) leaves the socket closed under the reply: nothing went wrong, nothing to say.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _content_type(rel: str) -> str:
    kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "application/xml"):
        kind += "; charset=utf-8"
    return kind


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _where(diagnostic: Diagnostic, root: Path) -> str:
    """`file:line` as the terminal shows it (relative to where serve was started)."""
    if diagnostic.file is None:
        return ""
    where = _shown(diagnostic.file, root)
    if diagnostic.line is not None:
        where += f":{diagnostic.line}"
    return where


def serve(
    options: BuildOptions,
    host: str = "127.0.0.1",
    port: int = 8000,
    ready: Callable[[str], None] | None = None,
    log: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Build, serve and watch until `stop` is set (or Ctrl+C). `ready` gets the site's URL
    once the server listens; the first build runs after that."""
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    handler: type[_Handler] = type("Handler", (_Handler,), {"host": host})
    server = _Server((host, port), handler)
    bound_port = server.server_address[1]
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{bound_port}/"
    live = LiveSite(BuildOptions(options.config_path, None, url, options.drafts, options.strict))
    dev = DevServer(live, Path.cwd(), log)
    handler.dev = dev
    threading.Thread(target=server.serve_forever, name="kbgen-http", daemon=True).start()
    watcher = Watcher(live.relevant, dev.on_batch)
    watcher.watch(*_folders(options, live))  # before the first build: no save is missed
    watcher.start()
    if ready is not None:
        ready(url)
    try:
        dev.report(live.build(), "built")
        watcher.watch(*_folders(options, live))
        stop = stop or threading.Event()
        while not stop.wait(timeout=1.0):
            # config.yaml may name another content folder or theme: follow it
            watcher.watch(*_folders(options, live))
    finally:
        dev.stop()
        watcher.stop()
        server.shutdown()
        server.server_close()


def _folders(options: BuildOptions, live: LiveSite) -> tuple[list[Path], list[Path]]:
    """(folders watched with their subfolders, folders watched alone: config.yaml's)."""
    flat = [options.config_path.resolve().parent]
    if live.config is not None:
        return live.watched()[1:], flat
    try:
        config = load_config(options.config_path)
        return [config.content_dir, *load_theme(config).folders], flat
    except BuildFailed:
        return [], flat
