"""kbgen as another team gets it: an installed (not editable) package, a new site."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.helpers import REPO


def _venv_seeing_this_suites_packages(venv: Path) -> Path:
    """A new virtual environment whose Python also sees the packages of the Python running
    this suite (jinja2, hatchling...), whether that is a system Python or itself a virtual
    environment; returns its Python. (`--system-site-packages` would show the base
    interpreter's packages, not a virtual environment's.)"""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    suites = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    # A path line in a .pth file appends the folder to sys.path, after the venv's own
    # site-packages, without running that folder's .pth files: the editable install of kbgen
    # that the suite may have stays invisible, the wheel installed below is what is imported.
    (Path(own) / "suite-packages.pth").write_text("".join(f"{p}\n" for p in suites))
    return python


def test_init_and_build_from_an_installed_package(tmp_path: Path) -> None:
    # kbgen itself is installed into a new venv from a wheel built from this repository, so the
    # theme must ship inside the package; its dependencies are those this suite runs with.
    python = _venv_seeing_this_suites_packages(tmp_path / "venv")
    venv = tmp_path / "venv"
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
