"""`kbgen init`: a new knowledge base that builds as it is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kbgen.diagnostics import BuildFailed, Diagnostics
from kbgen.i18n import language

CONFIG_TEMPLATE = """\
# Settings of this knowledge base; README of kbgen describes every key.
title: {title}
base_url: https://example.com/
languages: {languages}     # the first is the default language
content_dir: content
output_dir: site
theme: default
fallback: default            # show the default-language page where a translation is missing
markdown:
  allow_html: false
"""


@dataclass(frozen=True)
class Skeleton:
    """The words of the starter pages in one language."""

    home_description: str
    home_body: str  # {language}: the language's name; links to the first article
    section_title: str
    section_description: str
    article_title: str
    article_description: str
    article_body: str  # {code}: the language folder
    faq_title: str
    faq_body: str
    rules_title: str
    rules_body: str


# One per language the default theme has UI strings for (themes/default/locales/*.po); any
# other language gets English. French uses no-break spaces before ; : ? ! as French does.
SKELETONS = {
    "en": Skeleton(
        home_description="Answers to the questions our customers ask most.",
        home_body="Welcome to the knowledge base ({language}).\n"
        "Start with [the first article](articles/getting-started/welcome.md).\n",
        section_title="Getting started",
        section_description="The first steps.",
        article_title="Welcome",
        article_description="What this knowledge base holds and how to add to it.",
        article_body="This is the first article. Edit "
        "`content/{code}/articles/getting-started/welcome.md` and run\n"
        "`kbgen build` to see the change.\n\n"
        "## Writing articles\n\n"
        "Each folder of `articles/` is a section; `_section.md` gives its title. Link to other "
        "pages by\ntheir Markdown file, such as [the community rules](../../rules.md).\n",
        faq_title="How do I contact support?",
        faq_body="Open a thread in the forum, or write to the support team.\n",
        rules_title="Community rules",
        rules_body="Be kind; these rules keep the discussions useful for everyone.\n\n"
        "1. **Be respectful**: no insults or personal attacks.\n"
        "2. **Stay on topic**: open a new thread for a new question.\n",
    ),
    "fr": Skeleton(
        home_description="Les réponses aux questions que nos clients posent le plus souvent.",
        home_body="Bienvenue dans la base de connaissances ({language}).\n"
        "Commencez par [le premier article](articles/getting-started/welcome.md).\n",
        section_title="Premiers pas",
        section_description="Pour bien commencer.",
        article_title="Bienvenue",
        article_description="Ce que contient cette base de connaissances et comment l’enrichir.",
        article_body="Voici le premier article. Modifiez "
        "`content/{code}/articles/getting-started/welcome.md`, puis\n"
        "lancez `kbgen build` pour voir le résultat.\n\n"
        "## Rédiger des articles\n\n"
        "Chaque dossier de `articles/` est une rubrique\u00a0; son fichier `_section.md` lui "
        "donne son titre.\nPour renvoyer vers une autre page, faites un lien vers son fichier "
        "Markdown, comme\n[les règles de la communauté](../../rules.md).\n",
        faq_title="Comment contacter le support\u00a0?",
        faq_body="Ouvrez une discussion sur le forum ou écrivez à l’équipe du support.\n",
        rules_title="Règles de la communauté",
        rules_body="Soyez bienveillants\u00a0: ces règles gardent les discussions utiles à "
        "tous.\n\n"
        "1. **Soyez respectueux**\u00a0: ni insultes ni attaques personnelles.\n"
        "2. **Restez dans le sujet**\u00a0: une nouvelle question mérite une nouvelle "
        "discussion.\n",
    ),
    "vi": Skeleton(
        home_description="Giải đáp những câu hỏi khách hàng thường đặt ra nhất.",
        home_body="Chào mừng bạn đến với cơ sở tri thức ({language}).\n"
        "Hãy bắt đầu với [bài viết đầu tiên](articles/getting-started/welcome.md).\n",
        section_title="Bắt đầu",
        section_description="Những bước đầu tiên.",
        article_title="Chào mừng",
        article_description="Cơ sở tri thức này có gì và cách bổ sung nội dung cho nó.",
        article_body="Đây là bài viết đầu tiên. Hãy sửa "
        "`content/{code}/articles/getting-started/welcome.md` rồi\n"
        "chạy `kbgen build` để xem thay đổi.\n\n"
        "## Viết bài\n\n"
        "Mỗi thư mục trong `articles/` là một chuyên mục; tệp `_section.md` đặt tiêu đề cho "
        "chuyên mục đó.\nĐể liên kết tới một trang khác, hãy trỏ tới tệp Markdown của trang "
        "ấy, chẳng hạn\n[quy tắc cộng đồng](../../rules.md).\n",
        faq_title="Làm thế nào để liên hệ bộ phận hỗ trợ?",
        faq_body="Hãy mở một chủ đề trên diễn đàn hoặc gửi thư cho đội ngũ hỗ trợ.\n",
        rules_title="Quy tắc cộng đồng",
        rules_body="Hãy cư xử tử tế: những quy tắc này giúp các cuộc thảo luận luôn hữu ích "
        "cho mọi người.\n\n"
        "1. **Tôn trọng người khác**: không lăng mạ, không công kích cá nhân.\n"
        "2. **Đúng chủ đề**: câu hỏi mới thì hãy mở chủ đề mới.\n",
    ),
}


def skeleton(code: str) -> Skeleton:
    """The starter pages' words for a language: its own, its base language's (fr-CA: fr),
    or English."""
    base = code.replace("_", "-").split("-")[0].lower()
    return SKELETONS.get(code) or SKELETONS.get(base) or SKELETONS["en"]


def _page(front_matter: dict[str, object], body: str = "") -> str:
    lines = [
        f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in front_matter.items()
    ]
    return "---\n" + "\n".join(lines) + "\n---\n" + (f"\n{body}" if body else "")


def skeleton_files(root: Path, code: str, title: str) -> dict[Path, str]:
    """The starter pages of one language folder, in that language's words."""
    words = skeleton(code)
    section = root / "articles" / "getting-started"
    return {
        root / "_index.md": _page(
            {"title": title, "description": words.home_description},
            words.home_body.format(language=language(code).name),
        ),
        section / "_section.md": _page(
            {
                "title": words.section_title,
                "description": words.section_description,
                "weight": 1,
            }
        ),
        section / "welcome.md": _page(
            {
                "title": words.article_title,
                "description": words.article_description,
                "weight": 1,
            },
            words.article_body.format(code=code),
        ),
        root / "faq" / "contact-support.md": _page(
            {"title": words.faq_title, "weight": 1}, words.faq_body
        ),
        root / "rules.md": _page({"title": words.rules_title}, words.rules_body),
    }


