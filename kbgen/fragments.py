"""Parts of pages rendered once and reused on every page they are the same on: the main
navigation and the footer of a language, a section's sidebar and each of its links.

Templates call `shared(name, **scope)` (render.py). A fragment sees what every template sees
but not the page: it depends only on its template, its language, its `scope` and where its
links are made from. Links are relative, and a link from a page depends only on its folder:
pages in folders side by side ("en/articles/billing/refunds/", ".../invoices/") get the same
link to any target outside their own folders. So a fragment is kept per parent folder, with the
names of the folders beside them that its links went into (`Fragment.touched`); a page whose
own folder is one of them (the page itself is linked: its link is "./", or `current()` is
true) gets its own rendering.

Each fragment keeps the keys of the model it read (depends.py), added to the reads of every
page that includes it: an edit that changes a fragment makes again every page showing it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from kbgen.depends import Key, Recorder, shape, unwrap
from kbgen.site import Page
from kbgen.urls import folder_of

# Markup given in `scope` is a slot: filled in on each page, in place of this mark
_SLOT = "\x00kbgen-slot:{}\x00"  # NUL: in no title or body (YAML and Markdown refuse it)


@dataclass(frozen=True)
class Fragment:
    html: str  # with a mark in place of each slot
    keys: frozenset[Key]  # what it read of the model
    touched: frozenset[str]  # the folders beside the page's that its links went into
    values: dict[Key, Any]  # what the keys gave (depends.Recorder.values)
    called: dict[Key, Any] = field(default_factory=dict)  # and Recorder.called

    def read_by(self, recorder: Recorder) -> None:
        """What this fragment read, read by the page `recorder` records too."""
        recorder.keys.update(self.keys)
        recorder.values.update(self.values)
        recorder.called.update(self.called)


@dataclass(frozen=True)
class Place:
    """Where a page's links are made from, for fragments: its folder's parent and the
    folder's own name in it ("en/articles/billing/", "refunds"). None for the site's root."""

    parent: str
    name: str

    @classmethod
    def of(cls, url: str, absolute: bool) -> Place | None:
        if absolute:  # absolute links (404 pages) are the same from anywhere
            return cls("", "")
        folder = folder_of(url)
        if not folder:
            return None
        parent = folder_of(folder[:-1])
        return cls(parent, folder[len(parent) : -1])

    def note(self, touched: set[str], target: str) -> None:
        """Keep the name of the folder beside this one that `target` is in, if any."""
        path = target.partition("#")[0]
        if path.startswith(self.parent):
            name = path[len(self.parent) :].partition("/")[0]
            if name:
                touched.add(name)


def slot(name: str) -> Markup:
    return Markup(_SLOT.format(name))


def fill(html: str, scope: dict[str, Any]) -> Markup:
    """A fragment's html with the slots of `scope` filled in."""
    for name, value in scope.items():
        if isinstance(value, Markup):
            html = html.replace(_SLOT.format(name), value)
    return Markup(html)


def scope_key(scope: dict[str, Any]) -> tuple[Any, ...]:
    """What tells one rendering of a fragment from another: its scope but the slots."""
    return tuple(
        (name, item_key(value))
        for name, value in sorted(scope.items())
        if not isinstance(value, Markup)
    )


def item_key(value: Any) -> Any:
    """A value of a fragment's scope as part of its key: pages by identity."""
    page = unwrap(value)
    if type(page) is Page:  # most: a page (a sidebar's link), as `shape` gives it
        return ("page", page.lang, page.key)
    return shape(deep_unwrap(value))


def deep_unwrap(value: Any) -> Any:
    """`value` with the model's own pages in place of a page's views (depends.py)."""
    if isinstance(value, list):
        return [deep_unwrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(deep_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: deep_unwrap(v) for k, v in value.items()}
    return unwrap(value)


def viewed(value: Any, recorder: Recorder) -> Any:
    """A scope value as the fragment reads it: through the fragment's own recorder."""
    return recorder.wrap(deep_unwrap(value))


class Fragments:
    """The fragments rendered, by their template, language, scope and place; and how many
    times each template was rendered (for tests). They are kept from one model to the next
    while none of their reads changed (`keep_unchanged`): a rebuild under `kbgen serve`
    renders again only the fragments an edit reached."""

    def __init__(self) -> None:
        self._made: dict[tuple[Any, ...], Fragment] = {}
        self._lists: dict[tuple[Any, ...], dict[Any, Fragment]] = {}
        self._reads: object | None = None  # the record of reads they were checked against
        # key -> where the fragments that read it are kept (made when first needed, by the
        # second model: a build makes one), so that an edit looks only at those
        self._readers: dict[Key, list[tuple[dict[Any, Fragment], Any, Fragment]]] | None = None
        # its entries, and how many it had when made from the fragments kept then: a
        # fragment made again adds entries and leaves its old ones, so that an editing
        # session would grow it for ever; made again once half of it is stale
        self._entries = self._entries_when_made = 0
        self.rendered: Counter[str] = Counter()

    def clear(self) -> None:
        self._made.clear()
        self._lists.clear()
        self._reads = self._readers = None

    def keep_unchanged(self, reads: object, changed: set[Key]) -> None:
        """Forget the fragments that read a key in `changed` (what gives something else on
        the model now, found by `reads`, the record the pages showing them were made for);
        all of them for another record (a new one knows of none of their keys)."""
        if reads is not self._reads:
            self.clear()
            self._reads = reads
            return
        if not changed:
            return
        if self._readers is not None and self._entries > 2 * self._entries_when_made + 10_000:
            self._readers = None
        if self._readers is None:
            self._readers, self._entries = {}, 0
            for slot, fragment in self._made.items():
                self._note(self._made, slot, fragment)
            for listed in self._lists.values():
                for item, fragment in listed.items():
                    self._note(listed, item, fragment)
            self._entries_when_made = self._entries
        for key in changed:
            for kept, slot, fragment in self._readers.pop(key, ()):
                if kept.get(slot) is fragment:  # (not replaced since)
                    del kept[slot]

    def _note(self, kept: dict[Any, Fragment], slot: Any, fragment: Fragment) -> None:
        if self._readers is not None:
            self._entries += len(fragment.keys)
            for key in fragment.keys:
                self._readers.setdefault(key, []).append((kept, slot, fragment))

    def listed(self, key: tuple[Any, ...]) -> dict[Any, Fragment]:
        """The fragments of the items of a list (`shared_each`) for pages none of them
        links to, by item (`item_key`: pages by language and key); add to it with
        `keep_listed`."""
        return self._lists.setdefault(key, {})

    def keep_listed(self, listed: dict[Any, Fragment], item: Any, fragment: Fragment) -> None:
        listed[item] = fragment
        self._note(listed, item, fragment)

    def find(self, key: tuple[Any, ...], place: Place) -> Fragment | None:
        found = self._made.get((key, place.name))  # the page's own
        if found is None:
            found = self._made.get((key, None))  # the one for pages not linked by it
            if found is not None and place.name in found.touched:
                return None
        return found

    def keep(self, key: tuple[Any, ...], place: Place, fragment: Fragment) -> None:
        own = place.name in fragment.touched
        slot = (key, place.name if own else None)
        self._made[slot] = fragment
        self._note(self._made, slot, fragment)
