"""Screenshots of the example knowledge base, every page kind, to look at the theme.

    python3 bench/screenshots.py [OUTPUT_DIR] [--lang en,fr,vi] [--full-page]

Builds the repository's example (config.yaml and content/) into a temporary folder, serves it
on 127.0.0.1 and saves, with Playwright and Debian's Chromium (/usr/bin/chromium), one PNG per
page kind (home, section, article, FAQ index, FAQ entry, rules, replies, search with a query,
404) at 1280 px and 390 px wide, light and dark, in each language:
OUTPUT_DIR/<lang>-<kind>-<width>-<scheme>.png (default: /tmp/kbgen-screenshots).
Each shot is the first screen (1280×800, 390×844) unless --full-page.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kbgen.build import BuildOptions, build  # noqa: E402

WIDTHS = {1280: 800, 390: 844}
SCHEMES = ("light", "dark")
# page kind -> a URL in each language of the example
PAGES = {
    "home": {"en": "en/", "fr": "fr/", "vi": "vi/"},
    "section": {
        "en": "en/articles/community-management/",
        "fr": "fr/articles/community-management/",
        "vi": "vi/articles/community-management/",
    },
    "article": {
        "en": "en/articles/community-management/representatives-role/",
        "fr": "fr/articles/community-management/role-des-representants/",
        "vi": "vi/articles/community-management/vai-tro-cua-dai-dien/",
    },
    "faq-index": {"en": "en/faq/", "fr": "fr/faq/", "vi": "vi/faq/"},
    "faq-entry": {
        "en": "en/faq/reply-templates/",
        "fr": "fr/faq/modeles-de-reponse/",
        "vi": "vi/faq/mau-tra-loi/",
    },
    "rules": {"en": "en/rules/", "fr": "fr/rules/", "vi": "vi/rules/"},
    "replies": {"en": "en/replies/", "fr": "fr/replies/", "vi": "vi/replies/"},
    "search": {
        "en": "en/search/?q=rules",
        "fr": "fr/search/?q=regles",
        "vi": "vi/search/?q=quy%20tac",
    },
    "404": {"en": "en/no-such-page/", "fr": "fr/pas-de-page/", "vi": "vi/khong-co-trang/"},
}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site; a missing file gets the language's 404 page, as hosts do."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        lang = self.path.strip("/").split("/")[0]
        page = Path(self.directory) / lang / "404.html"
        if code != 404 or not page.is_file():
            page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        data = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _find_page_url(site: Path, kind: str, lang: str) -> str:
    url = PAGES[kind][lang]
    path = url.split("?")[0]
    if kind == "404" or (site / path / "index.html").is_file():
        return url
    return PAGES[kind]["en"].replace("en/", f"{lang}/", 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", nargs="?", default="/tmp/kbgen-screenshots", type=Path)
    parser.add_argument("--lang", default="en,fr,vi")
    parser.add_argument("--kinds", default=",".join(PAGES))
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kbgen-shots-") as temp:
        site = Path(temp) / "site"
        build(BuildOptions(REPO / "config.yaml", output=site, cache=False))
        handler = functools.partial(_Handler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        count = 0
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"]
                )
                for width, height in WIDTHS.items():
                    for scheme in SCHEMES:
                        context = browser.new_context(
                            viewport={"width": width, "height": height},
                            color_scheme=scheme,  # type: ignore[arg-type]
                        )
                        page = context.new_page()
                        for lang in args.lang.split(","):
                            for kind in args.kinds.split(","):
                                page.goto(base + _find_page_url(site, kind, lang))
                                if kind == "search":
                                    page.wait_for_selector("#search-results a, #search-empty")
                                page.wait_for_timeout(150)  # let the toc mark a heading
                                name = f"{lang}-{kind}-{width}-{scheme}.png"
                                page.screenshot(path=args.output / name, full_page=args.full_page)
                                count += 1
                        context.close()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    print(f"{count} screenshots in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
