"""The stages over interim/: each reads what the one before left there and the run state, so
`python -m pipeline <stage>` can be re-run on its own and a person can look at each step. Each
wraps the stage's plain function (outline(), structure(), normalize() …) with its cache."""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from pathlib import Path

from .. import __version__
from ..errors import Finding
from ..extract import discover, shown_name
from ..jsonio import write_text
from ..libraries import library_versions
from ..model import Notice
from ..model.tables import NoticeRecord
from ..normalize import NormalizedMeasure, normalize, read_normalized, write_normalized
from ..normalize.registry import Registry
from ..normalize.tables import build_tables
from ..outline import Outline, outline
from ..publish import PublishError, content_hash, current_manifest, publish, read_curated
from ..publish.gate import combine
from ..report import prune_reports, record_run, write_failures, write_report
from ..structure import read_measures, role_word_count, structure, write_measures
from ..wording import fingerprint as wording_fingerprint
from .cache import cached, stage_key
from .progress import Progress
from .scheduler import cache_key, extract_all, is_cached
from .state import CANDIDATE, Config, NoticeStatus, RunReport, sha256_bytes

log = logging.getLogger("pipeline")

EXIT_PUBLISHED, EXIT_HELD_BACK, EXIT_NOTHING = 0, 1, 2  # documented in the README


def stage_extract(cfg: Config, report: RunReport) -> None:
    """raw/ → interim/<id>/document.json, parsing only new or changed files."""
    if not cfg.raw.is_dir():
        raise SystemExit(f"ERROR {cfg.raw}: the raw folder does not exist")
    cfg.interim.mkdir(parents=True, exist_ok=True)
    found = discover(cfg.raw)
    report.ignored_files = found.ignored
    for name in found.ignored:
        log.warning("%s: not a notice format this pipeline reads; ignored", name)
    for name, why in found.refused:
        log.error("%s: %s", name, why)
        report.refused_files.append({"file": name, "problem": why})
        report.findings.append(Finding("", "extract", "error", "file-refused", why, name))
    for name, note in found.warnings:
        log.warning("%s: %s", name, note)
        report.findings.append(Finding("", "extract", "warning", "file-name", note, name))
    todo = []
    for rn in found.notices:
        sha = sha256_bytes(rn.path)
        st = NoticeStatus(rn.notice_id, rn.name, rn.format, sha, [shown_name(a)[0] for a in rn.alternates])
        report.notices.append(st)
        key = cache_key(rn, sha, [[shown_name(a)[0], sha256_bytes(a)] for a in rn.alternates])
        if is_cached(cfg.interim / rn.notice_id, key):
            st.extraction = "cached"
        else:
            todo.append((rn, key))
    with_alternates = [rn for rn in found.notices if rn.alternates]
    if with_alternates:  # once per run; the report and the notices table list each notice's other forms
        log.info("%d notice(s) also present in other forms: the preferred form is read (%s)", len(with_alternates),
                 ", ".join(f"{rn.name} over {', '.join(shown_name(a)[0] for a in rn.alternates)}" for rn in with_alternates[:3])
                 + (", …" if len(with_alternates) > 3 else ""))
    jobs = cfg.jobs or mp.cpu_count() or 1
    log.info("%d notice(s) in %s: %d to parse, %d unchanged", len(found.notices), cfg.raw, len(todo), len(found.notices) - len(todo))
    results = extract_all(todo, cfg.interim, jobs, cfg.timeout, cfg.progress, cfg.memory_mb) if todo else {}
    for st in report.notices:
        if st.notice_id in results:
            error, detail, secs = results[st.notice_id]
            st.seconds = round(secs, 3)
            st.extraction = "failed" if error else "parsed"
            st.error = error
            if error:
                log.error("%s: %s", st.source_file, error)
                if detail:
                    log.debug("%s: %s", st.source_file, detail)
                report.findings.append(Finding(st.notice_id, "extract", "error", "extract-failed", error, st.source_file))
        if st.extraction != "failed":
            meta = _extract_meta(cfg.interim / st.notice_id)
            if meta.get("read") and meta["read"] != st.source_file:  # the preferred form could not be read
                st.source_file, st.source_format = meta["read"], Path(meta["read"]).suffix.lower().lstrip(".")
                st.alternates = [a for a in st.alternates if a != meta["read"]]
            for n in meta.get("notes", []):
                (log.error if n["severity"] == "error" else log.warning)("%s: %s", st.source_file, n["message"])
                report.findings.append(Finding(st.notice_id, "extract", n["severity"], n["code"], n["message"], st.source_file))
    if not todo:
        log.info("nothing changed in raw/: no notice was parsed again")
    _prune_interim(cfg.interim, {n.notice_id for n in report.notices})


