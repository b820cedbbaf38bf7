"""`kbgen new`, `kbgen status` and `kbgen check`: a writer's day, as separate processes."""

from __future__ import annotations

import contextlib
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbgen.scaffold import SKELETONS
from kbgen.status import set_front_matter_value, text_hash
from tests.helpers import REPO, assert_clean_failure, run_kbgen

ROLE_FR = "content/fr/articles/community-management/representatives-role.md"
ROLE_VI = "content/vi/articles/community-management/representatives-role.md"
ROLE_EN = "content/en/articles/community-management/representatives-role.md"
ROLE_VI_URL = "vi/articles/community-management/vai-tro-cua-dai-dien/index.html"
PRICE_FR = "content/fr/faq/representatives/price-change-thread.md"  # no vi translation


def _build(root: Path, out: Path) -> str:
    result = run_kbgen("build", "--output", str(out), cwd=root)
    assert result.returncode == 0, result.stderr
    return result.stderr


def _status(root: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = run_kbgen("status", "--json", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


# kbgen init -----------------------------------------------------------------------------


def test_init_writes_each_language_in_its_own_words(tmp_path: Path) -> None:
    result = run_kbgen("init", "kb", "--languages", "fr,vi,en,de", "--title", "Acme", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    content = tmp_path / "kb/content"
    faq = {
        lang: (content / lang / "faq/contact-support.md").read_text(encoding="utf-8")
        for lang in ("fr", "vi", "en", "de")
    }
    assert 'title: "Comment contacter le support\u00a0?"' in faq["fr"]
    assert "Ouvrez une discussion sur le forum" in faq["fr"]
    assert 'title: "Làm thế nào để liên hệ bộ phận hỗ trợ?"' in faq["vi"]
    assert 'title: "How do I contact support?"' in faq["en"]
    assert faq["de"] == faq["en"]  # no UI strings for German: English
    rules_vi = (content / "vi/rules.md").read_text(encoding="utf-8")
    assert "Quy tắc cộng đồng" in rules_vi and "Be respectful" not in rules_vi
    welcome_fr = (content / "fr/articles/getting-started/welcome.md").read_text(encoding="utf-8")
    assert "Rédiger des articles" in welcome_fr and "content/fr/articles" in welcome_fr
    built = run_kbgen("build", cwd=tmp_path / "kb")
    assert built.returncode == 0, built.stderr
    home = (tmp_path / "kb/site/fr/index.html").read_text(encoding="utf-8")
    assert "Premiers pas" in home and "Bienvenue dans la base de connaissances" in home


def test_every_ui_language_has_starter_pages() -> None:
    locales = REPO / "themes/default/locales"
    assert {po.stem for po in locales.glob("*.po")} == set(SKELETONS)


def test_init_gitignore_leaves_only_the_sources_to_commit(tmp_path: Path) -> None:
    assert run_kbgen("init", "kb", "--languages", "en", cwd=tmp_path).returncode == 0
    site = tmp_path / "kb"
    assert run_kbgen("build", cwd=site).returncode == 0
    assert (site / ".site.kbgen-lock").exists()  # the build's lock, beside the output
    subprocess.run(["git", "init", "-q", str(site)], check=True)
    listed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=site,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    files = {line[3:] for line in listed.splitlines()}
    assert files == {".gitignore", "config.yaml"} | {
        str(p.relative_to(site)) for p in (site / "content").rglob("*.md")
    }


# kbgen new ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["article", "--lang", "fr", "--section", "billing", "Rembourser : étape par étape"],
            [
                "content/fr/articles/billing/_section.md",
                "content/fr/articles/billing/rembourser-etape-par-etape.md",
            ],
        ),
        (
            ["article", "--lang", "vi", "--section", "self-service", "Đây là cơ sở tri thức"],
            ["content/vi/articles/self-service/day-la-co-so-tri-thuc.md"],
        ),
        (
            ["faq", "--lang", "en", 'Can I "quote" things?'],
            ["content/en/faq/can-i-quote-things.md"],
        ),
        (
            ["faq", "--lang", "fr", "--section", "representatives", "Et le week-end ?"],
            ["content/fr/faq/representatives/et-le-week-end.md"],
        ),
        (["reply", "--lang", "fr", "Bienvenue !"], ["content/fr/replies/bienvenue.md"]),
    ],
)
def test_new_page_builds(
    example_copy: Path, tmp_path: Path, args: list[str], expected: list[str]
) -> None:
    result = run_kbgen("new", *args, cwd=example_copy)
    assert result.returncode == 0, result.stderr
    for rel in expected:
        assert (example_copy / rel).is_file(), result.stdout
        assert f"wrote {rel}" in result.stdout
    page = (example_copy / expected[-1]).read_text(encoding="utf-8")
    assert page.startswith("---\ntitle: ")
    out = tmp_path / "out"
    stderr = _build(example_copy, out)
    assert "warning" not in stderr
    html = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert args[-1].replace('"', "&#34;") in html


