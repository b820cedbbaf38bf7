"""tests/sites/: small sites that must fail with a given message, or build despite oddities.

Each folder is a site (config.yaml, content/, maybe themes/); `expected.txt` holds lines that
must appear in kbgen's output; `args.txt` extra arguments for `kbgen build`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import assert_clean_failure, run_kbgen

SITES = Path(__file__).parent / "sites"


def _cases(kind: str) -> list[Path]:
    return sorted(p for p in (SITES / kind).iterdir() if p.is_dir())


def _build(site: Path, tmp_path: Path) -> tuple[object, list[str]]:
    work = tmp_path / site.name
    shutil.copytree(site, work, symlinks=True)
    args = (site / "args.txt").read_text().split() if (site / "args.txt").exists() else []
    result = run_kbgen("build", "--output", str(tmp_path / "out"), *args, cwd=work)
    expected = (site / "expected.txt").read_text(encoding="utf-8").splitlines()
    return result, expected


@pytest.mark.parametrize("site", _cases("invalid"), ids=lambda p: p.name)
def test_invalid_site_fails_with_a_clear_message(site: Path, tmp_path: Path) -> None:
    result, expected = _build(site, tmp_path)
    assert_clean_failure(result)  # type: ignore[arg-type]
    for line in expected:
        assert line in result.stderr, f"missing: {line}\n{result.stderr}"  # type: ignore[attr-defined]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("site", _cases("valid"), ids=lambda p: p.name)
def test_odd_but_valid_site_builds(site: Path, tmp_path: Path) -> None:
    result, expected = _build(site, tmp_path)
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    for line in expected:
        assert line in result.stderr, f"missing: {line}\n{result.stderr}"  # type: ignore[attr-defined]
    assert (tmp_path / "out" / "en/articles/start/hello/index.html").is_file()


def test_symlinks_never_hang_or_escape(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid" / "utf8-with-bom", site)
    section = site / "content/en/articles/start"
    (section / "loop").symlink_to(section)
    (section / "passwd.md").symlink_to("/etc/passwd")
    (section / "dangling.md").symlink_to(section / "nowhere.md")
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret\n---\nsecret\n")
    (section / "secret.md").symlink_to(outside)
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=site)
    assert result.returncode == 0, result.stderr
    assert (
        "content/en/articles/start/loop: warning: symbolic link to a folder skipped"
        in result.stderr
    )
    assert "passwd.md: warning: symbolic link leading out of the content folder" in result.stderr
    assert "secret.md: warning: symbolic link leading out of the content folder" in result.stderr
    assert "dangling.md: warning: broken or looping symbolic link" in result.stderr
    assert not (tmp_path / "out/en/articles/start/secret").exists()


def test_huge_file_is_skipped_with_a_warning(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid" / "utf8-with-bom", site)
    huge = site / "content/en/articles/start/huge.md"
    line = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do\n"
    with huge.open("wb") as handle:
        handle.write(b"---\ntitle: Huge\n---\n")
        for _ in range(50 * 1024 * 1024 // len(line)):
            handle.write(line)
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=site)
    assert result.returncode == 0, result.stderr
    assert "huge.md: warning: file of 49 MB skipped" in result.stderr
