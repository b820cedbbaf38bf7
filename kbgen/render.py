"""Pages of the site model rendered through the theme's Jinja templates, in memory."""

from __future__ import annotations

import contextlib
import gettext
import hashlib
import marshal
import multiprocessing
import os
import posixpath
import traceback
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

import jinja2
from markupsafe import Markup
from pygments.formatters import HtmlFormatter

from kbgen.brand import BrandConfig
from kbgen.depends import Change, Key, Lookups, Maker, Reads, Recorder, SiteView
from kbgen.diagnostics import BuildFailed, Diagnostics
from kbgen.fragments import Fragment, Fragments, Place, fill, item_key, scope_key, slot, viewed
from kbgen.i18n import UiStrings, format_date, language
from kbgen.search import pagefind
from kbgen.search.index import (
    SearchFile,
    WordsStore,
    indexed_pages,
    search_file,
    search_path,
    search_work,
    snippet_files,
    snippet_paths,
)
from kbgen.seo import absolute_url, alternates, canonical, json_ld, may_be_indexed, robots, sitemap
from kbgen.site import Page, Redirect, Site
from kbgen.theme import Theme
from kbgen.urls import encode_url, links_from
from kbgen.workers import Forked, end_with_parent

# Under this much work (pages, and about 100 pages' worth per search index), forking costs
# more than it saves; work goes to the processes in tasks of this many pages.
PARALLEL_FROM = 400
PAGES_PER_TASK = 50
TASKS_AHEAD = 4  # per worker
FINGERPRINTED = (".css", ".js")  # cached forever by browsers, so their names change with them
GENERATED_ASSETS = {"css/highlight.css"}


@dataclass
class Assets:
    """The theme's static files, with the site-relative URL each is published under."""

    files: dict[str, bytes]  # output path -> content
    urls: dict[str, str]  # name in the theme ("css/main.css") -> output path

    @classmethod
    def collect(cls, theme: Theme, brand: BrandConfig | None = None) -> Assets:
        found: dict[str, Path] = {}
        for folder in reversed(theme.static_dirs):  # the parent first, overrides last
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    found[path.relative_to(folder).as_posix()] = path
        if brand is not None:
            found.update(brand.files())  # logo and favicon, from config.yaml's brand
        contents = {name: path.read_bytes() for name, path in found.items()}
        contents["css/highlight.css"] = _highlight_css()
        if brand is not None and brand.css():
            contents["css/brand.css"] = brand.css()
        files, urls = {}, {}
        for name, data in sorted(contents.items()):
            out = f"assets/{name}"
            if name.endswith(FINGERPRINTED) and not name.startswith("vendor/"):
                stem, ext = posixpath.splitext(out)
                out = f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}{ext}"
            files[out] = data
            urls[name] = out
        return cls(files, urls)


def _highlight_css() -> bytes:
    # dark colours follow the system unless the reader chose light, or the reader's choice
    # (the theme toggle sets <html data-theme>)
    light = HtmlFormatter(style="default").get_style_defs("pre code")
    dark = HtmlFormatter(style="monokai").get_style_defs(":root:not([data-theme=light]) pre code")
    chosen = HtmlFormatter(style="monokai").get_style_defs(":root[data-theme=dark] pre code")
    return (
        f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n{chosen}\n"
        "@media print {\n" + light + "\n}\n"
    ).encode()


class TemplateStore(Protocol):
    """Where compiled templates are kept between builds (the build cache's
    `cache.TemplatesFile`): code by Jinja's key for a template and its source's checksum."""

    def get(self, key: str, checksum: str) -> bytes | None: ...

    def put(self, key: str, checksum: str, code: bytes) -> None: ...