def test_new_never_overwrites(example_copy: Path) -> None:
    args = ("new", "reply", "--lang", "fr", "Bienvenue")
    assert run_kbgen(*args, cwd=example_copy).returncode == 0
    page = example_copy / "content/fr/replies/bienvenue.md"
    page.write_text(page.read_text(encoding="utf-8") + "Mon texte.\n", encoding="utf-8")
    again = run_kbgen(*args, cwd=example_copy)
    assert_clean_failure(again)
    assert "content/fr/replies/bienvenue.md: error: a page with this name exists" in again.stderr
    assert page.read_text(encoding="utf-8").endswith("Mon texte.\n")


@pytest.mark.parametrize(
    "args",
    [
        ["new", "article", "--lang", "fr", "No section"],
        ["new", "reply", "--lang", "fr", "--section", "x", "Sectioned"],
        ["new", "faq", "--lang", "de", "Unknown language"],
        ["new", "faq", "Missing language"],
        ["new", "translation", ROLE_FR],
        ["new", "article", "--lang", "fr", "--section", "../up", "Escape"],
        ["status", "--fail-on", "everything"],
    ],
)
def test_usage_mistakes_exit_2(example_copy: Path, args: list[str]) -> None:
    result = run_kbgen(*args, cwd=example_copy)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "error" in result.stderr


def test_new_translation_builds_and_is_current(example_copy: Path, tmp_path: Path) -> None:
    result = run_kbgen("new", "translation", PRICE_FR, "--to", "vi", cwd=example_copy)
    assert result.returncode == 0, result.stderr
    vi = example_copy / "content/vi/faq/representatives/price-change-thread.md"
    text = vi.read_text(encoding="utf-8")
    assert "slug: repondre-changement-de-prix" in text and "source_hash: sha256:" in text
    original = (example_copy / PRICE_FR).read_text(encoding="utf-8")
    assert original.split("\n---\n", 1)[1].strip() in text  # the body, ready to translate
    out = tmp_path / "out"
    _build(example_copy, out)
    page = (out / "vi/faq/repondre-changement-de-prix/index.html").read_text(encoding="utf-8")
    assert "banner-untranslated" not in page and "banner-outdated" not in page
    status = _status(example_copy)["languages"]["vi"]
    assert "content/vi/faq/representatives/price-change-thread.md" in status["translated"]
    assert status["missing"] == [] and status["outdated"] == []
    again = run_kbgen("new", "translation", PRICE_FR, "--to", "vi", cwd=example_copy)
    assert_clean_failure(again)


def test_new_translation_in_a_new_section_brings_the_section_along(
    example_copy: Path, tmp_path: Path
) -> None:
    made = run_kbgen(
        "new", "article", "--lang", "fr", "--section", "facturation", "Rembourser", cwd=example_copy
    )
    assert made.returncode == 0, made.stderr
    section_fr = example_copy / "content/fr/articles/facturation/_section.md"
    section_fr.write_text('---\ntitle: "Facturation"\n---\n', encoding="utf-8")
    article = "content/fr/articles/facturation/rembourser.md"
    result = run_kbgen("new", "translation", article, "--to", "vi", cwd=example_copy)
    assert result.returncode == 0, result.stderr
    section_vi = example_copy / "content/vi/articles/facturation/_section.md"
    assert "wrote content/vi/articles/facturation/_section.md" in result.stdout
    text = section_vi.read_text(encoding="utf-8")
    assert "title: Facturation" in text and "source_hash: sha256:" in text
    assert (
        "0 warning(s)"
        in run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy).stdout
    )
    vi = _status(example_copy)["languages"]["vi"]
    assert not any("facturation" in path for path in vi["missing"] + vi["outdated"])
    # a section the language has already is left as it is
    section_vi.write_text('---\ntitle: "Thanh toán"\n---\n', encoding="utf-8")
    (example_copy / "content/vi/articles/facturation/rembourser.md").unlink()
    again = run_kbgen("new", "translation", article, "--to", "vi", cwd=example_copy)
    assert again.returncode == 0 and "_section.md" not in again.stdout, again.stderr
    assert "Thanh toán" in section_vi.read_text(encoding="utf-8")


