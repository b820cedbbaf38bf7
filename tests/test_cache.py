"""The build cache: a rebuild that reuses what it can gives exactly the files of a build from
scratch, and redoes only what a change touches."""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest

import kbgen.sources
from kbgen import depends
from kbgen.build import BuildOptions, BuildResult, build
from kbgen.cache import MAGIC, CachedBodies, _Changes, _load, cache_key
from tests.helpers import checksums, run_kbgen
from tests.helpers import edit_file as _edit

FR_ROLE = "content/fr/articles/community-management/representatives-role.md"
VI_ROLE = "content/vi/articles/community-management/representatives-role.md"
FR_ROLE_PAGE = "fr/articles/community-management/role-des-representants/index.html"


def _build(root: Path, cache: bool = True, out: str = "site") -> BuildResult:
    return build(BuildOptions(root / "config.yaml", output=root / out, cache=cache))


def _assert_like_a_cold_build(root: Path) -> None:
    cold = _build(root, cache=False, out="cold")
    assert cold.kept == 0
    assert checksums(root / "site") == checksums(root / "cold")


def page_text(root: Path) -> None:
    _edit(root / FR_ROLE, "ne fonctionnent pas tout seuls", "ne tournent pas toutes seules")


def translation_title(root: Path) -> None:
    # shown in the fr and en pages' language switchers and hreflang, and in vi listings
    _edit(root / VI_ROLE, 'title: "', 'title: "Mới: ')


def updated_date(root: Path) -> None:
    # the sitemap's lastmod, and the page's own date line
    _edit(root / FR_ROLE, "updated: 2026-09-21", "updated: 2026-10-02")


def template(root: Path) -> None:
    theme = root / "themes" / "brand"
    (theme / "templates" / "partials").mkdir(parents=True)
    (theme / "theme.yaml").write_text("extends: default\n", encoding="utf-8")
    (theme / "templates" / "partials" / "breadcrumbs.html").write_text(
        '<p class="brand-crumbs">{{ page.title }}</p>\n', encoding="utf-8"
    )
    _edit(root / "config.yaml", "theme: default", "theme: brand")


def config_title(root: Path) -> None:
    config = (root / "config.yaml").read_text(encoding="utf-8")
    assert "\ntitle:" in config
    (root / "config.yaml").write_text(config + "\nsearch:\n  include_replies: true\n", "utf-8")


def faq_answer(root: Path) -> None:
    # listed with its answer on the FAQ index, and shown on the home page
    path = root / "content/fr/faq/representatives/price-change-thread.md"
    _edit(path, "Remerciez l’utilisateur", "Remerciez d’abord l’utilisateur")


def deleted_faq(root: Path) -> None:
    (root / "content/en/faq/community-rules/when-to-share.md").unlink()


def new_article(root: Path) -> None:
    (root / "content/fr/articles/self-service/nouveau.md").write_text(
        '---\ntitle: "Un nouvel article"\n---\n\nLien vers [le rôle](../community-management/'
        "representatives-role.md).\n",
        encoding="utf-8",
    )


FR_WHY = "content/fr/articles/self-service/why-self-service.md"


def tag_added(root: Path) -> None:
    # a new tag page, a count on the tags index, the related articles of three pages
    _edit(
        root / FR_WHY, 'tags: ["libre-service"', 'tags: ["modération", "autonomie", "libre-service"'
    )


def related_by_text(root: Path) -> None:
    # a text edit alone: the related articles of another page change with it
    (root / FR_WHY).write_text(
        (root / FR_WHY).read_text(encoding="utf-8") + "\nLe rôle de vos représentants : une "
        "réponse à chaque question, une réponse rapide, une réponse juste ; savoir intervenir.\n",
        encoding="utf-8",
    )


def related_chosen(root: Path) -> None:
    _edit(
        root / FR_ROLE, "weight: 1\n", "weight: 1\nrelated: [../self-service/why-self-service.md]\n"
    )


