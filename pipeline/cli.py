"""Command line: `notice-pipeline run` (or `python -m pipeline run`), one subcommand per stage,
and `versions` / `rollback` for the published versions.

Settings come from, in order: the command line, NOTICE_PIPELINE_<KEY> variables, `--config FILE`
(or the `[tool.notice-pipeline]` table of ./pyproject.toml or a ./notice-pipeline.toml), then the
defaults; settings.py holds their schema and checks each value where it came from.

Each subcommand imports what it runs when it runs: `--help` and a run that finds nothing
changed never import Great Expectations, pandas or pyarrow (tests/test_house.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import Refused
from .logs import OneLine

if TYPE_CHECKING:
    from .run.state import Config

STAGE_HELP = {
    "extract": "raw/ -> interim/<id>/document.json (only new or changed files)",
    "outline": "document.json -> outline.json (the tree of numbered levels)",
    "structure": "document.json + outline.json -> measures.json",
    "normalize": "measures.json -> normalized.json and the candidate tables",
    "validate": "candidate tables through the Great Expectations suites",
    "publish": "candidate tables to a new version of curated/ for every notice that passed",
}
EXIT_REFUSED = 2  # a usage error: nothing was published (run.EXIT_NOTHING, not imported for --help)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="a TOML file of settings (default: [tool.notice-pipeline] in ./pyproject.toml or ./notice-pipeline.toml)")
    p.add_argument("--raw", type=Path, help="folder of raw notices (default: raw/)")
    p.add_argument("--interim", type=Path, help="folder for intermediate results (default: interim/)")
    p.add_argument("--curated", type=Path, help="the link to the current published version (default: curated/); versions live in <curated>.versions/")
    p.add_argument("--reports", type=Path, help="folder for run reports (default: reports/ beside curated/)")
    p.add_argument("--expectations", type=Path, help="folder of Great Expectations suites (default: the suites shipped with the package)")
    p.add_argument("--registry", type=Path, help="folder of the department registry's CSV files (default: the registry shipped with the package)")
    p.add_argument("--jobs", help="notices extracted in parallel (default and 0: one per core)")
    p.add_argument("--timeout", help="seconds allowed to extract one notice, above 0 (default: 300)")
    p.add_argument("--keep-versions", dest="keep_versions", help="published versions kept for rollback (default: 5)")
    p.add_argument("--keep-reports", dest="keep_reports", help="run report folders kept in reports/ (default: 30)")
    p.add_argument("--memory-mb", dest="memory_mb", help="memory one notice's extraction may use, in MB, above 0 (default: 4096)")
    p.add_argument("--strict", action="store_true", default=None, help="all or nothing: one notice failing a blocking check holds back every notice")
    p.add_argument("--no-progress", dest="progress", action="store_false", default=None, help="plain log lines instead of progress bars")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    p.add_argument("-v", "--verbose", action="store_true", help="also the libraries' own messages for files that cannot be read")


def config_from(a: argparse.Namespace) -> Config:
    """The settings in force (settings.load): each value checked by the schema where it came from
    (an option, the environment, the settings file), before anything runs."""
    from .settings import NAMES, load

    flags = {name: v for name in NAMES if (v := getattr(a, name, None)) is not None}
    return load(flags, a.config).config


def entry(argv: list[str] | None = None) -> None:
    """Main, then out at once. Tearing down the interpreter frees Great Expectations' object
    graph one object at a time (half a second of CPU) and has nothing left to write: every file
    is written and closed by then, logs and streams are flushed here."""
    code = main(argv)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    prog = "notice-pipeline" if Path(sys.argv[0]).name == "notice-pipeline" else "python -m pipeline"
    ap = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    _common(sub.add_parser("run", help="extract, outline, structure, normalize, validate and publish"))
    p = sub.add_parser("watch", help="run, then run again whenever raw/, the wording, the registry or the suites change (Ctrl-C to stop)")
    _common(p)
    p.add_argument("--interval", type=float, default=1.0, help="seconds between two looks at the files (default: 1)")
    for name, text in STAGE_HELP.items():
        _common(sub.add_parser(name, help=text))
    p = sub.add_parser("versions", help="list the published versions kept (* marks the current one)")
    p.add_argument("--config", type=Path)
    p.add_argument("--curated", type=Path)
    p = sub.add_parser("rollback", help="make an earlier published version current (default: the one before the current)")
    p.add_argument("--config", type=Path)
    p.add_argument("--curated", type=Path)
    p.add_argument("--to", help="the version to make current (see `versions`)")
    sub.add_parser("dictionary", help="print the curated tables' data dictionary as the README's Markdown")
    a = ap.parse_args(argv)
    if a.command == "dictionary":
        from .model.tables import dictionary_markdown

        print(dictionary_markdown(), end="")
        return 0
    handler = logging.StreamHandler()
    handler.setFormatter(OneLine())
    logging.basicConfig(level=logging.WARNING if getattr(a, "quiet", False) else logging.INFO, handlers=[handler])
    if getattr(a, "verbose", False):
        logging.getLogger("pipeline").setLevel(logging.DEBUG)
    # a usage error: one line naming the path, and 2, never 1 ("some notices held back")
    return _refused_in_words(lambda: _command(a, argv))


def _command(a: argparse.Namespace, argv: list[str] | None) -> int:
    cfg = config_from(a)
    if a.command in ("versions", "rollback"):
        return _versions(a, cfg)
    if a.command == "watch":
        if not a.interval > 0:
            raise Refused("--interval", f"interval must be a number of seconds above 0, not {a.interval:g}")
        from .run.watch import watch

        return watch(cfg, lambda: _refused_in_words(lambda: _stage(cfg, "run")), a.interval, argv)
    return _stage(cfg, a.command)


def _refused_in_words(command: Callable[[], int]) -> int:
    try:
        return command()
    except Refused as exc:
        print(exc, file=sys.stderr)
        return EXIT_REFUSED


def _stage(cfg: Config, command: str) -> int:
    """`run` or one stage."""
    from .run import EXIT_NOTHING, run, run_stage

    try:
        if command == "run":
            return run(cfg).exit_code
        return run_stage(cfg, command)
    except OSError as exc:  # a full disk, a folder that cannot be written: plain words, no traceback
        logging.getLogger("pipeline").error("%s: cannot write: %s", exc.filename or "?", exc.strerror or exc)
        logging.getLogger("pipeline").debug("details", exc_info=True)
        return EXIT_NOTHING


def _versions(a: argparse.Namespace, cfg: Config) -> int:
    from .publish import PublishError, rollback, store, versions

    if a.command == "versions":
        vs = versions(cfg.curated)
        if not vs:
            print(f"no published versions in {store(cfg.curated)}")
        for v in vs:
            print(f"{'*' if v.current else ' '} {v.name}{'' if v.complete else '  (incomplete)'}")
        return 0
    try:
        name = rollback(cfg.curated, a.to)
    except PublishError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{cfg.curated} now points at version {name}")
    return 0
