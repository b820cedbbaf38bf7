"""Writers' mistakes: a clear error with file and line, exit 1, and the old site untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kbgen.config import load_config
from kbgen.diagnostics import BuildFailed
from tests.helpers import REPO, assert_clean_failure, checksums, run_kbgen

ARTICLE = "content/fr/articles/community-management/role-des-representants.md"


def _article(root: Path) -> Path:
    return root / "content/fr/articles/community-management/representatives-role.md"


def _build_ok(root: Path, out: Path) -> None:
    result = run_kbgen("build", "--output", str(out), cwd=root)
    assert result.returncode == 0, result.stderr


def test_broken_link_names_file_and_line(example_copy: Path, tmp_path: Path) -> None:
    article = _article(example_copy)
    lines = article.read_text(encoding="utf-8").split("\n")
    lines.insert(12, "See [the missing page](../../faq/nowhere.md).")
    article.write_text("\n".join(lines), encoding="utf-8")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert (
        "content/fr/articles/community-management/representatives-role.md:13: error: "
        "broken link: '../../faq/nowhere.md': no such page"
    ) in result.stderr


def test_broken_anchor_names_file_and_line(example_copy: Path, tmp_path: Path) -> None:
    article = _article(example_copy)
    article.write_text(
        article.read_text(encoding="utf-8") + "\n[rule 99](../../rules.md#99)\n", encoding="utf-8"
    )
    line = article.read_text(encoding="utf-8").split("\n").index("[rule 99](../../rules.md#99)")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert f"representatives-role.md:{line + 1}: error: broken link: " in result.stderr
    assert "no heading or anchor '#99'" in result.stderr


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        ("title: [unclosed\n", ":3:1: error: invalid YAML"),
        ("- just\n- a list\n", ":2:1: error: front matter must be a mapping"),
        ("description: no title\n", ":1: error: 'title' is required"),
        ("title: ok\nweight: abc\n", ":3: error: 'weight': must be a whole number"),
        ("title: ok\ntags: 3\n", ":3: error: 'tags': must be a list of texts"),
        ("title: ok\ndate: 2026-13-45\n", ":3: error: 'date': cannot read the value"),
        ("title: ok\nslug: ../escape\n", ":3: error: 'slug': must not contain"),
    ],
)
def test_bad_front_matter_fails_and_keeps_the_previous_site(
    example_copy: Path, tmp_path: Path, front_matter: str, expected: str
) -> None:
    out = tmp_path / "out"
    _build_ok(example_copy, out)
    before = checksums(out)
    article = _article(example_copy)
    body = article.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    article.write_text(f"---\n{front_matter}---\n{body}", encoding="utf-8")
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert_clean_failure(result)
    assert f"representatives-role.md{expected}" in result.stderr
    assert "build failed: 1 error(s)" in result.stderr  # no follow-on errors
    assert checksums(out) == before


def test_unclosed_front_matter(example_copy: Path, tmp_path: Path) -> None:
    article = _article(example_copy)
    article.write_text("---\ntitle: never closed\n\nBody.\n", encoding="utf-8")
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert (
        "representatives-role.md:1:1: error: front matter opened with '---' is never closed"
        in result.stderr
    )


def test_unknown_key_warns_and_strict_fails(example_copy: Path, tmp_path: Path) -> None:
    article = _article(example_copy)
    article.write_text(
        article.read_text(encoding="utf-8").replace("---\ntitle:", "---\ntilte: typo\ntitle:", 1),
        encoding="utf-8",
    )
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert result.returncode == 0
    assert "representatives-role.md:2: warning: unknown front-matter key 'tilte'" in result.stderr
    strict = run_kbgen("build", "--strict", "--output", str(tmp_path / "out2"), cwd=example_copy)
    assert_clean_failure(strict)
    assert not (tmp_path / "out2").exists()


def test_config_problems_are_reported_together(example_copy: Path, tmp_path: Path) -> None:
    (example_copy / "config.yaml").write_text(
        "languages: [fr, vi, en]\ntheme: nosuch\nbase_url: ftp://x\nfallback: maybe\n"
        "colour: blue\nmarkdown:\n  allow_html: sometimes\n",
        encoding="utf-8",
    )
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    for expected in (
        "config.yaml:3: error: 'base_url'",
        "config.yaml:4: error: 'fallback'",
        "config.yaml:5: error: 'colour': unknown key",
        "config.yaml:7: error: 'markdown.allow_html'",
    ):
        assert expected in result.stderr


def test_usage_mistake_exits_2(tmp_path: Path) -> None:
    result = run_kbgen("build", "--no-such-flag", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("output", [".", "..", "content", "content/fr/x", "/", "~"])
def test_output_guards_refuse_dangerous_folders(example_copy: Path, output: str) -> None:
    before = checksums(example_copy)
    result = run_kbgen("build", "--output", output, cwd=example_copy)
    assert_clean_failure(result)
    assert "output folder" in result.stderr
    assert checksums(example_copy) == before


def test_output_guard_refuses_a_folder_of_user_files(example_copy: Path, tmp_path: Path) -> None:
    mine = tmp_path / "my-files"
    mine.mkdir()
    (mine / "thesis.txt").write_text("precious")
    result = run_kbgen("build", "--output", str(mine), cwd=example_copy)
    assert_clean_failure(result)
    assert "was not made by kbgen" in result.stderr
    assert (mine / "thesis.txt").read_text() == "precious"
    assert [p.name for p in mine.iterdir()] == ["thesis.txt"]


def test_a_file_added_to_the_output_is_never_deleted(example_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build_ok(example_copy, out)
    (out / "CNAME").write_text("kb.example.com")
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert_clean_failure(result)
    assert "CNAME" in result.stderr
    assert (out / "CNAME").read_text() == "kb.example.com"


def test_rebuild_replaces_the_previous_output(example_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build_ok(example_copy, out)
    faq = example_copy / "content/en/faq/community-rules/write-rules.md"
    faq.unlink()
    _build_ok(example_copy, out)
    assert not (out / "en/faq/write-rules").exists()
    assert not list(tmp_path.glob(".out.kbgen-staging-*"))


@pytest.mark.parametrize("command", [["status", "--json"], ["status"], ["build"]])
def test_a_reader_that_leaves_early_gets_no_traceback(
    example_copy: Path, command: list[str]
) -> None:
    # `kbgen status --json | head -1`: the reader closes the pipe before kbgen writes to it
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "kbgen", *command],
        cwd=example_copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    errors = process.stderr.read()
    assert process.wait(timeout=300) == 141, errors  # 128 + SIGPIPE, as a shell shows it
    assert "Traceback" not in errors and "Exception ignored" not in errors, errors


def _config_errors(root: Path, text: str) -> list[str]:
    """The errors load_config reports for a config.yaml of `text`, as printed."""
    (root / "config.yaml").write_text(text, encoding="utf-8")
    try:
        load_config(root / "config.yaml")
    except BuildFailed as failed:
        return [d.format(root) for d in failed.diagnostics.errors]
    return []


@pytest.mark.parametrize(
    "cache_dir",
    ["/", ".", "..", "content", "content/fr", "site", "site/.cache", "themes/mine", "~"],
)
def test_cache_dir_guards_refuse_dangerous_folders(tmp_path: Path, cache_dir: str) -> None:
    # "content/fr": its pickles would be published; "site/.cache": inside the output
    text = f"languages: [fr]\ncache_dir: {cache_dir}\n"
    errors = _config_errors(tmp_path, text.replace("~", str(Path.home())))
    assert len(errors) == 1 and errors[0].startswith("config.yaml:2: error: 'cache_dir'")
    assert "choose a folder of its own" in errors[0]


def test_cache_dir_elsewhere_is_fine(tmp_path: Path) -> None:
    assert _config_errors(tmp_path, "languages: [fr]\ncache_dir: ../kb-cache\n") == []


def test_an_output_inside_the_cache_is_refused(example_copy: Path) -> None:
    result = run_kbgen("build", "--output", ".kbgen-cache/site", cwd=example_copy)
    assert_clean_failure(result)
    assert "build cache (cache_dir)" in result.stderr
    assert not (example_copy / ".kbgen-cache").exists()


@pytest.mark.parametrize("theme", ["../../../../etc", "/etc", "default/../default", "..", "a\\b"])
def test_a_theme_is_a_name_not_a_path(tmp_path: Path, theme: str) -> None:
    errors = _config_errors(tmp_path, f"languages: [fr]\ntheme: '{theme}'\n")
    assert len(errors) == 1 and errors[0].startswith("config.yaml:2: error: 'theme'")


def test_a_theme_extends_a_name_not_a_path(example_copy: Path, tmp_path: Path) -> None:
    theme = example_copy / "themes" / "mine"
    theme.mkdir(parents=True)
    (theme / "theme.yaml").write_text("extends: ../../../../../../etc\n", encoding="utf-8")
    config = example_copy / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "theme: mine\n", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace("theme: default\n", ""))
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert "unknown theme '../../../../../../etc'" in result.stderr


@pytest.mark.parametrize(
    "base_url", ['"https://kb.example.com/\\nDisallow: /"', '"https://kb.example.com/a b/"']
)
def test_base_url_refuses_control_characters(tmp_path: Path, base_url: str) -> None:
    errors = _config_errors(tmp_path, f"languages: [fr]\nbase_url: {base_url}\n")
    assert len(errors) == 1 and errors[0].startswith("config.yaml:2: error: 'base_url'")


def test_base_url_from_the_command_line_refuses_a_newline(example_copy: Path) -> None:
    result = run_kbgen(
        "build", "--base-url", "https://kb.example.com/\nDisallow: /", cwd=example_copy
    )
    assert_clean_failure(result)
    assert "'--base-url': must not contain spaces or control characters" in result.stderr


@pytest.mark.parametrize("code", ["en./../../x", "en/x", "fr_FR", "e", "en-", "../en", "en x"])
def test_language_codes_are_language_tags(tmp_path: Path, code: str) -> None:
    errors = _config_errors(tmp_path, f"languages: [fr, '{code}']\n")
    assert len(errors) == 1 and errors[0].startswith("config.yaml:1: error: 'languages'")


def test_language_tags_babel_knows_are_accepted(tmp_path: Path) -> None:
    assert _config_errors(tmp_path, "languages: [en, pt-BR, zh-Hant, sr-Latn-RS, fil]\n") == []
