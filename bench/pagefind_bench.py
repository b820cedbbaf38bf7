#!/usr/bin/env python3
"""The pagefind engine at scale: build share, first-query transfer, query time, title recall.

usage: python3 bench/pagefind_bench.py [--articles 5000] [--langs en,fr,vi] [--work DIR]
                                       [--queries 200] [--before 40] [--lunr] [--reuse]

For each size, generates a corpus with bench/gen_corpus.py (N articles per language) with
`search.engine: pagefind`, builds it with kbgen (cold: no output, no cache), then builds the
search step again on its own (every language's bundle, in as many processes as the build
uses) to give its share of the build. The site is served on 127.0.0.1 and, in Chromium, per
language, through the site's own search-pagefind.js as the search box uses it:

- first query: the bytes of every search file fetched to load the engine, answer one query
  and show 8 results (pagefind.js, its worker, WebAssembly, metadata, index chunks,
  fragments: counted from the browser's network events, which see the requests of
  Pagefind's worker; the page's own performance entries do not), and its time, loading
  included;
- query time: `--queries` queries (titles of random documents, every other one typed
  without accents), each timed from the search message to the answer with its first 8
  results, as the search box asks;
- title recall@5: the share of those title queries whose page is among the first 5 results.

`--before N`: also the way kbgen searched before the fix of its query time, on the same
bundle and the first N of the same queries: pagefind.search() asked the query as typed.

Prints a JSON report on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kbgen.build import BuildOptions, build, load_site  # noqa: E402
from kbgen.search import pagefind  # noqa: E402
from kbgen.search.index import documents  # noqa: E402
from kbgen.search.normalize import fold  # noqa: E402
from kbgen.urls import encode_url  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.helpers import serve  # noqa: E402
from tests.search_browser import run_queries  # noqa: E402

CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'"
SHOWN = 8  # results the search box shows

# The site's search-pagefind.js, started as search-ui.js starts it, asked each query in turn.
ASK = """
async ([queries, limit]) => {
  if (!window.benchEngine) {
    const form = document.querySelector("form.search-box");
    window.benchEngine = window.kbgenPagefind.start(form);
    window.benchEngine.addEventListener("message", (event) => {
      const message = event.data, waiting = window.benchWaiting;
      if (!waiting) return;
      if (message.type === "error") waiting.reject(new Error(message.message));
      else if (message.type === "results" && message.id === waiting.id) waiting.resolve(message);
    });
    window.benchId = 0;
  }
  const ask = (q) => new Promise((resolve, reject) => {
    window.benchWaiting = { id: ++window.benchId, resolve, reject };
    window.benchEngine.postMessage({ type: "search", id: window.benchId, q, limit });
  });
  const times = [];
  const urls = [];
  for (const q of queries) {
    const t = performance.now();
    const message = await ask(q);
    times.push(performance.now() - t);
    urls.push(message.results.map((r) => r.url));
  }
  return { times, urls };
}
"""

# As kbgen searched before: Pagefind asked the query as typed.
ASK_BEFORE = """
async ([script, queries, limit]) => {
  const pagefind = await import(script);
  await pagefind.options({ baseUrl: "/" });
  await pagefind.init();
  await pagefind.filters();
  const times = [];
  const urls = [];
  for (const q of queries) {
    const t = performance.now();
    const found = await pagefind.search(q);
    const data = await Promise.all(found.results.slice(0, limit).map((r) => r.data()));
    times.push(performance.now() - t);
    urls.push(data.map((d) => d.url.replace(/^\\/+/, "")));
  }
  return { times, urls };
}
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def search_step(config_path: Path, langs: list[str], jobs: int) -> float:
    """The search step of a build, timed on its own: every language's bundle."""
    loaded = load_site(BuildOptions(config_path))
    include = loaded.config.search.include_replies
    started = time.perf_counter()
    docs = [documents(loaded.site, lang, include) for lang in langs]
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(pagefind.bundle, langs, docs))
    return time.perf_counter() - started


def search_bytes(requests: list[Any]) -> int:
    """Bytes received for search files (headers and body as sent), from network events."""
    total = 0
    for request in requests:
        if "/assets/search/" in request.url:
            sizes = request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return total


def fresh_page(browser: Any) -> tuple[Any, Any, list[Any]]:
    """A page in a context of its own (a cold cache), and the list of its finished requests."""
    context = browser.new_context()
    page = context.new_page()
    requests: list[Any] = []

    def keep(request: Any) -> None:
        requests.append(request)

    page.on("requestfinished", keep)
    return context, page, requests


def timing(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
    }


def recall(asked: list[list[str]], urls: list[list[str]]) -> tuple[float, list[str]]:
    hits = [url in found[:5] for (_, url), found in zip(asked, urls, strict=True)]
    missed = [q for (q, _), hit in zip(asked, hits, strict=True) if not hit]
    return round(sum(hits) / len(hits), 3), missed[:10]


