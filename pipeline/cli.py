"""The command line: `notice-pipeline <command>` (or `python -m pipeline <command>`).

Each command offers the options it uses, each with what it does (its words are the settings
schema's: settings.py). Settings come from the options, then the environment, then a settings
file, then the defaults; `config` shows them and where each came from.

Each command imports what it runs when it runs: `--help` and a run that finds nothing changed
never import Great Expectations, pandas or pyarrow (tests/test_house.py), nor pydantic for --help.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import Refused
from .logs import Tally, configure, event
from .settings import ENV_CONFIG, ENV_PREFIX, META, NAMES, Config, Settings

if TYPE_CHECKING:
    from .run.state import RunReport

__all__ = ["entry", "main"]

# The command's exit codes (publish.gate gives 0, 1 and 2 for what a publish did; not imported
# here, which would import the publish package for --help).
EXIT_PUBLISHED, EXIT_HELD_BACK, EXIT_NOTHING, EXIT_FAILED = 0, 1, 2, 3
EXIT_CODES = f"""exit codes (for a scheduler; call notice-pipeline itself: make turns every failure into 2):
  {EXIT_PUBLISHED}  every notice published, or curated/ already held exactly these tables
  {EXIT_HELD_BACK}  published, but notices were held back (a blocking check failed) or could not be read;
     each keeps the version last published
  {EXIT_NOTHING}  nothing published: every notice failed, a check of no notice failed, or --strict and a
     notice failed; or the command was refused before it changed anything (an unknown or bad
     setting, a missing folder, a folder in use, a stage before the one it needs), or a Dask
     cluster had no worker for 5 minutes while the run's tasks waited, with one line
     ERROR <key or path>: …
  {EXIT_FAILED}  the pipeline itself failed (a bug): the traceback is printed; curated/ is a complete
     version, the last one switched to"""
SETTINGS_HELP = f"""settings: an option, then the environment ({ENV_PREFIX}<KEY>: {ENV_PREFIX}JOBS=2), then a
settings file (--config FILE or {ENV_CONFIG}, else ./notice-pipeline.toml or [tool.notice-pipeline]
in ./pyproject.toml; paths in a file are relative to it), then the defaults.
`notice-pipeline config` prints the settings in force and where each came from."""

FOLDERS = ("raw", "interim", "curated", "reports", "expectations", "registry")
OUTPUT = ("progress", "log_format")
DIST = ("executor", "scheduler")  # where the per-notice work runs
EXTRACTION = ("jobs", "timeout", "memory_mb", *DIST)
PUBLISHING = ("strict", "keep_versions", "keep_reports")


@dataclass(frozen=True)
class Command:
    name: str
    help: str  # its line in the list of commands
    description: str  # the top of its --help
    settings: tuple[str, ...]  # the settings it offers as options
    select: bool = False  # --select
    logging: bool = True  # -q, -v


STAGES = ("extract", "outline", "structure", "normalize", "validate", "publish")
COMMANDS = [
    Command("run", "every stage: raw/ -> interim/ -> a new version of curated/ (+ reports/)",
            "Extract, outline, structure, normalize, validate and publish. Only what changed is redone: a notice whose file,\n"
            "the wording it is read with and the code that reads it are as before keeps its results, and when nothing\n"
            "changed at all the run stops after looking at raw/. Ends with one line: published N notices (M measures,\n"
            "P pairs), held back H, warnings W in T s.", FOLDERS + EXTRACTION + PUBLISHING + OUTPUT, select=True),
    Command("plan", "what a run would redo and why, without doing it",
            "For each notice, the steps a run would redo (extract, outline, structure, normalize, its rows) and why —\n"
            "its file changed, the code a step runs, the wording it reads, the registry — from the cache keys in\n"
            "interim/; then whether its checks and the publish would run. Changes nothing.", FOLDERS, select=True),
    Command("status", "the last run, what is held back and why, what changed in raw/ since",
            "The last run (when, its verdict and exit code, its report), the version curated/ points at, the notices\n"
            "held back with the checks they failed, and the files of raw/ added, changed or removed since the last run.",
            FOLDERS),
    Command("config", "the settings in force and where each came from",
            "The settings in force, as TOML, each with where it came from (an option, the environment, a file, the\n"
            "default). With KEY, its value alone (for scripts: the Makefile's clean reads interim this way).", NAMES),
    Command("watch", "run, then again whenever raw/, the wording, the registry or the suites change (Ctrl-C stops)",
            "Run, then run again whenever a file in raw/ is added, changed or removed, or a wording file, the registry\n"
            "or a suite changes, until Ctrl-C. Each run is a fork of this process, warm.",
            FOLDERS + EXTRACTION + PUBLISHING + OUTPUT, select=True),
    Command("extract", "raw/ -> interim/<id>/document.json (only new or changed files)",
            "Read each new or changed file of raw/ into interim/<id>/document.json, each in a process of its own\n"
            "(--jobs at a time, within --timeout and --memory-mb). Starts a run's state in interim/: the stages\n"
            "after it continue with the notices it selected.", FOLDERS + EXTRACTION + OUTPUT, select=True),
    Command("outline", "document.json -> outline.json (the tree of numbered levels)",
            "Find each notice's parts, title block and tree of numbered levels (interim/<id>/outline.json); redone\n"
            "where its document, the code or the wording it reads changed.", (*FOLDERS, "jobs", *DIST, *OUTPUT)),
    Command("structure", "document.json + outline.json -> measures.json",
            "Find each notice's measures and the departments made responsible for them (interim/<id>/measures.json).",
            (*FOLDERS, "jobs", *DIST, *OUTPUT)),
    Command("normalize", "measures.json -> normalized.json and the candidate tables",
            "Resolve department names through the registry and read deadlines; each notice's rows of the curated\n"
            "tables (interim/<id>/tables/) and the candidate tables' index.", (*FOLDERS, "jobs", *DIST, *OUTPUT)),
    Command("validate", "the candidate tables through the Great Expectations suites",
            "Check each notice whose rows or checks changed with the suites; combine every notice's results. Exits 1\n"
            "when a blocking check fails.", FOLDERS + OUTPUT),
    Command("publish", "the candidate tables to a new version of curated/ for every notice that passed",
            "Publish every notice that passed as a new version of curated/ (held-back notices keep their last\n"
            "version), and write the run's report. Refuses tables other than the ones validated.",
            FOLDERS + PUBLISHING + OUTPUT),
    Command("versions", "the published versions kept (* marks the current one)", "List the published versions kept for rollback.",
            ("curated", "log_format"), logging=False),
    Command("rollback", "make an earlier published version current (default: the one before)",
            "Make an earlier published version current (default: the one before the current one).", ("curated", "log_format"), logging=False),
    Command("dictionary", "the curated tables' data dictionary as Markdown", "Print the curated columns as the README's Markdown tables.",
            (), logging=False),
    Command("checks", "the checks the suites make as Markdown", "Print the suites' rules as the README's Markdown table of checks:\n"
            "suite, the rule in words, the table it checks, its severity and why it exists.", ("expectations",), logging=False),
]
BY_NAME = {c.name: c for c in COMMANDS}


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=110)
        self._action_max_length = 16  # the commands' names (not counted by argparse) fit before their help


def _option(group: argparse._ActionsContainer, name: str) -> None:
    """A setting as an option: its words from the schema; its value a string the schema reads
    (so a bad value is refused in the schema's words, with its option)."""
    meta, flag = META[name], f"--{name.replace('_', '-')}"
    if META[name]["expect"] == "true or false":
        group.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=meta["help"])
    else:
        group.add_argument(flag, dest=name, metavar=meta["metavar"] or "VALUE", default=argparse.SUPPRESS, help=meta["help"])


