"""links.broken / links.anchors: a migration with broken links can build, with warnings."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import kbgen.body_workers
from kbgen.build import BuildOptions, build
from kbgen.diagnostics import BuildFailed
from kbgen.incremental import LiveSite
from tests.helpers import assert_clean_failure, checksums, run_kbgen
from tests.helpers import edit_file as _edit
from tests.test_incremental import _from_scratch, _problems, _served

SITE = Path(__file__).parent / "sites" / "valid" / "custom-heading-ids"
MIGRATED = "content/en/articles/start/migrated.md"
MIGRATED_PAGE = "en/articles/start/migrated/index.html"
BROKEN = 100


def _site(tmp_path: Path, links: str = "") -> Path:
    """The three-language test site, plus an English article (shown untranslated in fr
    and vi) with BROKEN links to headings that do not exist, one a line from line 5."""
    root = tmp_path / "kb"
    shutil.copytree(SITE, root)
    lines = "\n".join(f"[old {n}](hello.md#old-{n})" for n in range(BROKEN))
    (root / MIGRATED).write_text(f"---\ntitle: Migrated\n---\n\n{lines}\n", encoding="utf-8")
    if links:
        _set_links(root, links)
    return root


def _set_links(root: Path, links: str) -> None:
    config = root / "config.yaml"
    text = config.read_text(encoding="utf-8").split("links:")[0].rstrip("\n")
    config.write_text(f"{text}\nlinks:\n{links}", encoding="utf-8")


def test_broken_anchors_are_errors_by_default(tmp_path: Path) -> None:
    root = _site(tmp_path)
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=root)
    assert_clean_failure(result)
    assert f"{BROKEN} error(s)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_anchors_warning_turns_each_broken_anchor_into_a_warning(tmp_path: Path) -> None:
    root = _site(tmp_path, "  anchors: warning\n")
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=root)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert len(warnings) == BROKEN, result.stderr  # once each, not again per fallback page
    for n, line in enumerate(warnings):
        assert line == (
            f"{MIGRATED}:{5 + n}: warning: broken link: 'hello.md#old-{n}': no heading or "
            f"anchor '#old-{n}' in articles/start/hello.md"
        )
    assert f"{BROKEN} warning(s)" in result.stdout
    page = (out / MIGRATED_PAGE).read_text(encoding="utf-8")
    # shown broken, leading to the page that lacks the heading
    assert (
        '<a href="../hello/#old-7" class="broken-link" '
        'title="Broken link: hello.md#old-7 does not exist">old 7</a>'
    ) in page
    assert len(re.findall('class="broken-link"', page)) == BROKEN
    fallback = (out / "fr/articles/start/migrated/index.html").read_text(encoding="utf-8")
    assert 'class="broken-link" title="Lien cassé : hello.md#old-7 n’existe pas"' in fallback
    css = next((out / "assets/css").glob("main.*.css")).read_text(encoding="utf-8")
    assert ".broken-link {" in css


def test_broken_warning_covers_missing_pages_and_files_only(tmp_path: Path) -> None:
    root = _site(tmp_path, "  broken: warning\n")
    (root / MIGRATED).write_text(
        "---\ntitle: Migrated\n---\n\nSee [gone](gone.md) and ![a chart](chart.png).\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=root)
    assert result.returncode == 0, result.stderr
    assert (
        f"{MIGRATED}:5: warning: broken link: 'gone.md': no such page in content/en/ "
        "(articles/start/gone.md)" in result.stderr
    )
    assert f"{MIGRATED}:5: warning: broken link: 'chart.png': no such file" in result.stderr
    page = (out / MIGRATED_PAGE).read_text(encoding="utf-8")
    assert (
        '<a href="gone.md" class="broken-link" title="Broken link: gone.md does not exist">'
    ) in page
    assert 'class="broken-link" title="Broken link: chart.png does not exist"' in page
    # anchors stay errors
    _edit(root / MIGRATED, "(gone.md)", "(hello.md#gone)")
    result = run_kbgen("build", "--output", str(out), cwd=root)
    assert_clean_failure(result)
    assert f"{MIGRATED}:5: error: broken link: 'hello.md#gone'" in result.stderr


def test_strict_fails_on_broken_link_warnings(tmp_path: Path) -> None:
    root = _site(tmp_path, "  anchors: warning\n")
    out = tmp_path / "out"
    result = run_kbgen("build", "--strict", "--output", str(out), cwd=root)
    assert_clean_failure(result)
    assert f"{MIGRATED}:5: warning: broken link: 'hello.md#old-0'" in result.stderr
    assert not out.exists()
    checked = run_kbgen("check", "--strict", cwd=root)
    assert_clean_failure(checked)
    assert run_kbgen("check", cwd=root).returncode == 0


def test_unknown_links_values_are_config_errors(tmp_path: Path) -> None:
    root = _site(tmp_path, "  broken: ignore\n  anchor: warning\n")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=root)
    assert_clean_failure(result)
    assert (
        "config.yaml:5: error: 'links.broken': must be one of error, warning, got 'ignore'"
        in result.stderr
    )
    assert "config.yaml:6: error: 'links.anchor': unknown key (known keys: anchors, broken)" in (
        result.stderr
    )
    _set_links(root, "  - warning\n")
    result = run_kbgen("check", cwd=root)
    assert_clean_failure(result)
    assert "config.yaml:4: error: 'links': must be a mapping (broken, anchors)" in result.stderr


def _assert_like_a_cold_build(root: Path) -> None:
    cold = build(BuildOptions(root / "config.yaml", output=root / "cold", cache=False))
    assert checksums(root / "site") == checksums(root / "cold")
    assert cold.diagnostics.items


def test_a_cached_rebuild_after_changing_links_anchors(tmp_path: Path) -> None:
    root = _site(tmp_path, "  anchors: warning\n")
    first = build(BuildOptions(root / "config.yaml", output=root / "site"))
    assert not first.diagnostics.failed() and len(first.diagnostics.warnings) == BROKEN
    _set_links(root, "  anchors: error\n")
    with pytest.raises(BuildFailed) as failed:
        build(BuildOptions(root / "config.yaml", output=root / "site"))
    problems = failed.value.diagnostics
    assert len(problems.errors) == BROKEN and not problems.warnings
    _set_links(root, "  anchors: warning\n  broken: warning\n")
    again = build(BuildOptions(root / "config.yaml", output=root / "site"))
    assert not again.diagnostics.failed() and len(again.diagnostics.warnings) == BROKEN
    _assert_like_a_cold_build(root)
    # fixed: the page is no longer shown broken
    lines = "\n".join(f"[old {n}](hello.md#sanctions)" for n in range(BROKEN))
    (root / MIGRATED).write_text(f"---\ntitle: Migrated\n---\n\n{lines}\n", encoding="utf-8")
    fixed = build(BuildOptions(root / "config.yaml", output=root / "site"))
    assert not fixed.diagnostics.items
    assert "broken-link" not in (root / "site" / MIGRATED_PAGE).read_text(encoding="utf-8")
    shutil.rmtree(root / "cold")
    cold = build(BuildOptions(root / "config.yaml", output=root / "cold", cache=False))
    assert not cold.diagnostics.items
    assert checksums(root / "site") == checksums(root / "cold")


def test_serve_shows_broken_links_and_follows_links_config(tmp_path: Path) -> None:
    root = _site(tmp_path, "  anchors: warning\n")
    live = LiveSite(BuildOptions(root / "config.yaml"))
    first = live.build()
    assert first.ok and len(first.diagnostics.warnings) == BROKEN
    page = live.files[MIGRATED_PAGE].decode()
    assert 'class="broken-link" title="Broken link: hello.md#old-3 does not exist"' in page
    [css] = [data for path, data in live.files.items() if path.startswith("assets/css/main")]
    assert b".broken-link {" in css
    # a body edit that breaks one more anchor: one more warning, the page updated
    hello = root / "content/en/articles/start/hello.md"
    _edit(hello, "(#appeal)", "(#appeals)")
    edited = live.update([hello])
    assert edited.ok and edited.method == "bodies"
    assert len(edited.diagnostics.warnings) == BROKEN + 1
    hello_page = live.files["en/articles/start/hello/index.html"].decode()
    assert 'href="#appeals" class="broken-link"' in hello_page
    # the missing heading written: the page linking to it is no longer shown broken there
    _edit(hello, "## Sanctions {#sanctions}", "## Old three {#old-3}\n\n## Sanctions {#sanctions}")
    fixed = live.update([hello])
    assert fixed.ok and fixed.method == "bodies"
    assert len(fixed.diagnostics.warnings) == BROKEN
    page = live.files[MIGRATED_PAGE].decode()
    assert '<a href="../hello/#old-3">old 3</a>' in page
    files, _, problems = _from_scratch(root)
    assert files == _served(live)
    assert _problems(fixed.diagnostics) == problems
    # config: anchors are errors again, the last good files are kept
    good = dict(live.files)
    config = root / "config.yaml"
    _set_links(root, "  anchors: error\n")
    failed = live.update([config])
    assert not failed.ok and failed.full
    assert len(failed.diagnostics.errors) == BROKEN and not failed.diagnostics.warnings
    assert live.files == good
    _set_links(root, "  anchors: warning\n")
    back = live.update([config])
    assert back.ok and len(back.diagnostics.warnings) == BROKEN
    assert live.files[MIGRATED_PAGE] == good[MIGRATED_PAGE]


def test_workers_report_and_render_as_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kbgen.body_workers, "PARALLEL_BODIES_FROM", 2)  # this small site in workers
    started: list[int] = []
    real = kbgen.body_workers.BodyWorkers.__init__

    def counted(self: kbgen.body_workers.BodyWorkers, *args: Any) -> None:
        started.append(args[2])
        real(self, *args)

    monkeypatch.setattr(kbgen.body_workers.BodyWorkers, "__init__", counted)
    root = _site(tmp_path, "  anchors: warning\n")
    reports = []
    for jobs in (1, 2):
        options = BuildOptions(root / "config.yaml", root / str(jobs), cache=False, jobs=jobs)
        reports.append([d.format() for d in build(options).diagnostics.items])
    assert started == [2]
    assert len(reports[0]) == BROKEN and reports[0] == reports[1]
    assert checksums(root / "1") == checksums(root / "2")
    # a heading id problem found in a worker is reported as one process reports it
    _edit(root / "content/fr/rules.md", "{#sanctions}", "{#1}")
    errors = []
    for jobs in (1, 2):
        options = BuildOptions(root / "config.yaml", root / "x", cache=False, jobs=jobs)
        with pytest.raises(BuildFailed) as failed:
            build(options)
        errors.append([d.format() for d in failed.value.diagnostics.errors])
    assert errors[0] == errors[1]
    assert [e for e in errors[0] if "is used twice" in e] == [
        f"{root / 'content/fr/rules.md'}:7: error: the id '#1' is used twice on this page "
        "(line 5); give one of the headings another {#id}"
    ]