def measure(
    articles: int,
    langs: list[str],
    work: Path,
    queries: int,
    before: int = 0,
    reuse: bool = False,
    with_lunr: bool = False,
) -> dict[str, object]:
    root = work / f"pagefind-{articles}-{'-'.join(langs)}"
    if not root.exists():
        subprocess.run(
            [
                sys.executable,
                str(REPO / "bench/gen_corpus.py"),
                "--articles",
                str(articles),
                "--langs",
                ",".join(langs),
                "--out",
                str(root),
            ],
            check=True,
            stdout=sys.stderr,  # stdout carries the report
        )
        (root / "config.yaml").write_text(
            f"title: Bench\nlanguages: [{', '.join(langs)}]\nsearch:\n  engine: pagefind\n",
            encoding="utf-8",
        )
    out = root / "site"
    jobs = os.cpu_count() or 1
    report: dict[str, Any] = {"articles": articles, "languages": {}}
    if not (reuse and out.exists()):
        subprocess.run(["rm", "-rf", str(out), str(root / ".kbgen-cache")], check=True)
        started = time.perf_counter()
        result = build(BuildOptions(root / "config.yaml", output=out, cache=False))
        total = time.perf_counter() - started
        step = search_step(root / "config.yaml", langs, jobs)
        report["pages"] = sum(result.pages_per_language.values())
        report["build_seconds"] = round(total, 2)
        report["search_step_seconds"] = round(step, 2)
        report["search_share"] = round(step / total, 3)
    from playwright.sync_api import sync_playwright

    lunr_site = None
    if with_lunr:  # the same corpus with the default engine, for its title recall
        lunr_root = work / f"lunr-{articles}-{'-'.join(langs)}"
        if not lunr_root.exists():
            lunr_root.mkdir(parents=True)
            subprocess.run(["cp", "-r", str(root / "content"), str(lunr_root)], check=True)
            (lunr_root / "config.yaml").write_text(
                f"title: Bench\nlanguages: [{', '.join(langs)}]\n", encoding="utf-8"
            )
        lunr_site = lunr_root / "site"
        if not lunr_site.exists():
            build(BuildOptions(lunr_root / "config.yaml", output=lunr_site, cache=False))
    rng = random.Random(articles)
    loaded = load_site(BuildOptions(root / "config.yaml"))
    with serve(out, csp=CSP) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang in langs:
            docs_of = documents(loaded.site, lang, False)
            sample = rng.sample(docs_of, min(queries, len(docs_of)))
            asked = [
                [fold(d.title) if n % 2 else d.title, encode_url(d.url)]
                for n, d in enumerate(sample)
            ]
            context, page, requests = fresh_page(browser)
            page.goto(f"{base}{lang}/")
            first = page.evaluate(ASK, [[asked[0][0]], SHOWN])
            first_bytes = search_bytes(requests)
            found = page.evaluate(ASK, [[q for q, _ in asked], SHOWN])
            context.close()
            files = [f for f in (out / pagefind.bundle_folder(lang)).rglob("*") if f.is_file()]
            row: dict[str, Any] = {
                "documents": len(docs_of),
                "bundle_files": len(files),
                "bundle_mb": round(sum(f.stat().st_size for f in files) / 1e6, 1),
                "first_query_kb": round(first_bytes / 1000, 1),
                "first_query_ms": round(first["times"][0], 1),
                "query": timing(found["times"]),
            }
            row["title_recall_at_5"], row["missed"] = recall(asked, found["urls"])
            if before:
                context, page, requests = fresh_page(browser)
                page.goto(f"{base}{lang}/")
                script = f"{base}{pagefind.script_path(lang)}"
                first = page.evaluate(ASK_BEFORE, [script, [asked[0][0]], SHOWN])
                first_bytes = search_bytes(requests)
                old = page.evaluate(ASK_BEFORE, [script, [q for q, _ in asked[:before]], SHOWN])
                context.close()
                row["before"] = {
                    "first_query_kb": round(first_bytes / 1000, 1),
                    "query": timing(old["times"]),
                    "query_after_same_queries": timing(found["times"][:before]),
                    "title_recall_at_5": recall(asked[:before], old["urls"])[0],
                    "title_recall_at_5_after_same_queries": recall(
                        asked[:before], found["urls"][:before]
                    )[0],
                }
            if lunr_site is not None:  # the same title queries, through the lunr engine
                with serve(lunr_site) as lunr_base:
                    ranked = run_queries(browser, lunr_base, lang, [q for q, _ in asked])
                row["lunr_title_recall_at_5"], row["lunr_missed"] = recall(asked, ranked)
            report["languages"][lang] = row
        browser.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", default="5000")
    parser.add_argument("--langs", default="en,fr,vi")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kbgen-pagefind-bench"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--before", type=int, default=0, help="queries asked as before the fix")
    parser.add_argument("--reuse", action="store_true", help="measure the last build again")
    parser.add_argument("--lunr", action="store_true", help="also the lunr engine's recall")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    langs = args.langs.split(",")
    reports = [
        measure(int(n), langs, args.work, args.queries, args.before, args.reuse, args.lunr)
        for n in args.articles.split(",")
    ]
    print(json.dumps(reports, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
