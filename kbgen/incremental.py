"""The site as `kbgen serve` keeps it: every output file in memory, rebuilt in part.

A full build loads config, theme, UI strings and every source, then renders every file.
After that, a change to files under `content/` re-reads only those paths (by the rules of
sources.py: `discover_at`), patches the model in place when no page moves (a body, a title)
or else rebuilds it with the bodies of unchanged pages taken from a `BodyCache` (parsing
Markdown is most of the model's cost), and renders again only the files whose reads of the
model changed (depends.py): nothing here decides which. A change to config.yaml or
the theme rebuilds everything. A build with errors changes nothing: the last good files stay.

Nothing here writes to disk, so `serve` needs no output folder (and cannot overwrite one).
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kbgen.bodies import BodyCache
from kbgen.build import BuildOptions
from kbgen.config import Config, load_config
from kbgen.depends import Reads
from kbgen.diagnostics import BuildFailed, Diagnostic, Diagnostics
from kbgen.i18n import UiStrings, load_ui_strings
from kbgen.pipeline import Settings, State, relist, run
from kbgen.related import RelatedMemo
from kbgen.render import Output, Renderer
from kbgen.search import pagefind
from kbgen.search.index import (
    documents,
    indexed_pages,
    make_search_file,
    make_snippet_file,
    snippet_paths,
)
from kbgen.site import Page, Site
from kbgen.sources import (
    Asset,
    Source,
    SourceSet,
    discover_at,
    discover_sources,
    discovery_order,
)
from kbgen.theme import Theme, load_theme

OrderKey = tuple[int, tuple[tuple[int, str], ...]]


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
    # after a text edit: the related articles scored again once the edit was shown
    related: Outcome | None = None


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
        self.state = State(Reads(), self.cache)  # what the pipeline keeps between builds
        # search files built since the model last changed, by output path (see search_data)
        self._search: dict[str, bytes] = {}
        self._entries: dict[Path, Source | Asset] = {}  # in discovery order
        self._order: list[tuple[OrderKey, Path]] = []  # _entries' paths, sorted
        # _entries as the pipeline takes them, and each page's place in it: made again only
        # when a file is added, removed or moved (17,000 files: 3 ms of a one-page save)
        self._source_set: tuple[SourceSet, dict[Path, int]] | None = None
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
            self._entries, self._source_set = {}, None
            for page in sources.pages:
                self._entries[page.path] = page
            for asset in sources.assets:
                self._entries[asset.path] = asset
            self._sort_entries()
            related = self.state.related  # made of the bodies' texts: kept with them
            if not keep_bodies:
                self.cache, related = BodyCache(), RelatedMemo()
            self.state = State(Reads(), self.cache, ui=self.ui, related=related)
            outcome = self._rebuild(None)
            outcome.seconds = time.perf_counter() - started
            return outcome

    def update(
        self, paths: Iterable[Path], shown: Callable[[Outcome], None] | None = None
    ) -> Outcome:
        """Rebuild after `paths` (files or folders, created, changed or deleted) changed.
        After a text edit, `shown` is told of the rebuild as soon as its files are served
        (and no lock is held while it runs: serve waits there for browsers to reload), and
        the related articles of its language are scored again after that (`related`);
        otherwise it is not called."""
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
            outcome = self._rebuild(edited if in_place else None)
            outcome.seconds = time.perf_counter() - started
            related_wait = outcome.ok and bool(self.state.related_stale)
        if related_wait:
            if shown is not None:  # (unlocked: search files are answered meanwhile)
                shown(outcome)
            with self._lock:
                outcome.related = self._relist(outcome.diagnostics)
        return outcome

    # Sources -----------------------------------------------------------------------------

    def _note(self, item: Diagnostic) -> None:
        if item.file is not None and (item.file.is_file() or item.file in self._entries):
            self._file_diags.setdefault(item.file, []).append(item)
        else:
            self._global_diags.append(item)

    def _order_key(self, path: Path) -> OrderKey:
        assert self.config is not None
        return discovery_order(self.config, path)

    def _sort_entries(self) -> None:
        self._order = sorted((self._order_key(p), p) for p in self._entries)
        self._entries = {p: self._entries[p] for _, p in self._order}

    def _reread(self, path: Path) -> None:
        """Forget what was known of `path` (and, for a folder, of everything in it), then
        read it again as discover_sources would (sources.discover_at)."""
        assert self.config is not None
        diags = Diagnostics()
        found = discover_at(self.config, path, diags, self.options.drafts)
        entries: list[Source | Asset] = [*found.pages, *found.assets]
        prefix = str(path) + os.sep
        for old in [p for p in self._file_diags if p == path or str(p).startswith(prefix)]:
            del self._file_diags[old]
        for item in diags.items:
            self._file_diags.setdefault(item.file or path, []).append(item)
        if path in self._entries and [e.path for e in entries] == [path]:
            # the commonest case, a page saved again: replaced where it is (the other way
            # below costs a pass over every file, too much for a one-page save)
            before, self._entries[path] = self._entries[path], entries[0]
            if self._source_set is not None and isinstance(before, Source):
                found, places = self._source_set
                if isinstance(entries[0], Source):
                    found.pages[places[path]] = entries[0]
                    return
            self._source_set = None
            return
        self._source_set = None
        if path in self._entries:
            gone = [path]
        else:  # maybe a folder: everything in it (string tests: pathlib's are slow)
            gone = [p for p in self._entries if str(p).startswith(prefix)]
        for old in gone:
            del self._entries[old]
        if gone:
            self._order = [(k, p) for k, p in self._order if p in self._entries]
        for entry in sorted(entries, key=lambda e: self._order_key(e.path)):
            file = entry.path
            if file in self._entries:
                self._entries[file] = entry  # same place in the order
                continue
            bisect.insort(self._order, (self._order_key(file), file))
            self._entries[file] = entry
            if self._order[-1][1] != file:  # not last: the dict's order must be remade
                self._entries = {p: self._entries[p] for _, p in self._order}

    def _sources(self) -> SourceSet:
        """The sources in discovery order (made again after a file was added or removed)."""
        if self._source_set is None:
            found, places = SourceSet(), {}
            for entry in self._entries.values():
                if isinstance(entry, Source):
                    places[entry.path] = len(found.pages)
                    found.pages.append(entry)
                else:
                    found.assets.append(entry)
            self._source_set = (found, places)
        return self._source_set[0]

    # The model and the files ------------------------------------------------------------

    def _rebuild(self, edited: list[Source] | None) -> Outcome:
        """The pipeline run again, with the state kept since the last build, the sources as
        they are known now, and the files changed only below their front matter (`edited`),
        into memory; a failed build changes nothing."""
        assert self.config is not None and self.theme is not None
        full = self.state.site is None
        diags = Diagnostics(list(self._global_diags))
        for items in self._file_diags.values():
            diags.items.extend(items)
        self.state.sources, self.state.edited = self._sources(), edited
        sink = MemorySink(self.files)
        settings = Settings(
            self.options.drafts, self.options.strict, search_on_demand=True, related_later=True
        )
        try:
            made = run(self.config, self.theme, self.state, sink, diags, settings)
        except BuildFailed:
            return Outcome(False, diags, full, "full" if full else self.state.method)
        changed = sorted(sink.changed)
        changed += sorted([*sink.changed_assets, *(self.assets.keys() - sink.assets.keys())])
        self.renderer, self.site = self.state.renderer, made.site
        self.files, self.assets = sink.files, sink.assets
        self._search = {}
        if changed or full:
            self.version += 1
        method = "full" if full else made.method
        return Outcome(True, diags, full, method, made.made, changed, outdated=made.outdated)

    def _relist(self, diags: Diagnostics) -> Outcome:
        """The related articles a text edit left (pipeline.relist), into memory."""
        started = time.perf_counter()
        sink = MemorySink(self.files)
        settings = Settings(self.options.drafts, self.options.strict, search_on_demand=True)
        try:
            made = relist(self.state, sink, settings)
        except BuildFailed as failed:
            return Outcome(False, failed.diagnostics, False, "bodies")
        if made is None:
            return Outcome(True, diags, False, "bodies")
        changed = sorted(sink.changed)
        self.files = sink.files
        if changed:
            self.version += 1
        seconds = time.perf_counter() - started
        return Outcome(True, diags, False, "bodies", made.made, changed, seconds, made.outdated)

    def search_paths(self) -> list[str]:
        """The output paths of every search file serve answers with: each language's index
        and snippet files, or its Pagefind bundle's files."""
        renderer, site = self.renderer, self.site
        if renderer is None or site is None:
            return []
        include_replies = site.config.search.include_replies
        found = []
        if site.config.search.engine == pagefind.ENGINE:  # a bundle's files: once it is made
            for lang in renderer.search_files:
                folder = pagefind.bundle_folder(lang)
                self.search_data(folder)
                found += sorted(p for p in self._search if p.startswith(folder) and p != folder)
            return found
        for lang, path in renderer.search_files.items():
            count = len(indexed_pages(site, lang, include_replies))
            found += [path, *snippet_paths(lang, count)]
        return found

    def search_data(self, path: str) -> bytes | None:
        """The search file at output path `path`, built from the current model when first
        asked for: an index takes seconds on a large site, so edits do not wait for one."""
        with self._lock:
            renderer, site = self.renderer, self.site
            if renderer is None or site is None or renderer.site is not site:
                return None
            include_replies = site.config.search.include_replies
            if site.config.search.engine == pagefind.ENGINE:
                for lang in renderer.search_files:
                    folder = pagefind.bundle_folder(lang)
                    if path.startswith(folder) and folder not in self._search:
                        docs = documents(site, lang, include_replies)
                        self._search[folder] = b""  # the bundle's files, below
                        for name, data in pagefind.bundle(lang, docs).items():
                            self._search[folder + name] = data
                return self._search.get(path)
            for lang, known in renderer.search_files.items():
                if known == path:
                    if path not in self._search:
                        self._search[path] = make_search_file(site, include_replies, lang)
                    return self._search[path]
                # a snippet file: assets/search/<lang>/<number>.json (search/index.py)
                folder, _, name = path.rpartition("/")
                number = name.removesuffix(".json")
                if folder == known.removesuffix(".json") and number.isdecimal():
                    if path not in self._search:
                        made = make_snippet_file(site, include_replies, lang, int(number))
                        if made is None:
                            return None
                        self._search[path] = made
                    return self._search[path]
            return None


class MemorySink:
    """The files of a build kept in memory (serve answers from them): the last good build's,
    with the files made again put in and those no longer made taken out; content files stay
    where they are, served from the disk."""

    def __init__(self, last: dict[str, bytes]) -> None:
        self.files = dict(last)  # the last good build's files, until `put` replaces them
        self.changed: list[str] = []  # paths whose bytes changed or went
        self.made: set[str] = set()  # paths put by this build
        self.assets: dict[str, Path] = {}
        self.changed_assets: list[str] = []

    @contextmanager
    def opened(self, reads: Reads) -> Iterator[None]:
        """Nothing is shown until the caller takes `files`."""
        yield
        gone = [p for p in reads.forgotten if p in self.files and p not in self.made]
        for path in gone:
            del self.files[path]
        self.changed += gone

    def put(self, output: Output) -> None:
        self.made.add(output.path)
        if self.files.get(output.path) != output.data:
            self.files[output.path] = output.data
            self.changed.append(output.path)

    def keep(self, paths: Iterator[str]) -> None:
        """Kept files are those of the last build, already held."""

    def content_file(self, rel: str, path: Path, kept: bool) -> None:
        self.assets[rel] = path
        if not kept:
            self.changed_assets.append(rel)
