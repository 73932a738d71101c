"""OFD (GB/T 33190): the sample notices written as OFD by tests/ofd_writer.py (glyph runs with
DeltaX, `g N d` repeats, ruling lines as paths, shared fonts) read exactly as their gold, and
the package guarded like a .docx."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.errors import ExtractError

from .conftest import NOTICES, SAMPLES, assert_matches_gold, extract, run_on
from .ofd_writer import pdf_to_ofd


@pytest.fixture(scope="module")
def ofd_run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("ofd")
    forms = [pdf_to_ofd(SAMPLES / f"{doc}.pdf", tmp / f"{doc}.ofd") for doc in NOTICES]
    return run_on(forms, tmp / "run")


@pytest.mark.parametrize("doc", NOTICES)
def test_the_samples_as_ofd_match_their_gold(ofd_run, doc: str) -> None:
    report, cfg = ofd_run
    assert report.exit_code == 0
    assert_matches_gold(cfg.curated, doc)


def test_ofd_rows_carry_their_page(ofd_run) -> None:
    _, cfg = ofd_run
    notices = {r["notice_id"]: r for r in pq.read_table(cfg.curated / "notices").to_pylist()}
    assert {r["source_format"] for r in notices.values()} == {"ofd"} and notices[NOTICES[0]]["pages"] == 12
    refs = [r["source_ref"] for r in pq.read_table(cfg.curated / "measures").to_pylist() if r["notice_id"] == NOTICES[0]]
    assert refs[0] == "p.1 table 1 row 3 col 1" and refs[-1].startswith("p.12 table ")


def _ofd_with(tmp: Path, replace: dict[str, bytes]) -> Path:
    src = pdf_to_ofd(SAMPLES / f"{NOTICES[0]}.pdf", tmp / "src.ofd")
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, replace.get(item.filename, zin.read(item.filename)))
    p = tmp / "bad.ofd"
    p.write_bytes(out.getvalue())
    return p


def test_an_ofd_with_entity_declarations_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>&x;</ofd:DocRoot></ofd:DocBody></ofd:OFD>').encode()
    with pytest.raises(ExtractError, match=r"^refused: OFD\.xml declares XML entities"):
        extract(_ofd_with(tmp_path, {"OFD.xml": xxe}))


def test_a_damaged_or_incomplete_ofd_is_named(tmp_path: Path) -> None:
    cut = tmp_path / "cut.ofd"
    cut.write_bytes(pdf_to_ofd(SAMPLES / f"{NOTICES[0]}.pdf", tmp_path / "whole.ofd").read_bytes()[:3000])
    with pytest.raises(ExtractError, match=r"^not a readable OFD file: the package is damaged or cut short$"):
        extract(cut)
    doc = b'<?xml version="1.0"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_99/Content.xml"/></ofd:Pages></ofd:Document>'
    with pytest.raises(ExtractError, match=r"^not a complete OFD file: Doc_0/Pages/Page_99/Content\.xml is missing from the package$"):
        extract(_ofd_with(tmp_path, {"Doc_0/Document.xml": doc}))