class TemplateCode(jinja2.BytecodeCache):
    """Jinja's cache of compiled templates, kept in a `TemplateStore`. The code is marshalled
    here (Jinja's own buckets would pickle their checksum); the store is as trusted as the
    rest of the build cache (signed, cache.py)."""

    def __init__(self, store: TemplateStore) -> None:
        self.store = store

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.store.get(bucket.key, bucket.checksum)
        if code is not None:
            with contextlib.suppress(ValueError, EOFError, TypeError):  # then compiled anew
                bucket.code = marshal.loads(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store.put(bucket.key, bucket.checksum, marshal.dumps(bucket.code))


def make_environment(theme: Theme, templates: TemplateStore | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in theme.template_dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # a template is read once: a changed theme gets a new environment (serve too), so
        # looking at each template file's time again before every use would be wasted
        auto_reload=False,
        # every template kept in a plain dict: Jinja's default LRU cache moves the name to
        # the end of a deque at each {% include %}, a dozen times a page
        cache_size=-1,
        bytecode_cache=TemplateCode(templates) if templates is not None else None,
    )
    env.context_class = _Context
    env.filters["date"] = lambda value, lang: format_date(value, lang)
    return env


class _Context(jinja2.runtime.Context):
    """Jinja's template context, with two of its costs on every page cut (a page makes
    about fifteen contexts and a hundred calls):

    - `globals_keys` (the names of the globals, for an `{% import %}`ed template's module
      to leave out) made when asked, not by walking the globals' ChainMap for each one;
    - a call of a plain function or method that takes no context (`url`, `shared`…) made
      at once, not after looking for a context argument on it and on its `__call__`."""

    def __init__(
        self,
        environment: jinja2.Environment,
        parent: dict[str, Any],
        name: str | None,
        blocks: dict[str, Callable[[jinja2.runtime.Context], Iterator[str]]],
        globals: MutableMapping[str, Any] | None = None,  # (Jinja's name)
    ) -> None:
        self._globals = globals
        super().__init__(environment, parent, name, blocks)

    @property
    def globals_keys(self) -> set[str]:
        return set() if self._globals is None else set(self._globals)

    @globals_keys.setter
    def globals_keys(self, value: set[str]) -> None:
        pass  # (Context.__init__ sets it, to nothing here: made when asked instead)

    def call(self, obj: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if type(obj) not in _PLAIN_CALLABLES or hasattr(obj, "jinja_pass_arg"):
            return super().call(obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)  # (what the compiled template passes for contexts)
        kwargs.pop("_loop_vars", None)
        try:
            return obj(*args, **kwargs)
        except StopIteration:  # as Context.call
            return self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


_PLAIN_CALLABLES = (types.FunctionType, types.MethodType)


def translated_once(translations: gettext.NullTranslations) -> Callable[..., str]:
    """`_` and `gettext` for templates, as Jinja's i18n extension makes them with `newstyle`
    (the translation a format string, its variables escaped), but a string without variables
    translated and formatted once: a page shows twenty, through three calls each otherwise."""
    known: dict[str, Markup] = {}

    # the evaluation context only: Jinja gives one that needs a context of its own inside a
    # block or a loop (`Context.derived`, for the block's variables)
    @jinja2.pass_eval_context
    def translate(eval_ctx: jinja2.nodes.EvalContext, string: str, /, **variables: Any) -> str:
        if not eval_ctx.autoescape:
            return translations.gettext(string) % variables
        if variables:
            return Markup(translations.gettext(string)) % variables
        found = known.get(string)
        if found is None:
            found = known[string] = Markup(translations.gettext(string)) % {}
        return found

    return translate


# a file made: its bytes, the keys it read of the model, what they gave (Reads.fingerprints)
MadeFile = tuple[bytes, frozenset[Key], dict[Key, object] | None]
# a file made by a worker process, as sent back: its bytes, the keys it read that the worker
# had not numbered yet, the numbers of all it read (see _forked_pages), what they gave
SentFile = tuple[bytes, list[Key], list[int], dict[Key, object] | None]


@dataclass(frozen=True)
class Output:
    """One file of the site, made."""

    path: str
    data: bytes


@dataclass(frozen=True)
class Job:
    """One file the render stage makes from the model, and what makes it: a page, a redirect,
    the sitemap… (`maker` names it, so that a file made by something else now is made
    again)."""

    path: str
    maker: Maker
    subject: Page | Redirect | None = None


@dataclass
class Searching:
    """The search files of one `Renderer.outputs()`: those left as the last build made them,
    and those to make, here (a small site's) or under way in forked processes."""

    site: Site  # the model they are of
    bundles: bool  # Pagefind's (a folder of files per language), or lunr's
    known: dict[str, str] = field(default_factory=dict)  # the last build's digests, by language
    unchanged: list[SearchFile] = field(default_factory=list)  # files left as they are
    kept: list[str] = field(default_factory=list)  # and their paths (`outputs()` lists them)
    here: list[SearchFile] = field(default_factory=list)
    forked: dict[Forked[bytes | dict[str, bytes]], SearchFile] = field(default_factory=dict)

    def stop(self) -> None:
        for task in self.forked:
            task.stop()
        self.forked.clear()


class Renderer:
    def __init__(
        self,
        site: Site,
        theme: Theme,
        ui: UiStrings,
        search_on_demand: bool = False,
        search_words: Mapping[str, WordsStore] | None = None,
        templates: TemplateStore | None = None,
    ) -> None:
        self.site, self.theme, self.ui = site, theme, ui
        # serve: search files are built when first asked for (LiveSite)
        self.search_on_demand = search_on_demand
        # the build cache's files of analyzed search words, by language (search/index.py)
        self.search_words = search_words or {}
        self.env = make_environment(theme, templates)  # `templates`: compiled ones kept
        self.assets = Assets.collect(theme, site.config.brand)
        self.search_files: dict[str, str] = {}  # language -> output path of its search file
        self.search_paths: list[str] = []  # every search file of the last outputs()
        self._searching: Searching | None = None  # started by start_search, for outputs()
        self._lang: str | None = None
        # the last model's jobs, what makes each file, and each job's place by path
        self._jobs: tuple[Site, list[Job], dict[str, Maker], dict[str, int]] | None = None
        # what is the same on many pages, rendered once (for the model of this outputs())
        self.fragments = Fragments()
        # the keys whose values went with a file made here (Reads.fingerprints): recorded
        # by the time a later file is (in each worker, files are made in the order recorded)
        self._sent: set[Key] = set()
        self._lookups: Lookups | None = None  # the model's, for a record kept on disk
        self._by_language: dict[str, dict[str, Any]] = {}  # see _language_values
        self._gettext: dict[str, Callable[..., str]] = {}  # language -> `_` (translated_once)
        self._icons: dict[tuple[str | None, str, str], Markup] = {}
        self._icon_macros: dict[str | None, Any] = {}  # language -> icons.html as a module

    def use_language(self, lang: str) -> None:
        if lang != self._lang:
            translations = self.ui.translations(lang)
            self.env.install_gettext_translations(  # type: ignore[attr-defined]
                translations, newstyle=True
            )
            if lang not in self._gettext:
                self._gettext[lang] = translated_once(translations)
            self.env.globals["gettext"] = self.env.globals["_"] = self._gettext[lang]
            self._lang = lang

    def icon(self, name: str, classes: str = "icon") -> Markup:
        """The theme's icon `name` (its `partials/icons.html` macro `icon`), rendered once
        per language, name and classes: a page shows about twenty."""
        key = (self._lang, name, classes)
        found = self._icons.get(key)
        if found is None:
            macros: Any = self._icon_macros.get(self._lang)
            if macros is None:
                template = self.env.get_template("partials/icons.html")
                macros = template.make_module()
                if not callable(getattr(macros, "icon", None)):
                    # said of icons.html itself: the template calling icon() is not at fault
                    diags = Diagnostics()
                    diags.error(
                        "partials/icons.html has no macro 'icon(name, class)', which draws "
                        "every icon of the pages; add one (the default theme's shows how) or "
                        "remove this file from the theme",
                        Path(template.filename) if template.filename else None,
                    )
                    raise BuildFailed(diags)
                self._icon_macros[self._lang] = macros
            found = self._icons[key] = Markup(macros.icon(name, classes))
        return found

    def files(self, on_page: Callable[[int], None] | None = None) -> Iterator[tuple[str, bytes]]:
        """Every output file, each rendered."""
        for output in self.outputs(on_page):
            yield output.path, output.data

    def jobs(self) -> list[Job]:
        """Every file made from the model, pages first."""
        return self._made_jobs()[0]

    def _made_jobs(self) -> tuple[list[Job], dict[str, Maker], dict[str, int]]:
        """`jobs()`, what makes each one's file and its place in them, by path."""
        site = self.site
        if self._jobs is not None and self._jobs[0] is site:
            return self._jobs[1:]  # the model patched in place: its files are the same
        jobs = [
            Job(p.output_path, ("page", p.lang, p.key, p.kind), p) for p in site.standalone_pages
        ]
        jobs.append(Job("sitemap.xml", ("sitemap",)))
        jobs += [
            Job(redirect_path(r), ("redirect", r.target.lang, r.target.key), r)
            for r in site.redirects
        ]
        jobs.append(Job("index.html", ("root",)))
        default_404 = site.page(site.config.default_language, "not_found")
        if default_404 is not None:
            jobs.append(Job("404.html", ("404", default_404.lang, default_404.key), default_404))
        jobs.append(Job("robots.txt", ("robots",)))
        places = {j.path: n for n, j in enumerate(jobs)}
        self._jobs = (site, jobs, {j.path: j.maker for j in jobs}, places)
        return self._jobs[1:]

    def start_search(self, reads: Reads, workers: int = 1) -> Searching:
        """The search files of the model's texts: which are kept (`reads`, the last build's,
        has their digests), which to make; with `workers` > 1 and enough documents, these
        are started at once in forked processes. Called as soon as the pages' texts are
        known (the pipeline does, before the related articles), the indexes run beside the
        rest of the build; `outputs()` takes them, or calls this itself."""
        if self._searching is not None and self._searching.site is self.site:
            return self._searching
        self.stop_search()
        search = self.site.config.search
        languages = self.site.config.languages
        searching = Searching(self.site, search.engine == pagefind.ENGINE)
        self.search_files = {}
        if search.enabled:
            script = pagefind.script_path if searching.bundles else search_path
            self.search_files = {lang: script(lang) for lang in languages}
        self._searching = searching
        if not search.enabled or self.search_on_demand:
            return searching
        searching.known = self._search_known(searching.bundles, reads)
        folder = pagefind.bundle_folder if searching.bundles else search_path
        include = search.include_replies
        searching.unchanged, to_make = search_work(self.site, include, searching.known, folder)
        if workers > 1 and sum(len(f.docs) for f in to_make) >= PARALLEL_FROM:
            # the indexes are the longest tasks: they run beside the rest of the build
            words = self.search_words
            for found in to_make:
                task: Forked[bytes | dict[str, bytes]] = (
                    Forked(pagefind.bundle, found.lang, found.docs)
                    if searching.bundles
                    else Forked(search_file, found.lang, found.docs, words.get(found.lang))
                )
                searching.forked[task] = found
        else:
            searching.here = to_make
        return searching

    def _search_known(self, bundles: bool, reads: Reads) -> dict[str, str]:
        """The digest of each language's search file as the last build made it, if whole."""
        languages = self.site.config.languages
        if bundles:
            return {lang: d for lang, (d, _) in pagefind.bundles_in(reads.files, languages).items()}
        return {
            lang: str(made[0][1])
            for lang in languages
            if (made := reads.files.get(search_path(lang)))
        }

    def _searched(self, reads: Reads, workers: int) -> Searching:
        """The search files `start_search` started, if the output still holds those it
        counted on keeping (the build cache checks them once the output is locked, after
        the start: one removed by hand is made again); their paths noted in `reads`."""
        started = self._searching
        if started is not None and started.known != self._search_known(started.bundles, reads):
            self.stop_search()
        searching = self.start_search(reads, workers)
        self.search_paths = []
        if searching.bundles:
            made_before = pagefind.bundles_in(reads.files, self.site.config.languages)
            for found in searching.unchanged:
                searching.kept += made_before[found.lang][1]
            self.search_paths += searching.kept
        else:
            for found in searching.unchanged:
                searching.kept += [found.path, *found.snippets]
            for found in [*searching.unchanged, *searching.here, *searching.forked.values()]:
                self.search_paths += [found.path, *found.snippets]
                reads.files[found.path] = (("search", found.digest), frozenset())
        return searching

    def stop_search(self) -> None:
        """The search indexes under way dropped (a build that failed before its files)."""
        if self._searching is not None:
            self._searching.stop()
            self._searching = None

    def outputs(
        self,
        on_page: Callable[[int], None] | None = None,
        reads: Reads | None = None,
        workers: int = 1,
        change: Change | None = None,
        keep: Callable[[int, Iterator[str]], None] | None = None,
    ) -> Iterator[Output]:
        """Every output file made: assets, search indexes, pages, the sitemap, redirects, the
        root page, robots. `reads` (depends.py) is what the last build's files read of its
        model: a file none of whose reads changed is not made again (`keep` is told of those
        once, if given: their number, and their paths listed as they are read), and `reads`
        is left holding this build's. `change`: what can have changed in the model since
        `reads` was taken (depends.Change; None: anything). `on_page` is called with the
        number of pages made or kept. With `workers` > 1, a large site's pages and search
        indexes are made in that many other processes."""
        reads = reads if reads is not None else Reads()
        self._sent.clear()
        yield from (Output(path, data) for path, data in self.assets.files.items())
        searching = self._searched(reads, workers)
        if not searching.bundles:
            for found in [*searching.here, *searching.forked.values()]:
                # the snippet texts: quick to write, beside the index
                yield from (
                    Output(path, data) for path, data in snippet_files(found.lang, found.docs)
                )
        jobs, makers, places = self._made_jobs()
        same_files = reads.same_makers(makers)  # the model patched in place
        changed = reads.changed(self.site, change or Change())
        self.fragments.keep_unchanged(reads, changed)  # the others read what changed
        stale = reads.stale(makers, changed)
        remade = [jobs[n] for n in sorted(places[path] for path in stale)]
        pages = [j for j in remade if j.maker[0] == "page"]
        if keep is not None:
            listed = (p for p in chain(searching.kept, makers) if p not in stale)
            keep(len(searching.kept) + len(makers) - len(stale), listed)
        if on_page is not None:
            on_page(len(self.site.standalone_pages) - len(pages))
        others = [j for j in remade if j.maker[0] != "page"]  # the sitemap, redirects…
        # the site-wide files (the sitemap reads every page) are the workers' first task:
        # made beside the pages, not after them with one core left busy
        in_workers = others + pages
        page_pool: ProcessPoolExecutor | None = None
        indexed = searching.forked
        try:
            if workers > 1 and len(pages) >= PARALLEL_FROM:
                page_pool = self._fork(workers, in_workers, reads)
            if page_pool is not None:
                yield from self._made_in_workers(
                    page_pool, workers, len(others), in_workers, reads, indexed, on_page
                )
            else:
                for job in pages:
                    yield self._made(job, *self.make(job, reads), reads)
                    if on_page is not None:
                        on_page(1)
            for found in searching.here:  # a small site's, made here
                if searching.bundles:
                    yield from self._bundle(found, pagefind.bundle(found.lang, found.docs), reads)
                else:
                    data = search_file(found.lang, found.docs, self.search_words.get(found.lang))
                    yield Output(found.path, data)
            if page_pool is None:
                for job in others:
                    yield self._made(job, *self.make(job, reads), reads)
            yield from self._finished(indexed, reads, wait=True)
        except BaseException:  # fragments of a model that may not be served: none kept
            self.fragments.clear()
            raise
        finally:
            searching.stop()  # after an error, the indexes under way are dropped
            self._searching = None
            if page_pool is not None:
                page_pool.shutdown(wait=True, cancel_futures=True)
                self._unfork()
        if not same_files:
            kept = [*self.assets.files, *self.search_files.values(), *self.search_paths, *makers]
            kept += self.site.assets  # content files: made by the sink (build.py)
            reads.forget_others(kept)

    def _made(
        self,
        job: Job,
        data: bytes,
        keys: frozenset[Key],
        known: dict[Key, object] | None,
        reads: Reads,
        new: list[Key] | None = None,
    ) -> Output:
        reads.record(self.site, job.path, job.maker, keys, known, new)
        return Output(job.path, data)

    def make(self, job: Job, reads: Reads) -> MadeFile:
        """The file of `job`, what it read of the model, and what that gave as `reads`
        keeps it (see `Reads.fingerprints`)."""
        if reads.digests and (self._lookups is None or self._lookups.site is not self.site):
            self._lookups = Lookups(self.site)  # once per model: it groups the pages once
        recorder = Recorder(self._lookups if reads.digests else None)
        site = SiteView(self.site, recorder)
        subject = job.subject
        if isinstance(subject, Page):
            data = self.render_page(recorder.view(subject), site)
        elif isinstance(subject, Redirect):
            target = recorder.view(subject.target)
            self.use_language(subject.target.lang)
            data = self.render(
                "redirect.html", subject.url, subject.target.lang, site, target=target, page=None
            )
        elif job.path == "sitemap.xml":
            data = sitemap(site)  # type: ignore[arg-type]
        elif job.path == "robots.txt":
            data = robots(site)  # type: ignore[arg-type]
        else:
            lang = self.site.config.default_language
            self.use_language(lang)
            data = self.render("root.html", "index.html", lang, site, page=None)
        return data, frozenset(recorder.keys), reads.fingerprints(recorder, self._sent)

    def _fork(self, workers: int, jobs: list[Job], reads: Reads) -> ProcessPoolExecutor:
        """Worker processes forked from this one: they inherit the model (and this renderer)
        instead of receiving it with each page."""
        global _FORKED, _FORKED_JOBS, _FORKED_READS
        _FORKED, _FORKED_JOBS, _FORKED_READS = self, jobs, reads
        _FORKED_KEYS.clear()  # (each worker numbers its own from 0)
        self._compile_templates()  # here, once, not once in each worker
        pool = ProcessPoolExecutor(
            workers,
            multiprocessing.get_context("fork"),
            initializer=end_with_parent,
            initargs=(os.getpid(),),
        )
        pool.submit(os.getpid).result()  # forked at the first task: now
        return pool

    def _compile_templates(self) -> None:
        """Every template of the theme compiled (Jinja keeps them). One that does not
        compile is left to the page that uses it, which reports it."""
        for name in self.env.list_templates(filter_func=lambda name: name.endswith(".html")):
            with contextlib.suppress(jinja2.TemplateError):
                self.env.get_template(name)

    @staticmethod
    def _unfork() -> None:
        global _FORKED, _FORKED_JOBS, _FORKED_READS
        _FORKED, _FORKED_JOBS, _FORKED_READS = None, [], Reads()

    def _made_in_workers(
        self,
        pool: ProcessPoolExecutor,
        workers: int,
        others: int,
        jobs: list[Job],
        reads: Reads,
        indexed: dict[Forked[bytes | dict[str, bytes]], SearchFile],
        on_page: Callable[[int], None] | None,
    ) -> Iterator[Output]:
        """Files made by the worker processes: the first `others` of `jobs` (the site-wide
        files) as one task, then the pages; this process writes what they send back, and
        each search index (`indexed`, under way in other processes) as soon as it is made."""
        numbers = list(range(others, len(jobs)))
        chunks = [numbers[i : i + PAGES_PER_TASK] for i in range(0, len(numbers), PAGES_PER_TASK)]
        if others:
            chunks.insert(0, list(range(others)))
        # a few tasks ahead of the writing, not all: finished pages wait in memory
        ahead: deque[tuple[list[int], Future[tuple[int, list[SentFile]]]]] = deque()
        waiting = deque(chunks)
        numbered: dict[int, list[Key]] = {}  # worker -> its keys by number
        while waiting or ahead:
            while waiting and len(ahead) < TASKS_AHEAD * workers:
                chunk = waiting.popleft()
                ahead.append((chunk, pool.submit(_forked_pages, chunk)))
            chunk, task = ahead.popleft()
            worker, sent = task.result()
            keys = numbered.setdefault(worker, [])
            for number, (data, new, read, known) in zip(chunk, sent, strict=True):
                new = reads.interned(new)
                keys += new
                read_now = frozenset([keys[n] for n in read])
                yield self._made(jobs[number], data, read_now, known, reads, new)
                if on_page is not None and number >= others:
                    on_page(1)
            yield from self._finished(indexed, reads, wait=False)

    def _finished(
        self,
        indexed: dict[Forked[bytes | dict[str, bytes]], SearchFile],
        reads: Reads,
        wait: bool,
    ) -> Iterator[Output]:
        for future in [f for f in indexed if wait or f.done()]:
            found = indexed.pop(future)
            made = future.result()
            if isinstance(made, bytes):
                yield Output(found.path, made)
            else:
                yield from self._bundle(found, made, reads)

    def _bundle(self, found: SearchFile, files: dict[str, bytes], reads: Reads) -> Iterator[Output]:
        """A language's Pagefind bundle (`found.path`: its folder), file by file; each file
        records the bundle's digest and size, so that the next build knows it whole."""
        maker = pagefind.bundle_maker(found.digest, len(files))
        for name, data in sorted(files.items()):
            path = found.path + name
            reads.files[path] = (maker, frozenset())
            self.search_paths.append(path)
            yield Output(path, data)

    def render_page(self, page: Page, site: Site | SiteView) -> bytes:
        self.use_language(page.lang)
        crumbs = breadcrumbs(site, page)  # type: ignore[arg-type]
        translations = site.translations(page)
        return self.render(
            f"{page.kind}.html",
            page.url,
            page.lang,
            site,
            page=page,
            breadcrumbs=crumbs,
            translations=translations,
            switcher=language_switcher(site, page, translations),  # type: ignore[arg-type]
            alternates=alternates(site, page),  # type: ignore[arg-type]
            canonical=canonical(site, page),  # type: ignore[arg-type]
            indexed=may_be_indexed(page),
            json_ld=json_ld(site, page, crumbs),  # type: ignore[arg-type]
            original=(site.page(page.fallback_of, page.key) if page.fallback_of else None),
        )

    def render(
        self, template_name: str, at_url: str, lang: str, site: Site | SiteView, **context: Any
    ) -> bytes:
        absolute_links = context.get("page") is not None and context["page"].kind == "not_found"
        values = {**self._values(at_url, lang, site, absolute_links), **context}
        try:
            html = self.env.get_template(template_name).render(values)
        except jinja2.TemplateSyntaxError as exc:
            diags = Diagnostics()
            diags.error(
                f"template syntax error: {exc.message}",
                Path(exc.filename) if exc.filename else None,
                exc.lineno,
            )
            raise BuildFailed(diags) from None
        except jinja2.TemplateNotFound as exc:
            diags = Diagnostics()
            diags.error(
                f"the theme has no template '{exc.name}'; add it to the theme's templates folder",
                self.theme.folders[0],
            )
            raise BuildFailed(diags) from None
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
            file, line = _template_frame(exc, self.theme)
            diags = Diagnostics()
            diags.error(
                f"template error while rendering /{at_url}: {exc}; fix the template", file, line
            )
            raise BuildFailed(diags) from None
        return html.encode("utf-8")

    def _values(
        self,
        at_url: str,
        lang: str,
        site: Site | SiteView,
        absolute_links: bool,
        touched: set[str] | None = None,
    ) -> dict[str, Any]:
        """What every template sees, on the page at `at_url`. `touched`: a fragment's (see
        fragments.py), the folders beside the page's that its links go into."""
        base_path = self.site.config.base_path
        place = Place.of(at_url, absolute_links)
        link = links_from(at_url)
        note: Callable[[str], None] | None = None
        if touched is not None and place is not None and not absolute_links:
            note = partial(place.note, touched)

        def url(target: Page | str) -> str:
            """A link from this page; 404 pages are served at any path, so theirs are absolute."""
            to = target if isinstance(target, str) else target.url
            if note is not None:
                note(to)
            if absolute_links:
                return base_path + encode_url(to)
            return link(to)

        def current(target: Page | str) -> bool:
            """Whether `target` is this page (for aria-current)."""
            to = target if isinstance(target, str) else target.url
            if note is not None:
                note(to)
            return to == at_url

        def asset(name: str) -> str:
            try:
                return url(self.assets.urls[name])
            except KeyError:
                raise jinja2.TemplateRuntimeError(
                    f"asset '{name}' is not in the theme's static folder"
                ) from None

        parent = place.parent if place is not None else None
        recorder = site.__dict__["_recorder"] if isinstance(site, SiteView) else None

        def made(key: tuple[Any, ...], name: str, scope: dict[str, Any]) -> Fragment:
            """The fragment of `key` for this page: found, or rendered and kept (see
            fragments.py); its reads are this page's too."""
            fragment = self.fragments.find(key, place) if place is not None else None
            if fragment is None:
                lookups = recorder.lookups if recorder is not None else None
                fragment = self._fragment(name, scope, at_url, lang, absolute_links, lookups)
                if place is not None:
                    self.fragments.keep(key, place, fragment)
            if recorder is not None:
                fragment.read_by(recorder)
            if touched is not None:  # a fragment including this one: linked where it links
                touched.update(fragment.touched)
            return fragment

        def shared(name: str, **scope: Any) -> Markup:
            fragment = made((name, lang, absolute_links, parent, scope_key(scope)), name, scope)
            return fill(fragment.html, scope)

        def shared_each(name: str, items: Iterable[Any], **scope: Any) -> Markup:
            common = (name, lang, absolute_links, parent, scope_key(scope))
            items = list(items)
            if place is None or touched is not None:
                each = [made((*common, item_key(i)), name, {**scope, "item": i}) for i in items]
                return fill("".join(f.html for f in each), scope)
            # the same items on many pages (a section's sidebar): the fragments of those for
            # pages they do not link to kept by item, so that such a page only joins them
            kept = self.fragments.listed(common)
            html = []
            for item in items:
                ident = item_key(item)
                fragment = kept.get(ident)
                if fragment is None or place.name in fragment.touched:
                    fragment = made((*common, item_key(item)), name, {**scope, "item": item})
                    if place.name not in fragment.touched:
                        self.fragments.keep_listed(kept, ident, fragment)
                elif recorder is not None:
                    fragment.read_by(recorder)
                html.append(fragment.html)
            return fill("".join(html), scope)

        return {
            **self._language_values(lang),
            "site": site,
            "url": url,
            "current": current,
            "asset": asset,
            "shared": shared,
            "shared_each": shared_each,
            "search_file": self.search_files.get(lang),
        }

    def _language_values(self, lang: str) -> dict[str, Any]:
        """What every template of a language sees wherever it is: made once per language
        (and config) for the three renderings of a page (its own and two fragments)."""
        config = self.site.config
        found = self._by_language.get(lang)
        if found is None or found["config"] is not config:
            found = self._by_language[lang] = {
                "config": config,
                "lang": language(lang),
                "languages": [language(code) for code in config.languages],
                "site_title": config.site_title(lang),
                "absolute_url": lambda target: absolute_url(
                    self.site, target if isinstance(target, str) else target.url
                ),
                "format_date": lambda value: format_date(value, lang),
                "text_attrs": text_attrs,
                "icon": self.icon,
                "ui_attrs": lambda shown: text_attrs(shown, lang),
            }
        return found

    def _fragment(
        self,
        name: str,
        scope: dict[str, Any],
        at_url: str,
        lang: str,
        absolute_links: bool,
        lookups: Lookups | None,
    ) -> Fragment:
        """Template `name` rendered alone, its slots marked, with what it read and linked
        (`lookups`: the page's recorder's)."""
        recorder = Recorder(lookups)
        touched: set[str] = set()
        values = self._values(at_url, lang, SiteView(self.site, recorder), absolute_links, touched)
        values.update(
            {k: slot(k) if isinstance(v, Markup) else viewed(v, recorder) for k, v in scope.items()}
        )
        self.fragments.rendered[name] += 1
        html = self.env.get_template(name).render(values)
        keys = frozenset(recorder.keys)
        return Fragment(html, keys, frozenset(touched), recorder.values, recorder.called)


# Work sent to forked processes: the renderer they inherited, and the pages to make with it.
_FORKED: Renderer | None = None
_FORKED_JOBS: list[Job] = []  # the files to make, numbered as the tasks number them
_FORKED_READS = Reads()  # the record the pages are made for (on disk or in memory)


_FORKED_KEYS: dict[Key, int] = {}  # the keys this worker sent, by number


def _forked_pages(numbers: list[int]) -> tuple[int, list[SentFile]]:
    """The files `numbers`, made, and this worker's pid. Each key a file read goes whole
    once, with the first file that read it, then by its number: the build process would
    unpickle the same keys for every file otherwise, and find them again in its record."""
    assert _FORKED is not None
    known_keys = _FORKED_KEYS
    sent = []
    for n in numbers:
        data, keys, known = _FORKED.make(_FORKED_JOBS[n], _FORKED_READS)
        new: list[Key] = []
        read = []
        for key in keys:
            number = known_keys.get(key)
            if number is None:
                number = known_keys[key] = len(known_keys)
                new.append(key)
            read.append(number)
        sent.append((data, new, read, known))
    return os.getpid(), sent


@dataclass(frozen=True)
class Claim:
    """An output path, and what writes it: for the error when two things want one path."""

    path: str
    what: str
    file: Path | None = None
    line: int | None = None


def output_claims(site: Site, assets: Assets) -> list[Claim]:
    """Every file the build writes (outputs() and the content files), with what makes it."""
    names = {out: name for name, out in assets.urls.items()}
    claims = [Claim(out, f"the theme's static file {names.get(out, out)}") for out in assets.files]
    if site.config.search.enabled and site.config.search.engine == pagefind.ENGINE:
        claims += [  # the rest of a bundle has names of Pagefind's making, in the same folder
            Claim(pagefind.bundle_folder(lang) + name, f"the Pagefind search bundle of '{lang}'")
            for lang in site.config.languages
            for name in ("pagefind.js", pagefind.ENTRY)
        ]
    elif site.config.search.enabled:
        include_replies = site.config.search.include_replies
        for lang in site.config.languages:
            claims.append(Claim(search_path(lang), f"the search index of '{lang}'"))
            count = len(indexed_pages(site, lang, include_replies))
            claims += [
                Claim(path, f"the search snippets of '{lang}'")
                for path in snippet_paths(lang, count)
            ]
    for page in site.standalone_pages:
        if page.source is None:
            claims.append(Claim(page.output_path, f"the generated page /{page.url}"))
        else:
            line = page.source.meta.lines.get("slug")
            what = f"the page shown untranslated at /{page.url}" if page.is_fallback else "the page"
            claims.append(Claim(page.output_path, what, page.source.path, line))
    claims += [Claim(rel, "the content file", path) for rel, path in site.assets.items()]
    claims += [
        Claim(redirect_path(r), f"the alias '{r.alias}'", r.source, r.line) for r in site.redirects
    ]
    claims.append(Claim("index.html", "the root page"))
    if site.page(site.config.default_language, "not_found") is not None:
        claims.append(Claim("404.html", "the site's 404 page"))
    claims += [Claim("sitemap.xml", "the sitemap"), Claim("robots.txt", "robots.txt")]
    return claims


def check_output_paths(site: Site, assets: Assets, diags: Diagnostics) -> None:
    """Two things writing one path, or one writing a file where another needs a folder (an
    alias /sitemap.xml/, a slug index.html, a content file named like a page's folder): an
    error naming both, before anything is written. Unchecked, the second would overwrite
    the first, or fail halfway with a misleading error about the disk."""
    root = site.config.root
    files: dict[str, Claim] = {}
    folders: dict[str, Claim] = {}  # folder -> the first claim below it
    for claim in output_claims(site, assets):
        other = files.get(claim.path)
        if other is not None:
            located, named = _located(claim, other)
            message = f"and {_named(named, root)} both write /{claim.path}"
            _clash(diags, located, message)
            continue
        files[claim.path] = claim
        folder = claim.path.rpartition("/")[0]  # not posixpath.dirname: a site has thousands
        while folder and folder not in folders:
            folders[folder] = claim
            folder = folder.rpartition("/")[0]
    for path, claim in files.items():
        below = folders.get(path)
        if below is None:
            continue
        if _located(below, claim)[0] is below:
            message = (
                f"needs /{path}/ as a folder (for /{below.path}), but "
                f"{_named(claim, root)} writes the file /{path}"
            )
            _clash(diags, below, message)
        else:
            message = (
                f"writes the file /{path}, but {_named(below, root)} needs it as a folder "
                f"(for /{below.path})"
            )
            _clash(diags, claim, message)


def _located(first: Claim, second: Claim) -> tuple[Claim, Claim]:
    """(where the error is reported, the other): the first unless only the second has a
    file (aliases, pages and content files have one; what kbgen generates has none)."""
    return (second, first) if first.file is None and second.file is not None else (first, second)


def _named(claim: Claim, root: Path) -> str:
    if claim.file is None:
        return claim.what
    shown = claim.file.relative_to(root) if claim.file.is_relative_to(root) else claim.file
    return f"{claim.what} {shown}" + (f":{claim.line}" if claim.line else "")


def _clash(diags: Diagnostics, claim: Claim, message: str) -> None:
    diags.error(
        f"{claim.what} {message}; give one of them another slug, alias or file name",
        claim.file,
        claim.line,
    )


def redirect_path(redirect: Redirect) -> str:
    return redirect.url + "index.html" if redirect.url.endswith("/") else redirect.url


def _template_frame(exc: BaseException, theme: Theme) -> tuple[Path | None, int | None]:
    """The template file and line an error was raised from (Jinja rewrites tracebacks so
    that template frames carry the template's own file and line)."""
    folders = [str(d) for d in theme.template_dirs]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if any(frame.filename.startswith(f) for f in folders):
            return Path(frame.filename), frame.lineno
    return None, None


_NO_ATTRS = Markup("")  # (made once: a page asks five times or more)


def text_attrs(page: Page | None, ui_lang: str | None = None) -> Markup:
    """` lang="…" dir="…"` for the element holding an untranslated page's text (its
    original's language, whose direction may not be the page's: "?" must not flip); with
    `ui_lang`, for the page's own words nested in such an element (a badge). Empty for a
    translated page."""
    if page is None or page.fallback_of is None:
        return _NO_ATTRS
    shown = language(ui_lang or page.fallback_of)
    return Markup(' lang="{}" dir="{}"').format(shown.code, shown.dir)


def breadcrumbs(site: Site, page: Page) -> list[tuple[str, Page]]:
    home = site.page(page.lang, "home")
    if home is None or page.kind in ("home", "not_found"):
        return []
    crumbs = [(home.title, home)]
    crumbs.extend((section.title, section) for section in site.parent_sections(page))
    if page.kind in ("faq", "reply"):
        index = site.page(page.lang, "faq_index" if page.kind == "faq" else "replies")
        if index is not None:
            crumbs.append((index.title, index))
    if page.kind == "tag":
        tags = site.page(page.lang, "tags")
        if tags is not None:
            crumbs.append((tags.title, tags))
    crumbs.append((page.title, page))
    return crumbs


@dataclass(frozen=True)
class SwitcherEntry:
    code: str
    name: str
    url: str  # site-relative
    current: bool
    translated: bool


def language_switcher(site: Site, page: Page, translations: dict[str, Page]) -> list[SwitcherEntry]:
    """Every language, leading to this page in it, or to its home when it has no such page."""
    entries = []
    for code in site.config.languages:
        other = translations.get(code)
        target = other if other is not None else site.page(code, "home")
        entries.append(
            SwitcherEntry(
                code,
                language(code).name,
                target.url if target else f"{code}/",
                current=code == page.lang,
                translated=other is not None and not other.is_fallback,
            )
        )
    return entries
