"""The build cache: what the last good build into an output folder was made from, so the next
build parses only the bodies whose text changed and renders only the files whose inputs did.

It lives in `.kbgen-cache/` beside config.yaml (`cache_dir` in the config), one file per output
folder. Deleting it costs one slow build, nothing else; `kbgen build --no-cache` ignores it.
A cache that cannot be read (another kbgen, a Python upgrade, a truncated file) is ignored.

The files are pickles, fast to read back, and pickle runs code named by the file it loads:
each file therefore carries an HMAC-SHA256 tag made with a secret key kept outside the
site (`KBGEN_CACHE_KEY`, or a key file in the user's cache folder: cache_key), checked
before anything is unpickled. A file without the right tag (crafted, or restored from
another machine's cache with another key) is ignored like an unreadable one. Unpickling
then only makes kbgen's own data classes and a few standard types (_Unpickler).

Keys: anything that can change every page (kbgen itself, the libraries it renders with, the
config, the build options, the theme) is digested into `model_key` and `render_key`; a
mismatch drops the parsed bodies (model key) or the rendered files (render key). Each output
file is reused only if none of what it read of the model changed (depends.py) and the file in
the output folder is still the one this build wrote (same size and modification time).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import gc
import hashlib
import hmac
import io
import os
import pickle
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

from kbgen.config import Config
from kbgen.diagnostics import Diagnostic
from kbgen.output import InsideOutput
from kbgen.sources import FileStat
from kbgen.theme import Theme

if TYPE_CHECKING:  # the model's modules are heavy to import; a build with nothing to do
    # needs none of them
    from kbgen.bodies import CachedBody
    from kbgen.depends import Reads
    from kbgen.links import LinkTarget
    from kbgen.related import RelatedMemo
    from kbgen.search.builder import Analyzed
    from kbgen.sources import ReadResult

FORMAT = 3
MAGIC = b"kbgen-cache-2\n"  # then the HMAC-SHA256 tag of the pickle, then the pickle
KEY_VARIABLE = "KBGEN_CACHE_KEY"
LIBRARIES = (
    "jinja2",
    "markdown-it-py",
    "mdit-py-plugins",
    "pygments",
    "babel",
    "lunr",
    "nh3",
    "pagefind",  # search.engine: pagefind (its bundle and binary)
    "pagefind-bin-extended",
    "pagefind-bin",
)


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def file_stat(path: Path | str) -> FileStat | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_size, found.st_mtime_ns)


def _tree(folder: Path | str, folders: bool = False) -> list[tuple[str, FileStat | None]]:
    """Every file under `folder` (symbolic links followed; and every folder, if asked) with
    its stat, in a stable order. os.scandir rather than pathlib: this runs on every build, over
    every file."""
    found: list[tuple[str, FileStat | None]] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if folders:
                found.append((entry.path, file_stat(entry.path)))
            found += _tree(entry.path, folders)
        else:
            try:
                stat = entry.stat()
                found.append((entry.path, (stat.st_size, stat.st_mtime_ns)))
            except OSError:
                found.append((entry.path, None))
    return found


def _file_contents(folder: Path) -> list[tuple[str, bytes]]:
    found = []
    for path, _ in _tree(folder):
        try:
            found.append((path, Path(path).read_bytes()))
        except OSError:
            found.append((path, b""))
    return found


_ENVIRONMENT: str | None = None


def environment_key() -> str:
    """kbgen's own code and the versions of Python and the libraries that shape the output."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        versions = []
        for name in LIBRARIES:
            try:
                versions.append((name, metadata.version(name)))
            except metadata.PackageNotFoundError:
                versions.append((name, ""))
        package = Path(__file__).parent
        code = [(Path(p).name, c) for p, c in _file_contents(package) if p.endswith((".py", ".js"))]
        _ENVIRONMENT = _digest(FORMAT, sys.version, versions, code)
    return _ENVIRONMENT


def model_key(config: Config, theme: Theme, drafts: bool) -> str:
    """What every parsed body depends on: the config, drafts, the UI strings (rule labels)."""
    locales = [_file_contents(folder) for folder in theme.locale_dirs]
    return _digest(environment_key(), repr(config), drafts, locales)


