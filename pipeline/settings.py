"""The settings of a run: one typed schema, `Config`, for the settings file, the environment and
the command line.

Each field carries its type (with its range, as annotated-types constraints), its default, what
it does (the `--help` line and `notice-pipeline config`) and what it must be (the refusal's
words). Values are checked by pydantic against the field's type, each where it came from:

    flags       --raw DIR, --jobs N …               strings, read as the type (lax)
    environment NOTICE_PIPELINE_RAW, …_JOBS …       strings, read as the type (lax)
    file        --config FILE, else ./notice-pipeline.toml or [tool.notice-pipeline] in
                ./pyproject.toml (NOTICE_PIPELINE_CONFIG names one too)
                                                    TOML's own types, taken as they are (strict:
                                                    jobs = "2" or strict = 1 is refused); paths
                                                    relative to the file
    default     the field's

The first source in that order that sets a key wins. A value that is not what its key must be is
refused in one line naming the source, the key, the value and what it must be; an unknown key,
with the keys there are. pydantic is imported only to check values: `--help` reads the schema's
words from the dataclass alone.

A setting is one field here, with its words (doc()); the command line offers it on the commands that
use it (cli.py: COMMANDS, a tuple of setting names each). An `executor` setting, say, is

    executor: Literal["local", "dask"] = field(default="local", metadata=doc(
        "where the per-notice work runs (default: local; see Dask)", '"local" or "dask"', "NAME"))

and its name in the tuples of run, watch and the stages that hand work out: the file, the
environment (NOTICE_PIPELINE_EXECUTOR), the option (--executor), the check and `config` follow.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, get_type_hints

from .errors import Refused

if TYPE_CHECKING:  # the annotations' ranges: read by pydantic when it checks a value (_schema), not for --help
    from annotated_types import Ge, Gt
    from pydantic import BaseModel

ENV_PREFIX = "NOTICE_PIPELINE_"
ENV_CONFIG = f"{ENV_PREFIX}CONFIG"  # the environment's --config
FILES = ("notice-pipeline.toml", "pyproject.toml")  # looked for in the working directory
TABLE = ("tool", "notice-pipeline")  # the table in pyproject.toml (and accepted in notice-pipeline.toml)
PATH = "a folder's path"


def packaged(name: str) -> Path:
    """Data shipped with the package (the suites and the registry): inside it when installed
    from a wheel, beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    inside = here / name
    return inside if inside.is_dir() else here.parent / name


def doc(help: str, expect: str, metavar: str = "") -> dict[str, str]:
    """A field's words: what it does (--help, `config`), what it must be (a refusal), how --help shows its value."""
    return {"help": help, "expect": expect, "metavar": metavar}


@dataclass
class Config:
    raw: Path = field(default=Path("raw"), metadata=doc("folder of raw notices (default: raw/)", PATH, "DIR"))
    interim: Path = field(default=Path("interim"), metadata=doc("folder of intermediate results (default: interim/)", PATH, "DIR"))
    curated: Path = field(default=Path("curated"), metadata=doc(
        "the link to the current published version (default: curated); versions in <curated>.versions/", PATH, "LINK"))
    reports: Path = field(default=None, metadata=doc("folder of run reports (default: reports/ beside curated)", PATH, "DIR"))  # type: ignore[assignment]
    expectations: Path = field(default_factory=lambda: packaged("expectations"), metadata=doc(
        "folder of Great Expectations suites (default: the suites shipped with the package)", PATH, "DIR"))
    registry: Path = field(default=None, metadata=doc(  # type: ignore[assignment]
        "folder of the department registry's CSV files (default: <expectations>/reference)", PATH, "DIR"))
    jobs: Annotated[int, Ge(0)] = field(default=0, metadata=doc(
        "notices worked on in parallel (default and 0: one per core)", "a whole number, 0 or more (0: one per core)", "N"))
    timeout: Annotated[float, Gt(0)] = field(default=300.0, metadata=doc(
        "seconds one notice's extraction may take (default: 300)", "a number of seconds above 0", "S"))
    memory_mb: Annotated[int, Gt(0)] = field(default=4096, metadata=doc(
        "memory one notice's extraction may use, in MB (default: 4096)", "a whole number of MB above 0", "MB"))
    strict: bool = field(default=False, metadata=doc(
        "all or nothing: one notice failing a blocking check holds back every notice", "true or false"))
    keep_versions: Annotated[int, Ge(1)] = field(default=5, metadata=doc(
        "published versions kept for rollback (default: 5)", "a whole number, 1 or more", "N"))
    keep_reports: Annotated[int, Ge(1)] = field(default=30, metadata=doc(
        "run report folders kept in reports/ (default: 30; the runs index keeps every run)", "a whole number, 1 or more", "N"))
    progress: bool | None = field(default=None, metadata=doc(
        "progress bars, or log lines (default: bars on a terminal; with --log-format json, lines)", "true or false"))
    log_format: Literal["text", "json"] = field(default="text", metadata=doc(
        "log lines as text, or one JSON object a line for log shippers (default: text)", '"text" or "json"', "FORMAT"))
    executor: Literal["local", "dask"] = field(default="local", metadata=doc(
        "where the per-notice work runs: this machine's processes, or a Dask cluster (default: local; the dist extra)",
        '"local" or "dask"', "NAME"))
    scheduler: str = field(default="", metadata=doc(
        "with executor dask: the scheduler's address (tcp://host:8786) or its scheduler file (default: a cluster of --jobs workers here)",
        "a scheduler's address or the path of its scheduler file", "ADDRESS"))

    def __post_init__(self) -> None:
        if self.reports is None:
            self.reports = Path(os.path.abspath(self.curated)).parent / "reports"
        if self.registry is None:
            self.registry = self.expectations / "reference"


