"""What each output file reads of the site model, recorded while it is made, so that a
rebuild makes again exactly the files whose reads changed (as Lektor's `record_dependency`).

The templates and the render stage's helpers (breadcrumbs, SEO) never see the model itself
but views of it (`SiteView`, `PageView`): every attribute read of a page, every call of a
site method and every entry looked up in one of its tables is recorded as a `Key`. A key is
evaluated again on any later model (`evaluate`); `Reads` keeps, per output file, its keys and
what they gave, in memory (`kbgen serve`: the values themselves) or on disk (`kbgen build`:
their digests, in the build cache). A theme override that reads more of the model is then
rebuilt right with no rule written for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import cache
from typing import Any, cast

from kbgen.site import TAGGED_KINDS, Body, FaqGroup, Page, SectionNav, Site
from kbgen.sources import Source

# ("p", lang, key, attribute): an attribute of one page (a property too: `sort_key`)
# ("s", name, arguments): a site method called, or ("s", name) a site attribute read whole
# ("d", name, entry): one entry of a site table (`site.discussions.get(url)`)
Key = tuple[Any, ...]
Maker = tuple[object, ...]  # what makes an output file: ("page", lang, key, kind), ("sitemap",)…
MISSING = ("missing",)  # what a key gives on a model without its page or entry
_UNKNOWN = object()
# What a key's value was found from, so that a key is evaluated again only when one of these
# changed: (lang, key) a page looked up; ("kind", lang, kind) the language's pages of a kind
# (kind None: all of them); ("section", lang, group) the articles of a section;
# ("table", name) a table of the site; ALL the list of every page.
Token = tuple[Any, ...]
ALL: Token = ("all",)
# Read by every output and part of the render key (config.yaml changed: everything is made)
_UNTRACKED = frozenset({"config"})


def shape(value: object) -> object:
    """A value as comparable data: pages by identity (their attributes are keys of their
    own), FAQ groups, section navigation and containers item by item."""
    if type(value) is str:  # most of what pages are read for: first
        return value
    if isinstance(value, Page):
        return ("page", value.lang, value.key)
    if isinstance(value, (list, tuple)):
        if value and all(type(v) is Page for v in value):  # a list of pages: most lists
            return tuple([("page", v.lang, v.key) for v in value])
        return tuple([shape(v) for v in value])
    if isinstance(value, dict):
        return tuple((k, shape(v)) for k, v in value.items())
    if isinstance(value, FaqGroup):
        return ("group", value.key, value.title, value.description, shape(value.entries))
    if isinstance(value, SectionNav):
        return ("nav", shape(value.articles), value.total, shape(value.previous), shape(value.next))
    return value


def _unshape(site: Site, value: object) -> object:
    """The arguments of a recorded call, found again in `site` (MISSING: a page gone)."""
    if isinstance(value, tuple) and value[:1] == ("page",):
        return site.page(value[1], value[2]) or MISSING
    return value


def evaluate(site: Site | Lookups, key: Key) -> object:
    """What `key` gives on `site`, as `shape` makes it."""
    if key[0] == "p":
        page = site.page(key[1], key[2])
        return MISSING if page is None else shape(getattr(page, key[3]))
    if key[0] == "d":
        return shape(getattr(site, key[1]).get(key[2], MISSING))
    if len(key) == 2:
        return shape(getattr(site, key[1]))
    arguments = [_unshape(site, a) for a in key[2]]  # type: ignore[arg-type]
    if MISSING in arguments:
        return MISSING
    if isinstance(site, Lookups):
        own = getattr(Lookups, key[1], None)  # a method that says what it looks at
        method = own if callable(own) else getattr(Site, key[1], None)
        if callable(method):
            return shape(method(site, *arguments))  # Site's own method, its lookups seen
    return shape(getattr(site, key[1])(*arguments))


class Lookups:
    """The site as keys are evaluated: its pages grouped by language and kind once for a pass
    over many keys (`Site.articles`, `sections`… each filter every page otherwise), and what
    each evaluation looked at in `touched` (tokens: a page by (language, key), a group of
    pages, a table; None: something else). A key none of whose tokens changed gives what it
    gave."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._groups: dict[tuple[str, str | None], list[Page]] | None = None
        self.touched: set[Token] | None = set()

    def _note(self, token: Token) -> None:
        if self.touched is not None:
            self.touched.add(token)

    @property
    def config(self) -> Any:  # part of the render key, not of the reads
        return self.site.config

    @property
    def _by_key(self) -> _Lookup:
        return _Lookup(self)

    def page(self, lang: str, key: str) -> Page | None:
        self._note((lang, key))
        return self.site.page(lang, key)

    def in_language(self, lang: str, kind: str | None = None) -> list[Page]:
        self._note(("kind", lang, kind))
        if self._groups is None:
            self._groups = {}
            for page in self.site.pages:
                self._groups.setdefault((page.lang, page.kind), []).append(page)
                self._groups.setdefault((page.lang, None), []).append(page)
        return list(self._groups.get((lang, kind), ()))

    def _section_articles(self, lang: str, group: str | None) -> list[Page]:
        self._note(("section", lang, group))
        return self.site._section_articles(lang, group)

    @property
    def _places(self) -> dict[int, int]:  # the places of the articles of a section noted
        return self.site._places

    @property
    def standalone_pages(self) -> list[Page]:
        self._note(ALL)
        return self.site.standalone_pages

    def tagged(self, lang: str, slug: str) -> list[Page]:
        # the language's pages of the kinds tags list: what a change to their tags, order or
        # number reaches (the site's index of tags is its own, made once)
        for kind in TAGGED_KINDS:
            self._note(("kind", lang, kind))
        return self.site.tagged(lang, slug)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.site, name)
        if isinstance(value, dict):  # a table: replaced as a whole when it changes
            self._note(("table", name))
        else:
            self.touched = None
        return value

    def called(self, name: str, arguments: tuple[Any, ...]) -> tuple[Any, frozenset[Token] | None]:
        """What site method `name` gives for `arguments` (the model's own pages), and what
        it looked at: as `evaluate` finds both, but the method's own result (a template is
        handed it). The pages given are looked at, as `evaluate` looks them up."""
        self.touched = touched = {(a.lang, a.key) for a in arguments if type(a) is Page}
        own = getattr(Lookups, name, None)
        method = own if callable(own) else getattr(Site, name, None)
        result = method(self, *arguments) if callable(method) else getattr(self, name)(*arguments)
        return result, None if self.touched is None else frozenset(touched)