def _subparser(sub: argparse._SubParsersAction, c: Command) -> argparse.ArgumentParser:
    p = sub.add_parser(c.name, help=c.help, description=c.description, formatter_class=_Formatter,
                       epilog=(EXIT_CODES + "\n\n" + SETTINGS_HELP) if c.settings else None)
    _own_arguments(p, c)
    if c.select:
        p.add_argument("-s", "--select", nargs="+", metavar="SELECTOR", default=[],
                       help="only these notices: an id, a shell pattern of ids or file names ('sd-*', '*.pdf') or state:modified "
                            "(new or changed in raw/ since the last publish); curated/ keeps the others as they are")
    if c.settings:
        p.add_argument("--config", type=Path, metavar="FILE", help="a TOML file of settings (default: ./notice-pipeline.toml or "
                                                                    "[tool.notice-pipeline] in ./pyproject.toml)")
    folders = [n for n in c.settings if n in FOLDERS]
    if folders:
        group = p.add_argument_group("folders")
        for name in folders:
            _option(group, name)
    others = [n for n in c.settings if n not in FOLDERS and n not in OUTPUT]
    if others:
        group = p.add_argument_group("settings")
        for name in others:
            _option(group, name)
    out = p.add_argument_group("output")
    if c.name in ("plan", "status"):  # what a scheduler reads: one JSON document on stdout
        out.add_argument("--format", choices=("text", "json"), default="text",
                         help="text: lines for a person (default); json: one JSON document for a scheduler")
    for name in (n for n in c.settings if n in OUTPUT):
        _option(out, name)
    if c.logging:
        out.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
        out.add_argument("-v", "--verbose", action="store_true", help="also the libraries' own messages for files that cannot be read")
    return p


