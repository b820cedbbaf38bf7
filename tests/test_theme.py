"""The default theme's model and config: brand (logo, favicon, accent contrast), promoted
articles, section icons, reading time, an article's sidebar in a large section."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kbgen.brand import contrast
from kbgen.site import SIDEBAR_LINKS
from tests.helpers import assert_clean_failure, run_kbgen

FR_ARTICLE = "fr/articles/community-management/role-des-representants/index.html"


def _read(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def _add_brand(example_copy: Path, brand: str) -> None:
    config = example_copy / "config.yaml"
    config.write_text(config.read_text() + brand, encoding="utf-8")


def test_contrast_ratios_are_wcag_ones() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#fff", "#ffffff") == pytest.approx(1)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # WebAIM
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(
    ("brand", "key", "mode"),
    [
        ('brand:\n  color: "#ffcc00"\n', "brand.color", "light"),  # yellow on white
        ('brand:\n  color: "#0b57d0"\n', "brand.color", "dark"),  # dark blue on black
        ('brand:\n  color: {light: "#0b57d0", dark: "#1d4ed8"}\n', "brand.color.dark", "dark"),
    ],
)
def test_build_refuses_an_accent_colour_without_contrast(
    example_copy: Path, tmp_path: Path, brand: str, key: str, mode: str
) -> None:
    _add_brand(example_copy, brand)
    line = len((example_copy / "config.yaml").read_text().splitlines())  # color's line
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert f"config.yaml:{line}: error: '{key}'" in result.stderr
    assert f"against the {mode} mode background" in result.stderr
    assert "4.5:1" in result.stderr
    assert not (tmp_path / "out").exists()


def test_brand_logo_favicon_and_colours_reach_every_page(
    example_copy: Path, tmp_path: Path
) -> None:
    (example_copy / "brand").mkdir()
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect/></svg>'
    for name in ("logo.svg", "logo-dark.svg", "icon.png"):
        (example_copy / "brand" / name).write_text(svg, encoding="utf-8")
    _add_brand(
        example_copy,
        "brand:\n"
        "  logo: {light: brand/logo.svg, dark: brand/logo-dark.svg}\n"
        "  favicon: brand/icon.png\n"
        '  color: {light: "#0f766e", dark: "#5eead4"}\n',
    )
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    article = _read(out, FR_ARTICLE)
    assert 'src="../../../../assets/brand/logo.svg"' in article
    assert 'src="../../../../assets/brand/logo-dark.svg"' in article
    assert '<link rel="icon" href="../../../../assets/brand/favicon.png">' in article
    assert (out / "assets/brand/favicon.png").read_text() == svg
    css = re.search(r'href="../../../../(assets/css/brand\.[0-9a-f]+\.css)"', article)
    assert css is not None
    colours = (out / css.group(1)).read_text()
    assert "--accent: #0f766e; --accent-text: #ffffff;" in colours
    assert "--accent: #5eead4; --accent-text: #000000;" in colours


def test_brand_file_that_does_not_exist_is_an_error(example_copy: Path, tmp_path: Path) -> None:
    _add_brand(example_copy, "brand:\n  logo: brand/missing.svg\n")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert "error: 'brand.logo': no such file" in result.stderr


def test_default_theme_declares_its_favicon_and_mark(example_site: Path) -> None:
    article = _read(example_site, FR_ARTICLE)
    assert (
        '<link rel="icon" href="../../../../assets/img/favicon.svg" type="image/svg+xml">'
        in article
    )
    assert (example_site / "assets/img/favicon.svg").is_file()
    assert "brand.css" not in article  # no brand colour: the theme's own
    assert 'class="brand-mark"' in article


def test_home_shows_promoted_articles_section_icons_and_the_hero_search(
    example_site: Path,
) -> None:
    home = _read(example_site, "en/index.html")
    hero = home.split('<div class="hero">')[1].split('<div class="layout')[0]
    assert 'placeholder="How can we help?"' in hero
    assert "<h1>Knowledge base</h1>" in hero
    promoted = home.split('id="home-promoted-title"')[1].split("</section>")[0]
    assert "Why offer self-service to your customers" in promoted
    assert "Writing rules" in promoted
    cards = home.split('class="cards"')[1].split("</ul>")[0]
    assert cards.count('class="card-icon"') == 2  # icon: in both _section.md
    assert "1 article" in cards and "2 articles" in cards
    assert 'class="callout"' in home
    vi = _read(example_site, "vi/index.html")
    assert "Chúng tôi có thể giúp gì cho bạn?" in vi


def test_article_has_reading_time_pager_and_sidebar(example_site: Path) -> None:
    article = _read(example_site, FR_ARTICLE)
    assert re.search(r"\d+ min de lecture", article)
    sidebar = article.split('class="sidebar"')[1].split("</details>")[0]
    assert sidebar.count("<li>") == 2
    assert sidebar.count('aria-current="page"') == 1
    pager = article.split('class="pager"')[1].split("</nav>")[0]
    assert 'rel="next"' in pager and 'rel="prev"' not in pager


def test_a_large_section_puts_a_window_of_its_articles_in_each_sidebar(
    example_copy: Path, tmp_path: Path
) -> None:
    folder = example_copy / "content/en/articles/big"
    folder.mkdir()
    (folder / "_section.md").write_text("---\ntitle: Big\n---\n", encoding="utf-8")
    for number in range(120):
        (folder / f"a{number:03}.md").write_text(
            f"---\ntitle: Article {number:03}\nweight: {number}\n---\n\nText {number}.\n",
            encoding="utf-8",
        )
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    middle = _read(out, "en/articles/big/a060/index.html")
    sidebar = middle.split('class="sidebar"')[1].split("</details>")[0]
    titles = re.findall(r">Article (\d+)</a>", sidebar)
    assert len(titles) == SIDEBAR_LINKS
    assert "060" in titles and titles == sorted(titles)
    assert "All 120 articles" in sidebar
    first = _read(out, "en/articles/big/a000/index.html")
    titles = re.findall(r">Article (\d+)</a>", first.split('class="sidebar"')[1])
    assert titles[:2] == ["000", "001"]
    assert 'rel="prev"' not in first and "a001/" in first.split('rel="next"')[0]


def test_unknown_icon_name_is_an_error(example_copy: Path, tmp_path: Path) -> None:
    section = example_copy / "content/en/articles/self-service/_section.md"
    section.write_text(section.read_text().replace("icon: rocket", "icon: Rocket Ship"))
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert "_section.md:5: error: 'icon': must be an icon name" in result.stderr


def test_task_list_checkboxes_are_labelled_by_their_text(example_site: Path) -> None:
    article = _read(example_site, "en/articles/community-management/writing-rules/index.html")
    boxes = re.findall(r"<li class=\"task-list-item\">(<label>)?<input", article)
    assert boxes and all(label for label in boxes)


def test_home_hero_is_inside_main(example_site: Path) -> None:
    home = _read(example_site, "fr/index.html")
    main = home.split('<main id="main"')[1].split("</main>")[0]
    assert '<div class="hero">' in main and "<h1>" in main


def test_every_page_has_a_meta_description(example_site: Path) -> None:
    for page in example_site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if 'http-equiv="refresh"' in html or page == example_site / "index.html":
            continue  # redirects and the language chooser
        assert re.search(r'<meta name="description" content="[^"]+">', html), page


def test_untranslated_banner_is_inside_main_in_the_readers_language(example_site: Path) -> None:
    page = _read(example_site, "vi/faq/repondre-changement-de-prix/index.html")
    main = page.split('<main id="main"')[1].split("</main>")[0]
    # the page's own words are Vietnamese; its text, French, carries its language itself
    assert main.startswith(' tabindex="-1">')
    assert '<div class="banner banner-untranslated" role="note" lang="vi">' in main
    assert '<div class="content" lang="fr" dir="ltr">' in main


def test_translated_once_formats_as_jinjas_newstyle_gettext() -> None:
    """`_` translates a string without variables once per language, and gives what Jinja's
    own newstyle gettext gives: the translation as a format string, variables escaped."""
    import gettext

    import jinja2

    from kbgen.render import translated_once

    class French(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return {
                "Save": "Enregistrer",
                "%(n)s%% of <b>%(who)s</b>": "%(n)s %% de <b>%(who)s</b>",
            }.get(message, message)

    varied = '{{ _("%(n)s%% of <b>%(who)s</b>", n=5, who="<i>") }}'
    again = '{{ _("%(n)s%% of <b>%(who)s</b>", n=6, who="x") }}'  # not the first's, kept
    source = '{{ _("Save") }}|{{ _("Save") }}|' + varied + "|" + again + '|{{ _("100%%") }}'
    ours = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    ours.globals["_"] = translated_once(French())
    jinjas = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    jinjas.install_gettext_translations(French(), newstyle=True)  # type: ignore[attr-defined]
    expected = "Enregistrer|Enregistrer|5 % de <b>&lt;i&gt;</b>|6 % de <b>x</b>|100%"
    assert ours.from_string(source).render() == jinjas.from_string(source).render() == expected
    plain = "{% autoescape false %}" + source + "{% endautoescape %}"
    assert ours.from_string(plain).render() == jinjas.from_string(plain).render()


def test_kbgens_template_context_renders_as_jinjas_own() -> None:
    """The faster context (render._Context) gives what Jinja's gives: functions that ask for
    the context, the eval context or the environment get it, in loops and blocks too; plain
    functions and methods are called; a StopIteration is undefined; an imported template's
    module holds its own names, not the globals, and sees the importing template's own."""
    import jinja2

    from kbgen.render import _Context

    def plain(*args: object, **kwargs: object) -> str:
        return f"plain{args}{sorted(kwargs.items())}"

    @jinja2.pass_context
    def with_context(context: jinja2.runtime.Context, name: str) -> str:
        return f"{name}={context.get(name)}"

    @jinja2.pass_eval_context
    def with_eval_context(eval_ctx: jinja2.nodes.EvalContext) -> str:
        return f"autoescape={eval_ctx.autoescape}"

    @jinja2.pass_environment
    def with_environment(environment: jinja2.Environment) -> str:
        return f"env={environment.autoescape}"

    class Callable:
        @jinja2.pass_context
        def __call__(self, context: jinja2.runtime.Context) -> str:
            return f"callable sees {context.get('who')}"

    def stops() -> str:
        raise StopIteration

    templates = {
        "macros.html": (
            "{% macro shout(x) %}{{ x|upper }}!{{ extra }}{% endmacro %}{% set mine = 1 %}"
        ),
        "page.html": (
            "{% import 'macros.html' as m %}{{ m.shout('hi') }} {{ m.mine }} "
            "{{ m.plain is defined }} {{ plain(1, k=2) }} {{ with_context('who') }} "
            "{{ with_eval_context() }} {{ with_environment() }} {{ callable() }} "
            "{{ text.upper() }} [{{ stops() }}] "
            "{% for who in ['a', 'b'] %}{{ with_context('who') }} {{ plain(who) }} {% endfor %}"
            "{% block b %}{% set who = 'block' %}{{ with_context('who') }}{% endblock %}"
        ),
    }
    values = {"who": "<w>", "text": "up", "callable": Callable(), "stops": stops}
    functions = {
        "plain": plain,
        "with_context": with_context,
        "with_eval_context": with_eval_context,
        "with_environment": with_environment,
    }
    rendered = []
    for context_class in (jinja2.runtime.Context, _Context):
        env = jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True)
        env.context_class = context_class
        env.globals.update(functions)
        # a global of the importing template only: the imported one's module is made with it
        rendered.append(env.get_template("page.html", globals={"extra": "+"}).render(values))
    assert rendered[0] == rendered[1]
    assert "HI!+ 1 False plain(1,)[(&#39;k&#39;, 2)] who=&lt;w&gt;" in rendered[1]
    assert "autoescape=True env=True callable sees &lt;w&gt; UP [] " in rendered[1]
    assert "plain(&#39;a&#39;,)[] who=&lt;w&gt; plain(&#39;b&#39;,)[]" in rendered[1]
    assert rendered[1].endswith("who=block")
