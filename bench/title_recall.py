#!/usr/bin/env python3
"""Title recall: every page title, typed as written and folded, finds its page in the top k.

usage: python3 bench/title_recall.py [--articles 1000] [--work DIR] [--gen PATH]

For the benchmark corpus (bench/gen_corpus.py, N articles per language, en/fr/vi) and the
example site (content/), builds the site, then queries its search files with kbgen's Python
query (search/query.py; tests/test_search_parity.py requires the browser to give the same
order) once per indexed page (article, FAQ entry, rules page): its title as written, and its
title folded (accents and tone marks off, as typed on a keyboard without them). A query is
found at k when a page of the same title (several pages may share one) is among the first k
results. Prints a JSON report: recall@1 and recall@5 per site, language and way of typing,
and the queries missed at 5.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kbgen.build import BuildOptions, build  # noqa: E402
from kbgen.search.normalize import fold, normalize  # noqa: E402
from kbgen.search.query import SearchFile  # noqa: E402

LANGS = ("en", "fr", "vi")
KS = (1, 5)


def recall(site: Path, lang: str) -> dict:
    data = (site / "assets" / "search" / f"{lang}.json").read_bytes()
    index = SearchFile.load(data)
    titles = {doc[0]: normalize(doc[1]) for doc in index.docs}
    report: dict = {"pages": len(titles)}
    for way, typed in (("as_written", lambda t: t), ("folded", lambda t: fold(t))):
        found = dict.fromkeys(KS, 0)
        missed = []
        for doc in index.docs:
            query = typed(doc[1])
            urls = index.search(query)[: max(KS)]
            shown = [titles[url] for url in urls]
            for k in KS:
                if normalize(doc[1]) in shown[:k]:
                    found[k] += 1
            if normalize(doc[1]) not in shown:
                missed.append(query)
        total = len(index.docs) or 1
        report[way] = {f"recall@{k}": round(found[k] / total, 4) for k in KS}
        report[way]["missed_at_5"] = missed[:20]
    both = [report[w][f"recall@{k}"] for w in ("as_written", "folded") for k in KS]
    report["lowest"] = min(both)
    return report


def built(config: Path, out: Path) -> Path:
    result = build(BuildOptions(config, output=out, cache=False))
    if result.output is None:
        sys.exit(f"{config}: the build failed")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kbgen-title-recall"))
    parser.add_argument("--gen", type=Path, default=REPO / "bench" / "gen_corpus.py")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = args.work / f"corpus-{args.articles}"
    if not (corpus / "content").exists():
        command = [sys.executable, str(args.gen), "--articles", str(args.articles)]
        subprocess.run([*command, "--out", str(corpus)], check=True, capture_output=True)
    (corpus / "config.yaml").write_text("title: Bench\nlanguages: [en, fr, vi]\n", encoding="utf-8")
    sites = {
        f"corpus-{args.articles}": built(corpus / "config.yaml", args.work / "corpus-site"),
        "example": built(REPO / "config.yaml", args.work / "example-site"),
    }
    report = {name: {lang: recall(site, lang) for lang in LANGS} for name, site in sites.items()}
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