def _own_arguments(p: argparse.ArgumentParser, c: Command) -> None:
    """The arguments one command alone takes."""
    if c.name == "config":
        p.add_argument("key", nargs="?", choices=NAMES, metavar="KEY", help="print this setting's value alone")
    if c.name == "watch":
        p.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds between two looks at the files (default: 1)")
    if c.name == "rollback":
        p.add_argument("--to", metavar="VERSION", help="the version to make current (see `versions`)")


def parser(prog: str = "notice-pipeline") -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog=prog, formatter_class=_Formatter,
                                 description="Turn Chinese government notices in raw/ into curated tables: one row per measure and\n"
                                             "department, checked with Great Expectations, published as Parquet.",
                                 epilog=EXIT_CODES + "\n\n" + SETTINGS_HELP + f"\n\n`{prog} COMMAND --help` gives a command's options.")
    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    for c in COMMANDS:
        _subparser(sub, c)
    return ap


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
    # Arrow's buffers from the C library's allocator (read when pyarrow is first used, so here):
    # Arrow's default, mimalloc, kept the largest buffers of every publish bucket, and a run's
    # driver grew with the buckets (writing them took 21 MB more at 3,000 notices than at 1,000,
    # against 5 MB with the C library's allocator, at the same speed)
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    prog = "notice-pipeline" if Path(sys.argv[0]).name == "notice-pipeline" else "python -m pipeline"
    a = parser(prog).parse_args(argv)
    c = BY_NAME[a.command]
    if c.name == "dictionary":
        from .model.tables import dictionary_markdown

        print(dictionary_markdown(), end="")
        return 0
    t0 = time.perf_counter()
    flags = {name: getattr(a, name) for name in NAMES if hasattr(a, name)}
    try:
        settings: Settings | Refused = _settings(a, flags)
    except Refused as exc:
        settings = exc
    log_format = settings.config.log_format if isinstance(settings, Settings) else _log_format(flags)
    tally = configure(log_format, getattr(a, "quiet", False), getattr(a, "verbose", False))
    if isinstance(settings, Refused):
        return _refused(settings, log_format)
    _ignored(settings.ignored)
    try:
        return _refused_in_words(lambda: _command(a, c, settings, argv, tally, t0), log_format)
    except KeyboardInterrupt:
        return 130
    except Exception:  # a bug: said as one, never as 1 ("some notices held back")
        logging.getLogger("pipeline").critical("the pipeline failed (a bug; please report it with this traceback)", exc_info=True,
                                               extra=event("crashed"))
        return EXIT_FAILED


def _ignored(variables: list[str]) -> None:
    """A warning for each NOTICE_PIPELINE_ variable that names no setting (an older version's, or a typo)."""
    for var in variables:
        near = difflib.get_close_matches(var[len(ENV_PREFIX):].lower(), NAMES, n=1)
        hint = f" (did you mean {ENV_PREFIX}{near[0].upper()}?)" if near else ""
        logging.getLogger("pipeline").warning("%s names no setting%s: ignored (known: %s)", var, hint, ", ".join(NAMES),
                                              extra=event("setting.ignored", variable=var))


def _settings(a: argparse.Namespace, flags: dict) -> Settings:
    from .settings import load

    return load(flags, getattr(a, "config", None))


def _log_format(flags: dict) -> str:
    """The log format when the settings could not be read: the option's or the environment's, if it is one."""
    given = flags.get("log_format") or os.environ.get(f"{ENV_PREFIX}LOG_FORMAT")
    return given if given in ("text", "json") else "text"


def _refused(exc: Refused, log_format: str) -> int:
    """A usage error: one line naming the key or path, and 2, never 1 ("some notices held back")."""
    if log_format == "json":
        logging.getLogger("pipeline").error("%s: %s", exc.path, exc.problem, extra=event("refused", key=exc.path))
    else:
        print(exc, file=sys.stderr)
    return EXIT_NOTHING


