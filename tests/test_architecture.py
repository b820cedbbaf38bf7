"""kbgen's modules import only modules of earlier stages, in the order ARCHITECTURE.md's module
table lists them, and no import cycle exists: imports inside functions and under
`if TYPE_CHECKING:` count like any other."""

from __future__ import annotations

import ast
import graphlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kbgen"

# Every module, in stage order: each may import only modules before it.
STAGES = [
    "__init__",
    # shared by every stage
    "diagnostics",
    "yamlfile",
    "urls",
    "workers",
    # config and theme
    "schema",
    "brand",
    "providers",
    "support",
    "config",
    "theme",
    "i18n",
    # sources
    "sources",
    "markdown",
    # the site model
    "site",
    "pages",
    "links",
    "bodies",
    "body_workers",
    "model",
    "discussions",
    "status",
    # outputs
    "seo",
    "depends",
    "search/__init__",
    "search/normalize",
    "search/stemmers",
    "search/pipeline",
    "search/builder",
    "search/index",
    "search/query",
    "related",
    "fragments",
    "search/pagefind",
    "render",
    # the sink and the build state
    "output",
    "cache",
    "pipeline",
    # commands
    "build",
    "check",
    "newpage",
    "scaffold",
    "incremental",
    "watch",
    "serve",
    "cli",
    "__main__",
]


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").as_posix()


def _module(dotted: str) -> str | None:
    """The STAGES name of an imported kbgen module ("kbgen.search.index" -> "search/index");
    None for any other import."""
    if dotted != "kbgen" and not dotted.startswith("kbgen."):
        return None
    parts = dotted.split(".")[1:]
    if not parts:
        return "__init__"
    if (PACKAGE.joinpath(*parts) / "__init__.py").exists():
        return "/".join([*parts, "__init__"])
    return "/".join(parts)


def imports(path: Path) -> set[str]:
    """The kbgen modules `path` imports, anywhere in it (functions, TYPE_CHECKING blocks)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from kbgen import body_workers` imports a module; `from kbgen import x`, a name
            names = [node.module]
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        for dotted in names:
            module = _module(dotted)
            if module is not None and (PACKAGE / f"{module}.py").exists():
                found.add(module)
    return found


def _graph() -> dict[str, set[str]]:
    return {_name(path): imports(path) - {_name(path)} for path in PACKAGE.rglob("*.py")}


def test_every_module_has_its_stage() -> None:
    modules = {_name(path) for path in PACKAGE.rglob("*.py")}
    assert sorted(modules - set(STAGES)) == []
    assert sorted(set(STAGES) - modules) == []
    assert len(STAGES) == len(set(STAGES))


def test_imports_go_only_to_earlier_stages() -> None:
    order = {name: number for number, name in enumerate(STAGES)}
    upward = [
        f"{module} imports {imported}"
        for module, imported_set in sorted(_graph().items())
        for imported in sorted(imported_set)
        if module in order and imported in order and order[imported] >= order[module]
    ]
    assert upward == []


def test_no_import_cycle() -> None:
    graphlib.TopologicalSorter(_graph()).prepare()  # raises CycleError naming the cycle


def test_architecture_lists_the_modules_in_stage_order() -> None:
    """ARCHITECTURE.md's module table is this order (the package's __init__ files and
    __main__ aside), so its "imports only modules above it" is what this test checks."""
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    table = re.findall(r"^\| `([\w/]+)\.py` \|", text, flags=re.MULTILINE)
    assert table == [m for m in STAGES if not m.endswith("__init__") and m != "__main__"]
