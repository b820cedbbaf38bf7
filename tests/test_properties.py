"""Property-based: any front matter and any Markdown either builds or fails cleanly."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kbgen.build import BuildOptions, build
from kbgen.cache import _changes_path, cache_files
from kbgen.config import load_config
from kbgen.diagnostics import BuildFailed

CONFIG = "title: Property KB\nbase_url: https://kb.example.com/\nlanguages: [en, fr]\n"

yaml_scalars = st.one_of(
    st.text(max_size=20),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.sampled_from(
        [
            "2026-01-01",
            "2026-13-45",
            "..",
            "a/b",
            "javascript:x",
            "[",
            "{",
            "*a",
            "&a",
            "!!python/object:os.system",
            "'",
            '"',
            "---",
            "- x",
            ": x",
        ]
    ),
)
keys = st.sampled_from(
    [
        "title",
        "description",
        "slug",
        "translation_key",
        "weight",
        "tags",
        "date",
        "updated",
        "draft",
        "comments",
        "aliases",
        "discussion",
        "x",
    ]
)
# a page that may well build: a title, and other keys of any value (the others rarely build)
titled = st.fixed_dictionaries(
    {"title": st.text(min_size=1, max_size=20)},
    optional={
        "description": st.text(max_size=20),
        "weight": st.integers(),
        "tags": st.lists(st.text(min_size=1, max_size=10), max_size=3),
        "draft": st.booleans(),
    },
)
front_matter = st.one_of(
    titled.map(lambda d: "".join(f"{k}: {v!r}\n" for k, v in d.items())),
    st.dictionaries(
        keys, st.one_of(yaml_scalars, st.lists(yaml_scalars, max_size=3)), max_size=6
    ).map(lambda d: "".join(f"{k}: {v!r}\n" for k, v in d.items())),
    st.text(max_size=80),
)
markdown_bits = st.sampled_from(
    [
        "# Heading\n",
        "## Đây là cơ sở tri thức\n",
        "[link](other.md)\n",
        "[x](../../rules.md#1)\n",
        "![img](missing.png)\n",
        "<script>alert(1)</script>\n",
        "| a | b |\n|---|:-:|\n| 1 | 2 |\n",
        "```python\nx = 1\n```\n",
        "[^1]\n\n[^1]: note\n",
        '!!! note "T"\n    body\n',
        "- [ ] t\n",
        "{{ 7*7 }} {% if %}\n",
        "\x00\x01\u202e\n",
        "[p](javascript:alert(1))\n",
        "1. one\n2. two\n",
    ]
)
bodies = st.lists(st.one_of(markdown_bits, st.text(max_size=40)), max_size=8).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front_matter=front_matter, body=bodies, crlf=st.booleans())
def test_any_page_builds_or_fails_cleanly(front_matter: str, body: str, crlf: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "config.yaml").write_text(CONFIG)
        rules = root / "content/en/rules.md"
        rules.parent.mkdir(parents=True)
        rules.write_text("---\ntitle: Rules\n---\n1. **Kind**.\n")
        page = root / "content/en/articles/s/page.md"
        page.parent.mkdir(parents=True)
        text = f"---\n{front_matter}---\n{body}"
        page.write_bytes(
            (text.replace("\n", "\r\n") if crlf else text).encode("utf-8", "surrogatepass")
        )
        before = set(os.listdir(folder))
        try:
            result = build(BuildOptions(root / "config.yaml", output=root / "out"))
        except BuildFailed as failed:
            event("the build failed")
            assert failed.diagnostics.errors, "a failed build says why"
            for problem in failed.diagnostics.errors:
                assert problem.message
            assert not (root / "out").exists()
        else:
            event("the page was built")
            assert (root / "out" / "en" / "index.html").is_file()
            assert result.output == (root / "out").resolve()
        after = set(os.listdir(folder)) - {"out", ".out.kbgen-lock", ".kbgen-cache"}
        assert after == before, "nothing is written outside the output folder and the cache"
        cache = root / ".kbgen-cache"
        if cache.exists():
            assert set(cache.iterdir()) <= _cache_files(root), "only the cache's own files"


def _cache_files(root: Path) -> set[Path]:
    """Every file the build cache of `root`'s site may hold for its output folder `out`: each
    of its files (cache.cache_files), and the changes beside the bodies and the sources."""
    files = cache_files(load_config(root / "config.yaml"), (root / "out").resolve())
    layered = (files.bodies, files.sources)
    own = {files.state, files.reads, *layered, files.templates.path}
    own.update(words.path for words in files.words.values())
    return own | {_changes_path(path) for path in layered}