def _refused_in_words(command: Callable[[], int], log_format: str) -> int:
    try:
        return command()
    except Refused as exc:
        return _refused(exc, log_format)


def _command(a: argparse.Namespace, c: Command, settings: Settings, argv: list[str] | None, tally: Tally, t0: float) -> int:
    cfg = settings.config
    if cfg.log_format == "json" and cfg.progress is None:
        cfg.progress = False  # a shipper reads lines, not bars
    select = getattr(a, "select", [])
    if c.name == "config":
        return _config(settings, a.key)
    if c.name == "checks":
        from .validate import checks_markdown

        print(checks_markdown(cfg.expectations), end="")
        return 0
    if c.name in ("versions", "rollback"):
        return _versions(a, cfg)
    if c.name == "plan":
        from .run.plan import plan

        return plan(cfg, select, fmt=a.format)
    if c.name == "status":
        from .run.status import status

        return status(cfg, fmt=a.format)
    if c.name == "watch":
        if not a.interval > 0:
            raise Refused("--interval", f"interval must be a number of seconds above 0, not {a.interval:g}")
        from .run.watch import watch

        return watch(cfg, lambda: _refused_in_words(lambda: _stage(cfg, "run", select, tally, time.perf_counter()), cfg.log_format),
                     a.interval, argv)
    return _stage(cfg, c.name, select, tally, t0)


def _stage(cfg: Config, command: str, select: list[str], tally: Tally, t0: float) -> int:
    """`run` or one stage; `run` and `publish` end with the closing line."""
    from .run import EXIT_NOTHING, run, run_stage
    from .run.state import load_state

    warned = tally.counts["WARNING"]
    try:
        if command == "run":
            report = run(cfg, select)
        else:
            code = run_stage(cfg, command, select)
            if command != "publish":
                return code
            report = load_state(cfg)
    except OSError as exc:  # a full disk, a folder that cannot be written: plain words, no traceback
        logging.getLogger("pipeline").error("%s: cannot write: %s", exc.filename or "?", exc.strerror or exc, extra=event("cannot-write"))
        logging.getLogger("pipeline").debug("details", exc_info=True)
        return EXIT_NOTHING
    closing_line(report, tally.counts["WARNING"] - warned, time.perf_counter() - t0)
    return report.exit_code


def closing_line(report: RunReport, warnings: int, seconds: float) -> None:
    """`published N notices (M measures, P pairs), held back H, warnings W in T s`: N, M and P
    the rows of the version curated/ serves after the run (none when nothing was published), H
    the notices of the run not published, W the warnings logged. Its level is the outcome's."""
    rows: Counter[str] = Counter()
    if report.verdict in ("published", "unchanged"):
        for f in report.published:
            rows[f["table"]] += f["rows"]
    held = sum(st.status != "published" for st in report.notices)
    counts = {"published": rows["notices"], "measures": rows["measures"], "pairs": rows["measure_departments"], "held_back": held,
              "warnings": warnings, "seconds": round(seconds, 1), "exit_code": report.exit_code, "verdict": report.verdict}
    level = {EXIT_PUBLISHED: logging.INFO, EXIT_HELD_BACK: logging.WARNING}.get(report.exit_code, logging.ERROR)
    logging.getLogger("pipeline").log(level, "published %d notices (%d measures, %d pairs), held back %d, warnings %d in %.1f s",
                                      counts["published"], counts["measures"], counts["pairs"], held, warnings, seconds,
                                      extra=event("run.done", **counts))


def _config(settings: Settings, key: str | None) -> int:
    """The settings in force as TOML, each with where it came from; or one value alone."""
    if key:
        value = getattr(settings.config, key)
        print("" if value is None else str(value).lower() if isinstance(value, bool) else value)
        return 0
    width = max(map(len, NAMES))
    for f in fields(Config):
        value = getattr(settings.config, f.name)
        shown = _toml(value)
        source = settings.sources[f.name]
        if value is None:
            print(f"# {f.name:<{width}} (not set)  # {source}")
        else:
            print(f"{f.name:<{width}} = {shown}  # {source}")
    return 0


def _toml(value: object) -> str:
    import json

    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(str(value), ensure_ascii=False)


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
        return EXIT_NOTHING
    print(f"{cfg.curated} now points at version {name}")
    return 0
