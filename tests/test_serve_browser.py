"""`kbgen serve` in headless Chromium: edits show up by themselves, errors as an overlay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.serving import kbgen_serve

pytestmark = pytest.mark.browser

FR_ARTICLE = "fr/articles/community-management/role-des-representants/"
ARTICLE_FILE = "content/fr/articles/community-management/representatives-role.md"
WAIT_MS = 20_000  # an upper bound for each step, not a measurement


def test_live_reload_and_error_overlay(browser: Any, example_copy: Path) -> None:
    article = example_copy / ARTICLE_FILE
    original = article.read_text(encoding="utf-8")
    with kbgen_serve(example_copy) as site:
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(site.url + FR_ARTICLE)
        assert page.locator("h1").inner_text().startswith("Le rôle de vos représentants")
        page.evaluate("window.kbgenMarker = 'not reloaded yet'")

        # 1. edit the Markdown: the new text appears without anyone reloading the page
        edited = original.replace(
            "Leurs tâches devraient inclure :", "Leurs tâches, revues en direct, incluent :"
        )
        article.write_text(edited, encoding="utf-8")
        page.get_by_text("Leurs tâches, revues en direct, incluent :").wait_for(timeout=WAIT_MS)
        assert page.evaluate("window.kbgenMarker") is None  # the page did reload itself

        # 2. break the front matter: an overlay names file and line, over the last good page
        article.write_text(edited.replace("weight: 1", "weight: lourd"), encoding="utf-8")
        overlay = page.locator("#kbgen-overlay")
        overlay.wait_for(state="visible", timeout=WAIT_MS)
        where = overlay.locator(".kbgen-error-where").first.inner_text()
        assert where == f"{ARTICLE_FILE}:5"
        assert "'weight': must be a whole number" in overlay.inner_text()
        assert page.get_by_text("Leurs tâches, revues en direct, incluent :").count() == 1

        # 3. fix it: the overlay goes and the page is back
        article.write_text(edited.replace("Leurs tâches, revues", "Leurs tâches, relues"), "utf-8")
        page.get_by_text("Leurs tâches, relues en direct, incluent :").wait_for(timeout=WAIT_MS)
        overlay.wait_for(state="detached", timeout=WAIT_MS)
        assert page.locator("h1").inner_text().startswith("Le rôle de vos représentants")
        assert not [e for e in errors if "Content Security Policy" in e], errors
        context.close()


def test_overlay_shows_on_a_page_opened_while_the_build_is_broken(
    browser: Any, example_copy: Path
) -> None:
    article = example_copy / ARTICLE_FILE
    original = article.read_text(encoding="utf-8")
    with kbgen_serve(example_copy) as site:
        version = int(site.state()["version"])
        article.write_text(original.replace("\n---\n", "\n", 1), encoding="utf-8")  # unclosed
        site.wait_for(version, 0, lambda s: s["error"] != 0)
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.goto(site.url + FR_ARTICLE)
        overlay = page.locator("#kbgen-overlay")
        overlay.wait_for(state="visible", timeout=WAIT_MS)
        assert f"{ARTICLE_FILE}:1" in overlay.inner_text()
        assert "never closed" in overlay.inner_text()
        article.write_text(original, encoding="utf-8")
        overlay.wait_for(state="detached", timeout=WAIT_MS)
        context.close()
