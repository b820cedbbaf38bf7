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

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from kbgen.site import FaqGroup, Page, Site

# ("p", lang, key, attribute): an attribute of one page (a property too: `sort_key`)
# ("s", name, arguments): a site method called, or ("s", name) a site attribute read whole
# ("d", name, entry): one entry of a site table (`site.discussions.get(url)`)
Key = tuple[Any, ...]
Maker = tuple[object, ...]  # what makes an output file: ("page", lang, key, kind), ("sitemap",)…
MISSING = ("missing",)  # what a key gives on a model without its page or entry
# Read by every output and part of the render key (config.yaml changed: everything is made)
_UNTRACKED = frozenset({"config"})


def shape(value: object) -> object:
    """A value as comparable data: pages by identity (their attributes are keys of their
    own), FAQ groups and containers item by item."""
    if isinstance(value, Page):
        return ("page", value.lang, value.key)
    if isinstance(value, (list, tuple)):
        return tuple(shape(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, shape(v)) for k, v in value.items())
    if isinstance(value, FaqGroup):
        return ("group", value.key, value.title, value.description, shape(value.entries))
    return value


def _unshape(site: Site, value: object) -> object:
    """The arguments of a recorded call, found again in `site` (MISSING: a page gone)."""
    if isinstance(value, tuple) and value[:1] == ("page",):
        return site.page(value[1], value[2]) or MISSING
    return value


def evaluate(site: Site, key: Key) -> object:
    """What `key` gives on `site`, as `shape` makes it."""
    if key[0] == "p":
        page = site.page(key[1], key[2])
        return MISSING if page is None else shape(getattr(page, key[3]))
    if key[0] == "d":
        return shape(getattr(site, key[1]).get(key[2], MISSING))
    value = getattr(site, key[1])
    if len(key) == 2:
        return shape(value)
    arguments = [_unshape(site, a) for a in key[2]]
    if MISSING in arguments:
        return MISSING
    return shape(value(*arguments))


def digest(value: object) -> str:
    data = value.encode() if isinstance(value, str) else repr(value).encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Recorder:
    """The keys one output reads while it is made, and the views it reads them through (one
    per page, so that `is` and `==` between them mean what they mean between pages)."""

    def __init__(self) -> None:
        self.keys: set[Key] = set()
        self._views: dict[int, PageView] = {}

    def view(self, page: Page) -> Any:  # read as a Page
        found = self._views.get(id(page))
        if found is None:
            found = self._views[id(page)] = PageView(page, self)
        return found

    def wrap(self, value: Any) -> Any:
        """A value handed to a template: its pages as views."""
        if isinstance(value, Page):
            return self.view(value)
        if isinstance(value, list):
            return [self.wrap(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.wrap(v) for v in value)
        if isinstance(value, dict):
            return {k: self.wrap(v) for k, v in value.items()}
        if isinstance(value, FaqGroup):
            return replace(value, entries=self.wrap(value.entries))
        return value


def unwrap(value: Any) -> Any:
    if isinstance(value, PageView):
        return value.__dict__["_page"]
    if isinstance(value, SiteView):
        return value.__dict__["_site"]
    return value


class PageView:
    """A page as an output reads it: each attribute read is recorded once, then kept here
    (`__getattr__` is not called again for it)."""

    def __init__(self, page: Page, recorder: Recorder) -> None:
        self.__dict__["_page"] = page
        self.__dict__["_recorder"] = recorder

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        page: Page = self.__dict__["_page"]
        recorder: Recorder = self.__dict__["_recorder"]
        value = recorder.wrap(getattr(page, name))
        recorder.keys.add(("p", page.lang, page.key, name))
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("the site model is read-only while pages are rendered")

    def __eq__(self, other: object) -> bool:
        return unwrap(other) is self.__dict__["_page"]

    def __hash__(self) -> int:
        return id(self.__dict__["_page"])

    def __repr__(self) -> str:
        page = self.__dict__["_page"]
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


class SiteView:
    """The site as an output reads it: each method call and attribute read recorded."""

    def __init__(self, site: Site, recorder: Recorder) -> None:
        self.__dict__["_site"] = site
        self.__dict__["_recorder"] = recorder

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        site: Site = self.__dict__["_site"]
        recorder: Recorder = self.__dict__["_recorder"]
        value = getattr(site, name)
        if name in _UNTRACKED:
            return value
        if isinstance(value, dict):
            return TableView(name, value, recorder)
        if callable(value):
            return self._method(name, value, recorder)
        recorder.keys.add(("s", name))
        return recorder.wrap(value)

    @staticmethod
    def _method(name: str, method: Callable[..., Any], recorder: Recorder) -> Callable[..., Any]:
        def call(*arguments: Any) -> Any:
            given = tuple(unwrap(a) for a in arguments)
            recorder.keys.add(("s", name, tuple(shape(a) for a in given)))
            return recorder.wrap(method(*given))

        return call

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("the site model is read-only while pages are rendered")


@dataclass
class Reads:
    """The build state's record of reads: per output file, what made it (its maker: a page,
    a redirect…) and the keys it read; per key, what it gave (the value, or its digest when
    the record is kept on disk)."""

    digests: bool = False  # keep digests (a record saved to disk), not the values
    files: dict[str, tuple[Maker, frozenset[Key]]] = field(default_factory=dict)
    values: dict[Key, object] = field(default_factory=dict)

    def _fingerprint(self, value: object) -> object:
        return digest(value) if self.digests else value

    def changed(self, site: Site, keys: Iterable[Key] | None = None) -> set[Key]:
        """The keys (all, or those given) that give something else on `site` now; their
        values are updated."""
        found = set()
        values = self.values
        for key in list(values) if keys is None else keys:
            if key not in values:
                continue
            now = self._fingerprint(evaluate(site, key))
            if now != values[key]:
                values[key] = now
                found.add(key)
        return found

    def stale(self, makers: dict[str, Maker], changed: set[Key]) -> set[str]:
        """The output paths (of `makers`: path -> what makes it now) to make again: new,
        made by something else, or having read a key that changed."""
        files = self.files
        return {
            path
            for path, maker in makers.items()
            if (known := files.get(path)) is None
            or known[0] != maker
            or not known[1].isdisjoint(changed)
        }

    def record(self, site: Site, path: str, maker: Maker, keys: Iterable[Key]) -> None:
        """What output `path` read as it was made now."""
        values = self.values
        kept = []
        for key in keys:
            if key not in values:
                values[key] = self._fingerprint(evaluate(site, key))
            kept.append(key)
        self.files[path] = (maker, frozenset(kept))

    def page_keys(self, pages: Iterable[Page]) -> list[Key]:
        """The keys read of these pages' attributes."""
        wanted = {(p.lang, p.key) for p in pages}
        return [k for k in self.values if k[0] == "p" and (k[1], k[2]) in wanted]

    def keep_only(self, paths: Iterable[str]) -> None:
        """Forget the outputs not in `paths`, and the keys no output reads any more."""
        kept = set(paths)
        self.files = {p: f for p, f in self.files.items() if p in kept}
        read: set[Key] = set().union(*(keys for _, keys in self.files.values()))
        self.values = {k: v for k, v in self.values.items() if k in read}
