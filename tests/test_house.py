"""The house: imports run down the data flow with no cycle, extraction reads no wording, each
stage's cache is keyed on exactly the wording it reads, formats are known by their content, and
a command imports only what it runs."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.run.folder import NoticeFolder

from .conftest import SAMPLES, extract, run_on

PKG = Path(__file__).parent.parent / "pipeline"
FLOW = ["extract", "outline", "structure", "normalize", "validate", "publish", "report", "run"]  # report and run sit beside the end
SHARED = {"model", "wording", "errors", "files", "csvio", "lock", "numerals", "settings", "logs", "__init__"}


def _module(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules of the package this file imports, at run time (TYPE_CHECKING blocks aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module(path)
    pkg = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = pkg.split(".")
                    base = base[: len(base) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.startswith("pipeline"):
                    out.add(target)
                    for alias in child.names:  # from . import x may name a submodule
                        sub = f"{target}.{alias.name}"
                        if (PKG.parent / sub.replace(".", "/")).with_suffix(".py").exists() or (PKG.parent / sub.replace(".", "/")).is_dir():
                            out.add(sub)
            elif isinstance(child, ast.Import):
                out.update(a.name for a in child.names if a.name.startswith("pipeline"))
            visit(child)

    visit(tree)
    return out - {me}


def _graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in PKG.rglob("*.py")}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}

    def dfs(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in graph.get(m, ()):
            if n not in graph:
                continue
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " → ".join([*path, m, n]))
            if not state.get(n):
                dfs(n, [*path, m])
        state[m] = 2

    for m in graph:
        if not state.get(m):
            dfs(m, [])


HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
DESCRIPTIONS = ("model/tables.py", {"MEANINGS", "_KEY", "_SHARED"})  # the published columns' descriptions


def _han_literals(source: str, where: str) -> list[tuple[int, str]]:
    """String constants holding Chinese characters (f-strings' parts and regexes too), docstrings
    aside (they explain, they do not match); in model/tables.py, the columns' descriptions aside."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body and \
                isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))
        if where == DESCRIPTIONS[0] and isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in DESCRIPTIONS[1] for t in targets):
                skip.update(id(c) for c in ast.walk(node) if isinstance(c, ast.Constant))
    return sorted((n.lineno, n.value) for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip and HAN.search(n.value))


def test_no_chinese_literal_outside_the_wording() -> None:
    """Words of notices are data (wording/*.toml): code names none, so a new wording is an edit of a
    file and each stage's cache knows it. The published columns' descriptions are the one exception."""
    found = {(rel, value): line for p in sorted(PKG.rglob("*.py")) if "wording" not in (rel := p.relative_to(PKG).as_posix()).split("/")
             for line, value in _han_literals(p.read_text(encoding="utf-8"), rel)}
    stray = sorted(f"{path}:{line}: {value!r}" for (path, value), line in found.items())
    assert not stray, "Chinese literals outside wording/ (move them into its TOML files):\n" + "\n".join(stray)


def test_the_chinese_literal_check_sees_regexes_and_f_strings_not_docstrings_or_descriptions() -> None:
    code = 'def f(n):\n    """附件: a docstring."""\n    x = re.compile(r"第\\d+页")\n    return f"the last {n} 序号", "a row", x\nMEANINGS = {"part": "附件N"}\n'
    assert _han_literals(code, "extract/pdf/prose.py") == [(3, "第\\d+页"), (4, " 序号"), (5, "附件N")]
    assert _han_literals(code, "model/tables.py") == [(3, "第\\d+页"), (4, " 序号")]


def test_imports_run_down_the_flow_and_extract_reads_no_wording() -> None:
    for module, imports in _graph().items():
        here = _stage(module)
        for target in imports:
            there = _stage(target)
            if here == "extract":
                assert there != "wording", f"{module} imports {target}: extraction reads no wording"
            if here in FLOW and there in FLOW:
                assert FLOW.index(there) <= FLOW.index(here), f"{module} imports {target}: an import back up the flow"
            if here in SHARED - {"__init__"} and there not in SHARED:
                raise AssertionError(f"{module} (shared) imports the stage {target}")


