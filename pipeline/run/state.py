"""The run's state: its configuration and its report, kept in interim/.pipeline/run.json so each
stage can run on its own as a subcommand and continue from the one before.

Everything a run keeps for itself lives in interim/.pipeline/: a notice's folder is named after its
file, and no notice id starts with a dot (raw files whose names do, hidden files, are not read), so
no raw file can take one of these names (`_run.json.docx` once made interim/_run.json a folder)."""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..errors import Finding, Refused
from ..files import sha256_file, write_json, write_readable_json, write_text
from ..logs import event
from ..settings import Config
from .folder import NoticeFolder, is_notice_folder

log = logging.getLogger("pipeline")

ROOT = Path(__file__).resolve().parent.parent.parent
OWN = ".pipeline"  # interim/.pipeline/: the run's own files
STATE = "run.json"  # the run report so far
CANDIDATE = "candidate.json"  # the notices of the candidate tables with their pieces' digests
PUBLISHED = "published.json"  # what the last publish was made from
MADE = "notices.json"  # the notice folders this pipeline made: the only ones pruning may remove
SHARDED = "sharded"  # present once the notice folders are in interim/ab/<id>/
MOVING = "moving"  # notice folders on their way from interim/<id>/ to interim/ab/<id>/
REPORT_PARTS = "report"  # failures.parquet and data_docs/ from validate, until the report takes them


def own(interim: Path) -> Path:
    """interim/.pipeline/, where the run keeps its own files."""
    return interim / OWN


def report_parts(interim: Path) -> Path:
    """What validate makes for the run's report (failures.parquet, data_docs/), kept in interim/
    until the report is written after the publish: a reports/ that cannot be written stops no publish."""
    return own(interim) / REPORT_PARTS


@dataclass
class NoticeStatus:
    notice_id: str
    source_file: str
    source_format: str
    sha256: str
    alternates: list[str]
    extraction: str = ""  # parsed | cached | failed
    error: str = ""
    seconds: float = 0.0
    measures: int = 0
    pairs: int = 0
    restructured: bool = False  # structure and normalize ran again for it (else their cached results were used)
    redone: list[str] = field(default_factory=list)  # the cached stages (outline, structure, normalize) done again for it
    status: str = ""  # published | held back
    held_because: list[str] = field(default_factory=list)  # the blocking rules it failed, or why it could not be read


@dataclass
class RunReport:
    run_id: str
    started: str
    pipeline_version: str
    raw: str
    curated: str
    notices: list[NoticeStatus] = field(default_factory=list)
    skipped_files: list[dict] = field(default_factory=list)  # {file, why}: folders, hidden files, other formats in raw/
    refused_files: list[dict] = field(default_factory=list)  # {file, problem}: links out of raw/, loops …
    findings: list[Finding] = field(default_factory=list)
    validation: dict = field(default_factory=dict)  # as the validate stage assembled it (run/validating.py), in this run or in validated_by
    validated_by: str = ""  # the run whose validation this is: this one, or the one before a run that found nothing changed
    publish_error: str = ""  # why curated/ could not be written
    verdict: str = ""  # published | unchanged | blocked | nothing
    published: list[dict] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)  # the one manifest: as published to curated/, or why nothing was
    exit_code: int = 0
    report_dir: str = ""
    stages_run: list[str] = field(default_factory=lambda: ["extract"])
    stage_seconds: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)  # peak resident memory: this process, and its largest worker
    validated: list[str] = field(default_factory=list)  # the notices checked again in this run (the others kept their results)
    selection: list[str] = field(default_factory=list)  # --select as given ([]: every notice of raw/)
    unselected: list[str] = field(default_factory=list)  # the notices of raw/ it left out: curated/ keeps what it holds of them

    def as_dict(self) -> dict:
        """For JSON: as dataclasses.asdict gives it, without its deep copy of every value (the
        notices and findings are flat; the rest is JSON already)."""
        return {**vars(self), "notices": [vars(n) for n in self.notices], "findings": [vars(f) for f in self.findings]}

    @property
    def parsed(self) -> list[str]:
        return [n.notice_id for n in self.notices if n.extraction == "parsed"]

    @property
    def failed(self) -> list[NoticeStatus]:
        return [n for n in self.notices if n.extraction == "failed"]