class _Lookup:
    """`Site._by_key` as `Lookups` sees it used."""

    def __init__(self, lookups: Lookups) -> None:
        self._lookups = lookups

    def get(self, ident: tuple[str, str], default: Any = None) -> Any:
        return self._lookups.page(*ident) or default


def _short_str(value: object) -> bool:
    return type(value) is str and len(value) <= 64


def digest(value: object) -> bytes:
    data = value.encode() if isinstance(value, str) else repr(value).encode()
    return hashlib.blake2b(data, digest_size=16).digest()


class Recorder:
    """The keys one output reads while it is made, and the views it reads them through (one
    per page, so that `is` and `==` between them mean what they mean between pages)."""

    def __init__(self, lookups: Lookups | None = None) -> None:
        self.keys: set[Key] = set()
        # what the page keys gave as they were read (`Reads.record` need not evaluate them
        # again)
        self.values: dict[Key, Any] = {}
        # with `lookups` (a record kept on disk): the site methods called, through them,
        # with what each gave and looked at (nor are those evaluated again); without, the
        # record evaluates them once more to learn what they looked at
        self.lookups = lookups
        self.called: dict[Key, tuple[Any, frozenset[Token] | None]] = {}
        self._views: dict[int, PageView] = {}

    def view(self, page: Page) -> Any:  # read as a Page
        found = self._views.get(id(page))
        if found is None:
            found = self._views[id(page)] = PageView(page, self)
        return found

    def wrap(self, value: Any) -> Any:
        """A value handed to a template: its pages as views."""
        if type(value) in _PLAIN:  # most of what is read: first
            return value
        if isinstance(value, Page):
            return self.view(value)
        if isinstance(value, list):
            if all(type(v) is Page for v in value):  # most lists: pages
                view = self.view
                return [view(v) for v in value]
            return [self.wrap(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.wrap(v) for v in value)
        if isinstance(value, dict):
            return {k: self.wrap(v) for k, v in value.items()}
        if isinstance(value, FaqGroup):
            return replace(value, entries=self.wrap(value.entries))
        if isinstance(value, SectionNav):  # the sidebar marks `page` among these: views too
            view = self.view
            return SectionNav(
                [view(v) for v in value.articles],
                value.total,
                None if value.previous is None else view(value.previous),
                None if value.next is None else view(value.next),
            )
        return value


_PLAIN = frozenset({str, int, bool, float, type(None)})  # nothing to wrap in these


def unwrap(value: Any) -> Any:
    return value.__dict__["_of"] if isinstance(value, _View) else value


class _View:
    """Part of the model as an output reads it (its own attributes kept out of the way of
    the model's, and no attribute set: the model is read-only while files are made)."""

    def __init__(self, of: Any, recorder: Recorder) -> None:
        self.__dict__["_of"] = of
        self.__dict__["_recorder"] = recorder

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("the site model is read-only while pages are rendered")

    def _read(self, name: str) -> tuple[Any, Recorder]:
        if name.startswith("__"):  # copy, pickle… look for these: the model has none
            raise AttributeError(name)
        return getattr(self.__dict__["_of"], name), self.__dict__["_recorder"]


class PageView(_View):
    """A page as an output reads it: each attribute read is recorded once, then kept here
    (`__getattr__` is not called again for it)."""

    def __getattr__(self, name: str) -> Any:
        # (_read and wrap written out: a page's every first read of a field comes here)
        if name.startswith("__"):
            raise AttributeError(name)
        own = self.__dict__
        page: Page = own["_of"]
        recorder: Recorder = own["_recorder"]
        value = getattr(page, name)
        key = ("p", page.lang, page.key, name)
        recorder.keys.add(key)
        recorder.values[key] = value
        if type(value) not in _PLAIN:
            value = recorder.wrap(value)
        own[name] = value
        return value

    def __eq__(self, other: object) -> bool:
        return unwrap(other) is self.__dict__["_of"]

    def __hash__(self) -> int:
        return id(self.__dict__["_of"])

    def __repr__(self) -> str:
        page = self.__dict__["_of"]
        return f"<page {page.lang} {page.key}>"


class TableView:
    """A table of the site (`site.discussions`, `site.faq_groups`): an entry looked up is a
    key of its own; anything else reads the whole table."""

    def __init__(self, name: str, table: dict[Any, Any], recorder: Recorder) -> None:
        self._name, self._table, self._recorder = name, table, recorder

    def get(self, entry: Any, default: Any = None) -> Any:
        self._recorder.keys.add(("d", self._name, entry))
        return self._recorder.wrap(self._table.get(entry, default))

    def __getitem__(self, entry: Any) -> Any:
        self._recorder.keys.add(("d", self._name, entry))
        return self._recorder.wrap(self._table[entry])

    def __contains__(self, entry: Any) -> bool:
        self._recorder.keys.add(("d", self._name, entry))
        return entry in self._table

    def _whole(self) -> dict[Any, Any]:
        self._recorder.keys.add(("s", self._name))
        wrapped: dict[Any, Any] = self._recorder.wrap(self._table)
        return wrapped

    def __iter__(self) -> Iterator[Any]:
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())

    def keys(self) -> Any:
        return self._whole().keys()

    def values(self) -> Any:
        return self._whole().values()

    def items(self) -> Any:
        return self._whole().items()