def create_site(folder: Path, languages: list[str], title: str) -> list[Path]:
    """Write a config and a content skeleton; never overwrite a file that exists."""
    diags = Diagnostics()
    if not languages:
        diags.error("--languages needs at least one language code, such as en,fr,vi")
        raise BuildFailed(diags)
    for code in languages:
        try:
            language(code)
        except (ValueError, LookupError):
            diags.error(f"'{code}' is not a language code babel knows (try en, fr, vi)")
    for code in dict.fromkeys(c for c in languages if languages.count(c) > 1):
        # as config.yaml's own check would say at the first build
        diags.error(f"--languages: '{code}' is listed twice; list each language once")
    if (folder / "config.yaml").exists():
        diags.error(
            "a config.yaml is already here; kbgen init never overwrites files",
            folder / "config.yaml",
        )
    if diags.errors:
        raise BuildFailed(diags)

    files: dict[Path, str] = {
        folder / "config.yaml": CONFIG_TEMPLATE.format(
            title=json.dumps(title, ensure_ascii=False), languages=json.dumps(languages)
        ),
    }
    for code in languages:
        files.update(skeleton_files(folder / "content" / code, code, title))
    if not (folder / ".gitignore").exists():  # a repository's own is left as it is
        # the output, the cache, and beside the output its build lock (and the staging
        # folder of a build that was killed): output.py names them .site.kbgen-*
        files[folder / ".gitignore"] = (
            "# written by kbgen build\n/site/\n/.kbgen-cache/\n/.site.kbgen-*\n"
        )
    existing = [path for path in files if path.exists()]
    if existing:
        for path in existing:
            diags.error("already exists; kbgen init never overwrites files", path)
        raise BuildFailed(diags)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
