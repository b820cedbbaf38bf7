"""The site as `kbgen serve` keeps it: every output file in memory, rebuilt in part.

A full build loads config, theme, UI strings and every source, then renders every file.
After that, a change to files under `content/` re-reads only those files, rebuilds the site
model with the bodies of unchanged pages taken from a `BodyCache` (parsing Markdown is most
of the model's cost), compares the new model with the last good one, and renders again only
the files whose inputs changed: the changed pages, their translations (language switcher,
hreflang), the pages listing them (home, their section, the FAQ index, the reply templates)
and pages whose links now lead elsewhere (their bodies changed). A change to config.yaml or
the theme rebuilds everything. A build with errors changes nothing: the last good files stay.

Nothing here writes to disk, so `serve` needs no output folder (and cannot overwrite one).
"""

from __future__ import annotations

import bisect
import gc
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kbgen.bodies import BodyCache, update_bodies
from kbgen.build import BuildOptions
from kbgen.config import Config, load_config
from kbgen.diagnostics import BuildFailed, Diagnostic, Diagnostics
from kbgen.discussions import attach_discussions
from kbgen.i18n import UiStrings, load_ui_strings
from kbgen.model import build_site
from kbgen.render import Assets, Renderer, check_output_paths, redirect_path
from kbgen.search.index import make_search_file
from kbgen.seo import sitemap
from kbgen.signatures import summary
from kbgen.site import STANDALONE_KINDS, Page, Site
from kbgen.sources import Asset, Source, SourceSet, discover_sources, read_content_file
from kbgen.status import mark_outdated
from kbgen.theme import Theme, load_theme

PageKey = tuple[str, str]  # (lang, translation key)
OrderKey = tuple[int, tuple[tuple[int, str], ...]]
# kinds whose title shows on every page of their language (navigation, breadcrumbs, footer)
_SITEWIDE_KINDS = ("home", "rules", "faq_index", "replies", "not_found")


@dataclass
class Outcome:
    """What one build or rebuild did."""

    ok: bool
    diagnostics: Diagnostics
    full: bool
    method: str = "model"  # "full", "model" (the model built again), "bodies" (patched)
    rendered: int = 0  # files rendered
    changed: list[str] = field(default_factory=list)  # output paths whose bytes changed or went
    seconds: float = 0.0
    outdated: list[Page] = field(default_factory=list)


