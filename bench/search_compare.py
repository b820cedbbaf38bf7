#!/usr/bin/env python3
"""Query time on the search worker, two versions of the search scripts in the same run.

usage: python3 bench/search_compare.py SITE BEFORE [--rounds 2] [--seed 5000]

SITE: a site built by kbgen (for instance `serve-5000/site` of bench/search_bench.py's work
folder, kept between runs). BEFORE: a folder holding another version's search-core.js and
search-worker.js (`git show main:themes/default/static/js/search-core.js > BEFORE/…`); the
other side is this checkout's theme. For each language, 200 queries made as search_bench.py
makes them (from the first 300 pages' titles and snippet texts) go through the site's own
index file on each version's worker, alternately, timed with search_bench.py's code (query
posted to 8 results back, snippets off, after a warm-up pass). Prints p50 / p95 / max (ms)
per language and side, the slowest queries before, and whether both sides gave the same 8.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.search_bench import LANGS, WORKER, make_queries, percentile  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.helpers import serve  # noqa: E402

SCRIPTS = ("search-core.js", "search-worker.js")


def queries(site: Path, lang: str, rng: random.Random) -> list[str]:
    folder = site / "assets" / "search"
    docs = json.loads((folder / f"{lang}.json").read_bytes())["docs"]
    texts: list[str] = []
    for n in range(len(docs) // 10 + 1):
        if len(texts) >= 300 or not (folder / lang / f"{n}.json").exists():
            break
        texts += json.loads((folder / lang / f"{n}.json").read_bytes())
    pages = [SimpleNamespace(title=d[1], text=t or "") for d, t in zip(docs, texts, strict=False)]
    return make_queries(pages, rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("before", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=5000, help="as search_bench.py's N=5,000")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rng = random.Random(args.seed)
    planned = {lang: queries(args.site, lang, rng) for lang in LANGS}
    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "site").symlink_to(args.site.resolve())
        for side, source in (("before", args.before), ("after", REPO / "themes/default/static/js")):
            (root / side).mkdir()
            for name in SCRIPTS:
                shutil.copy(source / name, root / side / name)
        with serve(root) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for lang, found in planned.items():
                times: dict[str, list[float]] = {"before": [], "after": []}
                refs = {}
                for _ in range(args.rounds):
                    for side in times:
                        page = browser.new_page()
                        page.goto(f"{base}site/{lang}/")
                        lunr = page.evaluate(
                            "() => new URL(document.querySelector('form.search-box')"
                            ".getAttribute('data-lunr'), document.baseURI).href"
                        )
                        index = f"{base}site/assets/search/{lang}.json"
                        core, worker = (f"{base}{side}/{name}" for name in SCRIPTS)
                        got = page.evaluate(WORKER, [worker, lunr, core, index, found])
                        page.close()
                        times[side] += got["times"]
                        refs[side] = got["refs"]
                entry = {
                    side: {
                        "p50": round(statistics.median(t), 1),
                        "p95": round(percentile(t, 95), 1),
                        "max": round(max(t), 1),
                    }
                    for side, t in times.items()
                }
                slowest = sorted(range(len(found)), key=lambda i: -times["before"][i])[:10]
                entry["slowest_before"] = [
                    [found[i], round(times["before"][i]), round(times["after"][i], 1)]
                    for i in slowest
                ]
                same = sum(a == b for a, b in zip(refs["before"], refs["after"], strict=True))
                entry["same_first_8"] = f"{same}/{len(found)}"
                report[lang] = entry
            browser.close()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
