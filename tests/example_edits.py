"""Edits of the bundled example a writer makes, shared by the tests that hold serve's and the
cached build's partial rebuilds to a build from scratch. Each edits a copy of the example and
returns the paths it touched."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import edit_file as _edit

FR = "content/fr"
ROLE = f"{FR}/articles/community-management/representatives-role.md"
WHY = f"{FR}/articles/self-service/why-self-service.md"


def page_text(root: Path) -> list[Path]:
    _edit(root / ROLE, "ne fonctionnent pas tout seuls", "ne tournent pas toutes seules")
    return [root / ROLE]


def title(root: Path) -> list[Path]:
    _edit(root / ROLE, 'title: "Le rôle de vos', 'title: "Le rôle essentiel de vos')
    return [root / ROLE]


def slug(root: Path) -> list[Path]:
    _edit(root / ROLE, "slug: role-des-representants", "slug: role-representants")
    return [root / ROLE]


def image(root: Path) -> list[Path]:
    picture = root / FR / "articles/self-service/schema.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    _edit(root / WHY, "\n## ", "\n![schéma](schema.png)\n\n## ")
    return [picture, root / WHY]


def faq_answer(root: Path) -> list[Path]:
    # FAQ answers are shown on the FAQ index too; not translated into vi: its vi page is a
    # fallback showing this file
    path = root / FR / "faq/representatives/price-change-thread.md"
    _edit(path, "Remerciez l’utilisateur", "Remerciez d’abord l’utilisateur")
    return [path]