class FileHashes:
    """The SHA-256 of raw files, kept with what `stat` said of each when it was hashed (size,
    times, inode): a file stat says is unchanged is not read again, as git's index does."""

    NAME = "hashes.json"

    def __init__(self, interim: Path) -> None:
        self.path = own(interim) / self.NAME
        try:
            self.known: dict[str, list] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.known = {}
        self.now: dict[str, list] = {}

    def of(self, path: Path) -> str:
        st = path.stat()
        sig = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        key = str(path.resolve())
        old = self.known.get(key)
        sha = old[4] if old and old[:4] == sig else sha256_file(path)
        self.now[key] = [*sig, sha]
        return sha

    def save(self) -> None:
        if self.now != self.known:  # ASCII JSON: a file name that is not UTF-8 survives as its escapes
            write_text(self.path, json.dumps(self.now))


def new_report(cfg: Config, selection: list[str] | None = None) -> RunReport:
    started = datetime.now(UTC)
    run_id = started.strftime("%Y%m%dT%H%M%S") + f"-{started.microsecond:06d}"
    return RunReport(run_id, started.isoformat(timespec="seconds"), __version__, str(cfg.raw), str(cfg.curated), selection=list(selection or []))


def save_state(cfg: Config, report: RunReport) -> None:
    import resource

    # the workers: this process's children, or what a cluster's workers said of themselves
    children = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    report.peak_mb = {"run": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "workers": max(children, report.peak_mb.get("workers", 0.0))}
    write_readable_json(own(cfg.interim) / STATE, report.as_dict())


def load_state(cfg: Config) -> RunReport:
    path = own(cfg.interim) / STATE
    if not path.exists():
        raise Refused(path, "not found: run `python -m pipeline extract` first")
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Refused(path, "damaged (a run was stopped while writing it): run `python -m pipeline extract` again") from None
    d["notices"] = [NoticeStatus(**n) for n in d["notices"]]
    d["findings"] = [Finding(**f) for f in d["findings"]]
    return RunReport(**{k: v for k, v in d.items() if k in RunReport.__dataclass_fields__})  # a field an older version wrote is dropped




def made_folders(interim: Path) -> set[str]:
    """The notice folders this pipeline made in interim/ (a damaged record: none, so nothing is removed)."""
    try:
        ids = json.loads((own(interim) / MADE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {i for i in ids if isinstance(i, str) and i and "/" not in i and not i.startswith(".")} if isinstance(ids, list) else set()


def record_made(interim: Path, ids: set[str]) -> None:
    write_json(own(interim) / MADE, sorted(ids))


# The state files of the layout before interim/.pipeline/, and their names there.
OLD_STATE = {"_run.json": STATE, "_hashes.json": FileHashes.NAME, "_published.json": PUBLISHED, "_candidate/index.json": CANDIDATE}


def migrate_state(interim: Path) -> None:
    """An interim/ written before its state moved to .pipeline/: the state files move there and
    the notice folders of that layout (those holding an extraction's record) are recorded as the
    pipeline's own. A file of that name that is no state file (a notice's folder) stays; a
    migration cut short leaves the rest to be derived again by the next run."""
    home = own(interim)
    old = {src: dst for src, dst in OLD_STATE.items() if (interim / src).is_file()}
    if home.exists() or not old:
        _shard(interim)
        return
    home.mkdir()
    record_made(interim, {d.name for d in interim.iterdir() if d.is_dir() and not d.is_symlink() and not d.name.startswith(".")
                          and is_notice_folder(d)})
    for src, dst in old.items():
        os.replace(interim / src, home / dst)
    if (interim / "_candidate").is_dir() and not any((interim / "_candidate").iterdir()):
        (interim / "_candidate").rmdir()
    log.info("%s: the run's state moved to %s (%s)", interim, home, ", ".join(old), extra=event("state.moved"))
    _shard(interim)


def _shard(interim: Path) -> None:
    """Notice folders of the layout before sharding (interim/<id>/) move to interim/ab/<id>/,
    once: through .pipeline/moving/, since an old notice folder may bear a shard's name. Only the
    folders the pipeline made move; one that cannot is derived again by the next run."""
    home = own(interim)
    if (home / SHARDED).exists() or not interim.is_dir():
        return
    home.mkdir(exist_ok=True)
    moving = home / MOVING
    made = made_folders(interim)
    old = [nid for nid in sorted(made) if (interim / nid).is_dir() and not (interim / nid).is_symlink() and is_notice_folder(interim / nid)]
    if old:
        moving.mkdir(exist_ok=True)
        for nid in old:
            os.replace(interim / nid, moving / nid)
    for d in sorted(moving.iterdir()) if moving.is_dir() else []:
        target = NoticeFolder.of(interim, d.name).path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(d)  # a run since made it again
        else:
            os.replace(d, target)
    if moving.is_dir():
        moving.rmdir()
    write_text(home / SHARDED, "interim/ab/<id>/\n")
    if old:
        log.info("%s: %d notice folder(s) moved into interim/ab/<id>/ folders", interim, len(old), extra=event("state.sharded"))
