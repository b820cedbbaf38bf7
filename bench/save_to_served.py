#!/usr/bin/env python3
"""Time from saving one article to its new version being served by `kbgen serve`.

usage: python3 bench/save_to_served.py --articles 1000 5000 [--saves 20] [--json FILE]

For each size: generate a corpus (gen_corpus.py, languages en, fr, vi), time `kbgen build` of
it (the baseline, in the same run), start `kbgen serve --port 0` on it, wait for its first
build, then repeatedly save one English article and measure, from the moment the file is
written, until a GET of the article returns the new text. The client waits the way the
browser's live-reload script does: a long poll of /__kbgen/events until the version changes,
then a GET of the page (no busy polling competing with the server for the CPU).

Two kinds of save are measured: an edit below the front matter (the commonest one, patched
in place) and a title edit (the site model is built again from cached bodies, and the
pages listing the article are rendered again).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SETTLE_SECONDS = 3.0  # between saves
GEN = REPO / "bench" / "gen_corpus.py"


def kbgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "kbgen", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=600) as response:
        return bytes(response.read())


def state(base: str, version: int) -> dict[str, object]:
    return dict(json.loads(get(f"{base}__kbgen/events?version={version}&error=0")))


def wait_for_version(base: str, version: int, limit: float = 900.0) -> int:
    """Long-poll until the served version differs from `version`; bounded by `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        now = state(base, version)
        if now["error"]:
            raise SystemExit(f"serve reports errors: {now['errors']}")
        if now["version"] != version:
            return int(now["version"])  # type: ignore[call-overload]
    raise SystemExit("serve did not rebuild in time")


def measure(articles: int, saves: int, work: Path) -> dict[str, object]:
    corpus = work / f"corpus-{articles}"
    subprocess.run(
        [sys.executable, str(GEN), "--articles", str(articles), "--out", str(corpus)],
        check=True,
        capture_output=True,
    )
    (corpus / "config.yaml").write_text("title: Bench\nlanguages: [en, fr, vi]\n", "utf-8")
    pages = sum(1 for _ in (corpus / "content").rglob("*.md"))

    started = time.perf_counter()
    built = kbgen("build", "--output", str(work / f"site-{articles}"), cwd=corpus)
    full_build = time.perf_counter() - started
    assert built.returncode == 0, built.stderr

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    serve = subprocess.Popen(
        [sys.executable, "-m", "kbgen", "serve", "--port", "0"],
        cwd=corpus,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in serve.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        base = lines.get(timeout=120).split("serving ", 1)[1].split(" ", 1)[0]
        started = time.perf_counter()
        version = wait_for_version(base, 0)
        first_build = time.perf_counter() - started

        article = sorted((corpus / "content/en/articles").rglob("kb-*.md"))[42]
        rel = article.relative_to(corpus / "content/en/articles").with_suffix("")
        url = f"{base}en/articles/{rel.as_posix()}/"
        assert get(url)

        def save(kind: str, n: int) -> float:
            nonlocal version
            text = article.read_text(encoding="utf-8")
            marker = f"benchmark-edit-{kind}-{n}"
            if kind == "body":
                head, _, body = text.partition("\n---\n")
                new = f"{head}\n---\n\n{marker}\n{body}"
            else:
                lines_ = text.split("\n")
                lines_[1] = f'title: "Title {marker}"'
                new = "\n".join(lines_)
            started = time.perf_counter()
            article.write_text(new, encoding="utf-8")
            for _ in range(3):  # a version can also be the last edit's related articles
                version = wait_for_version(base, version)
                page = get(url)
                if marker.encode() in page:
                    break
            elapsed = time.perf_counter() - started
            assert marker.encode() in page, "served the old page"
            # serve scores the language's related articles after showing a text edit: the
            # next save is measured once that is done, not while it runs
            time.sleep(SETTLE_SECONDS)
            return elapsed

        body = [save("body", n) for n in range(saves)]
        title = [save("title", n) for n in range(max(3, saves // 4))]
    finally:
        serve.terminate()
        serve.wait(timeout=30)

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "median": statistics.median(ordered),
            "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
            "max": ordered[-1],
            "n": len(ordered),
        }

    return {
        "articles_per_language": articles,
        "markdown_files": pages,
        "full_build_s": full_build,
        "serve_first_build_s": first_build,
        "save_body_s": summary(body),
        "save_title_s": summary(title),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kbgen-bench-"))
    try:
        results = [measure(n, args.saves, work) for n in args.articles]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "python": platform.python_version(),
        "results": results,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        "\n| articles/lang | md files | kbgen build | serve: save → served (body edit) "
        "median / p90 | ratio to build | title edit median |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        b, t = r["save_body_s"], r["save_title_s"]
        print(
            f"| {r['articles_per_language']} | {r['markdown_files']} | {r['full_build_s']:.1f} s "
            f"| {b['median'] * 1000:.0f} ms / {b['p90'] * 1000:.0f} ms "  # type: ignore[index]
            f"| 1/{r['full_build_s'] / b['median']:.0f} "  # type: ignore[index,operator]
            f"| {t['median']:.2f} s |"  # type: ignore[index]
        )


if __name__ == "__main__":
    main()
