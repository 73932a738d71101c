"""A notice's folder in interim/: the one place that names its files. Each stage reads and
writes through it, typed; what a file holds is the model's (model/interim.py, the document, the
outline, the measures), where it lives is here.

Notice folders are sharded by the first two hex digits of their id's SHA-256 (interim/ab/<id>/),
so no folder of a shared filesystem holds a million entries.

    interim/ab/<id>/extract.json                 the extraction's record (its presence: complete)
                 document.json, error.json    the document, or why it could not be read
                 _read/<file>                 the copy of the raw file being parsed
                 outline.json                 outline
                 measures.json, header.json, structure.findings.json       structure
                 normalized.json, normalize.findings.json                   normalize
                 tables/<piece>.arrow, summary.json                         the notice's rows
                 validation.json              what its rows gave each expectation
                 <step>.key                   what a step's cached results were made from

Readers of the stages' own types are imported when used: the extract stage (and a run that finds
nothing changed) needs none of them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Finding
from ..files import atomic_file, sha256_file, write_json, write_text
from ..model import Notice
from ..model.interim import NOTICE_TABLES, Header, Summary, Validation

if TYPE_CHECKING:
    import pyarrow as pa

    from ..normalize import NormalizedMeasure
    from ..outline import Outline
    from ..structure import Measure

EXTRACTION = "extract.json"
ERROR = "error.json"
PIECE_DIR = "tables"
READ = "_read"  # while a notice is parsed: the copy of its raw file

# What each cached step leaves; its results count only when all of them are there with its key.
OUTPUTS = {
    "outline": ("outline.json",),
    "structure": ("measures.json", "structure.findings.json", "header.json"),
    "normalize": ("normalized.json", "normalize.findings.json"),
    "tables": ("summary.json", *(f"{PIECE_DIR}/{name}.arrow" for name in NOTICE_TABLES)),
    "validation": ("validation.json",),
}


class StalePieces(Exception):
    """A notice's pieces are not the ones its digest names (changed since they were checked)."""