class SiteView(_View):
    """The site as an output reads it: each method call and attribute read recorded. What
    a name gives is kept here after its first read (a key recorded again is recorded
    already; a method or a table records each call or entry itself)."""

    def __getattr__(self, name: str) -> Any:
        value, recorder = self._read(name)
        if name in _UNTRACKED:
            pass
        elif isinstance(value, dict):
            value = TableView(name, value, recorder)
        elif callable(value):
            value = self._method(name, value, recorder)
        else:
            recorder.keys.add(("s", name))
            value = recorder.wrap(value)
        self.__dict__[name] = value
        return value

    @staticmethod
    def _method(name: str, method: Callable[..., Any], recorder: Recorder) -> Callable[..., Any]:
        def call(*arguments: Any) -> Any:
            given = tuple([unwrap(a) for a in arguments])
            key = ("s", name, tuple([shape(a) for a in given]))
            recorder.keys.add(key)
            lookups = recorder.lookups
            if lookups is None:
                return recorder.wrap(method(*given))
            called = recorder.called[key] = lookups.called(name, given)
            return recorder.wrap(called[0])

        return call


@dataclass
class Change:
    """What changed in the model since the reads were taken: the pages whose fields may
    differ (by language and key, pages added or removed included), and the tokens of what
    keys look at that may give something else (see `Token`); None: anything may have."""

    pages: set[tuple[str, str]] | None = None
    tokens: set[Token] | None = None