def _run(raw: Path, tmp: Path, wording: Path) -> dict[str, dict]:
    env = {**os.environ, "PIPELINE_WORDING": str(wording)}
    args = ["--raw", str(raw), "--interim", str(tmp / "interim"), "--curated", str(tmp / "curated"), "--reports", str(tmp / "reports"), "-q"]
    res = subprocess.run([sys.executable, "-m", "pipeline", "run", *args], capture_output=True, text=True, env=env, check=False)
    assert res.returncode == 0, res.stderr
    state = json.loads((tmp / "interim" / ".pipeline" / "run.json").read_text(encoding="utf-8"))
    return {n["notice_id"]: {"extraction": n["extraction"], "redone": n["redone"]} for n in state["notices"]}


@pytest.mark.slow
def test_editing_a_wording_file_redoes_exactly_the_stages_that_read_it(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLES / "tjftz-business-environment-2024.txt", raw / "plan.txt")
    shutil.copy(SAMPLES / "tj-opening-measures-duty-table.pdf", raw / "table.pdf")
    wording = tmp_path / "wording"
    shutil.copytree(PKG / "wording", wording, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    first = _run(raw, tmp_path, wording)
    assert first == {n: {"extraction": "parsed", "redone": ["outline", "structure", "normalize", "tables"]} for n in ("plan", "table")}

    def edit(name: str) -> dict[str, dict]:
        with (wording / f"{name}.toml").open("a", encoding="utf-8") as fh:
            fh.write("\n# edited by a test\n")
        return _run(raw, tmp_path, wording)

    # the numbering grammar is read by the outline and by structure (normalize and the notice's
    # Arrow pieces follow structure); both backends are handed the lexicon, which holds its markers
    # (a PDF line opening an item ends a paragraph), so both files are read again
    assert edit("numbering") == {n: {"extraction": "parsed", "redone": ["outline", "structure", "normalize", "tables"]} for n in ("plan", "table")}
    # deadline forms: structure (a deadline inside a statement) and normalize, not the outline; the
    # lexicon holds them (a glued table's deadline cells), so both are extracted again — into the
    # same documents, which the outline is keyed on: it is not redone
    assert edit("deadlines") == {n: {"extraction": "parsed", "redone": ["structure", "normalize", "tables"]} for n in ("plan", "table")}
    # department words reach both backends as their lexicon; the outline reads none of them
    assert edit("departments") == {n: {"extraction": "parsed", "redone": ["structure", "normalize", "tables"]} for n in ("plan", "table")}
    # a file the lexicon is not made of: the extractions stay, the stages that read it are redone
    assert edit("traditional") == {n: {"extraction": "cached", "redone": ["outline", "structure", "normalize", "tables"]} for n in ("plan", "table")}
    # nothing edited: nothing redone
    assert _run(raw, tmp_path, wording) == {n: {"extraction": "cached", "redone": []} for n in ("plan", "table")}


def test_a_file_is_read_as_what_its_content_is(tmp_path: Path) -> None:
    renamed = tmp_path / "notice.pdf"
    shutil.copy(SAMPLES / "tjftz-business-environment-2024.docx", renamed)
    notice = extract(renamed)
    assert notice.source_format == "docx" and any(b.table for b in notice.parts[0].blocks)


PROBE = """
import json, sys
from pipeline.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --help
    code = exc.code
print(json.dumps({"exit": code, "imported": sorted(m for m in ("great_expectations", "pandas", "pyarrow", "dask", "distributed") if m in sys.modules)}))
"""


def _imported_by(*args: str) -> dict:
    """The command run in a fresh interpreter: its exit code and which heavy libraries it imported."""
    res = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False,
                         env={**os.environ, "GX_ANALYTICS_ENABLED": "False"})
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_help_and_a_run_with_nothing_to_check_import_neither_gx_nor_pandas_nor_pyarrow_nor_dask(tmp_path: Path) -> None:
    assert _imported_by("--help") == {"exit": 0, "imported": []}
    _, cfg = run_on([SAMPLES / "tjftz-business-environment-2024.txt"], tmp_path)
    folders = ["--raw", str(cfg.raw), "--interim", str(cfg.interim), "--curated", str(cfg.curated), "--reports", str(cfg.reports), "-q"]
    assert _imported_by("run", *folders) == {"exit": 0, "imported": []}  # nothing changed: extract's check only
    assert _imported_by("run", *folders, "--executor", "dask") == {"exit": 0, "imported": []}  # no cluster is started for it
    # a new file that cannot be read: the run goes on to publish, but no notice needs checking, so GX stays out
    (cfg.raw / "empty.txt").write_bytes(b"")
    got = _imported_by("run", *folders)
    assert got["exit"] == 1 and "great_expectations" not in got["imported"]
    state = json.loads((cfg.interim / ".pipeline" / "run.json").read_text(encoding="utf-8"))
    assert state["validated"] == [] and state["verdict"] == "unchanged"