def test_a_new_article_in_a_sub_section_and_its_translation_bring_every_section_file(
    example_copy: Path, tmp_path: Path
) -> None:
    made = run_kbgen(
        "new", "article", "--lang", "fr", "--section", "facturation/remboursements", "Rembourser",
        cwd=example_copy,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    fr = example_copy / "content/fr/articles/facturation"
    assert (fr / "remboursements/rembourser.md").is_file()
    assert "Remboursements" in (fr / "remboursements/_section.md").read_text(encoding="utf-8")
    (fr / "_section.md").write_text('---\ntitle: "Facturation"\n---\n', encoding="utf-8")
    article = "content/fr/articles/facturation/remboursements/rembourser.md"
    result = run_kbgen("new", "translation", article, "--to", "vi", cwd=example_copy)
    assert result.returncode == 0, result.stderr
    assert "wrote content/vi/articles/facturation/_section.md" in result.stdout
    assert "wrote content/vi/articles/facturation/remboursements/_section.md" in result.stdout
    built = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert "0 warning(s)" in built.stdout, built.stdout + built.stderr
    assert (tmp_path / "out/vi/articles/facturation/remboursements/rembourser/index.html").is_file()
    bad = run_kbgen("new", "article", "--lang", "fr", "--section", "a/_b", "X", cwd=example_copy)
    assert bad.returncode == 2 and "must not start with _ or ." in bad.stderr  # a usage error


def test_new_translation_only_from_the_default_language(example_copy: Path) -> None:
    result = run_kbgen("new", "translation", ROLE_VI, "--to", "en", cwd=example_copy)
    assert_clean_failure(result)
    assert "translations are made from the default language ('fr')" in result.stderr


# Staleness --------------------------------------------------------------------------------


def test_editing_an_original_outdates_its_translations_until_marked_current(
    example_copy: Path, tmp_path: Path
) -> None:
    marked = run_kbgen("status", "--mark-current", ROLE_VI, cwd=example_copy)
    assert marked.returncode == 0, marked.stderr
    assert "source_hash: sha256:" in (example_copy / ROLE_VI).read_text(encoding="utf-8")
    assert _status(example_copy)["languages"]["vi"]["outdated"] == []

    original = example_copy / ROLE_FR
    text = original.read_text(encoding="utf-8")
    text = text.replace("updated: 2026-09-21", "updated: 2027-03-12")
    original.write_text(text.replace("Leurs tâches", "Les tâches"), encoding="utf-8")

    [outdated] = _status(example_copy)["languages"]["vi"]["outdated"]
    assert outdated == {
        "file": ROLE_VI,
        "original": ROLE_FR,
        "original_changed": "2027-03-12",
    }
    failing = run_kbgen("status", "--fail-on", "outdated,missing", cwd=example_copy)
    assert_clean_failure(failing)
    assert f"vi: outdated: {ROLE_VI}" in failing.stdout
    assert run_kbgen("status", "--fail-on", "orphan", cwd=example_copy).returncode == 0

    out = tmp_path / "out"
    stderr = _build(example_copy, out)
    # both translations of the article record the version they were made from
    assert "2 translation(s) older than their original" in stderr
    assert ROLE_VI in stderr and ROLE_EN in stderr
    page = (out / ROLE_VI_URL).read_text(encoding="utf-8")
    assert "banner-outdated" in page
    assert "Bản gốc đã được cập nhật vào ngày 12 tháng 3, 2027, sau khi bản dịch" in page
    fr_page = out / "fr/articles/community-management/role-des-representants/index.html"
    assert "banner-outdated" not in fr_page.read_text(encoding="utf-8")

    assert run_kbgen("status", "--mark-current", ROLE_VI, cwd=example_copy).returncode == 0
    assert _status(example_copy)["languages"]["vi"]["outdated"] == []
    _build(example_copy, out)
    assert "banner-outdated" not in (out / ROLE_VI_URL).read_text(encoding="utf-8")


def test_the_example_tracks_its_translations_out_of_the_box(
    example_copy: Path, tmp_path: Path
) -> None:
    status = _status(example_copy)["languages"]
    for lang in ("vi", "en"):  # every translation records the version of its original
        assert status[lang]["untracked"] == [] and status[lang]["outdated"] == []
        assert len(status[lang]["translated"]) >= 19
    # so editing a French original outdates its translations, with nothing marked first
    original = example_copy / "content/fr/replies/price-change.md"
    text = original.read_text(encoding="utf-8")
    original.write_text(text.replace("du jour au lendemain", "à la légère"), encoding="utf-8")
    status = _status(example_copy)["languages"]
    for lang in ("vi", "en"):
        [outdated] = status[lang]["outdated"]
        assert outdated["file"] == f"content/{lang}/replies/price-change.md"
    stderr = _build(example_copy, tmp_path / "out")
    assert "2 translation(s) older than their original" in stderr


def test_outdated_banner_never_dates_the_original_before_the_translation(
    example_copy: Path, tmp_path: Path
) -> None:
    # the French original is edited without touching `updated` (2026-09-21), the very day
    # the Vietnamese translation says it was updated: no date would explain the banner
    assert run_kbgen("status", "--mark-current", ROLE_VI, cwd=example_copy).returncode == 0
    original = example_copy / ROLE_FR
    text = original.read_text(encoding="utf-8")
    original.write_text(text.replace("Leurs tâches", "Les tâches"), encoding="utf-8")
    out = tmp_path / "out"
    _build(example_copy, out)
    page = (out / ROLE_VI_URL).read_text(encoding="utf-8")
    banner = page.split('class="banner banner-outdated"', 1)[1].split("</div>", 1)[0]
    assert "Bản gốc đã thay đổi kể từ khi bản dịch này được thực hiện" in banner
    assert "21 tháng 9" not in banner and "2026" not in banner


def test_front_matter_changes_do_not_outdate_translations(example_copy: Path) -> None:
    assert run_kbgen("status", "--mark-current", ROLE_VI, cwd=example_copy).returncode == 0
    original = example_copy / ROLE_FR
    text = original.read_text(encoding="utf-8").replace("weight: 1", "weight: 2")
    original.write_text(text.replace("\n", "\r\n") + "\n\n", encoding="utf-8")  # CRLF too
    assert _status(example_copy)["languages"]["vi"]["outdated"] == []


def test_orphans_and_missing_ui_strings(example_copy: Path) -> None:
    (example_copy / "content/vi/faq/gone.md").write_text("---\ntitle: Mất\n---\n\nx\n", "utf-8")
    theme = example_copy / "themes/mine"
    (theme / "locales").mkdir(parents=True)
    (theme / "theme.yaml").write_text("extends: default\n", encoding="utf-8")
    (theme / "templates").mkdir()
    (theme / "templates/faq.html").write_text(
        '{% extends "base.html" %}{% block main %}{{ _("A brand new string") }}{% endblock %}\n',
        encoding="utf-8",
    )
    config = example_copy / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("theme: default", "theme: mine"), "utf-8"
    )
    data = _status(example_copy)["languages"]
    assert data["vi"]["orphan"] == ["content/vi/faq/gone.md"]
    for lang in ("fr", "vi", "en"):
        assert data[lang]["missing_ui_strings"] == ["A brand new string"]
    table = run_kbgen("status", "--fail-on", "ui", cwd=example_copy)
    assert_clean_failure(table)
    assert "vi: orphan: content/vi/faq/gone.md" in table.stdout