def render_key(model: str, theme: Theme) -> str:
    """What every rendered file depends on besides the model: templates and static files."""
    return _digest(model, [_file_contents(folder) for folder in theme.folders])


def inputs_snapshot(config: Config, theme: Theme) -> list[tuple[str, FileStat | None]]:
    """Every file a build reads, with its size and modification time."""
    found = [(str(config.path), file_stat(config.path))]
    found += [(str(path), file_stat(path)) for path in config.brand.files().values()]
    found += _tree(config.content_dir)
    for folder in theme.folders:
        found += _tree(folder)
    return found


def output_snapshot(output: Path) -> list[tuple[str, FileStat | None]]:
    """Every file and folder of the output with its stat. Checking it later needs no walk
    through the folders: a file added or removed anywhere changes its folder's modification
    time, a file edited its own (reading every folder of a large site takes longer)."""
    return [(str(output), file_stat(output)), *_tree(output, folders=True)]


@dataclass
class CachedBuild:
    """One output folder's cache: what its last good build was made from and wrote."""

    model_key: str
    render_key: str
    inputs: list[tuple[str, FileStat | None]]  # for the nothing-changed check
    output: list[tuple[str, FileStat | None]]  # the output folder as that build left it
    files: dict[str, FileStat]  # output path -> stat as written
    build_id: str  # the same in the CachedReads of this build: two files from one build
    # what the build reported, replayed when nothing changed
    pages_per_language: dict[str, int] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outdated: list[Path] = field(default_factory=list)

    def intact(self, reads: Reads, output: Path) -> None:
        """Forget in `reads` the files no longer in `output` as this build wrote them."""
        inside = InsideOutput(output)  # a cache file can be edited: no path leads out
        reads.drop(
            [
                rel
                for rel in reads.files
                if not inside(rel) or file_stat(f"{output}/{rel}") != self.files.get(rel)  # no Path
            ]
        )

    def up_to_date(
        self, model: str, render: str, inputs: list[tuple[str, FileStat | None]], output: Path
    ) -> bool:
        return (
            model == self.model_key
            and render == self.render_key
            and inputs == self.inputs
            and bool(self.output)
            and self.output[0][0] == str(output)
            # no file of it edited, removed or added (see output_snapshot)
            and all(file_stat(path) == stat for path, stat in self.output)
        )


@dataclass
class CachedBodies:
    """The parsed bodies (site.BodyCache) and what related.py made of their texts, kept
    apart: large, and read only to build."""

    model_key: str
    entries: dict[tuple[object, ...], CachedBody]
    targets: dict[tuple[str, str], LinkTarget]
    related: RelatedMemo  # the articles' counted words, each language's related articles


@dataclass
class CachedSources:
    """The content files as the last build read them (sources.SourceMemo)."""

    model_key: str
    files: dict[str, tuple[FileStat, ReadResult]]


_L = TypeVar("_L", "CachedBodies", "CachedSources")


@dataclass
class CachedWords:
    """One language's analyzed search words (search/index.py: WordsMemo), by document."""

    environment: str  # environment_key(): the words depend on kbgen's code and lunr's
    entries: dict[bytes, Analyzed]


@dataclass
class CachedTemplates:
    """The theme's templates as Jinja compiled them (render.TemplateCode), by Jinja's key."""

    environment: str  # environment_key(): the code depends on Python's and Jinja's versions
    code: dict[str, tuple[str, bytes]]  # template key -> (its source's checksum, the code)


@dataclass(frozen=True)
class CachedReads:
    """What each output file of a build read of its model (depends.py): apart from the
    build state, which a build with nothing to do reads alone."""

    build_id: str
    reads: Reads


@dataclass
class CacheFiles:
    """The files of the cache for builds into one output folder."""

    state: Path  # CachedBuild
    reads: Path  # CachedReads
    bodies: Path  # CachedBodies
    sources: Path  # CachedSources
    words: dict[str, WordsFile]  # language -> CachedWords
    templates: TemplatesFile  # CachedTemplates


