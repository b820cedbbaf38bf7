"""URLs as written: the model keeps them decoded (they are the output files' paths), every
place that writes one percent-encodes it (UTF-8), and slugs hold nothing a server would
read otherwise once decoded."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kbgen.build import BuildOptions, build
from kbgen.urls import encode_url, relative_url
from tests.helpers import local_targets, tags

SITE = Path(__file__).parent / "sites" / "valid" / "nfd-file-names"
BASE = "https://kb.example.com/"
CAFE = "en/articles/start/caf%C3%A9/"  # café.md, its name in NFD on disk, NFC in the URL
QUESTION = "en/articles/start/c%C3%A2u-h%E1%BB%8Fi-(1)/"  # slug: câu-hỏi-(1)


def test_encode_url() -> None:
    assert encode_url("vi/câu-hỏi/") == "vi/c%C3%A2u-h%E1%BB%8Fi/"
    assert encode_url("fr/a b/#x y") == "fr/a%20b/#x%20y"
    assert encode_url("fr/a%41/") == "fr/a%2541/"  # a '%' of a file name is a '%'
    assert encode_url("fr/a:b/") == "fr/a%3Ab/"  # never read as a scheme
    assert encode_url("fr/c++(1),x/#%C3%A9") == "fr/c++(1),x/#%C3%A9"


def test_relative_links_encode_every_percent() -> None:
    # before: "%" was left as is, so a file "50%41.png" was asked for as "50A.png"
    assert relative_url("fr/faq/", "fr/faq/50%41.png") == "50%2541.png"
    assert relative_url("fr/faq/", "fr/câu/#tên") == "../c%C3%A2u/#tên"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("urls") / "kb"
    shutil.copytree(SITE, root)
    start = root / "content/en/articles/start"
    (start / "question.md").write_text(
        "---\ntitle: Question\nslug: câu-hỏi-(1)\n---\n\n"
        "![chart](50%25%20off.png) and [the café](café.md).\n",
        encoding="utf-8",
    )
    (start / "50% off.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    out = root / "site"
    build(BuildOptions(root / "config.yaml", output=out))
    return out


def _head_urls(page: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag, attrs in tags(page.read_text(encoding="utf-8")):
        if tag == "link" and attrs.get("rel") in ("canonical", "alternate"):
            found.setdefault(str(attrs["rel"]), []).append(str(attrs["href"]))
        if tag == "meta" and attrs.get("property") == "og:url":
            found["og:url"] = [str(attrs["content"])]
    return found


def test_files_are_written_at_the_decoded_paths(site: Path) -> None:
    assert (site / "en/articles/start/café/index.html").is_file()
    assert (site / "en/articles/start/câu-hỏi-(1)/index.html").is_file()
    assert (site / "en/articles/start/50% off.png").is_file()


def test_absolute_urls_are_percent_encoded(site: Path) -> None:
    page = site / "en/articles/start/café/index.html"
    head = _head_urls(page)
    assert head["canonical"] == [BASE + CAFE]
    assert head["og:url"] == [BASE + CAFE]
    assert BASE + CAFE in head["alternate"]  # hreflang: en and x-default
    ld = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', page.read_text(encoding="utf-8")
    )
    urls = [json.loads(block).get("url") for block in ld]
    assert BASE + CAFE in urls
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{BASE}{CAFE}</loc>" in sitemap
    assert f"<loc>{BASE}{QUESTION}</loc>" in sitemap
    locs = re.findall(r"<loc>(.*?)</loc>|href=\"(.*?)\"", sitemap)
    assert not [u for pair in locs for u in pair if re.search(r"[^\x21-\x7e]", u)]


def test_links_are_percent_encoded_and_lead_to_their_files(site: Path) -> None:
    html = (site / "en/articles/start/câu-hỏi-(1)/index.html").read_text(encoding="utf-8")
    assert 'src="../50%25%20off.png"' in html
    assert 'href="../caf%C3%A9/"' in html
    for page in site.rglob("*.html"):
        if page.name == "404.html":
            continue
        for href, target, _ in local_targets(page, site):
            assert target.is_file(), f"{page.relative_to(site)}: {href}"
            assert not re.search(r"[^\x21-\x7e]", href), href  # nothing raw: no space, no é


def test_search_index_urls_are_encoded(site: Path) -> None:
    data = json.loads((site / "assets/search/en.json").read_text(encoding="utf-8"))
    urls = [doc[0] for doc in data["docs"]]
    assert CAFE in urls and QUESTION in urls
