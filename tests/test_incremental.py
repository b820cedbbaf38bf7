"""serve's partial rebuilds give exactly the files a build from scratch gives."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from kbgen import depends
from kbgen.build import BuildOptions, load_site
from kbgen.config import load_config
from kbgen.depends import Key
from kbgen.diagnostics import Diagnostics
from kbgen.incremental import LiveSite, MemorySink
from kbgen.render import Output, Renderer
from kbgen.search.index import build_search_files, documents, snippet_files
from kbgen.sources import discover_at, discover_sources, discovery_order
from tests.example_edits import FR, ROLE, WHY, faq_answer, image, page_text, slug, title
from tests.helpers import edit_file as _edit
from tests.helpers import write_file as _write


def _from_scratch(root: Path) -> tuple[dict[str, bytes], set[str], list[str]]:
    """The files of a build from scratch, with search files under the names serve gives them
    (serve's pages name unfingerprinted search files, built when first asked for)."""
    loaded = load_site(BuildOptions(root / "config.yaml"))
    assert not loaded.diagnostics.failed(), [d.format() for d in loaded.diagnostics.errors]
    renderer = Renderer(loaded.site, loaded.theme, loaded.ui, search_on_demand=True)
    files = dict(renderer.files())
    include_replies = loaded.config.search.include_replies
    for found in build_search_files(loaded.site, include_replies):
        assert found.data is not None
        files[found.path] = found.data
        docs = documents(loaded.site, found.lang, include_replies)
        files.update(snippet_files(found.lang, docs))
    return files, set(loaded.site.assets), _problems(loaded.diagnostics)


def _served(live: LiveSite) -> dict[str, bytes]:
    """Every file serve would answer with: its rendered files and its search files."""
    files = dict(live.files)
    assert live.renderer is not None
    for path in live.search_paths():
        data = live.search_data(path)
        assert data is not None, path
        files[path] = data
    return files


def _problems(diags: Diagnostics) -> list[str]:
    return sorted(d.format() for d in diags.items)


Change = Callable[[Path], list[Path]]  # edits the site, returns the paths it touched


def heading_edit(root: Path) -> list[Path]:
    # the role article links to this heading: its id renamed on both sides in one burst of
    # saves (and its text changed)
    _edit(
        root / WHY,
        "### Un outil de libre-service pour les clients {#self-service-tool}",
        "### Un outil libre {#outil-libre}",
    )
    _edit(root / ROLE, "#self-service-tool", "#outil-libre")
    return [root / WHY, root / ROLE]


def section_title(root: Path) -> list[Path]:
    path = root / FR / "articles/self-service/_section.md"
    text = path.read_text(encoding="utf-8")
    title_line = next(line for line in text.splitlines() if line.startswith("title:"))
    path.write_text(text.replace(title_line, 'title: "Autonomie"'), encoding="utf-8")
    return [path]


def new_article(root: Path) -> list[Path]:
    path = root / FR / "articles/self-service/a-new-one.md"
    _write(
        path,
        '---\ntitle: "Un nouvel article"\nweight: -1\n---\n\nVoir [la règle](../../rules.md#3).\n',
    )
    return [path]


def new_translation(root: Path) -> list[Path]:
    path = root / "content/vi/faq/representatives/price-change-thread.md"
    _write(path, '---\ntitle: "Trả lời về thay đổi giá"\n---\n\nCảm ơn.\n')
    return [path]


def deleted_faq(root: Path) -> list[Path]:
    path = root / "content/en/faq/community-rules/when-to-share.md"
    path.unlink()
    return [path]


def faq_group_title(root: Path) -> list[Path]:
    path = root / FR / "faq/community-rules/_section.md"
    _edit(path, 'title: "Règles de la communauté"', 'title: "Les règles"')
    return [path]


def new_reply(root: Path) -> list[Path]:
    path = root / FR / "replies/welcome.md"
    _write(path, '---\ntitle: "Bienvenue"\n---\n\nBonjour [nom] !\n')
    return [path]


def alias_added(root: Path) -> list[Path]:
    _edit(root / ROLE, "weight: 1\n", "weight: 1\naliases: [/fr/ancien-role/]\n")
    return [root / ROLE]


def rules_title(root: Path) -> list[Path]:
    path = root / FR / "rules.md"
    text = path.read_text(encoding="utf-8")
    title_line = next(line for line in text.splitlines() if line.startswith("title:"))
    path.write_text(text.replace(title_line, 'title: "Le règlement"'), encoding="utf-8")
    return [path]


def folder_moved(root: Path) -> list[Path]:
    old = root / "content/vi/faq/community-rules"
    new = root / "content/vi/faq/rules-of-the-community"
    old.rename(new)
    return [old, new]


def translation_outdated(root: Path) -> list[Path]:
    # the example's translations record source_hash: the vi and en ones fall behind
    _edit(root / ROLE, "Leurs tâches devraient inclure", "Leurs tâches incluent")
    return [root / ROLE]


# Edits below the front matter, or of front-matter keys that move no page (a title), patch
# the model in place instead of building it again.
IN_PLACE = {
    page_text,
    heading_edit,
    faq_answer,
    translation_outdated,
    title,
    section_title,
    rules_title,
}

CHANGES = [
    page_text,
    faq_answer,
    title,
    heading_edit,
    slug,
    section_title,
    new_article,
    new_translation,
    deleted_faq,
    faq_group_title,
    new_reply,
    alias_added,
    rules_title,
    image,
    folder_moved,
    translation_outdated,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_partial_rebuild_equals_a_build_from_scratch(example_copy: Path, change: Change) -> None:
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    before = dict(live.files)
    outcome = live.update(change(example_copy))
    assert outcome.ok, [d.format() for d in outcome.diagnostics.errors]
    assert outcome.method == ("bodies" if change in IN_PLACE else "model")
    files, assets, problems = _from_scratch(example_copy)
    assert set(live.assets) == assets
    assert _problems(outcome.diagnostics) == problems
    served = _served(live)
    wrong = sorted(p for p in files.keys() | served.keys() if files.get(p) != served.get(p))
    assert wrong == []
    assert outcome.changed, "a change that changes no file"
    assert outcome.rendered < len(files) // 2, "it rendered (almost) everything again"
    assert live.files != before


def test_every_change_in_a_row_still_equals_a_build_from_scratch(example_copy: Path) -> None:
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    for change in CHANGES:
        outcome = live.update(change(example_copy))
        assert outcome.ok, (change.__name__, [d.format() for d in outcome.diagnostics.errors])
        files, _, problems = _from_scratch(example_copy)
        assert files == _served(live), change.__name__
        assert _problems(outcome.diagnostics) == problems, change.__name__


def test_search_files_are_answered_while_a_text_edit_is_shown_before_related_articles(
    example_copy: Path,
) -> None:
    """Between a text edit served and its language's related articles scored again (serve
    waits a moment there, for browsers to reload first), a search file asked for is
    answered at once, not after the scoring."""
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    index = next(p for p in live.search_paths() if p.endswith(".json"))
    answered: list[bytes | None] = []

    def shown(outcome: object) -> None:
        asking = threading.Thread(target=lambda: answered.append(live.search_data(index)))
        asking.start()
        asking.join(timeout=20)
        assert not asking.is_alive(), "the search file waited for the related articles"

    outcome = live.update(page_text(example_copy), shown)
    assert outcome.ok and outcome.related is not None and outcome.related.ok
    assert answered and answered[0]


def test_a_broken_link_in_a_body_edit_keeps_the_last_good_files(example_copy: Path) -> None:
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    good = dict(live.files)
    article = example_copy / ROLE
    original = article.read_text(encoding="utf-8")
    article.write_text(original.replace("(../../rules.md#3)", "(../../rules.md#99)"), "utf-8")
    broken = live.update([article])
    assert not broken.ok and broken.method == "bodies"
    [error] = broken.diagnostics.errors
    assert error.file == article and "no heading or anchor '#99'" in error.message
    assert live.files == good
    article.write_text(original.replace("Leurs tâches", "Les tâches"), encoding="utf-8")
    fixed = live.update([article])
    assert fixed.ok and fixed.method == "bodies"
    files, _, problems = _from_scratch(example_copy)
    assert files == _served(live)
    assert _problems(fixed.diagnostics) == problems


def test_an_error_keeps_the_last_good_files_and_a_fix_recovers(example_copy: Path) -> None:
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    good, version = dict(live.files), live.version
    article = example_copy / ROLE
    original = article.read_text(encoding="utf-8")
    article.write_text(original.replace("weight: 1", "weight: one"), encoding="utf-8")
    broken = live.update([article])
    assert not broken.ok
    [error] = broken.diagnostics.errors
    assert error.file == article and error.line == 5
    assert live.files == good and live.version == version
    article.write_text(
        original.replace("Une base de connaissances", "Un portail"), encoding="utf-8"
    )
    fixed = live.update([article])
    assert fixed.ok and live.version == version + 1
    page = live.files["fr/articles/community-management/role-des-representants/index.html"]
    assert "Un portail et un portail client" in page.decode()


def test_config_change_rebuilds_everything(example_copy: Path) -> None:
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    config = example_copy / "config.yaml"
    _edit(config, "  en: Knowledge base", "  en: Help center")
    outcome = live.update([config])
    assert outcome.ok and outcome.full
    assert b"Help center" in live.files["en/index.html"]


def test_a_first_build_with_errors_recovers_when_fixed(example_copy: Path) -> None:
    article = example_copy / ROLE
    original = article.read_text(encoding="utf-8")
    article.write_text(original.replace("weight: 1", "weight: one"), encoding="utf-8")
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert not live.build().ok
    assert live.files == {} and live.version == 0
    article.write_text(original.replace("Leurs tâches", "Les tâches"), encoding="utf-8")
    fixed = live.update([article])
    assert fixed.ok and live.version == 1
    files, _, problems = _from_scratch(example_copy)
    assert files == _served(live)
    assert _problems(fixed.diagnostics) == problems


def test_a_template_change_rebuilds_everything_but_keeps_parsed_bodies(
    example_copy: Path,
) -> None:
    theme = example_copy / "themes/mine"
    (theme / "templates").mkdir(parents=True)
    (theme / "theme.yaml").write_text("extends: default\n", encoding="utf-8")
    config = example_copy / "config.yaml"
    _edit(config, "theme: default", "theme: mine")
    live = LiveSite(BuildOptions(config))
    assert live.build().ok
    bodies = dict(live.cache.entries)
    footer = theme / "templates/partials/breadcrumbs.html"
    footer.parent.mkdir()
    footer.write_text('<nav class="crumbs-of-mine"></nav>\n', encoding="utf-8")
    outcome = live.update([footer])
    assert outcome.ok and outcome.full
    assert not live.cache.fresh, "bodies were parsed again"
    assert live.cache.entries == bodies
    files, _, _ = _from_scratch(example_copy)
    assert files == _served(live)
    assert b"crumbs-of-mine" in live.files["fr/faq/index.html"]
    po = theme / "locales/fr.po"
    po.parent.mkdir()
    po.write_text('msgid "Rule %(number)s"\nmsgstr "Règle n° %(number)s"\n', encoding="utf-8")
    assert live.update([po]).ok
    assert live.cache.fresh, "a UI-string change must parse the bodies again (rule labels)"
    files, _, _ = _from_scratch(example_copy)
    assert files == _served(live)


def test_the_memory_sink_is_given_only_the_files_made_again(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    assert live.renderer is not None
    put: list[str] = []
    original = MemorySink.put

    def spy(sink: MemorySink, output: Output) -> None:
        put.append(output.path)
        original(sink, output)

    monkeypatch.setattr(MemorySink, "put", spy)
    outcome = live.update(page_text(example_copy))
    assert outcome.ok and outcome.changed
    pages = [p for p in put if p not in live.renderer.assets.files]
    assert len(pages) == outcome.rendered and set(outcome.changed) <= set(pages)
    assert len(put) < len(live.files) // 2, "it was handed every file again"


def test_a_title_edit_looks_again_only_at_the_reads_of_its_own_section(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each article reads its section's navigation (`site.section_nav`): a title changes
    its own section's order, never another section's, nor another language's."""
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    evaluated: list[Key] = []
    original = depends.evaluate

    def spy(site: object, key: Key) -> object:
        evaluated.append(key)
        return original(site, key)  # type: ignore[arg-type]

    monkeypatch.setattr(depends, "evaluate", spy)
    outcome = live.update(title(example_copy))
    assert outcome.ok and outcome.changed
    navs = [key[2][0] for key in evaluated if key[:2] == ("s", "section_nav")]
    assert navs, "the section's navigation was not looked at again"
    assert live.site is not None
    for shaped in navs:
        page = live.site.page(shaped[1], shaped[2])
        assert page is not None and (page.lang, page.group) == ("fr", "community-management")


def test_serve_reads_a_changed_folder_as_a_build_discovers_it(example_copy: Path) -> None:
    """sources.discover_at (what serve reads again) finds what discover_sources finds there,
    in the order discovery_order gives."""
    config = load_config(example_copy / "config.yaml")
    everything = discover_sources(config, Diagnostics())
    for found in (everything.pages, everything.assets):
        paths = [e.path for e in found]
        assert paths == sorted(paths, key=lambda p: discovery_order(config, p))
    folder = example_copy / FR / "articles"
    (folder / ".hidden.md").write_text("---\ntitle: Hidden\n---\n", encoding="utf-8")
    under = discover_at(config, folder, Diagnostics())
    expected = [s.path for s in everything.pages if s.path.is_relative_to(folder)]
    assert [s.path for s in under.pages] == expected
    assert discover_at(config, folder / ".hidden.md", Diagnostics()).pages == []
    assert discover_at(config, example_copy / "content/xx/a.md", Diagnostics()).pages == []