def cache_files(config: Config, output: Path) -> CacheFiles:
    name = hashlib.blake2b(str(output).encode(), digest_size=8).hexdigest()
    folder = config.cache_dir
    return CacheFiles(
        folder / f"build-{name}.pickle",
        folder / f"reads-{name}.pickle",
        folder / f"bodies-{name}.pickle",
        folder / f"sources-{name}.pickle",
        {lang: WordsFile(folder / f"words-{lang}-{name}.pickle") for lang in config.languages},
        TemplatesFile(folder / f"templates-{name}.pickle"),
    )


def load_cache(path: Path) -> CachedBuild | None:
    found = _load(path)
    return found if isinstance(found, CachedBuild) else None


def load_reads(path: Path, cached: CachedBuild | None, render_key: str) -> Reads | None:
    """What the files of the build `cached` describes read, if made under `render_key`."""
    if cached is None or cached.render_key != render_key:
        return None
    found = _load(path)
    if isinstance(found, CachedReads) and found.build_id == cached.build_id:
        return found.reads
    return None


# The two large caches, bodies and sources, are each kept in two files: a base holding every
# entry, written again only when much has changed since, and the entries new or changed since
# that base (and the rest of the value) beside it, so that a build after an edit writes a few
# entries, not tens of megabytes. The bodies have two such mappings: the parsed bodies, and
# the related articles' counted words (one entry per article, by language and text digest).
# A mapping: how to take it from a value, and a copy of the value with another one.
_Mapping = tuple[Callable[[Any], dict[Any, Any]], Callable[[Any, dict[Any, Any]], Any]]


def _attribute(name: str) -> _Mapping:
    """The mapping held in a value's attribute `name`."""

    def taken(value: Any) -> dict[Any, Any]:
        return cast(dict[Any, Any], getattr(value, name))

    def put(value: Any, entries: dict[Any, Any]) -> Any:
        kept = copy.copy(value)
        setattr(kept, name, entries)
        return kept

    return taken, put


def _words(value: Any) -> dict[Any, Any]:
    """The related articles' counted words, by (language, digest of the text)."""
    words: dict[str, dict[bytes, Any]] = value.related.words
    return {(lang, digest): found for lang, each in words.items() for digest, found in each.items()}


def _with_words(value: Any, flat: dict[Any, Any]) -> Any:
    words: dict[str, dict[bytes, Any]] = {lang: {} for lang in value.related.words}
    for (lang, digest), counted in flat.items():
        words.setdefault(lang, {})[digest] = counted
    related = copy.copy(value.related)
    related.words = words
    kept = copy.copy(value)
    kept.related = related
    return kept


_LAYERED: dict[str, tuple[_Mapping, ...]] = {  # each layered cache's mappings
    "CachedBodies": (_attribute("entries"), (_words, _with_words)),
    "CachedSources": (_attribute("files"),),
}


@dataclass
class Layer:
    """What a layered cache was loaded from, for its next save: the base's token, and each
    of the base's mappings as loaded (compared by identity: an entry replaced is an entry
    changed)."""

    token: str
    base: tuple[dict[Any, Any], ...]


@dataclass
class _Base:
    token: str  # drawn at random when written: the changes beside it name it
    value: CachedBodies | CachedSources


@dataclass
class _Changes:
    token: str  # the base these are changes of
    value: CachedBodies | CachedSources  # its mappings: the entries new or changed since the base
    dropped: tuple[frozenset[Any], ...]  # each mapping's entries of the base gone since


def _changes_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".pickle") + ".changes.pickle")


