"""Putting a build in place: swapped in whole, or, for a rebuild that made few files, updated
in place. Either way the output equals a build from scratch, a failed build changes nothing,
and no file kbgen did not write is touched."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import kbgen.output
from kbgen.build import BuildOptions, BuildResult, build
from kbgen.diagnostics import BuildFailed
from tests.helpers import checksums

ARTICLE = "content/en/articles/community-management/representatives-role.md"
ARTICLE_PAGE = "en/articles/community-management/representatives-role/index.html"


def _build(root: Path, cache: bool = True, out: str = "site") -> BuildResult:
    return build(BuildOptions(root / "config.yaml", output=root / out, cache=cache))


def _edit_article(root: Path, words: str = "One more sentence.") -> None:
    path = root / ARTICLE
    path.write_text(path.read_text(encoding="utf-8") + f"\n{words}\n", encoding="utf-8")


def _empty_folders(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_dir() and not any(p.iterdir())]


@pytest.fixture(params=["in_place", "swap"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every rebuild below made once in place and once by a swap, whatever its size."""
    monkeypatch.setattr(kbgen.output, "IN_PLACE_AT_MOST", 1.0 if request.param == "in_place" else 0)
    return str(request.param)


def test_a_rebuild_in_either_mode_equals_a_build_from_scratch(
    example_copy: Path, mode: str
) -> None:
    _build(example_copy)
    output = example_copy / "site"
    folder_before = output.stat().st_ino
    _edit_article(example_copy)
    (example_copy / "content/en/faq/community-rules/when-to-share.md").unlink()  # a page gone
    again = _build(example_copy)
    assert again.written > 0 and again.kept > 0
    # in place: the same folder; swapped: a new one
    assert (output.stat().st_ino == folder_before) == (mode == "in_place")
    _build(example_copy, cache=False, out="cold")
    assert checksums(output) == checksums(example_copy / "cold")
    assert _empty_folders(output) == [], "the removed page's folder is removed too"
    assert "One more sentence." in (output / ARTICLE_PAGE).read_text(encoding="utf-8")