class LiveSite:
    """The output files of the last good build, by site-relative path, and how to update them.

    `files` is replaced (never mutated) by each build, so a reader that took it once sees
    one whole build; builds themselves must not run concurrently (serve has one builder).
    """

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self.files: dict[str, bytes] = {}
        self.assets: dict[str, Path] = {}  # content assets (images…), read when requested
        self.version = 0  # counts builds that changed something
        self.config: Config | None = None
        self.theme: Theme | None = None
        self.ui: UiStrings | None = None
        self.renderer: Renderer | None = None
        self.site: Site | None = None  # the last good model
        self.cache = BodyCache()
        # search files built since the model last changed, by output path (see search_data)
        self._search: dict[str, bytes] = {}
        self._entries: dict[Path, Source | Asset] = {}  # in discovery order
        self._order: list[tuple[OrderKey, Path]] = []  # _entries' paths, sorted
        self._file_diags: dict[Path, list[Diagnostic]] = {}
        self._global_diags: list[Diagnostic] = []
        self._lock = threading.Lock()

    # What to watch and what a change means -----------------------------------------------

    def watched(self) -> list[Path]:
        """Folders to watch: config.yaml's (for config.yaml only), content, theme folders."""
        folders = [self.options.config_path.resolve().parent]
        if self.config is not None:
            folders.append(self.config.content_dir)
        if self.theme is not None:
            folders.extend(self.theme.folders)
        return folders

    def needs_full_build(self, paths: Iterable[Path]) -> bool:
        config_path = self.options.config_path.resolve()
        for path in paths:
            if path == config_path:
                return True
            if self.config is not None and path == self.config.content_dir:
                return True
            if self.theme is not None and any(path.is_relative_to(f) for f in self.theme.folders):
                return True
        return self.config is None  # the last full build failed: try it again

    def _only_templates(self, paths: set[Path]) -> bool:
        """Whether only theme templates or static files changed: parsed bodies depend on
        config.yaml and on UI strings (the rules' labels), not on those."""
        if self.theme is None or self.config is None:
            return False
        for path in paths:
            if path.is_relative_to(self.config.content_dir):
                return False
            kept = [f / "templates" for f in self.theme.folders]
            kept += [f / "static" for f in self.theme.folders]
            if not any(path.is_relative_to(folder) for folder in kept):
                return False
        return True

    def relevant(self, path: Path) -> bool:
        if path == self.options.config_path.resolve():
            return True
        folders = list(self.theme.folders) if self.theme else []
        if self.config is not None:
            folders.append(self.config.content_dir)
        return any(path.is_relative_to(f) for f in folders)

    # Builds ------------------------------------------------------------------------------

    def build(self, keep_bodies: bool = False) -> Outcome:
        """Everything from scratch (the first build, or config or theme changed);
        `keep_bodies`: the bodies still hold (only templates or static files changed)."""
        with self._lock:
            started = time.perf_counter()
            diags = Diagnostics()
            try:
                config = load_config(self.options.config_path, self.options.base_url)
                theme = load_theme(config)
            except BuildFailed as failed:
                self.config = None
                return Outcome(False, failed.diagnostics, True, "full")
            self.config, self.theme = config, theme
            self.ui = load_ui_strings(theme.locale_dirs, config.languages, diags)
            sources = discover_sources(config, diags, drafts=self.options.drafts)
            self._global_diags = []
            self._file_diags = {}
            for item in diags.items:
                self._note(item)
            self._entries = {}
            for page in sources.pages:
                self._entries[page.path] = page
            for asset in sources.assets:
                self._entries[asset.path] = asset
            self._sort_entries()
            if not keep_bodies:
                self.cache = BodyCache()
            self.renderer = None
            outcome = self._rebuild(full=True)
            outcome.seconds = time.perf_counter() - started
            return outcome

    def update(self, paths: Iterable[Path]) -> Outcome:
        """Rebuild after `paths` (files or folders, created, changed or deleted) changed."""
        paths = {Path(os.path.abspath(p)) for p in paths}  # not resolved: links are files too
        if self.needs_full_build(paths):
            return self.build(keep_bodies=self._only_templates(paths))
        with self._lock:
            started = time.perf_counter()
            assert self.config is not None
            content = self.config.content_dir
            edited: list[Source] = []  # pages changed in place (not added, removed, moved)
            in_place = True
            for path in sorted(p for p in paths if p.is_relative_to(content)):
                before = self._entries.get(path)
                self._reread(path)
                after = self._entries.get(path)
                if isinstance(before, Source) and isinstance(after, Source):
                    edited.append(after)
                elif not (isinstance(before, Asset) and isinstance(after, Asset)):
                    in_place = False  # added, removed, a folder…: the model changes shape
            outcome = self._update_bodies(edited, paths) if in_place else None
            if outcome is None:
                outcome = self._rebuild(full=False)
            outcome.seconds = time.perf_counter() - started
            return outcome

    # Sources -----------------------------------------------------------------------------

    def _note(self, item: Diagnostic) -> None:
        if item.file is not None and (item.file.is_file() or item.file in self._entries):
            self._file_diags.setdefault(item.file, []).append(item)
        else:
            self._global_diags.append(item)

    def _order_key(self, path: Path) -> OrderKey:
        """The order discover_sources finds files in: languages in config order, then a
        folder's files (sorted) before its subfolders (sorted)."""
        assert self.config is not None
        parts = path.relative_to(self.config.content_dir).parts
        lang = self.config.languages.index(parts[0])
        return (lang, (*((1, d) for d in parts[1:-1]), (0, parts[-1])))

    def _sort_entries(self) -> None:
        self._order = sorted((self._order_key(p), p) for p in self._entries)
        self._entries = {p: self._entries[p] for _, p in self._order}

    def _reread(self, path: Path) -> None:
        """Forget what was known of `path` (and, for a folder, of everything in it), then
        read it again as discover_sources would."""
        assert self.config is not None
        config = self.config
        if path in self._entries and path.is_file():
            # the commonest case, a page saved again: replace it where it is (the other
            # ways below cost a pass over every file, too much for a one-page save)
            for old in [p for p in self._file_diags if p == path]:
                del self._file_diags[old]
            diags = Diagnostics()
            lang_dir = config.content_dir / path.relative_to(config.content_dir).parts[0]
            entry = read_content_file(
                path,
                lang_dir,
                lang_dir.name,
                config.content_dir.resolve(),
                diags,
                self.options.drafts,
            )
            for item in diags.items:
                self._file_diags.setdefault(item.file or path, []).append(item)
            if entry is not None:
                self._entries[path] = entry
                return
        if path in self._entries:
            gone = [path]
        else:  # maybe a folder: everything in it (string tests: pathlib's are slow)
            prefix = str(path) + os.sep
            gone = [p for p in self._entries if str(p).startswith(prefix)]
        for old in gone:
            del self._entries[old]
        prefix = str(path) + os.sep
        for old in [p for p in self._file_diags if p == path or str(p).startswith(prefix)]:
            del self._file_diags[old]
        if gone:
            self._order = [(k, p) for k, p in self._order if p in self._entries]
        parts = path.relative_to(config.content_dir).parts
        if parts[0] not in config.languages or any(p.startswith(".") for p in parts):
            return
        lang_dir = config.content_dir / parts[0]
        if path.is_dir() and not path.is_symlink():
            found: list[Path] = sorted(p for p in path.rglob("*") if p.is_file())
        elif path.exists() or path.is_symlink():
            found = [path]
        else:
            return
        diags = Diagnostics()
        content_root = config.content_dir.resolve()
        for file in found:
            rel_parts = file.relative_to(lang_dir).parts
            if any(p.startswith(".") for p in rel_parts) or any(
                d.is_symlink() for d in file.parents if d.is_relative_to(lang_dir) and d != lang_dir
            ):
                continue  # hidden, or inside a symlinked folder: discover_sources skips them
            entry = read_content_file(
                file, lang_dir, parts[0], content_root, diags, self.options.drafts
            )
            if entry is None:
                continue
            if file in self._entries:
                self._entries[file] = entry  # same place in the order
                continue
            bisect.insort(self._order, (self._order_key(file), file))
            self._entries[file] = entry
            if self._order[-1][1] != file:  # not last: the dict's order must be remade
                self._entries = {p: self._entries[p] for _, p in self._order}
        for item in diags.items:
            if item.file is not None:
                self._file_diags.setdefault(item.file, []).append(item)
            else:
                self._global_diags.append(item)

    def _sources(self) -> SourceSet:
        found = SourceSet()
        for entry in self._entries.values():
            if isinstance(entry, Source):
                found.pages.append(entry)
            else:
                found.assets.append(entry)
        return found

    # The model and the files ------------------------------------------------------------

    def _rebuild(self, full: bool) -> Outcome:
        assert self.config is not None and self.theme is not None and self.ui is not None
        diags = Diagnostics(list(self._global_diags))
        for items in self._file_diags.values():
            diags.items.extend(items)
        if self.renderer is None:
            full = True
        site = build_site(self.config, self._sources(), self.ui, diags, self.cache)
        attach_discussions(site, diags)
        outdated = mark_outdated(site)
        if not diags.errors:
            last = None if full else self.renderer  # a full rebuild: the theme may have changed
            assets = last.assets if last is not None else Assets.collect(self.theme)
            check_output_paths(site, assets, diags)
        if diags.failed(self.options.strict):
            return Outcome(False, diags, full, "full" if full else "model")
        try:
            if full or self.site is None or self.renderer is None:
                renderer = Renderer(site, self.theme, self.ui, search_on_demand=True)
                files = dict(renderer.files())
                rendered = len(files)
            else:
                renderer = self.renderer
                renderer.site = site
                files, rendered = self._render_changes(renderer, self.site, site)
        except BuildFailed as failed:
            diags.extend(failed.diagnostics)
            return Outcome(False, diags, full, "full" if full else "model")
        old = self.files
        changed = sorted(p for p in files.keys() | old.keys() if files.get(p) != old.get(p))
        changed += sorted(p for p in site.assets.keys() ^ self.assets.keys())
        self.renderer, self.site = renderer, site
        self.files, self.assets = files, dict(site.assets)
        self._search = {}
        # The model is millions of long-lived objects: keep the cyclic garbage collector
        # from walking them all during the next rebuild (they are still freed by refcount).
        gc.freeze()
        if changed or full:
            self.version += 1
        method = "full" if full else "model"
        return Outcome(True, diags, full, method, rendered, changed, outdated=outdated)

    def search_data(self, path: str) -> bytes | None:
        """The search file at output path `path`, built from the current model when first
        asked for: an index takes seconds on a large site, so edits do not wait for one."""
        with self._lock:
            renderer, site = self.renderer, self.site
            if renderer is None or site is None or renderer.site is not site:
                return None
            for lang, known in renderer.search_files.items():
                if known == path:
                    if path not in self._search:
                        include_replies = site.config.search.include_replies
                        self._search[path] = make_search_file(site, include_replies, lang)
                    return self._search[path]
            return None

    def _update_bodies(self, edited: list[Source], paths: set[Path]) -> Outcome | None:
        """The fast way for the commonest change, text edited below the front matter: patch
        the model in place and render the pages whose bodies or banners changed. None when
        the change is more than that."""
        assert self.config is not None
        site = self.site
        if site is None or self.renderer is None or self.renderer.site is not site:
            return None  # no good build yet, or the last one failed: build the model
        diags = Diagnostics(list(self._global_diags))
        for items in self._file_diags.values():
            diags.items.extend(items)
        update = update_bodies(site, self.cache, edited, diags)
        if update is None:
            return None
        if diags.failed(self.options.strict):
            update.undo(self.cache)
            return Outcome(False, diags, False, "bodies")
        render = {id(page): page for page in update.pages}
        for page, before, _ in update.saved:
            if _body(page) == _body(before):
                del render[id(page)]  # its body came out the same
        languages = site.config.languages
        keys = {page.key for page in update.pages}
        translations = [p for key in keys for lang in languages if (p := site.page(lang, key))]
        banners = {id(p): p.outdated_since for p in translations}
        mark_outdated(site, translations)
        for page in translations:
            if page.outdated_since != banners[id(page)]:
                render[id(page)] = page
        for page in list(render.values()):
            listing = {"faq": "faq_index", "reply": "replies"}.get(page.kind)
            index = site.page(page.lang, listing) if listing else None
            if index is not None:
                render[id(index)] = index
        files = dict(self.files)
        try:
            for page in render.values():
                if page.kind in STANDALONE_KINDS:
                    files[page.output_path] = self.renderer.render_page(page)
        except BuildFailed as failed:
            update.undo(self.cache)
            mark_outdated(site, translations)
            diags.extend(failed.diagnostics)
            return Outcome(False, diags, False, "bodies")
        changed = sorted(p for p, data in files.items() if self.files.get(p) is not data)
        for path in paths:  # images and other files: served from disk, so only reloaded
            if isinstance(self._entries.get(path), Asset):
                changed.append(path.relative_to(self.config.content_dir).as_posix())
        self.files = files
        self._search = {}
        if changed:
            self.version += 1
        outdated = [p for p in site.pages if p.outdated_since is not None]
        return Outcome(True, diags, False, "bodies", len(render), changed, outdated=outdated)

    def _render_changes(
        self, renderer: Renderer, old: Site, new: Site
    ) -> tuple[dict[str, bytes], int]:
        """The last good files, with those the changes from `old` to `new` affect rendered
        again and those of pages that are gone removed."""
        languages = new.config.languages
        old_pages = {(p.lang, p.key): p for p in old.pages}
        new_pages = {(p.lang, p.key): p for p in new.pages}
        fresh = self.cache.fresh
        render: set[PageKey] = set()
        listing_changed = False

        def listed(page: Page, sitemap_too: bool = True) -> None:
            """`page` changed the way other pages show it (title, URL, being there…)."""
            nonlocal listing_changed
            listing_changed = listing_changed or sitemap_too
            render.update((lang, page.key) for lang in languages)
            lang = page.lang
            render.add((lang, "home"))
            if page.kind == "article":
                render.add((lang, f"section:{page.group}"))
                # the sidebar and previous/next links of the section's other articles
                render.update((lang, p.key) for p in new.articles(lang, page.group))
            elif page.kind == "faq":
                render.add((lang, "faq_index"))
            elif page.kind == "reply":
                render.add((lang, "replies"))
            elif page.kind == "section":
                render.update((lang, p.key) for p in new.articles(lang, page.group))
                render.update((lang, p.key) for p in new.sections(lang))  # "other topics"
            if page.kind in _SITEWIDE_KINDS:
                render.update((lang, p.key) for p in new.in_language(lang))

        for key in old_pages.keys() | new_pages.keys():
            before, after = old_pages.get(key), new_pages.get(key)
            if before is None or after is None:
                listed(after or before)  # type: ignore[arg-type]
                continue
            if (
                after.source is before.source
                and key not in fresh
                and after.url == before.url
                and after.outdated_since == before.outdated_since
            ):
                continue  # same text, same links, same place: nothing to do
            if summary(before) != summary(after):
                # the sitemap (slow to make for a big site) shows only URLs and dates
                moved = _in_sitemap(before) != _in_sitemap(after)
                listed(before, moved)
                listed(after, moved)
            elif _body(before) != _body(after):
                render.add(key)
                if after.kind == "faq":
                    render.add((after.lang, "faq_index"))
                elif after.kind == "reply":
                    render.add((after.lang, "replies"))
        for lang in languages:
            if _groups(old, lang) != _groups(new, lang):
                render.update({(lang, "faq_index"), (lang, "home")})

        files = dict(self.files)
        for key in render:
            before = old_pages.get(key)
            if before is not None and before.kind in STANDALONE_KINDS:
                files.pop(before.output_path, None)
        for redirect in old.redirects:
            files.pop(redirect_path(redirect), None)
        count = 0
        for key in sorted(render):
            page = new_pages.get(key)
            if page is not None and page.kind in STANDALONE_KINDS:
                files[page.output_path] = renderer.render_page(page)
                count += 1
        for redirect in new.redirects:
            files[redirect_path(redirect)] = renderer.render_redirect(redirect)
            count += 1
        default_404 = new.page(new.config.default_language, "not_found")
        if default_404 is not None and (default_404.lang, default_404.key) in render:
            files["404.html"] = renderer.render_page(default_404)
        if listing_changed:
            files["sitemap.xml"] = sitemap(new)
        return files, count


def _in_sitemap(page: Page) -> tuple[object, ...]:
    """What the sitemap shows of a page (its alternates come from its translations' URLs)."""
    return (page.url, page.kind, page.date, page.updated, page.fallback_of)


def _body(page: Page) -> tuple[object, ...]:
    """What only the page itself (and the FAQ index or replies page) shows."""
    return (
        page.html,
        page.listed_html,
        page.toc,
        page.text,
        page.comments,
        page.discussion,
        page.outdated_since,
    )


def _groups(site: Site, lang: str) -> list[tuple[object, ...]]:
    return [
        (g.key, g.title, g.description, [e.key for e in g.entries])
        for g in site.faq_groups.get(lang, [])
    ]