def test_the_default_theme_has_every_ui_string_in_every_catalog(example_copy: Path) -> None:
    data = _status(example_copy)["languages"]
    assert {lang: data[lang]["missing_ui_strings"] for lang in data} == {
        "fr": [],
        "vi": [],
        "en": [],
    }


def test_mark_current_rejects_originals_and_orphans(example_copy: Path) -> None:
    result = run_kbgen("status", "--mark-current", ROLE_FR, cwd=example_copy)
    assert_clean_failure(result)
    assert "this is an original" in result.stderr
    orphan = example_copy / "content/vi/faq/gone.md"
    orphan.write_text("---\ntitle: Mất\n---\n\nx\n", encoding="utf-8")
    result = run_kbgen("status", "--mark-current", str(orphan), cwd=example_copy)
    assert_clean_failure(result)
    assert "it is an orphan" in result.stderr


def test_hash_ignores_line_endings_and_trailing_blanks() -> None:
    assert text_hash("T", "a\nb\n") == text_hash("T", "a\r\nb  \r\n\r\n")
    assert text_hash("T", "a\nb\n") != text_hash("T", "a\nc\n")
    assert text_hash("T", "x") != text_hash("U", "x")
    assert text_hash("Café", "x") == text_hash("Cafe\u0301", "x")  # NFC


