#!/usr/bin/env python3
"""Search benchmark: index build time, index size, load and query time in Chromium.

usage: python3 bench/search_bench.py [--articles 1000,5000] [--work DIR] [--gen PATH]

For each size, generates a corpus with bench/gen_corpus.py (N articles per language,
en/fr/vi), builds the site with kbgen, and measures against a baseline built in the same run:
a plain lunr.py index (`lunr.lunr`, default English pipeline, fields title and body) of the
same documents, queried with lunr.js's own `idx.search`. Prints a JSON report on stdout.

`first_download_gzip_mb`: what the browser downloads before the first results appear
(lunr.js, the search core, the worker and the language's index file, gzipped);
`snippets_gzip_kb_p50`/`_max`: the snippet files the first 8 results of a query need on top,
where the index holds no text (median and largest over the queries). `worker_query_*`: the
time from a query posted to the site's own worker to its 8 results back (snippets off), the
path the search box takes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kbgen.build import BuildOptions, build  # noqa: E402
from kbgen.search.index import build_search_files, documents  # noqa: E402
from kbgen.search.normalize import fold, words  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.helpers import serve  # noqa: E402

LANGS = ("en", "fr", "vi")
QUERIES_PER_LANGUAGE = 200

MEASURE = """
async ([scripts, ours, baseline, queries]) => {
  for (const src of scripts) {
    await new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  kbgenSearch.register(lunr);
  const load = async (url, pick) => {
    const t0 = performance.now();
    const data = await (await fetch(url, {cache: "no-store"})).json();
    const index = lunr.Index.load(pick(data));
    return [index, performance.now() - t0];
  };
  // a file's index written short (kbgen's search files since format 2) is expanded first
  const short = (d) => (kbgenSearch.expand ? kbgenSearch.expand(d.index) : d.index);
  const [mine, mineLoad] = await load(ours, short);
  const [base, baseLoad] = await load(baseline, (d) => d);
  const time = (fn) => queries.map((q) => {
    const t0 = performance.now(); fn(q); return performance.now() - t0;
  });
  time((q) => kbgenSearch.search(lunr, mine, q));  // warm up the JIT
  time((q) => base.search(q.replace(/[:^~*+-]/g, " ")));
  return {
    ours: {load: mineLoad, queries: time((q) => kbgenSearch.search(lunr, mine, q))},
    baseline: {load: baseLoad,
               queries: time((q) => base.search(q.replace(/[:^~*+-]/g, " ")))},
  };
}
"""


WORKER = """
async ([worker, lunr, core, index, queries]) => {
  const w = new Worker(worker);
  let next = 1;
  const waiting = {};
  w.onmessage = (e) => { if (e.data.type === "results") waiting[e.data.id](e.data); };
  const ask = (q) => new Promise((resolve) => {
    const id = next++;
    waiting[id] = resolve;
    w.postMessage({type: "search", id, q, limit: 8, snippets: false});
  });
  w.postMessage({type: "init", lunr, core, index});
  await ask("warm");
  for (const q of queries) await ask(q);  // warm up the JIT
  const times = [], refs = [];
  for (const q of queries) {
    const t0 = performance.now();
    const message = await ask(q);
    times.push(performance.now() - t0);
    refs.push(message.results.map((r) => r.ref));
  }
  w.terminate();
  return {times, refs};
}
"""

THEME = REPO / "themes" / "default" / "static"
SCRIPTS = ("vendor/lunr-2.3.9/lunr.min.js", "js/search-core.js", "js/search-worker.js")


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def make_queries(docs: list, rng: random.Random) -> list[str]:
    vocabulary = sorted({w for d in docs[:300] for w in words(d.title + " " + d.text)})
    vocabulary = [w for w in vocabulary if len(w) > 1 and not w.isdigit()]
    found = []
    for n in range(QUERIES_PER_LANGUAGE):
        picks = [rng.choice(vocabulary) for _ in range(1 + n % 3)]
        kind = n % 4
        if kind == 1:
            picks = [fold(w) for w in picks]  # typed without accents
        elif kind == 2:
            picks[-1] = picks[-1][: max(2, len(picks[-1]) // 2)]  # still typing
        found.append(" ".join(picks))
    return found


def baseline_index(docs: list) -> dict:
    from lunr import lunr

    records = [{"id": str(i), "title": d.title, "body": d.text} for i, d in enumerate(docs)]
    return lunr(ref="id", fields=("title", "body"), documents=records).serialize()


def run(articles: int, work: Path, generator: Path) -> dict:
    root = work / f"corpus-{articles}"
    if not (root / "content").exists():
        subprocess.run(
            [sys.executable, str(generator), "--articles", str(articles), "--out", str(root)],
            check=True,
            capture_output=True,
        )
    config = root / "config.yaml"
    config.write_text("title: Bench\nlanguages: [en, fr, vi]\n", encoding="utf-8")
    out = work / f"serve-{articles}" / "site"

    started = time.perf_counter()
    result = build(BuildOptions(config, output=out, cache=False))
    build_seconds = time.perf_counter() - started

    started = time.perf_counter()
    build_search_files(result.site, include_replies=False)  # as the build does: in parallel
    index_seconds = time.perf_counter() - started

    report: dict = {
        "articles_per_language": articles,
        "pages": sum(result.pages_per_language.values()),
        "build_seconds": round(build_seconds, 2),
        "index_seconds_in_build": round(index_seconds, 2),
        "index_share_of_build": round(index_seconds / build_seconds, 3),
        "languages": {},
    }
    rng = random.Random(articles)
    baseline_dir = work / f"serve-{articles}" / "baseline"
    baseline_dir.mkdir(parents=True, exist_ok=True)
    plans = {}
    scripts_gzip = sum(gz((THEME / name).read_bytes()) for name in SCRIPTS)
    report["scripts_gzip_kb"] = round(scripts_gzip / 1e3, 1)
    for lang in LANGS:
        docs = documents(result.site, lang, include_replies=False)
        (path,) = (out / "assets" / "search").glob(f"{lang}.json")
        data = path.read_bytes()
        parsed = json.loads(data)
        index_only = json.dumps(parsed["index"], separators=(",", ":")).encode()  # as written
        started = time.perf_counter()
        base = json.dumps(baseline_index(docs), separators=(",", ":")).encode()
        base_seconds = time.perf_counter() - started
        (baseline_dir / f"{lang}.json").write_bytes(base)
        plans[lang] = (path, make_queries(docs, rng))
        report["languages"][lang] = {
            "documents": len(docs),
            "file_raw_mb": round(len(data) / 1e6, 2),
            "file_gzip_mb": round(len(gzip.compress(data, 6)) / 1e6, 2),
            "first_download_gzip_mb": round((gz(data) + scripts_gzip) / 1e6, 3),
            "index_raw_mb": round(len(index_only) / 1e6, 2),
            "index_gzip_mb": round(len(gzip.compress(index_only, 6)) / 1e6, 2),
            "baseline_index_raw_mb": round(len(base) / 1e6, 2),
            "baseline_index_gzip_mb": round(len(gzip.compress(base, 6)) / 1e6, 2),
            "baseline_build_seconds_one_process": round(base_seconds, 2),
        }

    from playwright.sync_api import sync_playwright

    with serve(work / f"serve-{articles}") as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang, (path, queries) in plans.items():
            page = browser.new_page()
            page.goto(f"{base_url}site/{lang}/")
            form = page.locator("form.search-box")
            scripts = [
                page.evaluate("(u) => new URL(u, document.baseURI).href", form.get_attribute(a))
                for a in ("data-lunr", "data-core")
            ]
            ours = f"{base_url}site/{path.relative_to(out).as_posix()}"
            measured = page.evaluate(
                MEASURE, [scripts, ours, f"{base_url}baseline/{lang}.json", queries]
            )
            page.goto(f"{base_url}site/{lang}/")  # a fresh page for the worker
            form = page.locator("form.search-box")
            urls = [
                page.evaluate("(u) => new URL(u, document.baseURI).href", form.get_attribute(a))
                for a in ("data-worker", "data-lunr", "data-core")
            ]
            in_worker = page.evaluate(WORKER, [urls[0], urls[1], urls[2], ours, queries])
            page.close()
            entry = report["languages"][lang]
            times = in_worker["times"]
            entry["worker_query_p50_ms"] = round(statistics.median(times), 2)
            entry["worker_query_p95_ms"] = round(percentile(times, 95), 2)
            folder = out / "assets" / "search" / lang
            if folder.is_dir():  # snippet files (per = documents in each)
                per = json.loads(path.read_bytes()).get("snippets", 10)
                sizes = {int(f.stem): gz(f.read_bytes()) for f in folder.glob("*.json")}
                needed = [
                    sum(sizes[n] for n in {r // per for r in refs}) for refs in in_worker["refs"]
                ]
                entry["snippet_files"] = len(sizes)
                entry["snippets_gzip_kb_p50"] = round(statistics.median(needed) / 1e3, 1)
                entry["snippets_gzip_kb_max"] = round(max(needed) / 1e3, 1)
            for side in ("ours", "baseline"):
                times = measured[side]["queries"]
                entry[f"{side}_load_ms"] = round(measured[side]["load"], 1)
                entry[f"{side}_query_p50_ms"] = round(statistics.median(times), 2)
                entry[f"{side}_query_p95_ms"] = round(percentile(times, 95), 2)
                entry[f"{side}_query_max_ms"] = round(max(times), 2)
        browser.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="1000,5000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kbgen-search-bench"))
    parser.add_argument("--gen", type=Path, default=REPO / "bench" / "gen_corpus.py")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    reports = [run(int(n), args.work, args.gen) for n in args.articles.split(",")]
    print(json.dumps(reports, indent=2))


if __name__ == "__main__":
    main()
