from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbgen.build import BuildOptions, BuildResult, build
from tests.helpers import REPO

# The build cache's key (cache.py), for this process and every kbgen it starts: no test
# writes a key file into the real home folder.
os.environ["KBGEN_CACHE_KEY"] = secrets.token_hex(16)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The repository's example knowledge base, built once for the whole session."""
    out = tmp_path_factory.mktemp("example") / "site"
    return build(BuildOptions(REPO / "config.yaml", output=out))


@pytest.fixture(scope="session")
def example_site(example_build: BuildResult) -> Path:
    return example_build.output


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the example site's sources, free to break."""
    root = tmp_path / "kb"
    root.mkdir()
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    shutil.copytree(REPO / "content", root / "content")
    return root


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium through Playwright. Never skipped: a missing browser fails."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()
