"""What is the same on many pages (a section's sidebar and its links, the main navigation,
the footer) is rendered once, not once per page (render.py `shared`, fragments.py), and
still counts as read by every page that shows it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kbgen.build import BuildOptions, load_site
from kbgen.depends import Key
from kbgen.fragments import Fragment, Fragments, Place
from kbgen.render import Renderer
from kbgen.site import SIDEBAR_LINKS
from tests.helpers import edit_file, run_kbgen, write_file

BIG = 120  # articles in the section added to the example: more than a sidebar's window


def _big_section(root: Path) -> None:
    folder = root / "content/en/articles/big"
    write_file(folder / "_section.md", "---\ntitle: Big\n---\n")
    for number in range(BIG):
        write_file(
            folder / f"a{number:03}.md",
            f"---\ntitle: Article {number:03}\nweight: {number}\n---\n\nText {number}.\n",
        )


def _count_renders(renderer: Renderer, names: list[str]) -> Counter[str]:
    """How many times each template is rendered, whether included or rendered alone (both
    run its root render function)."""
    counts: Counter[str] = Counter()
    for name in names:
        template = renderer.env.get_template(name)
        original = template.root_render_func

        def counting(
            context: Any, name: str = name, original: Callable[..., Any] = original
        ) -> Any:
            counts[name] += 1
            return original(context)

        template.root_render_func = counting  # type: ignore[method-assign]
    return counts


def test_a_sections_sidebar_navigation_and_footer_are_rendered_once(example_copy: Path) -> None:
    _big_section(example_copy)
    loaded = load_site(BuildOptions(example_copy / "config.yaml"))
    assert not loaded.diagnostics.failed()
    renderer = Renderer(loaded.site, loaded.theme, loaded.ui)
    sidebar, link = "partials/section_sidebar.html", "partials/section_link.html"
    counts = _count_renders(renderer, [sidebar, link, "base.html"])
    files = dict(renderer.files())

    for number in range(BIG):  # each page marks itself, and only itself
        html = files[f"en/articles/big/a{number:03}/index.html"].decode()
        shown = html.split('class="sidebar"')[1].split("</details>")[0]
        assert f'<a href="./" aria-current="page">Article {number:03}</a>' in shown
        assert shown.count("aria-current") == 1
    sections = sum(1 for page in loaded.site.pages if page.kind == "section")
    articles = sum(1 for page in loaded.site.pages if page.kind == "article")
    assert counts["base.html"] > articles > BIG
    # once per section, not once per article
    assert counts[sidebar] <= sections
    # each link once for the section's pages, once more on its own page (marked current)
    assert counts[link] <= 2 * articles
    # the navigation and the footer: once per folder of pages side by side (the articles of
    # a section, the FAQ entries of a group…), once on each page they link to (home, FAQ,
    # rules, replies: their link is "./") and once for the 404 pages (absolute links)
    folders = {page.url.rstrip("/").rpartition("/")[0] for page in loaded.site.standalone_pages}
    languages = len(loaded.config.languages)
    for name in ("partials/site_nav.html", "partials/footer.html"):
        rendered = renderer.fragments.rendered[name]
        assert 0 < rendered <= len(folders) + 5 * languages < len(files) / 4, name


def test_a_title_shown_by_a_fragment_is_rebuilt_on_every_page_showing_it(
    example_copy: Path, tmp_path: Path
) -> None:
    _big_section(example_copy)
    out = tmp_path / "out"
    assert run_kbgen("build", "--output", str(out), cwd=example_copy).returncode == 0
    # a060 is in the sidebar of a061 (a fragment rendered for another page); the rules page's
    # title is in every English page's navigation and footer
    edit_file(example_copy / "content/en/articles/big/a060.md", "Article 060", "Renamed 060")
    edit_file(example_copy / "content/en/rules.md", 'title: "', 'title: "Renamed ')
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    neighbour = (out / "en/articles/big/a061/index.html").read_text(encoding="utf-8")
    assert ">Renamed 060</a></li>" in neighbour.split('class="sidebar"')[1]
    assert neighbour.count(">Renamed Community rules</a>") == 3  # the two navs, the footer
    far = (out / "en/articles/big/a100/index.html").read_text(encoding="utf-8")
    assert far.count(">Renamed Community rules</a>") == 3


def test_a_sidebar_is_joined_from_its_kept_links_not_looked_up_link_by_link(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article page of a large section finds its sidebar's links together (the list's
    fragments kept for pages they do not link to), and only its own link alone."""
    _big_section(example_copy)
    loaded = load_site(BuildOptions(example_copy / "config.yaml"))
    renderer = Renderer(loaded.site, loaded.theme, loaded.ui)
    found: Counter[str] = Counter()
    original = Fragments.find

    def spy(fragments: Fragments, key: tuple[Any, ...], place: Place) -> Fragment | None:
        found[key[0]] += 1
        return original(fragments, key, place)

    monkeypatch.setattr(Fragments, "find", spy)
    files = dict(renderer.files())
    articles = sum(1 for page in loaded.site.pages if page.kind == "article")
    # before: every link of every sidebar, a whole window a page in the big section
    assert found["partials/section_link.html"] <= 2 * articles
    for number in (0, 60, 119):  # and each page still marks itself, and only itself
        html = files[f"en/articles/big/a{number:03}/index.html"].decode()
        shown = html.split('class="sidebar"')[1].split("</details>")[0]
        assert f'<a href="./" aria-current="page">Article {number:03}</a>' in shown
        assert shown.count("aria-current") == 1
        assert shown.count("<li>") == SIDEBAR_LINKS


