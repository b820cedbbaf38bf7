#!/usr/bin/env python3
"""The pagefind engine at scale: build share, first-query transfer, query time, title recall.

usage: python3 bench/pagefind_bench.py [--articles 5000] [--work DIR] [--queries 200]

For each size, generates a corpus with bench/gen_corpus.py (N articles per language, en/fr/vi)
with `search.engine: pagefind`, builds it with kbgen (cold: no output, no cache), then builds
the search step again on its own (every language's bundle, in as many processes as the build
uses) to give its share of the build. The site is served on 127.0.0.1 and, in Chromium:

- first query: the bytes of every search file a fresh page fetches to answer one query and
  show 8 results (pagefind.js, its worker, WebAssembly, metadata, index chunks, fragments);
- query time: `--queries` queries per language (titles of random documents, half of them
  typed without accents), each timed from search() to the data of its first 8 results;
- title recall@5: the share of those title queries whose page is among the first 5 results.

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

LANGS = ("en", "fr", "vi")
CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'"

MEASURE = """
async ([script, queries, ranking]) => {
  const pagefind = await import(script);
  await pagefind.options(ranking ? { baseUrl: "/", ranking } : { baseUrl: "/" });
  const bytes = () => performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/assets/search/"))
    .reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize), 0);
  const searchTimes = [];
  const ask = async (q) => {
    const t = performance.now();
    const found = await pagefind.search(q);
    searchTimes.push(performance.now() - t);
    return Promise.all(found.results.slice(0, 8).map((r) => r.data()));
  };
  await pagefind.init();
  await pagefind.filters();
  const start = performance.now();
  await ask(queries[0][0]);
  const first = { ms: performance.now() - start, bytes: bytes() };
  const times = [];
  const top5 = [];
  for (const [q, url] of queries) {
    const t = performance.now();
    const data = await ask(q);
    times.push(performance.now() - t);
    top5.push(data.slice(0, 5).some((d) => d.url.replace(/^\\/+/, "") === url));
  }
  return { first, times, searchTimes: searchTimes.slice(1), top5, bytes: bytes() };
}
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def search_step(config_path: Path, jobs: int) -> float:
    """The search step of a build, timed on its own: every language's bundle."""
    loaded = load_site(BuildOptions(config_path))
    include = loaded.config.search.include_replies
    started = time.perf_counter()
    docs = [documents(loaded.site, lang, include) for lang in LANGS]
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(pagefind.bundle, LANGS, docs))
    return time.perf_counter() - started


def measure(
    articles: int,
    work: Path,
    queries: int,
    ranking: dict[str, float] | None = None,
    reuse: bool = False,
    with_lunr: bool = False,
) -> dict[str, object]:
    root = work / f"pagefind-{articles}"
    if not root.exists():
        subprocess.run(
            [
                sys.executable,
                str(REPO / "bench/gen_corpus.py"),
                "--articles",
                str(articles),
                "--out",
                str(root),
            ],
            check=True,
        )
        (root / "config.yaml").write_text(
            "title: Bench\nlanguages: [en, fr, vi]\nsearch:\n  engine: pagefind\n",
            encoding="utf-8",
        )
    out = root / "site"
    report: dict[str, object] = {"articles": articles, "languages": {}}
    if not (reuse and out.exists()):
        subprocess.run(["rm", "-rf", str(out), str(root / ".kbgen-cache")], check=True)
        started = time.perf_counter()
        result = build(BuildOptions(root / "config.yaml", output=out, cache=False))
        total = time.perf_counter() - started
        step = search_step(root / "config.yaml", os.cpu_count() or 1)
        report["pages"] = sum(result.pages_per_language.values())
        report["build_seconds"] = round(total, 2)
        report["search_step_seconds"] = round(step, 2)
        report["search_share"] = round(step / total, 3)
    from playwright.sync_api import sync_playwright

    lunr_site = None
    if with_lunr:  # the same corpus with the default engine, for its title recall
        lunr_root = work / f"lunr-{articles}"
        if not lunr_root.exists():
            lunr_root.mkdir(parents=True)
            subprocess.run(["cp", "-r", str(root / "content"), str(lunr_root)], check=True)
            (lunr_root / "config.yaml").write_text(
                "title: Bench\nlanguages: [en, fr, vi]\n", encoding="utf-8"
            )
        lunr_site = lunr_root / "site"
        if not lunr_site.exists():
            build(BuildOptions(lunr_root / "config.yaml", output=lunr_site, cache=False))
    rng = random.Random(articles)
    loaded = load_site(BuildOptions(root / "config.yaml"))
    with serve(out, csp=CSP) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang in LANGS:
            docs = documents(loaded.site, lang, False)
            sample = rng.sample(docs, min(queries, len(docs)))
            asked = [
                [fold(d.title) if n % 2 else d.title, encode_url(d.url)]
                for n, d in enumerate(sample)
            ]
            page = browser.new_page()
            page.goto(f"{base}{lang}/")
            script = f"{base}{pagefind.script_path(lang)}"
            found = page.evaluate(MEASURE, [script, asked, ranking])
            page.close()
            times = found["times"]
            missed = [q for q, hit in zip(asked, found["top5"], strict=True) if not hit]
            if lunr_site is not None:  # the same title queries, through the lunr engine
                with serve(lunr_site) as lunr_base:
                    ranked = run_queries(browser, lunr_base, lang, [q for q, _ in asked])
                lunr_top5 = [url in urls[:5] for (_, url), urls in zip(asked, ranked, strict=True)]
                lunr_missed = [q for q, hit in zip(asked, lunr_top5, strict=True) if not hit]
            files = sorted((out / pagefind.bundle_folder(lang)).rglob("*"))
            report["languages"][lang] = {  # type: ignore[index]
                "documents": len(docs),
                "bundle_files": sum(1 for f in files if f.is_file()),
                "bundle_mb": round(sum(f.stat().st_size for f in files if f.is_file()) / 1e6, 1),
                "first_query_kb": round(found["first"]["bytes"] / 1000, 1),
                "first_query_ms": round(found["first"]["ms"], 1),
                "query_p50_ms": round(statistics.median(times), 1),
                "query_p95_ms": round(percentile(times, 0.95), 1),
                "search_only_p50_ms": round(statistics.median(found["searchTimes"]), 1),
                "search_only_p95_ms": round(percentile(found["searchTimes"], 0.95), 1),
                "query_max_ms": round(max(times), 1),
                "title_recall_at_5": round(sum(found["top5"]) / len(asked), 3),
                "missed": missed[:10],
                **(
                    {
                        "lunr_title_recall_at_5": round(sum(lunr_top5) / len(asked), 3),
                        "lunr_missed": lunr_missed[:10],
                    }
                    if lunr_site is not None
                    else {}
                ),
            }
        browser.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", default="5000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kbgen-pagefind-bench"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ranking", type=json.loads, default=None, help="Pagefind's ranking")
    parser.add_argument("--reuse", action="store_true", help="measure the last build again")
    parser.add_argument("--lunr", action="store_true", help="also the lunr engine's recall")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    reports = [
        measure(int(n), args.work, args.queries, args.ranking, args.reuse, args.lunr)
        for n in args.articles.split(",")
    ]
    print(json.dumps(reports, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