def _load_layered(path: Path, kind: type[_L], key: str) -> tuple[_L, Layer] | None:
    base, changes = _load(path), _load(_changes_path(path))
    if not (isinstance(base, _Base) and isinstance(changes, _Changes)):
        return None
    if base.token != changes.token or not isinstance(changes.value, kind):
        return None  # (a base written by a build killed before its changes were)
    if changes.value.model_key != key or base.value.model_key != key:
        return None
    mappings = _LAYERED[kind.__name__]
    if not isinstance(changes.dropped, tuple) or len(changes.dropped) != len(mappings):
        return None
    value: Any = changes.value
    bases = []
    for (taken, put), dropped in zip(mappings, changes.dropped, strict=True):
        entries = taken(base.value)
        merged = {k: v for k, v in entries.items() if k not in dropped}
        merged.update(taken(changes.value))
        value = put(value, merged)
        bases.append(entries)
    return cast(_L, value), Layer(base.token, tuple(bases))


def save_layered(path: Path, value: CachedBodies | CachedSources, layer: Layer | None) -> Layer:
    """`value` saved as changes since the base `layer` was loaded from, or, when those are
    more than a quarter of it (or there is none), as a new base. What to pass next time."""
    mappings = _LAYERED[type(value).__name__]
    now = [taken(value) for taken, _ in mappings]
    if layer is not None and len(layer.base) == len(mappings):
        missing = object()
        changed = [
            {k: v for k, v in entries.items() if base.get(k, missing) is not v}
            for entries, base in zip(now, layer.base, strict=True)
        ]
        dropped = tuple(
            frozenset(base.keys() - entries.keys())
            for entries, base in zip(now, layer.base, strict=True)
        )
        different = sum(map(len, changed)) + sum(map(len, dropped))
        if different * 4 <= sum(map(len, layer.base)):
            kept: Any = value
            for (_, put), entries in zip(mappings, changed, strict=True):
                kept = put(kept, entries)
            save_cache(_changes_path(path), _Changes(layer.token, kept, dropped))
            return layer
    token = secrets.token_hex(8)
    save_cache(path, _Base(token, value))
    empty: Any = value
    for _, put in mappings:
        empty = put(empty, {})
    save_cache(_changes_path(path), _Changes(token, empty, tuple(frozenset() for _ in mappings)))
    return Layer(token, tuple(dict(entries) for entries in now))


def load_bodies(path: Path, key: str) -> tuple[CachedBodies, Layer] | None:
    return _load_layered(path, CachedBodies, key)


def load_sources(path: Path, key: str) -> tuple[CachedSources, Layer] | None:
    return _load_layered(path, CachedSources, key)


def load_words(path: Path) -> dict[bytes, Analyzed]:
    found = _load(path)
    if isinstance(found, CachedWords) and found.environment == environment_key():
        return found.entries
    return {}


def save_words(path: Path, entries: dict[bytes, Analyzed]) -> None:
    """Saved by the process that builds the index, which has no one to warn: a file that
    cannot be written costs the next build some time, nothing else."""
    with contextlib.suppress(OSError):
        save_cache(path, CachedWords(environment_key(), entries))


@dataclass(frozen=True)
class WordsFile:
    """A language's file of analyzed search words, handed to the process that builds its
    index (search.index.WordsStore): the search stage reads and writes it through this,
    without importing the build state."""

    path: Path

    def load(self) -> dict[bytes, Analyzed]:
        return load_words(self.path)

    def save(self, entries: dict[bytes, Analyzed]) -> None:
        save_words(self.path, entries)