Change = Callable[[Path], None]
CHANGES = [
    page_text,
    translation_title,
    updated_date,
    template,
    config_title,
    faq_answer,
    deleted_faq,
    new_article,
    related_by_text,
    tag_added,
    related_chosen,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_a_cached_rebuild_equals_a_build_from_scratch(example_copy: Path, change: Change) -> None:
    first = _build(example_copy)
    assert first.kept == 0 and first.written > 0
    change(example_copy)
    again = _build(example_copy)
    assert again.site is not None, "a change was taken for no change"
    _assert_like_a_cold_build(example_copy)
    if change is page_text:
        # the page, its section page and nothing else of the 57 pages is rendered again
        assert again.kept > 40
        assert again.written < first.written - 40


def test_every_change_in_a_row(example_copy: Path) -> None:
    _build(example_copy)
    for change in CHANGES:
        change(example_copy)
        _build(example_copy)
        _assert_like_a_cold_build(example_copy)


def test_nothing_changed_writes_nothing(example_copy: Path) -> None:
    _build(example_copy)
    before = {p: p.stat().st_mtime_ns for p in (example_copy / "site").rglob("*")}
    again = _build(example_copy)
    assert again.site is None and again.written == 0
    assert {p: p.stat().st_mtime_ns for p in (example_copy / "site").rglob("*")} == before
    # the command line says so
    result = run_kbgen("build", cwd=example_copy)
    assert result.returncode == 0, result.stderr
    assert "nothing changed since the last build" in result.stdout


def test_warnings_are_reported_again_when_nothing_changed(example_copy: Path) -> None:
    _edit(example_copy / FR_ROLE, 'title: "', 'colour: blue\ntitle: "')
    first = _build(example_copy)
    assert [d.message for d in first.diagnostics.warnings]
    again = _build(example_copy)
    assert again.site is None
    assert [d.format() for d in again.diagnostics.items] == [
        d.format() for d in first.diagnostics.items
    ]
    strict = run_kbgen("build", "--strict", cwd=example_copy)
    assert strict.returncode == 1 and "colour" in strict.stderr


def test_an_output_file_changed_by_hand_is_made_again(example_copy: Path) -> None:
    _build(example_copy)
    page = example_copy / "site" / FR_ROLE_PAGE
    page.write_text("edited by hand", encoding="utf-8")
    again = _build(example_copy)
    assert again.site is not None  # the output is not as the last build left it
    _assert_like_a_cold_build(example_copy)


def test_an_output_file_removed_by_hand_is_made_again(example_copy: Path) -> None:
    _build(example_copy)
    (example_copy / "site" / FR_ROLE_PAGE).unlink()
    again = _build(example_copy)
    assert again.site is not None and again.written >= 1
    _assert_like_a_cold_build(example_copy)


def test_a_search_file_removed_by_hand_is_made_again(example_copy: Path) -> None:
    # the indexes start before the output is locked and checked: the check still decides
    _build(example_copy)
    (example_copy / "site" / "assets" / "search" / "fr.json").unlink()
    again = _build(example_copy)
    assert again.site is not None and again.written >= 1
    assert (example_copy / "site" / "assets" / "search" / "fr.json").is_file()
    _assert_like_a_cold_build(example_copy)


def test_a_file_added_to_the_output_is_not_taken_for_no_change(example_copy: Path) -> None:
    _build(example_copy)
    (example_copy / "site" / "fr" / "notes.txt").write_text("mine", encoding="utf-8")
    result = run_kbgen("build", cwd=example_copy)
    assert result.returncode == 1
    assert "nothing changed" not in result.stdout
    assert "fr/notes.txt" in result.stderr


def test_an_unreadable_cache_is_ignored(example_copy: Path) -> None:
    _build(example_copy)
    files = sorted((example_copy / ".kbgen-cache").iterdir())
    # bodies and sources: a base and the changes since; words: en, fr, vi
    kinds = ["bodies", "bodies", "build", "reads", "sources", "sources", "templates"]
    kinds += ["words", "words", "words"]
    assert [f.name.split("-")[0] for f in files] == kinds
    for cache in files:
        cache.write_bytes(b"\x80\x04garbage")
    page_text(example_copy)
    again = _build(example_copy)
    assert again.kept == 0
    _assert_like_a_cold_build(example_copy)
    for cache in files:
        assert cache.stat().st_size > 100  # written anew


class _Planted:
    """Unpickling this creates `marker`: what a crafted cache file would do instead."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "code ran"))


def test_a_crafted_cache_file_runs_no_code(example_copy: Path) -> None:
    _build(example_copy)
    marker = example_copy.parent / "marker"
    files = sorted((example_copy / ".kbgen-cache").iterdir())
    payload = pickle.dumps(_Planted(marker))
    for cache in files:  # a plain pickle, and one dressed as a cache file with a forged tag
        cache.write_bytes(payload if "words" in cache.name else MAGIC + bytes(32) + payload)
    page_text(example_copy)
    again = _build(example_copy)
    assert not marker.exists()
    assert again.kept == 0
    _assert_like_a_cold_build(example_copy)


def test_a_cache_file_with_a_good_tag_still_makes_only_cache_data(example_copy: Path) -> None:
    # if the key leaked, the unpickler still refuses anything but kbgen's data classes
    _build(example_copy)
    marker = example_copy.parent / "marker"
    key = cache_key()
    assert key is not None
    payload = pickle.dumps(_Planted(marker))
    for cache in (example_copy / ".kbgen-cache").iterdir():
        cache.write_bytes(MAGIC + hmac.new(key, payload, hashlib.sha256).digest() + payload)
    page_text(example_copy)
    assert _build(example_copy).kept == 0
    assert not marker.exists()
    _assert_like_a_cold_build(example_copy)


def test_the_cache_key_is_made_once_outside_the_site(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("KBGEN_CACHE_KEY")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    key = cache_key()
    made = tmp_path / "xdg" / "kbgen" / "cache-key"
    assert key is not None and len(key) == 32 and made.read_bytes() == key
    assert made.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in made.parent.iterdir()] == ["cache-key"]  # no temporary file left
    assert cache_key() == key
    monkeypatch.setenv("KBGEN_CACHE_KEY", "shared secret of a CI system")
    assert cache_key() == b"shared secret of a CI system"


def test_a_cache_made_with_another_key_is_ignored(example_copy: Path, monkeypatch: Any) -> None:
    _build(example_copy)
    monkeypatch.setenv("KBGEN_CACHE_KEY", "another machine's key")
    page_text(example_copy)
    assert _build(example_copy).kept == 0
    _assert_like_a_cold_build(example_copy)


def test_no_cache_neither_reads_nor_writes_it(example_copy: Path) -> None:
    result = run_kbgen("build", "--no-cache", cwd=example_copy)
    assert result.returncode == 0, result.stderr
    assert not (example_copy / ".kbgen-cache").exists()
    assert "74 files written" in result.stdout or "files written" in result.stdout


def test_a_search_index_is_kept_when_its_language_did_not_change(example_copy: Path) -> None:
    _build(example_copy)
    site = example_copy / "site"
    inode = {lang: os.stat(site / f"assets/search/{lang}.json").st_ino for lang in ["en", "fr"]}
    page_text(example_copy)
    _build(example_copy)
    assert os.stat(site / "assets/search/en.json").st_ino == inode["en"]  # the same file
    assert os.stat(site / "assets/search/fr.json").st_ino != inode["fr"]  # made again
    _assert_like_a_cold_build(example_copy)


def test_cache_dir_in_config(example_copy: Path) -> None:
    config = example_copy / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "cache_dir: ../kb-cache\n", "utf-8")
    _build(example_copy)
    assert not (example_copy / ".kbgen-cache").exists()
    # build, reads, bodies and sources (each a base and its changes), templates, words per
    # language
    assert len(list((example_copy.parent / "kb-cache").iterdir())) == 10


def test_a_template_or_ui_string_edit_alone(example_copy: Path) -> None:
    template(example_copy)
    _build(example_copy)
    crumbs = example_copy / "themes/brand/templates/partials/breadcrumbs.html"
    crumbs.write_text('<p class="brand-crumbs">» {{ page.title }}</p>\n', encoding="utf-8")
    again = _build(example_copy)
    assert again.site is not None
    _assert_like_a_cold_build(example_copy)
    assert "» " in (example_copy / "site" / FR_ROLE_PAGE).read_text(encoding="utf-8")
    locales = example_copy / "themes/brand/locales"
    locales.mkdir()
    (locales / "fr.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "On this page"\nmsgstr "Dans cet article"\n',
        encoding="utf-8",
    )
    _build(example_copy)
    _assert_like_a_cold_build(example_copy)
    assert "Dans cet article" in (example_copy / "site" / FR_ROLE_PAGE).read_text("utf-8")


def test_a_rebuild_compiles_no_template_an_earlier_build_compiled(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build(example_copy)
    compiled: list[str | None] = []
    real = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None, *args: Any) -> Any:
        compiled.append(name)
        return real(self, source, name, *args)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    page_text(example_copy)
    assert _build(example_copy).kept > 0
    assert compiled == []  # the article's templates: from the cache
    template(example_copy)  # a template of the theme's own: compiled once, then kept
    _build(example_copy)
    assert compiled == ["partials/breadcrumbs.html"]
    _edit(example_copy / FR_ROLE, "ne tournent pas", "ne marchent pas")
    _build(example_copy)
    assert compiled == ["partials/breadcrumbs.html"]
    _assert_like_a_cold_build(example_copy)


def test_content_files_are_kept_or_copied_again(example_copy: Path) -> None:
    images = example_copy / "content/fr/articles/community-management"
    (images / "schema.png").write_bytes(b"\x89PNG first")
    (images / "logo.png").write_bytes(b"\x89PNG logo")
    _build(example_copy)
    site = example_copy / "site"
    [schema] = site.rglob("schema.png")
    [logo] = site.rglob("logo.png")
    inode = logo.stat().st_ino
    (images / "schema.png").write_bytes(b"\x89PNG second, longer")
    _build(example_copy)
    assert schema.read_bytes() == b"\x89PNG second, longer"
    assert logo.stat().st_ino == inode  # unchanged: the same file, linked
    _assert_like_a_cold_build(example_copy)


def test_only_the_changed_sources_are_read_again(example_copy: Path, monkeypatch: Any) -> None:
    _edit(example_copy / FR_ROLE, 'title: "', 'colour: blue\ntitle: "')  # warned, then unchanged
    _build(example_copy)
    read: list[Path] = []
    real = kbgen.sources.read_source

    def recorded(path: Path, *args: Any) -> Any:
        read.append(path)
        return real(path, *args)

    monkeypatch.setattr(kbgen.sources, "read_source", recorded)
    translation_title(example_copy)
    again = _build(example_copy)
    assert [p.relative_to(example_copy) for p in read] == [Path(VI_ROLE)]
    assert "colour" in " ".join(d.message for d in again.diagnostics.warnings)
    monkeypatch.undo()
    cold = _build(example_copy, cache=False, out="cold")
    assert [d.format() for d in again.diagnostics.items] == [
        d.format() for d in cold.diagnostics.items
    ]
    assert checksums(example_copy / "site") == checksums(example_copy / "cold")


def test_a_build_records_what_its_pages_read_without_evaluating_it_again(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a page's attributes gave is kept as the page renders: saving the record
    evaluates again only the site's methods and tables (to learn what each looked at), and a
    cached rebuild still equals a cold one."""
    evaluated: list[str] = []
    original = depends.evaluate

    def spy(site: Any, key: depends.Key) -> object:
        evaluated.append(key[0])
        return original(site, key)

    monkeypatch.setattr(depends, "evaluate", spy)
    first = _build(example_copy)
    assert first.written > 50
    assert "p" not in evaluated, "a page's attribute was evaluated again"
    page_text(example_copy)
    translation_title(example_copy)
    assert _build(example_copy).site is not None
    _assert_like_a_cold_build(example_copy)


def test_an_edit_saves_the_bodies_and_sources_it_changed_beside_their_base(
    example_copy: Path,
) -> None:
    """The two large caches are written whole only when much changed: after a one-page edit
    only the file of changes beside each is written, and the build after that reads both."""
    _build(example_copy)
    folder = example_copy / ".kbgen-cache"
    bases = sorted(
        f
        for f in folder.iterdir()
        if f.name.split("-")[0] in ("bodies", "sources") and not f.name.endswith(".changes.pickle")
    )
    assert len(bases) == 2
    written = {f: f.read_bytes() for f in bases}
    changes = {f: f.with_name(f.name.replace(".pickle", ".changes.pickle")) for f in bases}
    small = {f: changes[f].stat().st_size for f in bases}

    page_text(example_copy)
    again = _build(example_copy)
    assert again.kept > again.written
    for base in bases:
        assert base.read_bytes() == written[base]  # not written again
        assert changes[base].stat().st_size > small[base]  # the edited page's entries
    # of the related articles' counted words too, the edited article's alone (one language's)
    bodies = next(base for base in bases if base.name.startswith("bodies"))
    held = _load(changes[bodies])
    assert isinstance(held, _Changes) and isinstance(held.value, CachedBodies)
    assert [len(words) for words in held.value.related.words.values() if words] == [1]
    assert [len(gone) for gone in held.dropped] == [1, 1]  # its body and words before the edit
    _edit(example_copy / FR_ROLE, "ne tournent pas", "ne marchent pas")
    third = _build(example_copy)  # from the base and its changes: one body parsed again
    assert third.kept > third.written
    _assert_like_a_cold_build(example_copy)

    # most pages changed (here: every page's text): the bases are written anew
    for path in (example_copy / "content").rglob("*.md"):
        path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", "utf-8")
    _build(example_copy)
    assert all(base.read_bytes() != written[base] for base in bases)
    _assert_like_a_cold_build(example_copy)
