"""Limits a package must keep before any parser opens it: .docx (and any zip of XML, such as
OFD) may not inflate without bound and may not declare XML entities (which can expand without
bound or pull a local file into the output)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import ExtractError

MAX_ENTRIES = 10_000
MAX_TOTAL = 512 * 1024 * 1024  # bytes once inflated, all entries
MAX_XML = 64 * 1024 * 1024  # one XML entry inflated
PROLOG = 4096  # a DOCTYPE can only stand before the root element


def guard_zip(path: Path, noun: str) -> None:
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ExtractError(f"not {noun}: the zip package is damaged or cut short", detail=f"{type(exc).__name__}: {exc}") from exc
    with z:
        infos = z.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ExtractError(f"refused: the package holds {len(infos)} entries (a zip bomb?); at most {MAX_ENTRIES} are read")
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL:
            raise ExtractError(f"refused: the package would inflate to {total >> 20} MB (a zip bomb?); at most {MAX_TOTAL >> 20} MB are read")
        for i in infos:
            if not i.filename.endswith((".xml", ".rels")):
                continue
            if i.file_size > MAX_XML:
                raise ExtractError(f"refused: {i.filename} would inflate to {i.file_size >> 20} MB (a zip bomb?); "
                                   f"at most {MAX_XML >> 20} MB per part are read")
            try:
                with z.open(i) as fh:
                    head = fh.read(PROLOG)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise ExtractError(f"not {noun}: {i.filename} is damaged in the package", detail=f"{type(exc).__name__}: {exc}") from exc
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise ExtractError(f"refused: {i.filename} declares XML entities (they can expand without bound or read local files)")