PATHS = tuple(f.name for f in fields(Config) if f.metadata["expect"] == PATH)
NAMES = tuple(f.name for f in fields(Config))
META = {f.name: f.metadata for f in fields(Config)}


@dataclass(frozen=True)
class Settings:
    """The settings in force and where each came from (`default`, a file, NOTICE_PIPELINE_X, --x)."""

    config: Config
    sources: dict[str, str]
    ignored: list[str] = field(default_factory=list)  # NOTICE_PIPELINE_ variables that name no setting (said as warnings)


# --- what a value must be ------------------------------------------------------------------------

@cache
def _schema() -> type[BaseModel]:
    """Config's fields as a pydantic model that checks only the keys it is given (every field
    optional), unknown keys refused."""
    from annotated_types import Ge, Gt
    from pydantic import ConfigDict, create_model

    hints = get_type_hints(Config, localns={"Ge": Ge, "Gt": Gt}, include_extras=True)
    return create_model("Settings", __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True),
                        **{name: (hints[name], None) for name in NAMES})  # type: ignore[call-overload]


def _shown(value: object, typed: bool) -> str:
    """A value as its source wrote it: a TOML value in TOML's notation, a flag's or the
    environment's as typed."""
    if not typed:
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(str(value) if isinstance(value, Path) else value, ensure_ascii=False, default=str)


def _validated(values: Mapping[str, object], typed: bool) -> tuple[dict[str, object], list[str]]:
    """`values` as their types, and why those that cannot be their setting cannot, in words (one
    phrase a key; unknown keys together). `typed`: the values are a file's (TOML's types, taken
    strictly; paths as Path); else strings, read as the type."""
    from pydantic import ValidationError

    try:
        model = _schema().model_validate(dict(values), strict=typed)
    except ValidationError as exc:
        unknown = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden"]
        out = []
        if unknown:
            near = ", ".join(m for k in unknown for m in difflib.get_close_matches(k, NAMES, n=1))
            hint = f" (did you mean {near}?)" if near else ""
            out.append(f"unknown setting(s) {', '.join(unknown)}{hint}; known: {', '.join(NAMES)}")
        seen = set()
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            if err["type"] != "extra_forbidden" and key not in seen:
                seen.add(key)
                out.append(f"{key} must be {META[key]['expect']}, not {_shown(err['input'], typed)}")
        return {}, out
    return {k: getattr(model, k) for k in values}, []


def _checked(values: Mapping[str, object], typed: bool, where: str) -> dict[str, object]:
    """`values` as their types, or Refused naming `where` and every value that cannot be its setting."""
    checked, bad = _validated(values, typed)
    if bad:
        raise Refused(where, "; ".join(bad))
    return checked


