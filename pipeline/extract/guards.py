"""Limits a package must keep before any parser opens it: .docx (and any zip of XML, such as
OFD) may not inflate without bound, and no XML part may hold a DOCTYPE (a DTD declares entities,
which can expand without bound or pull a local file into the output).

The DOCTYPE is looked for by the parser, not in the bytes: it may stand after any length of
comments and in any encoding the XML declaration or a byte-order mark names (UTF-16), which a
scan of the first bytes misses. The parser is lxml's (libxml2), the one python-docx and the OFD
backend read the parts with, so the check sees each part as they see it."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO, Any

from lxml import etree

from ..errors import ExtractError

MAX_ENTRIES = 10_000
MAX_TOTAL = 512 * 1024 * 1024  # bytes once inflated, all entries
MAX_XML = 64 * 1024 * 1024  # one XML entry inflated
CONTENT_TYPES = "[Content_Types].xml"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


class _Doctype(Exception):
    pass


class _RefuseDoctype:
    """A parser target that builds nothing and raises at a DOCTYPE. lxml raises it when the parse
    ends, ahead of any error later in the part (entities past libxml2's amplification limit), so
    a part with a DOCTYPE is always refused as one."""

    def doctype(self, name: str, public_id: str | None, system_url: str | None) -> None:
        raise _Doctype

    def close(self) -> None:
        return None


def refuse_doctype(data: bytes, part: str, noun: str) -> None:
    """One XML part parsed through (no DTD loaded, no entity expanded, no network): refused at
    a DOCTYPE wherever it stands, and named when it is not well-formed XML."""
    parser = etree.XMLParser(target=_RefuseDoctype(), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        etree.fromstring(data, parser)
    except _Doctype:
        raise ExtractError(f"refused: {part} declares XML entities or a DTD (a DOCTYPE): entities can expand without bound "
                           "or read local files") from None
    except etree.XMLSyntaxError as exc:
        raise ExtractError(f"not {noun}: {part} is damaged (not well-formed XML)", detail=str(exc)) from exc


PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True)


def parse_xml(data: bytes, part: str, noun: str) -> Any:
    """One XML part of a package as a tree, once `refuse_doctype` let it through."""
    refuse_doctype(data, part, noun)
    return etree.fromstring(data, PARSER)


def guard_zip(source: Path | IO[bytes], noun: str) -> None:
    """The entry count and the inflated sizes within bounds."""
    try:
        z = zipfile.ZipFile(source)
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
            if i.filename.endswith((".xml", ".rels")):
                _within_part_limit(i)


def guard_xml_parts(z: zipfile.ZipFile, noun: str) -> None:
    """Every XML part of an Open XML package (.docx) through `refuse_doctype` before python-docx reads
    any: [Content_Types].xml and every .rels (its package reader parses them by name), and every
    part whose content type is XML, whatever its name (the content type, not the name, makes
    python-docx parse a part). Images (SVG) are never parsed and are left alone."""
    types = _content_types(z, noun)
    for info in z.infolist():
        name, ctype = info.filename, types.get(info.filename, "")
        if name.endswith(".rels") or (not ctype.startswith("image/") and (ctype.endswith("xml") or name.lower().endswith(".xml"))):
            _within_part_limit(info)
            refuse_doctype(_read(z, name, noun), name, noun)


def _within_part_limit(info: zipfile.ZipInfo) -> None:
    if info.file_size > MAX_XML:
        raise ExtractError(f"refused: {info.filename} would inflate to {info.file_size >> 20} MB (a zip bomb?); "
                           f"at most {MAX_XML >> 20} MB per part are read")


def _content_types(z: zipfile.ZipFile, noun: str) -> dict[str, str]:
    """Entry name -> its content type, lower case: by name (Override), else by extension (Default)."""
    if CONTENT_TYPES not in z.namelist():
        return {}
    root = parse_xml(_read(z, CONTENT_TYPES, noun), CONTENT_TYPES, noun)
    defaults = {el.get("Extension", "").lower(): el.get("ContentType", "") for el in root.iterchildren(f"{{{TYPES_NS}}}Default")}
    overrides = {el.get("PartName", "").lstrip("/").lower(): el.get("ContentType", "") for el in root.iterchildren(f"{{{TYPES_NS}}}Override")}
    return {n: overrides.get(n.lower(), defaults.get(n.rsplit(".", 1)[-1].lower(), "")).lower() for n in z.namelist()}


def _read(z: zipfile.ZipFile, name: str, noun: str) -> bytes:
    try:
        return z.read(name)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ExtractError(f"not {noun}: {name} is damaged in the package", detail=f"{type(exc).__name__}: {exc}") from exc