def test_a_small_rebuild_is_made_in_place(example_copy: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(kbgen.output, "IN_PLACE_AT_MOST", 0.5)  # the example site is small
    _build(example_copy)
    output = example_copy / "site"
    folder_before = output.stat().st_ino
    _edit_article(example_copy)
    again = _build(example_copy)
    assert again.written < again.kept
    assert output.stat().st_ino == folder_before, "the output was not swapped"
    assert "One more sentence." in (output / ARTICLE_PAGE).read_text(encoding="utf-8")
    monkeypatch.setattr(kbgen.output, "IN_PLACE_AT_MOST", 0.01)
    _edit_article(example_copy, "And another.")
    _build(example_copy)
    assert output.stat().st_ino != folder_before, "more than 1% of the files: swapped"


def test_a_file_added_to_the_output_stops_the_build(example_copy: Path, mode: str) -> None:
    _build(example_copy)
    output = example_copy / "site"
    (output / "google-verification.html").write_text("mine", encoding="utf-8")
    before = checksums(output)
    _edit_article(example_copy)
    with pytest.raises(BuildFailed) as failed:
        _build(example_copy)
    message = failed.value.diagnostics.errors[0].message
    assert "did not write" in message and "google-verification.html" in message
    assert checksums(output) == before


def test_a_failed_write_changes_nothing(example_copy: Path, mode: str, monkeypatch: Any) -> None:
    _build(example_copy)
    output = example_copy / "site"
    before = checksums(output)
    real_write = kbgen.output.Staging.write

    def full_disk(self: kbgen.output.Staging, rel: str, data: bytes) -> None:
        if rel.endswith("index.html") and len(self.made) >= 2:
            raise OSError(28, "No space left on device", rel)
        real_write(self, rel, data)

    monkeypatch.setattr(kbgen.output.Staging, "write", full_disk)
    _edit_article(example_copy)
    (example_copy / "content/fr/articles/self-service/nouveau.md").write_text(
        '---\ntitle: "Un nouvel article"\n---\n\nTexte.\n', encoding="utf-8"
    )
    with pytest.raises(BuildFailed) as failed:
        _build(example_copy)
    assert "No space left on device" in failed.value.diagnostics.errors[0].message
    assert checksums(output) == before
    assert _empty_folders(output) == []
    assert not list(example_copy.glob(".site.kbgen-staging-*"))


def test_stopped_half_way_in_place_the_next_build_mends_the_site(
    example_copy: Path, monkeypatch: Any
) -> None:
    """A build killed while it moves its files in leaves whole files of both builds, and a
    marker that claims them all: the next build is not refused, and finishes the job."""
    monkeypatch.setattr(kbgen.output, "IN_PLACE_AT_MOST", 1.0)
    _build(example_copy)
    output = example_copy / "site"
    real_replace = os.replace
    moved: list[str] = []

    def stopping_replace(source: Any, target: Any) -> None:
        # stop right after the new page is in: the output then holds a file that the last
        # whole build did not write
        if moved and "nouveau" in moved[-1]:
            raise OSError(5, "Input/output error", str(target))
        if Path(target).name != kbgen.output.MARKER and Path(target).is_relative_to(output):
            moved.append(str(target))
        real_replace(source, target)

    _edit_article(example_copy)
    (example_copy / "content/en/faq/community-rules/when-to-share.md").unlink()
    (example_copy / "content/fr/articles/self-service/nouveau.md").write_text(
        '---\ntitle: "Un nouvel article"\n---\n\nTexte.\n', encoding="utf-8"
    )
    monkeypatch.setattr(kbgen.output.os, "replace", stopping_replace)
    with pytest.raises(BuildFailed):
        _build(example_copy)
    assert any("nouveau" in path for path in moved), "the new page was moved in"
    assert (output / "fr/articles/self-service/nouveau/index.html").is_file()
    monkeypatch.setattr(kbgen.output.os, "replace", real_replace)
    try:
        _build(example_copy)
    except BuildFailed as failed:
        raise AssertionError(failed.diagnostics.errors[0].format()) from None
    _build(example_copy, cache=False, out="cold")
    assert checksums(output) == checksums(example_copy / "cold")
    assert _empty_folders(output) == []


def test_a_marker_listing_paths_outside_the_output_removes_none_of_them(
    example_copy: Path, mode: str
) -> None:
    """The marker is a file anyone can edit: a path in it that leads out of the output
    folder (.., absolute) is never removed, nor is the folder holding it."""
    _build(example_copy)
    output = example_copy / "site"
    victim = example_copy / "victim.txt"
    victim.write_text("mine", encoding="utf-8")
    (example_copy / "notes").mkdir()
    kept_folder_file = example_copy / "notes/todo.txt"
    kept_folder_file.write_text("mine", encoding="utf-8")
    elsewhere = example_copy.parent / "elsewhere.txt"
    elsewhere.write_text("mine", encoding="utf-8")
    marker = output / kbgen.output.MARKER
    data = json.loads(marker.read_text(encoding="utf-8"))
    data["files"] += ["../victim.txt", "../notes/todo.txt", str(elsewhere), "en/../../victim.txt"]
    marker.write_text(json.dumps(data), encoding="utf-8")
    _edit_article(example_copy)
    _build(example_copy)
    assert victim.read_text(encoding="utf-8") == "mine"
    assert kept_folder_file.read_text(encoding="utf-8") == "mine"
    assert elsewhere.read_text(encoding="utf-8") == "mine"
    _build(example_copy, cache=False, out="cold")
    assert checksums(output) == checksums(example_copy / "cold")


def test_another_users_folder_in_the_output_stops_the_build_before_anything_moves(
    example_copy: Path, mode: str, monkeypatch: Any
) -> None:
    """After one `sudo kbgen build`, a user's build may not remove the old files: it must
    fail before it changes anything (not swap the site in, then fail to remove the old one
    and say it left it as it was). Running as root, the folder's permissions are
    simulated where kbgen asks for them."""
    _build(example_copy)
    output = example_copy / "site"
    roots = output / "en/faq"
    real_access = os.access

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        if Path(path) == roots and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(kbgen.output.os, "access", access)
    before = checksums(output)
    inode = output.stat().st_ino
    _edit_article(example_copy)
    with pytest.raises(BuildFailed) as failed:
        _build(example_copy)
    message = failed.value.diagnostics.errors[0].message
    assert str(roots) in message and "another user" in message
    assert checksums(output) == before and output.stat().st_ino == inode
    assert sorted(p.name for p in example_copy.glob(".site.kbgen-*")) == [".site.kbgen-lock"]


def test_a_last_build_that_cannot_be_removed_stops_no_later_build(
    example_copy: Path, monkeypatch: Any
) -> None:
    """A retired output left by a build that could not remove it (another user's files)
    costs disk space, not every later build."""
    _build(example_copy)
    ended = subprocess.Popen(["true"])
    ended.wait()
    leftover = example_copy / f".site.kbgen-old-{ended.pid}"
    leftover.mkdir()
    (leftover / kbgen.output.MARKER).write_text('{"files": []}', encoding="utf-8")
    real_rmtree = shutil.rmtree

    def rmtree(path: Any, ignore_errors: bool = False, **kwargs: Any) -> None:
        if Path(path) == leftover:
            if ignore_errors:
                return
            raise PermissionError(13, "Permission denied", str(path))
        real_rmtree(path, ignore_errors=ignore_errors, **kwargs)

    monkeypatch.setattr(kbgen.output.shutil, "rmtree", rmtree)
    _edit_article(example_copy)
    _build(example_copy)
    assert "One more sentence." in (example_copy / "site" / ARTICLE_PAGE).read_text("utf-8")


@pytest.mark.parametrize("alias", ["/sitemap.xml", "/assets/search/en.json/"])
def test_an_alias_over_a_generated_file_fails_the_rebuild_and_changes_nothing(
    example_copy: Path, mode: str, alias: str
) -> None:
    """Once built, an alias that would make a generated file a folder: an error naming the
    alias, its file and line (with or without the cache), never a corrupted site."""
    _build(example_copy)
    output = example_copy / "site"
    before = checksums(output)
    path = example_copy / ARTICLE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("---\n", f"---\naliases: ['{alias}']\n", 1), encoding="utf-8")
    for cache in (True, False):
        with pytest.raises(BuildFailed) as failed:
            _build(example_copy, cache=cache)
        error = failed.value.diagnostics.errors[0]
        assert (error.file, error.line) == (path, 2)
        assert f"the alias '{alias}' needs /{alias.strip('/')}/ as a folder" in error.message
        assert checksums(output) == before


