"""Sub-sections: a section's folder may hold folders of its own, each a section inside it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kbgen.build import BuildOptions, build
from tests.helpers import REPO, local_targets, write_file

CM = "content/fr/articles/community-management"


@pytest.fixture(scope="module")
def nested_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The example with two sub-sections of "Gestion de la communauté", one of them with a
    sub-section of its own and a slug, and a folder without _section.md."""
    root = tmp_path_factory.mktemp("nested") / "kb"
    root.mkdir()
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    shutil.copytree(REPO / "content", root / "content")
    write_file(
        root / CM / "moderation" / "_section.md",
        '---\ntitle: "Modération"\ndescription: "Agir sur les messages."\n---\n',
    )
    write_file(
        root / CM / "moderation" / "hide-a-post.md",
        '---\ntitle: "Masquer un message"\ndescription: "Quand et comment."\n---\n\nTexte.\n',
    )
    write_file(
        root / CM / "moderation" / "escalation" / "_section.md",
        '---\ntitle: "Escalade"\nslug: escalade\n---\n',
    )
    write_file(
        root / CM / "moderation" / "escalation" / "call-a-manager.md",
        '---\ntitle: "Appeler un responsable"\n---\n\nTexte.\n',
    )
    write_file(
        root / CM / "tools" / "dashboard.md",
        '---\ntitle: "Le tableau de bord"\n---\n\nTexte.\n',
    )
    result = build(BuildOptions(root / "config.yaml", output=root / "site"))
    assert not result.diagnostics.errors, result.diagnostics.errors
    warnings = "\n".join(item.message for item in result.diagnostics.items)
    return root / "site", warnings


def _read(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def _crumbs(html: str) -> list[str]:
    nav = html.split('<nav class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in nav.split("<li>")[1:]]


def test_articles_of_a_sub_section_live_under_its_parents_urls(
    nested_site: tuple[Path, str],
) -> None:
    site, _ = nested_site
    base = "fr/articles/community-management"
    html = _read(site, f"{base}/moderation/escalade/call-a-manager")
    assert _crumbs(html) == [
        "Base de connaissances",
        "Gestion de la communauté",
        "Modération",
        "Escalade",
        "Appeler un responsable",
    ]
    assert (site / base / "moderation" / "hide-a-post" / "index.html").exists()
    for _href, target, _fragment in local_targets(
        site / base / "moderation" / "escalade" / "call-a-manager" / "index.html", site
    ):
        assert target.exists(), target


def test_a_section_lists_its_sub_sections_with_their_counts(nested_site: tuple[Path, str]) -> None:
    site, _ = nested_site
    html = _read(site, "fr/articles/community-management")
    cards = html.split('class="subsections"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'class="card-link" href="([^"]+)"', cards) == ["moderation/", "tools/"]
    assert "2 articles" in cards and "1 article<" in cards  # moderation counts escalation's
    assert "Tools" in cards  # a folder without _section.md is titled from its name
    sub = _read(site, "fr/articles/community-management/moderation")
    assert _crumbs(sub) == ["Base de connaissances", "Gestion de la communauté", "Modération"]
    assert 'href="escalade/"' in sub and 'href="hide-a-post/"' in sub
    # its other topics are its siblings, not the language's top sections
    others = sub.split('class="other-sections"', 1)[1].split("</section>", 1)[0]
    assert 'href="../tools/"' in others and "self-service" not in others


def test_home_shows_top_sections_counting_their_sub_sections(nested_site: tuple[Path, str]) -> None:
    site, _ = nested_site
    home = (site / "fr" / "index.html").read_text(encoding="utf-8")
    grid = home.split('class="home-block home-sections"', 1)[1].split("</section>", 1)[0]
    assert "Modération" not in grid
    card = grid.split("Gestion de la communauté", 1)[1].split("</li>", 1)[0]
    assert "5 articles" in card  # its own 2, and 3 in its sub-sections


def test_a_sub_section_folder_without_section_file_is_named_in_a_warning(
    nested_site: tuple[Path, str],
) -> None:
    _, warnings = nested_site
    # once, on the folder that lacks it (the other languages show the French articles)
    assert warnings.count("section 'community-management/tools' has no _section.md") == 1