def test_serve_renders_again_only_the_fragments_an_edit_reached(example_copy: Path) -> None:
    """Under `kbgen serve` the fragments outlive a model built again: after one article's
    title changed, the links of its section's other articles are not rendered again for the
    pages whose sidebar shows the new title (nor the navigation, nor the footer)."""
    from kbgen.incremental import LiveSite

    _big_section(example_copy)
    live = LiveSite(BuildOptions(example_copy / "config.yaml"))
    assert live.build().ok
    renderer = live.renderer
    assert renderer is not None
    before = Counter(renderer.fragments.rendered)
    edit_file(example_copy / "content/en/articles/big/a060.md", "Article 060", "Renamed 060")
    outcome = live.update([example_copy / "content/en/articles/big/a060.md"])
    assert outcome.ok
    assert live.renderer is renderer
    again = renderer.fragments.rendered - before
    remade = [p for p in outcome.changed if p.startswith("en/articles/big/")]
    assert len(remade) > SIDEBAR_LINKS  # every page whose window shows a060
    # a060's link once for the pages it does not lead to, once on its own page; each other
    # page's own link (marked current) once: not a window of links for each page made again
    assert again["partials/section_link.html"] <= len(remade) + 2
    assert again["partials/site_nav.html"] == again["partials/footer.html"] == 0
    html = live.files["en/articles/big/a061/index.html"].decode()
    assert ">Renamed 060</a></li>" in html.split('class="sidebar"')[1]


def test_the_index_of_readers_stays_as_large_as_the_fragments_kept() -> None:
    """An editing session makes the same fragments again and again: the index of which kept
    fragment read which key is made again once most of it is stale, and stays right."""
    fragments = Fragments()
    reads = object()
    fragments.keep_unchanged(reads, set())  # the record the fragments are checked against
    place = Place("en/articles/", "billing")
    shared = [("p", "en", f"k{n}", "title") for n in range(50)]

    def own(slot: int, version: int) -> Key:
        return ("p", "en", f"own{slot}", f"v{version}")

    def made(slot: int, version: int) -> Fragment:
        return Fragment(
            f"{slot}.{version}", frozenset([*shared, own(slot, version)]), frozenset(), {}
        )

    for slot in range(20):
        fragments.keep(("nav", slot), place, made(slot, 0))
    current = [0] * 20  # the version each slot's fragment was made at
    largest = 0
    for version in range(1, 2_000):
        slot = version % 20
        fragments.keep_unchanged(reads, {own(slot, current[slot])})  # that slot's fragment…
        assert fragments.find(("nav", slot), place) is None
        assert all(fragments.find(("nav", n), place) for n in range(20) if n != slot)
        fragments.keep(("nav", slot), place, made(slot, version))  # …made again
        current[slot] = version
        largest = max(largest, sum(map(len, (fragments._readers or {}).values())))
    assert largest <= 2 * 20 * 51 + 10_000 + 51  # not 2,000 × 51
    fragments.keep_unchanged(reads, {shared[0]})  # read by every fragment kept: all go
    assert all(fragments.find(("nav", n), place) is None for n in range(20))
