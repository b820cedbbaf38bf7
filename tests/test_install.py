"""kbgen as another team gets it: an installed (not editable) package, a new site."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO


def test_init_and_build_from_an_installed_package(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # The venv sees the already-installed dependencies; kbgen itself is installed into it
    # from a wheel built from this repository, so the theme must ship inside the package.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(REPO)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(python), "-c", "import kbgen; print(kbgen.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    )
    assert where.stdout.startswith(str(venv)), where.stdout

    kbgen = str(venv / "bin" / "kbgen")
    site = tmp_path / "elsewhere" / "help-center"
    init = subprocess.run(
        [kbgen, "init", str(site), "--languages", "en,fr,vi"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert init.returncode == 0, init.stderr
    build = subprocess.run([kbgen, "build"], capture_output=True, text=True, cwd=site, env=env)
    assert build.returncode == 0, build.stderr
    assert "0 warning(s)" in build.stdout
    for rel in (
        "index.html",
        "en/index.html",
        "fr/articles/getting-started/welcome/index.html",
        "vi/rules/index.html",
        "vi/faq/contact-support/index.html",
        "sitemap.xml",
    ):
        assert (site / "site" / rel).is_file(), rel
    assert (site / ".gitignore").read_text().endswith("\n/site/\n/.kbgen-cache/\n/.site.kbgen-*\n")
    article = (site / "site/fr/articles/getting-started/welcome/index.html").read_text()
    assert "Sur cette page" in article or "Mis à jour" in article or "Aller au contenu" in article
    again = subprocess.run([kbgen, "init", str(site)], capture_output=True, text=True, env=env)
    assert again.returncode == 1 and "never overwrites" in again.stderr