def config_problem(cfg: Config) -> str | None:
    """The first setting of a Config built in code that no run may take, in words; None when all can."""
    return next(iter(_validated({name: getattr(cfg, name) for name in NAMES}, typed=True)[1]), None)


# --- where values come from ----------------------------------------------------------------------

def _table(data: dict, path: Path) -> dict | None:
    """The settings a TOML file holds: its [tool.notice-pipeline] table, a [notice-pipeline]
    table, or (a file of its own) its top level; None for a pyproject.toml without the table."""
    tool = data.get(TABLE[0])
    if isinstance(tool, dict) and isinstance(tool.get(TABLE[1]), dict):
        table = tool[TABLE[1]]
        others = [k for k in data if k != TABLE[0]] + [f"{TABLE[0]}.{k}" for k in tool if k != TABLE[1]]
        if others and path.name != "pyproject.toml":
            raise Refused(path, f"unknown setting(s) {', '.join(others)} beside [{'.'.join(TABLE)}]; known: {', '.join(NAMES)}")
        return table
    if path.name == "pyproject.toml":
        return None
    if isinstance(data.get(TABLE[1]), dict) and len(data) == 1:
        return data[TABLE[1]]
    return data


def read_file(path: Path) -> dict | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise Refused(path, f"not valid TOML ({exc})") from exc
    except OSError as exc:
        raise Refused(path, f"cannot be read: {exc.strerror or exc}") from exc
    return _table(data, path)


def settings_file(named: Path | None, env: Mapping[str, str]) -> tuple[dict, Path | None]:
    """The settings table in force and its file: the one named (--config, else
    NOTICE_PIPELINE_CONFIG), else the one in the working directory. Settings in both
    ./notice-pipeline.toml and ./pyproject.toml are refused: one would be ignored without a word."""
    if named is None and env.get(ENV_CONFIG):
        named = Path(env[ENV_CONFIG])
    if named is not None:
        if not named.is_file():
            raise Refused(named, "no such settings file")
        return read_file(named) or {}, named.resolve()
    found = [(p, t) for p in map(Path, FILES) if p.is_file() and (t := read_file(p)) is not None]
    if len(found) > 1:
        raise Refused(found[1][0], f"holds settings and so does {found[0][0]}: keep them in one file (or name one with --config)")
    return (found[0][1], found[0][0].resolve()) if found else ({}, None)


def _from_file(table: dict, path: Path) -> dict[str, object]:
    """A file's values, its paths relative to it — a scheduler file too, not an address (a value
    that is no string is left for the check to refuse)."""
    out = {k: (path.parent / v if isinstance(v, str) else v) if k in PATHS else v for k, v in table.items()}
    if isinstance(sched := out.get("scheduler"), str) and sched and "://" not in sched:
        out["scheduler"] = str(path.parent / sched)
    return out


def from_environment(env: Mapping[str, str]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """NOTICE_PIPELINE_<KEY> variables that are set: key -> (variable, value); and those that name
    no setting (an older version's, or a typo: the run goes on, and says so)."""
    found = {name[len(ENV_PREFIX):].lower(): (name, value) for name, value in env.items()
             if name.startswith(ENV_PREFIX) and name != ENV_CONFIG and value != ""}
    return {k: v for k, v in found.items() if k in NAMES}, sorted(var for k, (var, _) in found.items() if k not in NAMES)


def load(flags: Mapping[str, str], named: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """The settings in force: `flags` (key -> the string given, for the options given), the
    environment, the settings file, the defaults; each source's values checked by the schema."""
    env = os.environ if env is None else env
    table, path = settings_file(named, env)
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    if table:
        values |= _checked(_from_file(table, path), True, str(path))  # type: ignore[arg-type]
        sources |= dict.fromkeys(table, str(path))
    known, ignored = from_environment(env)
    for key, (var, value) in known.items():
        values |= _checked({key: value}, False, var)
        sources[key] = var
    for key, value in flags.items():
        values |= _checked({key: value}, False, f"--{key.replace('_', '-')}")
        sources[key] = f"--{key.replace('_', '-')}"
    cfg = Config(**values)  # type: ignore[arg-type]
    for name in NAMES:
        sources.setdefault(name, "default")
    return Settings(cfg, {name: sources[name] for name in NAMES}, ignored)
