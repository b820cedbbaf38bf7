"""What related articles cost a cold build.

    python3 bench/related.py [--articles 1000] [--runs 5]

Generates the corpus once (bench/gen_corpus.py: its articles have tags), then times, in one
run and alternating, kbgen's cold build (no output, no cache) with related articles as
configured by default and with `related: {count: 0}` (none computed; the tag pages and the
search index stay the same). Prints the median wall and CPU time (the build process and its
workers) of each, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIG = "title: Bench\nbase_url: https://kb.example.com/\nlanguages: [en, fr, vi]\n"


def _cold_build(site: Path, config: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one cold build of `site` with `config`."""
    (site / "config.yaml").write_text(config, encoding="utf-8")
    for folder in ("site", ".kbgen-cache"):
        shutil.rmtree(site / folder, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kbgen", "build", "--no-cache"],
        cwd=site,
        env=env,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "kb"
        subprocess.run(
            [
                sys.executable,
                str(REPO / "bench" / "gen_corpus.py"),
                "--articles",
                str(args.articles),
                "--out",
                str(site),
            ],
            check=True,
            capture_output=True,
        )
        configs = {"related": CONFIG, "none": CONFIG + "related:\n  count: 0\n"}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in configs}
        for _ in range(args.runs):
            for name, config in configs.items():  # alternating: the machine's drift is shared
                times[name].append(_cold_build(site, config))
        medians = {
            name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
            for name, runs in times.items()
        }
        for name, (wall, cpu) in medians.items():
            print(f"{name:8} wall {wall:6.2f} s  CPU {cpu:6.2f} s  ({len(times[name])} runs)")
        (wall, cpu), (wall0, cpu0) = medians["related"], medians["none"]
        print(f"related / none: wall {wall / wall0:.3f}x, CPU {cpu / cpu0:.3f}x")


if __name__ == "__main__":
    main()