def test_each_stage_is_keyed_on_the_code_it_runs_and_what_it_reads_never_on_timings(tmp_path: Path) -> None:
    """A comment edited in report/ (which no stage imports) redoes no notice; an edit in
    structure/ redoes structure and what imports it (normalize, the notice's rows, its checks),
    not the outline, not the extraction. A notice read again into the same document (its
    extraction took other seconds) redoes nothing after it. The pipeline runs from a copy of itself."""
    code = tmp_path / "code"
    shutil.copytree(PKG, code / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PKG.parent / "expectations", code / "expectations")
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("tjftz-business-environment-2024.txt", "tj-opening-measures-duty-table.txt"):
        shutil.copy(SAMPLES / name, raw / name)
    interim = tmp_path / "interim"

    def run() -> tuple[dict[str, tuple[str, list[str]]], list[str]]:
        """Per notice: its extraction (parsed, cached) and the stages redone; the notices checked again."""
        args = ["--raw", str(raw), "--interim", str(interim), "--curated", str(tmp_path / "curated"), "--reports", str(tmp_path / "reports"), "-q"]
        res = subprocess.run([sys.executable, "-m", "pipeline", "run", *args], capture_output=True, text=True, check=False, cwd=code,
                             env={**os.environ, "PYTHONPATH": str(code), "GX_ANALYTICS_ENABLED": "False"})
        assert res.returncode == 0, res.stderr
        state = json.loads((interim / ".pipeline" / "run.json").read_text(encoding="utf-8"))
        return {n["notice_id"]: (n["extraction"], n["redone"]) for n in state["notices"]}, sorted(state["validated"])

    def edit(module: str) -> None:
        with (code / "pipeline" / module).open("a", encoding="utf-8") as fh:
            fh.write("\n# edited by a test\n")

    one, other = both = sorted(p.stem for p in raw.iterdir())
    assert run()[1] == both
    edit("report/__init__.py")
    assert run() == ({n: ("cached", []) for n in both}, [])
    edit("structure/measure.py")
    assert run() == ({n: ("cached", ["structure", "normalize", "tables"]) for n in both}, both)
    (NoticeFolder.of(interim, one).path / "extract.json").unlink()  # read again: the same document, other seconds
    assert run() == ({one: ("parsed", []), other: ("cached", [])}, [])


def test_a_document_of_another_schema_is_refused_when_read(tmp_path: Path) -> None:
    from pipeline.model import DOCUMENT_SCHEMA_VERSION, Notice, SchemaMismatch

    notice = extract(SAMPLES / "tjftz-business-environment-2024.txt")
    path = tmp_path / "document.json"
    notice.write(path)
    assert Notice.read(path) == notice
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["schema_version"] == DOCUMENT_SCHEMA_VERSION
    path.write_text(json.dumps({**written, "schema_version": "3"}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SchemaMismatch, match=f"schema 3, this pipeline reads schema {DOCUMENT_SCHEMA_VERSION}: extract it again"):
        Notice.read(path)