def _extract_meta(folder: Path) -> dict:
    try:
        return json.loads((folder / "extract.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}


def _registry(folder: Path) -> Registry:
    """The registry, read once per run however many stages need it (keyed on its files' bytes)."""
    key = tuple((f.name, f.read_bytes()) for f in sorted(folder.glob("*.csv")))
    return _registry_of(folder, key)


@cache
def _registry_of(folder: Path, key: tuple) -> Registry:
    return Registry.load(folder)


def _write_findings(path: Path, findings: list[Finding]) -> None:
    write_text(path, json.dumps([asdict(f) for f in findings], ensure_ascii=False))


def _read_findings(path: Path) -> list[Finding]:
    return [Finding(**f) for f in json.loads(path.read_text(encoding="utf-8"))]


def _per_notice(cfg: Config, report: RunReport, stage: str, one: Callable[[NoticeStatus], str]) -> None:
    """`one` over every readable notice, with progress. A notice that breaks the stage (a bug
    its content shows) is reported with its file and taken out of the run like an unreadable
    one: it keeps its last published version, and the others go on."""
    todo = [st for st in report.notices if st.extraction != "failed"]
    with Progress(stage, len(todo), cfg.progress) as bar:
        for st in todo:
            try:
                status = one(st)
            except Exception as exc:
                st.extraction = "failed"
                st.error = f"the {stage} stage failed on it ({type(exc).__name__}: {exc}); please report this with the file"
                log.error("%s: %s", st.source_file, st.error)
                log.debug("%s", st.source_file, exc_info=True)
                report.findings.append(Finding(st.notice_id, stage, "error", f"{stage}-failed", st.error, st.source_file))
                status = f"FAILED {st.notice_id}"
            bar.step(status)


def stage_outline(cfg: Config, report: RunReport) -> None:
    """interim/<id>/document.json → outline.json: the tree of numbered levels."""
    def one(st: NoticeStatus) -> str:
        folder = cfg.interim / st.notice_id
        stamp, key = stage_key(folder, "outline")
        if cached(stamp, key, folder / "outline.json"):
            return f"cached {st.notice_id}"
        st.redone.append("outline")
        outline(Notice.read(folder / "document.json")).write(folder / "outline.json")
        write_text(stamp, key)
        return f"redone {st.notice_id}"

    _per_notice(cfg, report, "outline", one)


def stage_structure(cfg: Config, report: RunReport) -> None:
    """document.json and outline.json → measures.json, redone where either or the code changed."""
    def one(st: NoticeStatus) -> str:
        folder = cfg.interim / st.notice_id
        stamp, key = stage_key(folder, "structure", (folder / "outline.key").read_text(encoding="utf-8"))
        outputs = (folder / "measures.json", folder / "structure.findings.json", folder / "header.json")
        if cached(stamp, key, *outputs):
            findings = _read_findings(outputs[1])
        else:
            st.restructured = True
            st.redone.append("structure")
            notice = Notice.read(folder / "document.json")
            tree = Outline.read(folder / "outline.json")
            measures, findings = structure(notice, tree)
            write_measures(measures, outputs[0])
            _write_findings(outputs[1], findings)
            head = {"title": tree.title, "issuer": tree.issuer, "issued_on": tree.issued_on, "pages": notice.pages,
                    "role_words": role_word_count(notice)}
            write_text(outputs[2], json.dumps(head, ensure_ascii=False))
            write_text(stamp, key)
        report.findings += findings
        errors = sum(f.severity == "error" for f in findings)
        return f"{'redone' if st.restructured else 'cached'} {st.notice_id}: {errors} error(s)"

    _per_notice(cfg, report, "structure", one)


def stage_normalize(cfg: Config, report: RunReport) -> None:
    """measures.json → normalized.json, then the candidate curated tables in interim/_candidate/."""
    registry = _registry(cfg.registry)
    records: list[NoticeRecord] = []
    normalized: list[NormalizedMeasure] = []

    def one(st: NoticeStatus) -> str:
        folder = cfg.interim / st.notice_id
        head = json.loads((folder / "header.json").read_text(encoding="utf-8"))
        stamp, key = stage_key(folder, "normalize", (folder / "structure.key").read_text(encoding="utf-8"))
        outputs = (folder / "normalized.json", folder / "normalize.findings.json")
        if cached(stamp, key, *outputs):
            items, findings = read_normalized(outputs[0]), _read_findings(outputs[1])
        else:
            st.redone.append("normalize")
            items, findings = normalize(read_measures(folder / "measures.json"), notice_year(head))
            write_normalized(items, outputs[0])
            _write_findings(outputs[1], findings)
            write_text(stamp, key)
        report.findings += findings
        st.measures, st.pairs = len(items), sum(len(x.assignments) for x in items)
        normalized.extend(items)
        records.append(NoticeRecord(st.notice_id, head["title"], head["issuer"], head["issued_on"], st.source_file,
                                    st.source_format, st.sha256, st.alternates, head["pages"], head.get("role_words", 0)))
        return f"{st.notice_id}: {st.measures} measures, {st.pairs} pairs"

    _per_notice(cfg, report, "normalize", one)
    tables = build_tables(records, normalized, registry)
    write_candidate(cfg.interim / CANDIDATE, tables, records)
    log.info("%d notice(s): %d measures, %d department pairs", len(records), tables["measures"].num_rows, tables["measure_departments"].num_rows)


def notice_year(head: dict) -> int | None:
    """The year a notice speaks in: its date line's, else the first year in its title."""
    if head.get("issued_on"):
        return int(head["issued_on"][:4])
    m = re.search(r"(20\d\d)\s*年", head.get("title") or "")
    return int(m.group(1)) if m else None


def write_candidate(folder: Path, tables: dict, records: list[NoticeRecord]) -> None:
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet")
    write_text(folder / "notices.json", json.dumps([asdict(r) for r in records], ensure_ascii=False, indent=1))


def read_candidate(folder: Path) -> tuple[dict, list[NoticeRecord]]:
    import pyarrow.parquet as pq

    from ..model.tables import SCHEMAS

    if not (folder / "notices.json").exists():
        raise SystemExit(f"{folder} holds no candidate tables: run `python -m pipeline normalize` first")
    tables = {name: pq.read_table(folder / f"{name}.parquet", schema=schema) for name, schema in SCHEMAS.items()}
    records = [NoticeRecord(**r) for r in json.loads((folder / "notices.json").read_text(encoding="utf-8"))]
    return tables, records


def stage_validate(cfg: Config, report: RunReport) -> None:
    """The candidate tables through the GX suites; results into the report folder."""
    tables, records = read_candidate(cfg.interim / CANDIDATE)
    registry = _registry(cfg.registry)
    report_dir = cfg.reports / report.run_id
    report_dir.mkdir(parents=True, exist_ok=True)
    from ..validate import validate  # imports pandas and Great Expectations: only when validating

    with Progress("validate", 3, cfg.progress, unit="frame") as bar:
        validation = validate(tables, records, registry, cfg.expectations, report_dir, report.run_id, bar.step)
    report.validation = {**validation.to_dict(), "tables_hash": content_hash(tables)}  # publish checks it publishes what was validated
    write_failures(report_dir / "failures.parquet", validation.failures)
    report.findings += validation.findings
    report.report_dir = str(report_dir)
    if not validation.passed:
        log.error("blocking checks failed: %s", "; ".join(validation.blocking_failed))
        for nid, rules in sorted(validation.held_back.items()):
            log.error("%s fails: %s", nid, "; ".join(rules))
    for w in validation.warnings:
        log.warning("check with warnings: %s", w)


def stage_publish(cfg: Config, report: RunReport) -> None:
    """The candidate tables to curated/, notice by notice: a notice whose rows fail a blocking
    check, or that could not be read, is held back and keeps the version last published;
    every other notice is published. With --strict, one failure holds back every notice."""
    tables, records = read_candidate(cfg.interim / CANDIDATE)
    registry = _registry(cfg.registry)
    v = report.validation
    if not v:
        raise SystemExit("the candidate tables were not validated: run `python -m pipeline validate` first")
    if v.get("tables_hash") and v["tables_hash"] != content_hash(tables):
        raise SystemExit("the candidate tables changed since they were validated: run `python -m pipeline validate` again")
    held = {nid: rules for nid, rules in (v.get("held_back") or {}).items()}
    for st in report.failed:
        held.setdefault(st.notice_id, []).append(f"unreadable: {st.error}")
    all_ids = {st.notice_id for st in report.notices}
    good = {r.notice_id for r in records} - set(held)
    for st in report.notices:
        st.status = "held back" if st.notice_id in held else "published"
        st.held_because = held.get(st.notice_id, [])
    old_manifest = current_manifest(cfg.curated)
    if v.get("run_blocked") or (cfg.strict and held) or not good:
        report.verdict = "blocked" if (v.get("run_blocked") or held) else "nothing"
        for st in report.notices:
            st.status = "held back"
        why = "; ".join(v.get("run_blocked") or []) or ("--strict: a notice failed" if cfg.strict and held else "no notice passed")
        log.error("nothing published (%s); curated/ left unchanged", why)
    else:
        old = read_curated(cfg.curated) if old_manifest else None
        previously = set(old["notices"].column("notice_id").to_pylist()) if old else set()
        out = combine(tables, good, old, (set(held) & previously) & all_ids)
        digest = content_hash(out)
        if old_manifest and old_manifest.get("content_hash") == digest:
            report.verdict = "unchanged"
            report.published = old_manifest.get("published", [])
            log.info("curated/ already holds exactly these tables; nothing to publish")
        else:
            try:
                report.published = publish(out, cfg.curated, _manifest(report, held, registry, digest), report.run_id, cfg.keep_versions)
                report.verdict = "published"
                report.manifest = current_manifest(cfg.curated) or {}  # the one manifest
                log.info("published version %s: %s", report.manifest.get("version"),
                         ", ".join(f"{f['table']} ({f['rows']} rows)" for f in report.published))
            except (PublishError, OSError) as exc:  # disk full, not writable, a mount point …
                report.verdict = "failed"
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
                report.validation = {**v, "publish_error": f"{why}{where}"}
                log.error("%s: cannot publish: %s%s; curated is left as it was", cfg.curated, why, where)
        for nid, rules in sorted(held.items()):
            if report.verdict == "failed":
                break
            kept = "its last published version stays in curated/" if nid in previously else "nothing of it is in curated/"
            checks = [r for r in rules if not r.startswith("unreadable: ")]  # unreadable files were named once already
            if checks:
                log.error("held back %s: %s (%s)", nid, "; ".join(checks)[:300], kept)
    unread = report.refused_files or any(f.code == "alternate-differs" for f in report.findings)
    if report.verdict in ("published", "unchanged"):
        report.exit_code = EXIT_HELD_BACK if held or unread else EXIT_PUBLISHED
    else:
        report.exit_code = EXIT_NOTHING
        if report.verdict == "failed":
            for st in report.notices:
                st.status = "not published"
    if not report.manifest:  # nothing written to curated/: the same manifest, saying why
        report.manifest = {**_manifest(report, held, registry, None), "verdict": report.verdict, "published": report.published}
    report_dir = cfg.reports / report.run_id
    report.report_dir = str(report_dir)
    try:
        write_report(report, tables, report_dir, cfg.reports, records)
        prune_reports(cfg.reports, cfg.keep_reports)
        record_run(report, cfg.reports)
    except OSError as exc:  # a full disk: say so, and let no stale report pass for this run's
        (cfg.reports / "latest").unlink(missing_ok=True)
        log.error("%s: cannot write the run report: %s; reports/latest removed", exc.filename or report_dir, exc.strerror or exc)
        return
    unknown = sum(1 for _ in (report_dir / "unknown_departments.csv").open(encoding="utf-8")) - 1
    if unknown:
        log.warning("%d department name(s) not in the registry: rows ready for departments.csv in %s", unknown,
                    report_dir / "unknown_departments.csv")
    log.info("report: %s (all runs: %s)", report_dir / "summary.html", cfg.reports / "index.html")


def _manifest(report: RunReport, held: dict[str, list[str]], registry: Registry, digest: str | None) -> dict:
    """What a publish is made from: built here only, written to curated/ and to the report."""
    return {"run_id": report.run_id, "pipeline_version": __version__, "content_hash": digest,
            "verdict": "held back" if held else "passed",
            "inputs": [{"notice_id": st.notice_id, "file": st.source_file, "sha256": st.sha256, "alternates": st.alternates,
                        "extraction": st.extraction, "error": st.error, "status": st.status, "held_because": st.held_because}
                       for st in report.notices],
            "held_back": {nid: rules for nid, rules in sorted(held.items())},
            "fingerprints": {"wording": wording_fingerprint(), "registry": registry.fingerprint}, "curated": report.curated,
            "libraries": library_versions()}


def _prune_interim(interim: Path, keep: set[str]) -> None:
    """Interim results of notices no longer in raw/ go, so they cannot leak into a publish."""
    for d in interim.iterdir():
        if d.is_dir() and not d.name.startswith((".", "_")) and d.name not in keep:
            shutil.rmtree(d)