@dataclass(frozen=True)
class NoticeFolder:
    path: Path

    @classmethod
    def of(cls, interim: Path, notice_id: str) -> NoticeFolder:
        return cls(interim / shard(notice_id) / notice_id)

    @property
    def notice_id(self) -> str:
        return self.path.name

    # --- cached steps ------------------------------------------------------------------------

    def key(self, step: str) -> str | None:
        """The key the step's results were made with (the first line of its file)."""
        try:
            return (self.path / f"{step}.key").read_text(encoding="utf-8").partition("\n")[0]
        except OSError:
            return None

    def key_parts(self, step: str) -> dict[str, str]:
        """What that key was made from, part by part ({} when not recorded)."""
        try:
            return json.loads((self.path / f"{step}.key").read_text(encoding="utf-8").partition("\n")[2] or "{}")
        except (OSError, ValueError):
            return {}

    def cached(self, step: str, key: str) -> bool:
        """The step's results are there and were made from what `key` describes."""
        return self.key(step) == key and all((self.path / f).exists() for f in OUTPUTS[step])

    def done(self, step: str, key: str) -> None:
        """Written last, after the step's results: a kill before it redoes the step. The key's
        parts, when it has them (run/cache.py: Key), on the line below it."""
        parts = getattr(key, "parts", None)
        write_text(self.path / f"{step}.key", f"{key}\n{json.dumps(parts, ensure_ascii=False)}" if parts else str(key))

    # --- extract -----------------------------------------------------------------------------

    def extraction(self) -> dict[str, Any]:
        """The extraction's record ({} when there is none or it is damaged)."""
        try:
            return json.loads((self.path / EXTRACTION).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            return {}

    def extracted(self) -> bool:
        return (self.path / EXTRACTION).exists() and (self.path / "document.json").exists()

    def start_extraction(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / EXTRACTION).unlink(missing_ok=True)

    def reading_copy(self, name: str) -> Path:
        """Where the raw file is copied to be parsed."""
        (self.path / READ).mkdir(parents=True, exist_ok=True)
        return self.path / READ / name

    def drop_reading_copies(self) -> None:
        shutil.rmtree(self.path / READ, ignore_errors=True)

    def write_extracted(self, notice: Notice, record: dict[str, Any]) -> None:
        notice.write(self.path / "document.json")
        (self.path / ERROR).unlink(missing_ok=True)
        # last: its presence means document.json is complete; the stages after key on its digest
        write_json(self.path / EXTRACTION, {**record, "document_sha256": sha256_file(self.path / "document.json")})

    def write_error(self, error: str, detail: str) -> None:
        write_json(self.path / ERROR, {"error": error, "detail": detail})

    def error(self) -> tuple[str, str] | None:
        """Why the notice could not be read, and the library's words, as its worker wrote them."""
        try:
            d = json.loads((self.path / ERROR).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        return d["error"], d.get("detail", "")

    def document(self) -> Notice:
        return Notice.read(self.path / "document.json")

    def document_sha256(self) -> str:
        """What the stages after extract read of it (hashed when it was written)."""
        return self.extraction().get("document_sha256") or sha256_file(self.path / "document.json")

    # --- outline, structure, normalize -------------------------------------------------------

    def outline(self) -> Outline:
        from ..outline import Outline

        return Outline.read(self.path / "outline.json")

    def write_outline(self, tree: Outline) -> None:
        tree.write(self.path / "outline.json")

    def measures(self) -> list[Measure]:
        from ..structure import read_measures

        return read_measures(self.path / "measures.json")

    def header(self) -> Header:
        return Header.from_json(json.loads((self.path / "header.json").read_text(encoding="utf-8")))

    def write_structure(self, measures: list[Measure], findings: list[Finding], header: Header) -> None:
        from ..structure import write_measures

        write_measures(measures, self.path / "measures.json")
        self._write_findings("structure", findings)
        write_json(self.path / "header.json", header.to_json(), indent=None)

    def normalized(self) -> list[NormalizedMeasure]:
        from ..normalize import read_normalized

        return read_normalized(self.path / "normalized.json")

    def write_normalized(self, items: list[NormalizedMeasure], findings: list[Finding]) -> None:
        from ..normalize import write_normalized

        write_normalized(items, self.path / "normalized.json")
        self._write_findings("normalize", findings)

    def findings(self, stage: str) -> list[Finding]:
        return [Finding(**f) for f in json.loads((self.path / f"{stage}.findings.json").read_text(encoding="utf-8"))]

    def _write_findings(self, stage: str, findings: list[Finding]) -> None:
        write_text(self.path / f"{stage}.findings.json", json.dumps([asdict(f) for f in findings], ensure_ascii=False))

    # --- the notice's rows -------------------------------------------------------------------

    def write_pieces(self, tables: dict[str, pa.Table]) -> str:
        """The notice's rows of the curated tables as Arrow files; returns their digest."""
        import pyarrow as pa

        h = hashlib.sha256()
        for name in NOTICE_TABLES:
            path = self.path / PIECE_DIR / f"{name}.arrow"
            with atomic_file(path) as sink, pa.ipc.new_file(sink, tables[name].schema) as w:
                w.write_table(tables[name])
            h.update(name.encode() + path.read_bytes())
        return h.hexdigest()

    def pieces(self, digest: str | None = None) -> dict[str, pa.Table]:
        """The notice's rows; with `digest`, only if they are still the rows it names."""
        import pyarrow as pa

        out = {}
        h = hashlib.sha256()
        for name in NOTICE_TABLES:
            data = (self.path / PIECE_DIR / f"{name}.arrow").read_bytes()
            h.update(name.encode() + data)
            out[name] = pa.ipc.open_file(pa.py_buffer(data)).read_all()
        if digest is not None and h.hexdigest() != digest:
            raise StalePieces(f"{self.notice_id}: its rows changed since they were validated")
        return out

    def summary(self) -> Summary:
        return Summary.from_json(json.loads((self.path / "summary.json").read_text(encoding="utf-8")))

    def write_summary(self, summary: Summary) -> None:
        write_json(self.path / "summary.json", summary.to_json(), indent=None)

    # --- validation --------------------------------------------------------------------------

    def validation(self) -> Validation:
        return Validation.from_json(json.loads((self.path / "validation.json").read_text(encoding="utf-8")))

    def write_validation(self, validation: Validation) -> None:
        write_json(self.path / "validation.json", validation.to_json(), indent=None)


def shard(notice_id: str) -> str:
    """The folder of interim/ a notice's folder is in: 256 of them, whatever the ids."""
    return hashlib.sha256(notice_id.encode("utf-8", "surrogateescape")).hexdigest()[:2]


def is_notice_folder(path: Path) -> bool:
    """A folder an extraction left (complete or failed): how a folder of the layout before
    interim/.pipeline/ is told from one the pipeline did not make."""
    return (path / EXTRACTION).is_file() or (path / ERROR).is_file()
