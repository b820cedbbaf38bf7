"""Sites with forum discussions, for the comments tests: the example content with a
`comments:` block of the test's choosing."""

from __future__ import annotations

import shutil
from pathlib import Path

from kbgen.build import BuildOptions, BuildResult, build
from tests.helpers import REPO

BASE = "https://kb.example.com/"
FORUM = "https://forum.example.com/"
ARTICLE = {
    "fr": "fr/articles/community-management/role-des-representants/",
    "vi": "vi/articles/community-management/vai-tro-cua-dai-dien/",
    "en": "en/articles/community-management/representatives-role/",
}
ARTICLE_SOURCE = {
    "fr": "content/fr/articles/community-management/representatives-role.md",
    "vi": "content/vi/articles/community-management/representatives-role.md",
}
FAQ_FR = "fr/faq/repondre-changement-de-prix/"
FAQ_VI_FALLBACK = "vi/faq/repondre-changement-de-prix/"  # untranslated: shows the fr page

DISCOURSE = f"""\
comments:
  provider: discourse
  discourse:
    url: {FORUM}
    category: {{fr: 12, vi: 13}}
"""
GISCUS = """\
comments:
  provider: giscus
  giscus:
    repo: org/kb
    repo_id: R_kgDOexample
    category: Q&A
    category_id: DIC_kwDOexample
    mapping: url
"""
LINK = """\
comments:
  provider: link
  link:
    url: "https://forum.example.com/new-topic?title={title}&url={url}"
"""


def write_sources(root: Path, comments: str) -> Path:
    """The example's sources in `root`, with `comments` in place of the example's block."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "content", root / "content")
    config = (REPO / "config.yaml").read_text(encoding="utf-8")
    config = config.split("\ncomments:", 1)[0].rstrip("\n") + "\n"
    (root / "config.yaml").write_text(config + comments, encoding="utf-8")
    return root


def set_front_matter(root: Path, rel: str, line: str) -> None:
    """Add one front-matter line (such as `discussion: 42`) to a content file."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    path.write_text("---\n" + line + "\n" + text[4:], encoding="utf-8")


def build_site(root: Path) -> BuildResult:
    return build(BuildOptions(root / "config.yaml", output=root / "site"))


def page_html(result: BuildResult, url: str) -> str:
    return (result.output / url / "index.html").read_text(encoding="utf-8")
