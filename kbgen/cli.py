"""The command line: argument parsing and reporting only; the work is done elsewhere."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from kbgen import __version__
from kbgen.diagnostics import BuildFailed, Diagnostics

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


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

    serve = commands.add_parser(
        "serve", help="build, serve and rebuild on every change, reloading the browser"
    )
    _config_option(serve)
    serve.add_argument("--port", type=_port, default=8000, help="port (default: 8000; 0: any)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--drafts", action="store_true", help="include pages with draft: true")

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


def _report(diags: Diagnostics, stream: object = sys.stderr) -> None:
    cwd = Path.cwd()
    for item in diags.items:
        print(item.format(cwd), file=stream)  # type: ignore[call-overload]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            return _build(args)
        if args.command == "init":
            return _init(args)
        if args.command == "serve":
            return _serve(args)
    except BuildFailed as failed:
        _report(failed.diagnostics)
        errors = len(failed.diagnostics.errors)
        warnings = len(failed.diagnostics.warnings)
        print(
            f"kbgen: build failed: {errors} error(s), {warnings} warning(s); the previous "
            "site was left as it was",
            file=sys.stderr,
        )
        return EXIT_ERRORS
    except KeyboardInterrupt:
        print("kbgen: interrupted; the previous site was left as it was", file=sys.stderr)
        return 130
    return EXIT_USAGE


def _build(args: argparse.Namespace) -> int:
    from kbgen.build import BuildOptions, build

    progress = _progress_bar() if sys.stderr.isatty() else None
    result = build(
        BuildOptions(args.config, args.output, args.base_url, args.drafts, args.strict), progress
    )
    _report(result.diagnostics)
    counts = ", ".join(f"{lang} {n}" for lang, n in result.pages_per_language.items())
    warnings = len(result.diagnostics.warnings)
    try:
        shown = result.output.relative_to(Path.cwd())
    except ValueError:
        shown = result.output
    print(
        f"kbgen: built {sum(result.pages_per_language.values())} pages ({counts}), "
        f"{warnings} warning(s), in {result.seconds:.2f} s into {shown}/"
    )
    return EXIT_OK


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