class TemplatesFile:
    """The file of compiled templates, handed to the renderer (render.TemplateStore): read
    when a template is first wanted (a build that renders nothing reads none), saved again
    if a template was compiled since (`to_save`). A rebuild that renders a few pages then compiles
    none of their templates (a fifth of a second for the default theme)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._code: dict[str, tuple[str, bytes]] | None = None
        self._changed = False

    def _loaded(self) -> dict[str, tuple[str, bytes]]:
        if self._code is None:
            found = _load(self.path)
            self._code = {}
            if isinstance(found, CachedTemplates) and found.environment == environment_key():
                self._code = found.code
        return self._code

    def get(self, key: str, checksum: str) -> bytes | None:
        """The code of template `key` if compiled from a source of this checksum."""
        found = self._loaded().get(key)
        return found[1] if found is not None and found[0] == checksum else None

    def put(self, key: str, checksum: str, code: bytes) -> None:
        self._loaded()[key] = (checksum, code)
        self._changed = True

    def to_save(self) -> CachedTemplates | None:
        """What to save in the file: None if nothing was compiled since it was read."""
        return CachedTemplates(environment_key(), self._loaded()) if self._changed else None


def cache_key() -> bytes | None:
    """The secret the cache files are authenticated with: $KBGEN_CACHE_KEY if set (CI systems
    that share caches between machines set the same secret on each), else a random key kept
    in $XDG_CACHE_HOME/kbgen/cache-key (~/.cache/kbgen/cache-key), made on first use and
    readable by its owner only. None if there is none and none can be made: no cache then."""
    given = os.environ.get(KEY_VARIABLE)
    if given:
        return given.encode()
    base = os.environ.get("XDG_CACHE_HOME", "")
    folder = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    path = folder / "kbgen" / "cache-key"
    for _ in range(2):  # made by another build in between: read it again
        try:
            key = path.read_bytes()
            return key if len(key) >= 32 else None
        except FileNotFoundError:
            pass
        except OSError:
            return None
        key = secrets.token_bytes(32)
        made = path.with_name(f".cache-key.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with os.fdopen(os.open(made, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
                f.write(key)
            os.link(made, path)  # whole when it appears, and never over another build's key
            return key
        except FileExistsError:
            continue
        except OSError:
            return None
        finally:
            with contextlib.suppress(OSError):
                made.unlink()
    return None


def _tag(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()


# Besides kbgen's own data classes, the only things a cache file holds.
_STANDARD = {
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("pathlib", "Path"),
    ("pathlib", "PosixPath"),
    ("pathlib", "PurePosixPath"),
    ("pathlib", "WindowsPath"),
    ("pathlib", "PureWindowsPath"),
}


class _Unpickler(pickle.Unpickler):
    """Makes nothing but kbgen's data classes and _STANDARD: a second wall behind the tag."""

    def find_class(self, module: str, name: str) -> object:
        found = super().find_class(module, name)
        if (module, name) in _STANDARD or (
            (module == "kbgen" or module.startswith("kbgen."))
            and isinstance(found, type)
            and dataclasses.is_dataclass(found)
        ):
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not cache data")


def _load(path: Path) -> object:
    key = cache_key()
    if key is None:
        return None
    try:
        with path.open("rb") as handle:
            header = handle.read(len(MAGIC) + hashlib.sha256().digest_size)
            payload = handle.read()  # bytes, which the BytesIO below shares rather than copies
    except OSError:
        return None
    if header[: len(MAGIC)] != MAGIC or not hmac.compare_digest(
        _tag(key, payload), header[len(MAGIC) :]
    ):
        return None  # not written by this user's kbgen with this key: never unpickled
    # Loading makes millions of objects and no garbage: the cyclic collector, run again and
    # again as they are made, would take three quarters of the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # truncated, from another kbgen or Python: start afresh
        return None
    finally:
        if collecting:
            gc.enable()


class _Signing:
    """The file a cache is pickled into, adding every byte written to its tag on the way:
    no second copy of a large pickle in memory, no second pass over it."""

    def __init__(self, handle: BinaryIO, mac: hmac.HMAC) -> None:
        self.handle, self.mac = handle, mac

    def write(self, data: bytes) -> int:
        self.mac.update(data)
        return self.handle.write(data)


def new_build_id() -> str:
    return secrets.token_hex(8)


def save_cache(
    path: Path,
    value: CachedBuild | CachedReads | CachedWords | CachedTemplates | _Base | _Changes,
) -> None:
    """Written beside and renamed over the old one, so a killed build leaves a whole file.
    Without a key (see cache_key) nothing is written: it could not be trusted when read."""
    key = cache_key()
    if key is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(MAGIC + bytes(hashlib.sha256().digest_size))  # the tag, once known
            mac = hmac.new(key, digestmod=hashlib.sha256)
            pickle.dump(value, _Signing(handle, mac), protocol=pickle.HIGHEST_PROTOCOL)
            handle.seek(len(MAGIC))
            handle.write(mac.digest())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