def page_tokens(page: Page) -> set[Token]:
    """The tokens of a key that looked at `page`, directly or among others."""
    return _tokens(page.lang, page.key, page.kind, page.group)


def _tokens(lang: str, key: str, kind: str, group: str | None) -> set[Token]:
    found: set[Token] = {(lang, key), ("kind", lang, kind), ("kind", lang, None)}
    if kind == "article":
        found.add(("section", lang, group))
    return found


def model_change(before: Site, after: Site) -> Change:
    """The change from one model to another built anew: the pages not equal in every field
    (so in every attribute an output can read of them), every table and the list of pages."""
    pages: set[tuple[str, str]] = set()
    tokens: set[Token] = {ALL}
    tokens.update(("table", n) for n, v in vars(after).items() if isinstance(v, dict))
    for page in after.pages:
        old = before.page(page.lang, page.key)
        if old is None or old.__dict__ != page.__dict__:
            pages.add((page.lang, page.key))
            tokens |= page_tokens(page)
            if old is not None:
                tokens |= page_tokens(old)
    for old in before.pages:
        if after.page(old.lang, old.key) is None:
            pages.add((old.lang, old.key))
            tokens |= page_tokens(old)
    return Change(pages, tokens)


def _canonical(value: object) -> object:
    """`value` as data whose repr is the same in every process exactly when the value is equal
    (as `==` compares: a set's items sorted, a data class's compared fields only)."""
    if type(value) is str or value is None or type(value) in (int, bool, float):
        return value
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("dict", *((_canonical(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return ("set", *sorted(repr(_canonical(v)) for v in value))
    if is_dataclass(value) and not isinstance(value, type):
        compared = (_canonical(getattr(value, f.name)) for f in fields(value) if f.compare)
        return (type(value).__qualname__, *compared)
    return value  # a date, a path…: its repr says what it is


def _page_digest(page: Page) -> bytes:
    """A digest of every field of `page` that `==` compares (its source's, its body's…)."""
    found: list[object] = []
    _spread(page, found)
    return digest(found)


@cache
def _compared(kind: Any) -> tuple[str, ...] | None:
    """The fields `==` compares of a data class, None for another type."""
    if not is_dataclass(kind):
        return None
    return tuple(f.name for f in fields(kind) if f.compare)


def _spread(value: object, found: list[object]) -> None:
    """The fields of a data class, as a list whose repr says what they are: a long text by
    its digest (no repr of it made), a data class field by field, a set sorted (its order
    changes from process to process), anything else as it is (data classes inside a list or
    a tuple, as the body's headings, show every field `==` compares in their repr)."""
    found.append(type(value).__qualname__)
    kind: Any = type(value)
    for name in _compared(kind) or ():
        item = getattr(value, name)
        kind = type(item)
        if kind is str:
            found.append(digest(item) if len(item) > 64 else item)
        elif kind is set or kind is frozenset:
            found.append(sorted(repr(v) for v in item))
        elif kind is Body or kind is Source:
            found.append(_digest_once(item))
        elif _compared(kind) is not None:
            _spread(item, found)
        else:
            found.append(item)
    found.append(")")


def _digest_once(value: Body | Source) -> bytes:
    """The digest of a page's body or source, made once and kept in the object's own dict:
    both are replaced whole, never changed, and come from the build cache with it."""
    known: bytes | None = value.__dict__.get("_digest")
    if known is None:
        inner: list[object] = []
        _spread(value, inner)
        known = value.__dict__["_digest"] = digest(inner)  # (frozen: not through setattr)
    return known


@dataclass
class ModelPrint:
    """A model as the build cache keeps it to find what the next build changed without the
    model itself (`kbgen build`: serve has it in memory, see `model_change`): each page's
    digest (of every field, as `model_change` compares them) with its kind and group (for its
    tokens), in the model's order; a digest of each table."""

    pages: dict[tuple[str, str], tuple[bytes, str, str | None]]
    tables: dict[str, bytes | None]  # None: not compared (always taken as changed)

    @staticmethod
    def of(site: Site) -> ModelPrint:
        pages = {(p.lang, p.key): (_page_digest(p), p.kind, p.group) for p in site.pages}
        tables = {  # (its own tables, made from the pages or on first use: not compared)
            name: None if name.startswith("_") else digest(_canonical(shape(value)))
            for name, value in vars(site).items()
            if isinstance(value, dict)
        }
        return ModelPrint(pages, tables)

    def change(self, after: ModelPrint) -> Change:
        """The change from the model this was taken of to the one `after` was, as
        `model_change` finds it: pages whose digest differs, added or removed, their tokens,
        the tables whose digest differs, the list of pages if any page changed."""
        before, now = self.pages, after.pages
        pages: set[tuple[str, str]] = set()
        tokens: set[Token] = set()
        for ident, (found, kind, group) in now.items():
            old = before.get(ident)
            if old is None or old[0] != found:
                pages.add(ident)
                tokens |= _tokens(*ident, kind, group)
                if old is not None:
                    tokens |= _tokens(*ident, old[1], old[2])
        for ident, (_, kind, group) in before.items():
            if ident not in now:
                pages.add(ident)
                tokens |= _tokens(*ident, kind, group)
        if pages:
            tokens.add(ALL)
        # a list of pages holding none of these is the same if they are in the same order
        if [i for i in before if i not in pages] != [i for i in now if i not in pages]:
            return Change()
        tokens.update(
            ("table", n) for n, v in after.tables.items() if v is None or self.tables.get(n) != v
        )
        tokens.update(("table", n) for n in self.tables.keys() - after.tables.keys())
        return Change(pages, tokens)


@dataclass
class Reads:
    """The build state's record of reads: per output file, what made it (its maker: a page,
    a redirect…) and the keys it read; per key, what it gave (the value, or its digest when
    the record is kept on disk), the attributes of each page kept together.

    The keys are also indexed by what they looked at (`touched`, kept on disk too), so that a
    rebuild after a small change evaluates only the keys that change can reach; in memory
    (`kbgen serve`) the files by the keys they read too, so that it looks only at the files
    that read them. On disk, `model` is what the model was, for the next build to find what
    changed (`ModelPrint`)."""

    digests: bool = False  # keep digests (a record saved to disk), not the values
    files: dict[str, tuple[Maker, frozenset[Key]]] = field(default_factory=dict)
    pages: dict[tuple[str, str], dict[str, object]] = field(default_factory=dict)  # "p" keys
    values: dict[Key, object] = field(default_factory=dict)  # the other keys
    # what each of `values` looked at (None, or no entry: more than tokens say)
    touched: dict[Key, frozenset[Token] | None] = field(default_factory=dict)
    model: ModelPrint | None = None  # on disk: the model `pages` and `values` were taken of
    # every key a file read, and every token (and set of tokens) a key looked at, each as
    # one object however many hold it: what is recorded is made of those (a pickle then
    # holds each once; the memory too)
    _seen: dict[Key, Key] | None = field(default=None, repr=False)
    _tokens: dict[Any, Any] | None = field(default=None, repr=False)
    # in memory only, made on first use: token -> the keys that looked at it (None: the
    # keys whose evaluation looked at more), key -> the files that read it
    _by_token: dict[Token | None, set[Key]] | None = field(default=None, repr=False)
    _readers: dict[Key, set[str]] | None = field(default=None, repr=False)
    _makers: dict[str, Maker] | None = field(default=None, repr=False)  # see same_makers
    # on disk, until `prune`: what the files recorded or forgotten since the record was
    # loaded read then (empty: nothing, a new file)
    _before: dict[str, frozenset[Key]] = field(default_factory=dict, repr=False)
    forgotten: list[str] = field(default_factory=list, repr=False)  # by the last forget_others

    def _fingerprint(self, value: object) -> object:
        """The value itself when about as short as its digest and equal to another exactly
        when their reprs are (a title, a URL, a flag, a date, a page as `shape` gives it, a
        few tags): a repr and a digest spared, tens of thousands a build; else its digest."""
        if not self.digests or value is None or type(value) in (bool, dt.date):
            return value
        if type(value) is str:
            return value if len(value) <= 64 else digest(value)
        if type(value) is tuple and len(value) <= 4 and all(_short_str(v) for v in value):
            return value
        return digest(value)

    def fingerprints(self, recorder: Recorder, sent: set[Key]) -> dict[Key, object] | None:
        """What a recorder's keys gave, as this record keeps it, for `record`: those not in
        `sent` (given for an earlier file, so recorded by then), which are added to it; for
        a site method called, with what it looked at. On disk only: in memory, a key is
        evaluated again to learn what it looked at."""
        if not self.digests:
            return None
        values = recorder.values
        new = values.keys() - sent
        sent.update(new)
        known: dict[Key, object] = {k: self._fingerprint(shape(values[k])) for k in new}
        called = recorder.called
        for key in called.keys() - sent:
            sent.add(key)
            result, touched = called[key]
            known[key] = (self._fingerprint(shape(result)), touched)
        return known

    def changed(self, site: Site, change: Change) -> set[Key]:
        """The keys that give something else on `site` now; their values are updated.
        `change`: what can have changed since they were taken."""
        found: set[Key] = set()
        lookups = Lookups(site)
        for key in self._reached(change.tokens):
            before = self.values[key]
            now = self._evaluate(lookups, key)
            if now != before:
                self.values[key] = now
                found.add(key)
        pages = self.pages
        for ident in pages if change.pages is None else change.pages:
            attributes = pages.get(ident)
            if attributes is None:
                continue
            for name, before in attributes.items():
                key = ("p", *ident, name)
                now = self._fingerprint(evaluate(site, key))
                if now != before:
                    attributes[name] = now
                    found.add(key)
        return found

    def _reached(self, tokens: set[Token] | None) -> list[Key]:
        """The keys (other than page attributes) that looked at any of `tokens`."""
        index = self._token_index()  # (made now, if not yet: kept up to date from now on)
        if tokens is None:
            return list(self.values)
        reached = set(index.get(None, ()))
        for token in tokens:
            reached.update(index.get(token, ()))
        return list(reached)

    def _token_index(self) -> dict[Token | None, set[Key]]:
        if self._by_token is None:
            self._by_token = {}
            for key in self.values:
                self._index_key(key, self.touched.get(key))
        return self._by_token

    def _index_key(self, key: Key, tokens: frozenset[Token] | None) -> None:
        assert self._by_token is not None
        for token in (None,) if tokens is None else tokens:
            self._by_token.setdefault(token, set()).add(key)

    def same_makers(self, makers: dict[str, Maker]) -> bool:
        """Whether `makers` is the very table of output files this record was last brought
        up to date with (a model patched in place keeps its table): no file is new or made
        by something else then."""
        return not self.digests and makers is self._makers

    def stale(self, makers: dict[str, Maker], changed: set[Key]) -> set[str]:
        """The output paths (of `makers`: path -> what makes it now) to make again: new,
        made by something else, or having read a key that changed. The record is expected
        to be brought up to date with the files made then (`record`, `forget_others`)."""
        files = self.files
        self.forgotten = []
        if self.digests:  # a build: the record was just loaded, no index is worth making
            return {
                path
                for path, maker in makers.items()
                if (known := files.get(path)) is None
                or known[0] != maker
                or not known[1].isdisjoint(changed)
            }
        readers = self._reader_index()
        found = {path for key in changed for path in readers.get(key, ()) if path in makers}
        if not self.same_makers(makers):
            self._makers = makers
            found.update(
                path
                for path, maker in makers.items()
                if (known := files.get(path)) is None or known[0] != maker
            )
        return found

    def _reader_index(self) -> dict[Key, set[str]]:
        if self._readers is None:
            self._readers = {}
            for path, (_, keys) in self.files.items():
                for key in keys:
                    self._readers.setdefault(key, set()).add(path)
        return self._readers

    def interned(self, keys: list[Key]) -> list[Key]:
        """`keys`, each as the one object the record holds for it (it is added if new)."""
        seen = self._seen_keys()
        return [seen.setdefault(k, k) for k in keys]

    def _seen_keys(self) -> dict[Key, Key]:
        if self._seen is None:
            read = set().union(*(read for _, read in self.files.values()))
            self._seen = {k: k for k in read}
        return self._seen

    def record(
        self,
        site: Site,
        path: str,
        maker: Maker,
        keys: frozenset[Key],
        known: dict[Key, object] | None = None,
        new: list[Key] | None = None,
    ) -> None:
        """What output `path` read as it was made now; `known`: what some of those keys
        gave then (`fingerprints`), not evaluated again. `new`: those of `keys` no file may
        have read before, `keys` being already `interned` (None: any of them)."""
        if new is None:
            seen = self._seen_keys()
            new = [k for k in keys if k not in seen]  # what no file read before
            keys = frozenset([seen.setdefault(k, k) for k in keys])
        known = known or {}
        for key in new:
            if key[0] == "p":
                attributes = self.pages.setdefault((key[1], key[2]), {})
                if key[3] not in attributes:
                    found = known.get(key, _UNKNOWN)
                    if found is _UNKNOWN:
                        found = self._fingerprint(evaluate(site, key))
                    attributes[key[3]] = found
            elif key not in self.values:  # evaluated: what it looks at is kept too
                found = known.get(key, _UNKNOWN)
                if found is _UNKNOWN:
                    self.values[key] = self._evaluate(Lookups(site), key)
                else:  # a site method, evaluated as it was called (`fingerprints`)
                    value, touched = cast("tuple[object, frozenset[Token] | None]", found)
                    self.values[key] = value
                    self._keep_touched(key, touched)
        readers = self._readers
        if readers is not None:
            before = self.files.get(path)
            for key in keys if before is None else keys - before[1]:
                readers.setdefault(key, set()).add(path)
            for key in () if before is None else before[1] - keys:
                readers[key].discard(path)
        self._note_before(path)
        self.files[path] = (maker, keys)

    def _note_before(self, path: str) -> None:
        if self.digests and path not in self._before:  # (see prune)
            self._before[path] = self.files.get(path, (None, frozenset()))[1]

    def _evaluate(self, lookups: Lookups, key: Key) -> object:
        """A key other than a page's attribute: its fingerprint, and what it looked at."""
        lookups.touched = set()
        value = self._fingerprint(evaluate(lookups, key))
        self._keep_touched(key, lookups.touched)
        return value

    def _keep_touched(self, key: Key, looked: Iterable[Token] | None) -> None:
        """What key `key` looked at (None: more than tokens say), each token and set of
        them kept as one object, and indexed if the index is made."""
        touched = None
        if looked is not None:
            tokens = self._tokens
            if tokens is None:
                sets = {seen for seen in self.touched.values() if seen is not None}
                each = set().union(*sets)
                tokens = self._tokens = {t: t for t in (*each, *sets)}
            touched = frozenset([tokens.setdefault(t, t) for t in looked])
            touched = tokens.setdefault(touched, touched)
        before = self.touched.get(key, ())
        self.touched[key] = touched
        if self._by_token is not None and before != touched:
            for token in (None,) if before is None else before:
                self._by_token[token].discard(key)
            self._index_key(key, touched)

    def forget_others(self, paths: Iterable[str]) -> None:
        """Forget the outputs not in `paths` (no longer made)."""
        kept = set(paths)
        self.forgotten = []
        if kept != self.files.keys():
            self.forgotten = list(self.files.keys() - kept)
            readers = self._readers
            for path in self.forgotten:
                for key in () if readers is None else self.files[path][1]:
                    readers[key].discard(path)  # type: ignore[index]
                self._note_before(path)
            self.files = {p: f for p, f in self.files.items() if p in kept}

    def drop(self, paths: Iterable[str]) -> None:
        """Forget these outputs' reads (their files were changed by hand: made again)."""
        for path in paths:
            self._note_before(path)
            del self.files[path]
        self._readers = None

    def prune(self) -> None:
        """Forget the keys no output reads any more: before the record is saved. Only what
        the files recorded or forgotten since it was loaded read before and now is looked at
        (their keys were made one object each as they were recorded)."""
        self._seen = self._tokens = self._by_token = self._readers = self._makers = None
        before, self._before = self._before, {}
        unread: set[Key] = set()
        for path, old in before.items():
            made = self.files.get(path)
            if made is None:
                unread |= old
            elif made[1] is not old:
                unread |= old - made[1]
        for _, keys in self.files.values():  # read by another file: kept
            if not unread:
                return
            if not unread.isdisjoint(keys):
                unread -= keys
        for key in unread:
            if key[0] != "p":
                self.values.pop(key, None)
                self.touched.pop(key, None)
            elif (attributes := self.pages.get((key[1], key[2]))) is not None:
                attributes.pop(key[3], None)
                if not attributes:
                    del self.pages[(key[1], key[2])]