def test_a_swap_that_fails_half_way_puts_the_last_build_back(
    example_copy: Path, monkeypatch: Any
) -> None:
    """The error says the previous site was left as it was: it must be there, not beside."""
    monkeypatch.setattr(kbgen.output, "IN_PLACE_AT_MOST", 0)
    _build(example_copy)
    output = example_copy / "site"
    before = checksums(output)
    real_replace = os.replace

    def replace(source: Any, target: Any) -> None:
        if Path(target) == output and ".kbgen-staging-" in str(source):
            raise OSError(5, "Input/output error", str(target))
        real_replace(source, target)

    monkeypatch.setattr(kbgen.output.os, "replace", replace)
    _edit_article(example_copy)
    with pytest.raises(BuildFailed):
        _build(example_copy)
    assert checksums(output) == before
    assert sorted(p.name for p in example_copy.glob(".site.kbgen-*")) == [".site.kbgen-lock"]


def test_another_users_lock_file_does_not_stop_the_build(
    example_copy: Path, monkeypatch: Any
) -> None:
    """After `sudo kbgen build` made the lock file, a user may read it but not write it:
    the build still takes the lock (a lock needs no write access). Running as root, the
    refusal to open it for writing is simulated."""
    lock = example_copy / ".site.kbgen-lock"
    lock.touch()
    real_io_open, real_os_open = io.open, os.open
    writing = os.O_WRONLY | os.O_RDWR | os.O_APPEND

    def io_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, Path)) and Path(file) == lock and mode not in ("r", "rb"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_io_open(file, mode, *args, **kwargs)

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if isinstance(path, (str, Path)) and Path(path) == lock and flags & writing:
            raise PermissionError(13, "Permission denied", str(path))
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(io, "open", io_open)
    monkeypatch.setattr(os, "open", os_open)
    _build(example_copy)
    assert (example_copy / "site" / ARTICLE_PAGE).is_file()
