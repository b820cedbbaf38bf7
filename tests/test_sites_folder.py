"""tests/sites/: small sites that must fail with a given message, or build despite oddities.

Each folder is a site (config.yaml, content/, maybe themes/); `expected.txt` holds lines that
must appear in kbgen's output; `args.txt` extra arguments for `kbgen build`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from kbgen.build import BuildOptions, build
from kbgen.diagnostics import BuildFailed
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


def _secret_folder(tmp_path: Path) -> Path:
    """A folder outside the site, holding what must never be published."""
    outside = tmp_path / "elsewhere"
    (outside / "articles/start").mkdir(parents=True)
    (outside / "passwd").write_text("root:x:0:0\n")
    (outside / "articles/start/_section.md").write_text("---\ntitle: Start\n---\n")
    return outside


def test_a_language_folder_linked_out_of_the_site_is_an_error(tmp_path: Path) -> None:
    """`rm -r content/fr; ln -s /etc content/fr` must publish nothing of /etc."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid" / "utf8-with-bom", site)
    shutil.rmtree(site / "content/fr")
    (site / "content/fr").symlink_to(_secret_folder(tmp_path), target_is_directory=True)
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=site)
    assert_clean_failure(result)
    assert "content/fr: error: the language folder is a symbolic link" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_content_folder_linked_out_of_the_site_is_an_error(tmp_path: Path) -> None:
    """The content folder itself obeys the same rule; config.yaml may name a folder
    elsewhere (the documented way), a symbolic link may not."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid" / "utf8-with-bom", site)
    elsewhere = tmp_path / "shared-content"
    shutil.move(site / "content", elsewhere)
    (elsewhere / "en/passwd").write_text("root:x:0:0\n")
    (site / "content").symlink_to(elsewhere, target_is_directory=True)
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=site)
    assert_clean_failure(result)
    assert "content: error: the content folder is a symbolic link leading out" in result.stderr
    assert not (tmp_path / "out").exists()
    (site / "content").unlink()
    with (site / "config.yaml").open("a") as config:
        config.write(f"content_dir: {elsewhere}\n")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=site)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out/en/passwd").is_file()


def test_a_theme_linking_out_of_the_site_is_an_error(tmp_path: Path) -> None:
    """Theme folders and every file in them: a static file linked to a file outside the
    site would be published under /assets/."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid" / "utf8-with-bom", site)
    outside = _secret_folder(tmp_path)
    theme = site / "themes/mine"
    (theme / "static").mkdir(parents=True)
    (theme / "theme.yaml").write_text("extends: default\n")
    (theme / "static/passwd.txt").symlink_to(outside / "passwd")
    with (site / "config.yaml").open("a") as config:
        config.write("theme: mine\n")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=site)
    assert_clean_failure(result)
    assert (
        "themes/mine/static/passwd.txt: error: symbolic link leading out of the site's folder"
        in result.stderr
    )
    assert not (tmp_path / "out").exists()
    shutil.rmtree(theme)
    (theme).symlink_to(outside, target_is_directory=True)
    (outside / "theme.yaml").write_text("extends: default\n")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=site)
    assert_clean_failure(result)
    assert "themes/mine: error: the theme folder is a symbolic link leading out" in result.stderr
    assert not (tmp_path / "out").exists()


def _unreadable(monkeypatch: pytest.MonkeyPatch, *folders: Path) -> None:
    """`chmod 000` on these folders, for a build that is not root's (tests run as root, for
    whom permissions do not apply): listing them fails where the system would fail it."""
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path) in folders:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def _build_in_process(site: Path, tmp_path: Path) -> list[str]:
    """The errors of building `site`, which must fail, as kbgen prints them."""
    with pytest.raises(BuildFailed) as failed:
        build(BuildOptions(site / "config.yaml", output=tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    return [d.format(site) for d in failed.value.diagnostics.errors]


def test_an_unreadable_section_folder_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid" / "utf8-with-bom", site)
    _unreadable(monkeypatch, site / "content/en/articles/start")
    errors = _build_in_process(site, tmp_path)
    assert any(
        e.startswith("content/en/articles/start: error: cannot read the folder: Permission denied")
        for e in errors
    ), errors


def test_an_unreadable_language_folder_is_an_error_not_a_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid" / "utf8-with-bom", site)
    _unreadable(monkeypatch, site / "content/fr")
    errors = _build_in_process(site, tmp_path)
    assert any(e.startswith("content/fr: error: cannot read the folder") for e in errors), errors


def test_an_unreadable_content_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid" / "utf8-with-bom", site)
    image = site / "content/en/articles/start/diagram.png"
    image.write_bytes(b"\x89PNG")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode, **kw: Path(path) != image and real_access(path, mode, **kw)
    )
    errors = _build_in_process(site, tmp_path)
    assert "content/en/articles/start/diagram.png: error: cannot read the file" in errors[0]


def test_check_reports_a_path_claimed_as_a_file_and_a_folder(tmp_path: Path) -> None:
    """`kbgen check` checks what the build checks: an alias over a generated file too."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "invalid" / "alias-over-the-sitemap", site)
    result = run_kbgen("check", cwd=site)
    assert_clean_failure(result)
    expected = (site / "expected.txt").read_text(encoding="utf-8").strip()
    assert expected in result.stderr, result.stderr


def test_an_unreadable_theme_folder_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid" / "utf8-with-bom", site)
    theme = site / "themes/mine"
    (theme / "static/img").mkdir(parents=True)
    (theme / "static/img/logo.svg").write_text("<svg/>")
    (theme / "theme.yaml").write_text("extends: default\n")
    with (site / "config.yaml").open("a") as config:
        config.write("theme: mine\n")
    _unreadable(monkeypatch, theme / "static/img")
    errors = _build_in_process(site, tmp_path)
    assert errors[0].startswith("themes/mine/static/img: error: cannot read the folder"), errors