def test_set_front_matter_value_keeps_the_rest() -> None:
    text = "---\r\ntitle: x  # a comment\r\nsource_hash: old\r\n---\r\nbody\r\n"
    assert set_front_matter_value(text, "source_hash", "new") == text.replace("old", "new")
    plain = "---\ntitle: x\n---\n\nbody\n"
    assert set_front_matter_value(plain, "k", "v") == "---\ntitle: x\nk: v\n---\n\nbody\n"


# kbgen check ------------------------------------------------------------------------------


class _Links(http.server.BaseHTTPRequestHandler):
    """/alive… answers, /no-head… answers GET only (as some servers do), the rest is 404."""

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, body: bytes) -> None:
        if self.path.startswith("/alive"):
            status = 200
        elif self.path.startswith("/no-head"):
            status = 200 if self.command == "GET" else 405
        else:
            status = 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.answer(b"")

    def do_GET(self) -> None:
        self.answer(b"ok")


@contextlib.contextmanager
def _link_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Links)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_check_finds_problems_without_writing(example_copy: Path) -> None:
    assert run_kbgen("check", cwd=example_copy).returncode == 0
    article = example_copy / ROLE_FR
    lines = article.read_text(encoding="utf-8").split("\n")
    lines.insert(12, "![schéma](schema.png) et [l’ancre](#nulle-part)")
    article.write_text("\n".join(lines), encoding="utf-8")
    result = run_kbgen("check", cwd=example_copy)
    assert_clean_failure(result)
    assert f"{ROLE_FR}:13: error: broken link: 'schema.png': no such file" in result.stderr
    assert f"{ROLE_FR}:13: error: broken link: no heading or anchor '#nulle-part'" in result.stderr
    assert not (example_copy / "site").exists()
    assert sorted(p.name for p in example_copy.iterdir()) == ["config.yaml", "content"]


def test_check_external_finds_the_dead_link(example_copy: Path) -> None:
    with _link_server() as base:
        article = example_copy / ROLE_FR
        lines = article.read_text(encoding="utf-8").split("\n")
        lines[11:11] = [
            f"[vivant]({base}/alive) [mort]({base}/dead) [sans HEAD]({base}/no-head)",
            f"[ignoré]({base}/ignored/page) [encore vivant]({base}/alive)",
            "",
        ]
        article.write_text("\n".join(lines), encoding="utf-8")
        without = run_kbgen("check", cwd=example_copy)
        assert without.returncode == 0, without.stderr  # external links only with --external
        result = run_kbgen(
            "check",
            "--external",
            "--ignore",
            f"{base}/ignored/*",
            "--timeout",
            "20",
            cwd=example_copy,
        )
    assert_clean_failure(result)
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        f"{ROLE_FR}:12: error: external link {base}/dead: HTTP 404: the page is gone or "
        "broken; fix or remove the link"
    ]
    assert "3 external link(s) tried (1 ignored)" in result.stderr


def test_check_external_reports_what_does_not_answer(example_copy: Path) -> None:
    with _link_server() as base:
        pass  # the server is gone: its port refuses connections now
    article = example_copy / ROLE_FR
    article.write_text(
        article.read_text(encoding="utf-8") + f"\n[fermé]({base}/alive)\n", encoding="utf-8"
    )
    result = run_kbgen("check", "--external", "--timeout", "20", cwd=example_copy)
    assert_clean_failure(result)
    assert f"error: external link {base}/alive: cannot connect" in result.stderr
