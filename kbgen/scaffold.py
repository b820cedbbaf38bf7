"""`kbgen init`: a new knowledge base that builds as it is."""

from __future__ import annotations

import json
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

HOME = """\
---
title: {title}
description: Answers to the questions our customers ask most.
---

Welcome to the knowledge base ({language}).
Start with [the first article](articles/getting-started/welcome.md).
"""

SECTION = """\
---
title: Getting started
description: The first steps.
weight: 1
---
"""

ARTICLE = """\
---
title: Welcome
description: What this knowledge base holds and how to add to it.
weight: 1
---

This is the first article. Edit `content/{code}/articles/getting-started/welcome.md` and run
`kbgen build` to see the change.

## Writing articles

Each folder of `articles/` is a section; `_section.md` gives its title. Link to other pages by
their Markdown file, such as [the community rules](../../rules.md).
"""

FAQ = """\
---
title: How do I contact support?
weight: 1
---

Open a thread in the forum, or write to the support team.
"""

RULES = """\
---
title: Community rules
---

Be kind; these rules keep the discussions useful for everyone.

1. **Be respectful**: no insults or personal attacks.
2. **Stay on topic**: open a new thread for a new question.
"""


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
        root = folder / "content" / code
        files[root / "_index.md"] = HOME.format(
            title=json.dumps(title, ensure_ascii=False), language=language(code).name
        )
        files[root / "articles" / "getting-started" / "_section.md"] = SECTION
        files[root / "articles" / "getting-started" / "welcome.md"] = ARTICLE.format(code=code)
        files[root / "faq" / "contact-support.md"] = FAQ
        files[root / "rules.md"] = RULES
    if not (folder / ".gitignore").exists():  # a repository's own is left as it is
        files[folder / ".gitignore"] = "# written by kbgen build\n/site/\n/.kbgen-cache/\n"
    existing = [path for path in files if path.exists()]
    if existing:
        for path in existing:
            diags.error("already exists; kbgen init never overwrites files", path)
        raise BuildFailed(diags)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
