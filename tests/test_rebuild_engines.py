"""`kbgen build` with its cache and `kbgen serve` agree with a build from scratch, byte for byte,
after each of a list of edits a writer makes: the two ways of redoing part of a site must never
keep a file that a change made stale."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kbgen.build import BuildOptions, build
from kbgen.incremental import LiveSite
from tests.example_edits import FR, ROLE, WHY, faq_answer, image, page_text, slug, title
from tests.helpers import checksums
from tests.helpers import edit_file as _edit
from tests.helpers import write_file as _write

RULES_ARTICLE = f"{FR}/articles/community-management/writing-rules.md"
VI_ROLE = "content/vi/articles/community-management/representatives-role.md"
# A theme override of the article page
ARTICLE = """{% extends "base.html" %}
{% block main %}
<article><h1>{{ page.title }}</h1>{{ page.html | safe }}</article>
{% endblock %}
"""
# One that also lists the other articles of the section and of the language's other sections:
# a template reading more of the model than the default theme does.
SIBLINGS = """{% extends "base.html" %}
{% block main %}
<article><h1>{{ page.title }}</h1>{{ page.html | safe }}</article>
<nav><ul>{% for other in site.articles(page.lang, page.group) %}
<li>{{ other.title }}</li>{% endfor %}</ul></nav>
<nav><ul>{% for other in site.articles(page.lang) if other.group != page.group %}
<li>{{ other.title }}</li>{% endfor %}</ul></nav>
{% endblock %}
"""

Edit = Callable[[Path], list[Path]]  # changes the site's sources, returns the paths it touched


def new_page(root: Path) -> list[Path]:
    text = (
        '---\ntitle: "Un nouvel article"\nweight: -1\n---\n\nVoir [la règle](../../rules.md#3).\n'
    )
    return [_write(root / FR / "articles/self-service/a-new-one.md", text)]


def deleted_page(root: Path) -> list[Path]:
    path = root / "content/en/faq/community-rules/when-to-share.md"
    path.unlink()
    return [path]


def new_language_file(root: Path) -> list[Path]:
    # shown in vi as the French fallback until now
    text = '---\ntitle: "Bài viết mới"\nweight: -1\n---\n\nMột bài viết mới.\n'
    return [_write(root / "content/vi/articles/self-service/a-new-one.md", text)]


def theme_override(root: Path) -> list[Path]:
    _write(root / "themes/mine/theme.yaml", "extends: default\n")
    template = _write(root / "themes/mine/templates/article.html", ARTICLE)
    _edit(root / "config.yaml", "theme: default", "theme: mine")
    return [root / "config.yaml", template]


def siblings_listed(root: Path) -> list[Path]:
    return [_write(root / "themes/mine/templates/article.html", SIBLINGS)]


def sibling_title(root: Path) -> list[Path]:
    # the override lists this article on the role article's page, and the self-service
    # article (another section) on both
    _edit(root / RULES_ARTICLE, 'title: "', 'title: "Bien ')
    _edit(root / WHY, 'title: "', 'title: "Enfin, ')
    return [root / RULES_ARTICLE, root / WHY]


def template(root: Path) -> list[Path]:
    path = root / "themes/mine/templates/article.html"
    _edit(path, "<article>", '<article class="article">')
    return [path]


def config(root: Path) -> list[Path]:
    _edit(root / "config.yaml", "fr: Base de connaissances", "fr: Centre d'aide")
    return [root / "config.yaml"]


def ui_strings(root: Path) -> list[Path]:
    catalog = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    catalog += 'msgid "Updated"\nmsgstr "Modifié le"\n'
    return [_write(root / "themes/mine/locales/fr.po", catalog)]


def translation(root: Path) -> list[Path]:
    text = (root / VI_ROLE).read_text(encoding="utf-8")
    first = next(line for line in text.splitlines()[1:] if line.startswith("title:"))
    (root / VI_ROLE).write_text(text.replace(first, 'title: "Vai trò của đại diện"'), "utf-8")
    return [root / VI_ROLE]


def tag_added(root: Path) -> list[Path]:
    # a new tag page, a count on the tags index, the related articles of the section's
    _edit(root / WHY, 'tags: ["libre-service"', 'tags: ["modération", "autonomie", "libre-service"')
    return [root / WHY]


def related_chosen(root: Path) -> list[Path]:
    _edit(root / ROLE, "weight: 1\n", "weight: 1\nrelated: [../self-service/why-self-service.md]\n")
    return [root / ROLE]


def related_by_text(root: Path) -> list[Path]:
    # below the front matter (serve patches the body): another page's related articles
    # change with it
    (root / WHY).write_text(
        (root / WHY).read_text(encoding="utf-8") + "\nLe rôle de vos représentants : une "
        "réponse à chaque question, une réponse rapide, une réponse juste ; savoir intervenir.\n",
        encoding="utf-8",
    )
    return [root / WHY]


def related_by_description(root: Path) -> list[Path]:
    # a front-matter field serve patches in place, whose words count as the text's: the
    # self-service article becomes related to this one
    more = "Libre-service, libre-service : portail clients, FAQ et forum communautaire. "
    _edit(root / ROLE, 'description: "', f'description: "{more}')
    return [root / ROLE]


def reply_placeholder(root: Path) -> list[Path]:
    # a new [placeholder]: a field more on the replies page and on the template's own page
    path = root / FR / "replies/price-change.md"
    _edit(path, "Bonjour [", "Bonjour [titre] [")
    return [path]


def reply_slug(root: Path) -> list[Path]:
    # the template's own page moves; the replies page links to the new one
    path = root / FR / "replies/closing-quarrel.md"
    _edit(path, "\n---\n", "\nslug: fermer-une-dispute\n---\n")
    return [path]


EDITS: list[Edit] = [
    page_text,
    related_by_text,
    related_by_description,
    tag_added,
    related_chosen,
    title,
    slug,
    new_page,
    deleted_page,
    new_language_file,
    image,
    theme_override,
    siblings_listed,
    sibling_title,
    template,
    config,
    ui_strings,
    translation,
    faq_answer,
    reply_placeholder,
    reply_slug,
]


def _served(live: LiveSite) -> dict[str, bytes]:
    """Every file serve answers with: rendered files, search files, content files."""
    files = dict(live.files)
    assert live.renderer is not None
    for path in live.search_paths():
        data = live.search_data(path)
        assert data is not None, path
        files[path] = data
    for rel, source in live.assets.items():
        files[rel] = source.read_bytes()
    return files


def _on_disk(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".kbgen-output.json"
    }


def _run(root: Path, edits: list[Edit]) -> list[tuple[str, str, list[str]]]:
    """Apply the edits in a row; after each, the files that the cached build and serve got
    wrong against a build from scratch: (edit, "build" or "serve", wrong paths)."""
    options = BuildOptions(root / "config.yaml", output=root / "site")
    live = LiveSite(BuildOptions(root / "config.yaml"))
    assert live.build().ok
    build(options)
    wrong: list[tuple[str, str, list[str]]] = []
    for edit in edits:
        touched = edit(root)
        outcome = live.update(touched)
        assert outcome.ok, (edit.__name__, [d.format() for d in outcome.diagnostics.errors])
        build(options)
        build(BuildOptions(root / "config.yaml", output=root / "cold", cache=False))
        cold = _on_disk(root / "cold")
        for engine, files in (("build", _on_disk(root / "site")), ("serve", _served(live))):
            differ = sorted(p for p in cold.keys() | files.keys() if cold.get(p) != files.get(p))
            if differ:
                wrong.append((edit.__name__, engine, differ))
        assert checksums(root / "site").keys() - {".kbgen-output.json"}
    return wrong


def test_build_and_serve_equal_a_cold_build_after_each_edit(example_copy: Path) -> None:
    wrong = _run(example_copy, [e for e in EDITS if e not in (siblings_listed, sibling_title)])
    assert wrong == []


def test_a_theme_override_listing_siblings_under_serve(example_copy: Path) -> None:
    wrong = _run(example_copy, [theme_override, siblings_listed, sibling_title, translation])
    assert [(edit, engine) for edit, engine, _ in wrong] == []
