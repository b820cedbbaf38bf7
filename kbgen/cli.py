"""The command line: argument parsing and reporting only; the work is done elsewhere."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import NoReturn

from kbgen import __version__
from kbgen.diagnostics import BuildFailed, Diagnostics

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
EXIT_PIPE = 128 + signal.SIGPIPE  # what a shell shows for a command whose reader went away
FAIL_ON = ("outdated", "missing", "orphan", "ui", "ids")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kbgen", description="Build a multilingual knowledge base into a static site."
    )
    parser.add_argument("--version", action="version", version=f"kbgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the site")
    _config_option(build)
    build.add_argument("--output", type=Path, help="output folder (default: output_dir)")
    build.add_argument("--base-url", help="the URL the site is served from")
    build.add_argument("--drafts", action="store_true", help="include pages with draft: true")
    build.add_argument("--strict", action="store_true", help="fail on warnings too")
    build.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="build everything from scratch, ignoring and leaving the build cache",
    )
    build.add_argument(
        "--jobs",
        type=_positive,
        metavar="N",
        help="processes that make pages and search indexes (default: one per core)",
    )

    serve = commands.add_parser(
        "serve", help="build, serve and rebuild on every change, reloading the browser"
    )
    _config_option(serve)
    serve.add_argument("--port", type=_port, default=8000, help="port (default: 8000; 0: any)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--drafts", action="store_true", help="include pages with draft: true")

    new = commands.add_parser(
        "new",
        help="write a new page, or the translation of one",
        description="kbgen new article|faq|reply --lang LANG [--section S] TITLE, or "
        "kbgen new translation FILE --to LANG",
    )
    _config_option(new)
    new.add_argument("kind", choices=["article", "faq", "reply", "translation"])
    new.add_argument(
        "what", metavar="TITLE|FILE", help="the page's title, or the file to translate"
    )
    new.add_argument("--lang", help="the new page's language")
    new.add_argument(
        "--section",
        help="articles: the section folder (a sub-section: section/sub); FAQ: the group folder",
    )
    new.add_argument("--to", help="translation: the language to translate into")

    status = commands.add_parser(
        "status", help="translated, outdated, missing and orphan pages per language"
    )
    _config_option(status)
    status.add_argument("--json", action="store_true", help="print JSON for scripts")
    status.add_argument(
        "--fail-on",
        type=_fail_on,
        default=(),
        metavar="WHAT",
        help=f"exit 1 if any of these is found (comma-separated: {', '.join(FAIL_ON)})",
    )
    status.add_argument(
        "--mark-current",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="record that these translations match their originals as they are now",
    )
    status.add_argument("--drafts", action="store_true", help="count pages with draft: true")

    check = commands.add_parser(
        "check", help="check front matter, links, anchors and images without writing a site"
    )
    _config_option(check)
    check.add_argument("--drafts", action="store_true", help="include pages with draft: true")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("--external", action="store_true", help="also try every external link")
    check.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per external link (default: 10)"
    )
    check.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="PATTERN",
        help="external URLs not to try: a prefix or a glob such as '*.example.com/*' (repeatable)",
    )
    check.add_argument(
        "--workers", type=int, default=8, help="external links tried at once (default: 8)"
    )

    init = commands.add_parser("init", help="create a new knowledge base in a folder")
    init.add_argument("folder", type=Path)
    init.add_argument(
        "--languages",
        default="en",
        help="comma-separated language codes, the first being the default (default: en)",
    )
    init.add_argument("--title", default="Knowledge base", help="the site's title")
    return parser


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("config.yaml"),
        help="the site's config file (default: ./config.yaml)",
    )


def _port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}")
    return int(value)


def _fail_on(value: str) -> tuple[str, ...]:
    wanted = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in wanted if v not in FAIL_ON]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown) or 'nothing'}: use some of {', '.join(FAIL_ON)}"
        )
    return wanted


def _report(diags: Diagnostics) -> None:
    cwd = Path.cwd()
    for item in diags.items:
        print(item.format(cwd), file=sys.stderr)  # (looked up now: a caller may have swapped it)


def run() -> NoReturn:
    """The `kbgen` command: `main`, then out without the interpreter's teardown. By then every
    file is written and closed, every worker process joined and the output flushed; what is
    left is a build's model, which the cyclic collector would walk and free at exit (a few
    tenths of a second for 1,000 articles, seconds for a large site) for nothing."""
    code = main()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    try:
        code = _main(argv)
        # flushed here, not at exit: a reader that left shows up while it can be handled
        sys.stdout.flush()
        sys.stderr.flush()
        return code
    except BrokenPipeError:
        # The reader left (`kbgen status --json | head -1`): it wants no more output, so the
        # rest, and the final flush, go nowhere instead of ending in a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            os.dup2(devnull, stream.fileno())
        return EXIT_PIPE


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            return _build(args)
        if args.command == "init":
            return _init(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "new":
            return _new(args)
        if args.command == "status":
            return _status(args)
        if args.command == "check":
            return _check(args)
    except BuildFailed as failed:
        _report(failed.diagnostics)
        errors = len(failed.diagnostics.errors)
        warnings = len(failed.diagnostics.warnings)
        if args.command == "build":
            outcome = "build failed"
            after = "; the previous site was left as it was"
        else:
            outcome, after = f"{args.command} stopped", ""
        print(
            f"kbgen: {outcome}: {errors} error(s), {warnings} warning(s){after}",
            file=sys.stderr,
        )
        return EXIT_ERRORS
    except KeyboardInterrupt:
        print("kbgen: interrupted; the previous site was left as it was", file=sys.stderr)
        return 130
    return EXIT_USAGE


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value!r}")
    return int(value)


def _build(args: argparse.Namespace) -> int:
    from kbgen.build import BuildOptions, build

    progress = _progress_bar() if sys.stderr.isatty() else None
    result = build(
        BuildOptions(
            args.config,
            args.output,
            args.base_url,
            args.drafts,
            args.strict,
            args.cache,
            args.jobs,
        ),
        progress,
    )
    _report(result.diagnostics)
    counts = ", ".join(f"{lang} {n}" for lang, n in result.pages_per_language.items())
    warnings = len(result.diagnostics.warnings)
    try:
        shown = result.output.relative_to(Path.cwd())
    except ValueError:
        shown = result.output
    pages = sum(result.pages_per_language.values())
    if result.site is None:
        print(
            f"kbgen: nothing changed since the last build: {pages} pages ({counts}), "
            f"{warnings} warning(s); {shown}/ is up to date ({result.seconds:.2f} s)"
        )
    else:
        kept = f"; {result.kept} unchanged files kept" if result.kept else ""
        print(
            f"kbgen: built {pages} pages ({counts}), {warnings} warning(s), in "
            f"{result.seconds:.2f} s into {shown}/ ({result.written} files written{kept})"
        )
    for note in result.notes:
        print(f"kbgen: {note}")
    if result.outdated:
        files = sorted(_relative(path) for path in result.outdated)
        print(
            f"kbgen: {len(files)} translation(s) older than their original (a banner says "
            f"so): {', '.join(files[:5])}{' …' if len(files) > 5 else ''}; see kbgen status",
            file=sys.stderr,
        )
    return EXIT_OK


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _usage(message: str) -> int:
    print(f"kbgen: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _new(args: argparse.Namespace) -> int:
    from kbgen.config import load_config
    from kbgen.newpage import UsageError, new_page, new_translation

    config = load_config(args.config)
    diags = Diagnostics()
    try:
        if args.kind == "translation":
            if not args.to:
                return _usage("new translation FILE needs --to LANG")
            if args.lang or args.section:
                return _usage("new translation takes --to, not --lang or --section")
            paths = new_translation(config, Path(args.what), args.to, diags)
        else:
            if not args.lang:
                return _usage(f"new {args.kind} needs --lang LANG")
            if args.to:
                return _usage("--to is for new translation")
            paths = new_page(config, args.kind, args.lang, args.what, args.section, diags)
    except UsageError as exc:
        return _usage(str(exc))
    _report(diags)
    if diags.errors:
        return EXIT_ERRORS
    for path in paths:
        print(f"kbgen: wrote {_relative(path)}")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from kbgen.config import load_config
    from kbgen.sources import discover_sources
    from kbgen.status import mark_current, status_data, status_table, translation_status
    from kbgen.theme import load_theme

    config = load_config(args.config)
    diags = Diagnostics()
    if args.mark_current:
        for path in args.mark_current:
            value = mark_current(config, path, diags)
            if value is not None:
                print(f"kbgen: {_relative(path)} matches its original as it is now ({value})")
        _report(diags)
        return EXIT_ERRORS if diags.errors else EXIT_OK
    sources = discover_sources(config, diags, drafts=args.drafts)
    report = translation_status(config, sources, load_theme(config))
    _report(Diagnostics([d for d in diags.items if d.severity == "error"]))
    found = set()
    for entry in report:
        for what, items in (
            ("outdated", entry.outdated),
            ("missing", entry.missing),
            ("orphan", entry.orphan),
            ("ui", entry.missing_ui_strings),
            ("ids", entry.missing_ids),
        ):
            if items:
                found.add(what)
    data = status_data(config, report)
    print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else status_table(data))
    failing = [what for what in args.fail_on if what in found]
    if failing:
        print(f"kbgen: status: found {', '.join(failing)} (--fail-on)", file=sys.stderr)
        return EXIT_ERRORS
    return EXIT_ERRORS if diags.errors else EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from kbgen.build import BuildOptions
    from kbgen.check import check

    result = check(
        BuildOptions(args.config, drafts=args.drafts, strict=args.strict),
        external=args.external,
        timeout=args.timeout,
        ignore=args.ignore,
        workers=args.workers,
    )
    _report(result.diagnostics)
    errors = len(result.diagnostics.errors)
    warnings = len(result.diagnostics.warnings)
    external = ""
    if args.external:
        external = f", {result.external_checked} external link(s) tried"
        if result.external_ignored:
            external += f" ({result.external_ignored} ignored)"
    print(
        f"kbgen: checked {result.pages} pages{external}: {errors} error(s), "
        f"{warnings} warning(s); nothing was written",
        file=sys.stderr if result.diagnostics.failed(args.strict) else sys.stdout,
    )
    return EXIT_ERRORS if result.diagnostics.failed(args.strict) else EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from kbgen.build import BuildOptions
    from kbgen.serve import serve

    def ready(url: str) -> None:
        print(
            f"kbgen: serving {url} (all languages); rebuilding on changes to the content, "
            "config.yaml and the theme; Ctrl+C stops",
            flush=True,
        )

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # `kill` stops serve as cleanly as Ctrl+C

    signal.signal(signal.SIGTERM, interrupt)
    try:
        serve(BuildOptions(args.config, drafts=args.drafts), args.host, args.port, ready)
    except OSError as exc:
        print(
            f"kbgen: cannot listen on {args.host}:{args.port}: {exc.strerror}; choose "
            "another --port (or --host)",
            file=sys.stderr,
        )
        return EXIT_ERRORS
    except KeyboardInterrupt:
        print("kbgen: stopped", file=sys.stderr)
    return EXIT_OK


def _progress_bar():  # type: ignore[no-untyped-def]
    def show(done: int, total: int) -> None:
        if total < 300:
            return
        if done % 50 == 0 or done == total:
            filled = 30 * done // total
            end = "\n" if done == total else ""
            print(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} pages",
                end=end,
                file=sys.stderr,
                flush=True,
            )

    return show


def _init(args: argparse.Namespace) -> int:
    from kbgen.scaffold import create_site

    languages = [code.strip() for code in args.languages.split(",") if code.strip()]
    written = create_site(args.folder, languages, args.title)
    print(
        f"kbgen: created a knowledge base in {args.folder} ({len(written)} files); "
        f"build it with: cd {args.folder} && kbgen build"
    )
    return EXIT_OK
