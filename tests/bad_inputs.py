"""Builders of bad inputs, each a file (or link) a data team has really been sent or made by
accident. Used by tests/test_bad_input.py; each returns the path it made."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from .conftest import NOTICES, SAMPLES

TABLE_NOTICE = SAMPLES / f"{NOTICES[0]}.txt"
SECRET = "TOP-SECRET-7f3a9c"  # the text of a file outside raw/ that must reach no output


def sample_text() -> str:
    return TABLE_NOTICE.read_text(encoding="utf-8")


def empty(raw: Path, ext: str) -> Path:
    p = raw / f"empty.{ext}"
    p.write_bytes(b"")
    return p


def truncated(raw: Path, ext: str) -> Path:
    data = (SAMPLES / f"{NOTICES[0]}.{ext}").read_bytes()
    p = raw / f"truncated.{ext}"
    p.write_bytes(data[: len(data) // 3])
    return p


def renamed(raw: Path, real_ext: str, as_ext: str) -> Path:
    """A notice in one format under another format's extension."""
    p = raw / f"{real_ext}-as-{as_ext}.{as_ext}"
    p.write_bytes((SAMPLES / f"{NOTICES[0]}.{real_ext}").read_bytes())
    return p


def encoded(raw: Path, encoding: str) -> Path:
    text = sample_text()
    if encoding == "big5":  # the simplified sample has characters Big5 lacks: its traditional lines only
        text = "天津市人民政府辦公廳關於印發擴大開放措施的通知\n\n各區人民政府，市政府各委、辦、局：\n經市人民政府同意，現將措施印發給你們，請認真貫徹執行。\n"
    data = text.encode(encoding)
    if encoding == "utf-16":
        assert data[:2] in (b"\xff\xfe", b"\xfe\xff")  # Python writes the BOM
    p = raw / f"enc-{encoding}.txt"
    p.write_bytes(data)
    return p


def garbage_text(raw: Path) -> Path:
    """UTF-8 read as Latin-1 and saved again: mojibake that decodes but says nothing."""
    p = raw / "mojibake.txt"
    p.write_text(sample_text().encode("utf-8").decode("latin-1"), encoding="utf-8")
    return p


def _docx_with(document_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    src = SAMPLES / f"{NOTICES[0]}.docx"
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = document_xml if item.filename == "word/document.xml" else zin.read(item.filename)
            zout.writestr(item.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return out.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def zip_bomb(raw: Path) -> Path:
    """A small .docx whose document.xml inflates to 300 MB."""
    body = b"<w:p><w:r><w:t>" + b"A" * 1000 + b"</w:t></w:r></w:p>"
    xml = f'<?xml version="1.0"?><w:document {W}><w:body>'.encode() + body * 300_000 + b"</w:body></w:document>"
    p = raw / "zip-bomb.docx"
    p.write_bytes(_docx_with(xml))
    return p


def billion_laughs(raw: Path) -> Path:
    ents = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">{ents}]>'
           f'<w:document {W}><w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>').encode()
    p = raw / "billion-laughs.docx"
    p.write_bytes(_docx_with(xml))
    return p


def xxe(raw: Path, secret_file: Path) -> Path:
    secret_file.write_text(SECRET, encoding="utf-8")
    xml = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret_file}">]>'
           f'<w:document {W}><w:body><w:p><w:r><w:t>一、责任单位：&x;</w:t></w:r></w:p></w:body></w:document>').encode()
    p = raw / "xxe.docx"
    p.write_bytes(_docx_with(xml))
    return p


def xxe_html(raw: Path, secret_file: Path) -> Path:
    secret_file.write_text(SECRET, encoding="utf-8")
    p = raw / "xxe-page.html"
    p.write_text(f'<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html [<!ENTITY x SYSTEM "file://{secret_file}">]>'
                 '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>一、推进工作。（责任单位：&x;）</p></body></html>', encoding="utf-8")
    return p


def xhtml(raw: Path) -> Path:
    """A saved XHTML page with an XML declaration naming its encoding (GBK)."""
    prose = (SAMPLES / f"{NOTICES[1]}.txt").read_text(encoding="utf-8")
    body = "".join(f"<p>{line}</p>" for line in prose.splitlines() if line.strip())
    page = f'<?xml version="1.0" encoding="gbk"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>通知</title></head><body>{body}</body></html>'
    p = raw / "xhtml-page.html"
    p.write_bytes(page.encode("gbk", errors="ignore"))
    return p


def deep_html(raw: Path, depth: int = 100_000) -> Path:
    head = "<p>一、优化服务。（责任单位：市政务服务办）</p>"
    tail = "<p>二、提升效能。（责任单位：市数据局）</p>"
    p = raw / "deep.html"
    p.write_text(f"<html><body>{head}" + "<div>" * depth + "深" + "</div>" * depth + f"{tail}</body></html>", encoding="utf-8")
    return p


def odd_names(raw: Path) -> list[Path]:
    out = []
    for name in ("with space.txt", "quote's \"double\".txt", "中文名称通知.txt", "-leading-dash.txt"):
        p = raw / name
        p.write_text(sample_text().replace("天津市", "天津市", 1), encoding="utf-8")
        out.append(p)
    return out


def gbk_name(raw: Path) -> Path:
    """A file name in GBK bytes, as a zip from Chinese Windows unpacks it on Linux."""
    name = "关于印发通知.txt".encode("gbk")
    path = os.path.join(os.fsencode(raw), name)
    with open(path, "wb") as fh:
        fh.write(sample_text().encode("utf-8"))
    return Path(os.fsdecode(path))


def newline_name(raw: Path) -> Path:
    p = raw / "forged\nERROR everything failed.txt"
    p.write_text(sample_text(), encoding="utf-8")
    return p


def symlinks(raw: Path, outside: Path) -> list[Path]:
    outside.write_text(f"{SECRET}\n一、推进工作。（责任单位：市数据局）\n", encoding="utf-8")
    out = [raw / "passwd.txt", raw / "loop-a.txt", raw / "loop-b.txt", raw / "dangling.txt"]
    os.symlink(outside, out[0])
    os.symlink("loop-b.txt", out[1])
    os.symlink("loop-a.txt", out[2])
    os.symlink(raw / "does-not-exist.txt", out[3])
    return out


def table_headed_main_task(raw: Path) -> Path:
    text = ("附件\n\n某市重点任务分工表\n\n序号\t主要任务\t责任单位\t完成时限\n"
            "1\t推进一网通办。\t市政务服务办\t2026年5月\n2\t优化窗口服务。\t市数据局\t2026年6月\n")
    p = raw / "main-task.txt"
    p.write_text(text, encoding="utf-8")
    return p


def encrypted_pdf(raw: Path, user_password: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(SAMPLES / f"{NOTICES[0]}.pdf"))
    w.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    p = raw / f"encrypted-{'locked' if user_password else 'owner-only'}.pdf"
    with p.open("wb") as fh:
        w.write(fh)
    return p


def _page_image(page_no: int = 0, resolution: int = 100, top: float = 1.0):
    """A sample page as a scanner gives it, or only its `top` part (OCR's time goes with the
    lines it reads: a check of how a scanned page is reported needs a few, not a page's worth)."""
    import pdfplumber

    with pdfplumber.open(SAMPLES / f"{NOTICES[0]}.pdf") as pdf:
        im = pdf.pages[page_no].to_image(resolution=resolution).original.convert("RGB")
    return im.crop((0, 0, im.width, round(im.height * top)))


def image_only_pdf(raw: Path, top: float = 1.0) -> Path:
    p = raw / "scanned.pdf"
    _page_image(top=top).save(p, "PDF", resolution=100)
    return p


def pdf_with_a_scanned_page(raw: Path, page_no: int = 1, top: float = 1.0) -> Path:
    """The sample PDF with one more page that is only an image (a scanned, stamped page): its
    page `page_no` (from 0) again, or the `top` part of it."""
    from pypdf import PdfReader, PdfWriter

    scan = io.BytesIO()
    _page_image(page_no, top=top).save(scan, "PDF", resolution=100)
    w = PdfWriter(clone_from=PdfReader(SAMPLES / f"{NOTICES[0]}.pdf"))
    w.append(PdfReader(scan))
    p = raw / "with-scan.pdf"
    with p.open("wb") as fh:
        w.write(fh)
    return p


HELVETICA = b"/Type /Font /Subtype /Type1 /BaseFont /Helvetica"


def _pdf(pages: list[bytes], font: bytes = HELVETICA, to_unicode: bytes | None = None) -> bytes:
    """A minimal PDF: one content stream per page, one font /F1 (the entries of its dictionary,
    Helvetica unless given) with `to_unicode` as its /ToUnicode CMap when given."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for content in pages:
        n = len(objs) + 1
        kids.append(f"{n} 0 R")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {n + 1} 0 R /Resources << /Font << /F1 {{font}} 0 R >> >> >>".encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    font_no = len(objs) + 1
    if to_unicode is None:
        objs.append(b"<< " + font + b" >>")
    else:
        objs.append(b"<< %s /ToUnicode %d 0 R >>" % (font, font_no + 1))
        objs.append(b"<< /Length %d >>\nstream\n" % len(to_unicode) + to_unicode + b"\nendstream")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    objs = [o.replace(b"{font}", str(font_no).encode()) for o in objs]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + o + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def many_pages_pdf(raw: Path, pages: int = 2000) -> Path:
    p = raw / "two-thousand-pages.pdf"
    p.write_bytes(_pdf([b"BT /F1 12 Tf 72 770 Td (Page %d) Tj ET" % i for i in range(pages)]))
    return p


def dense_glyphs_pdf(raw: Path, n: int = 400_000) -> Path:
    """One content stream placing 400k tiny characters, each at a place of its own (400 to a line),
    so that no reader may fold them together as a glyph drawn twice."""
    step = b"(x) Tj 1.2 0 Td "
    wrap = b"(x) Tj -478.8 -2 Td "
    body = b"BT /F1 1 Tf 10 830 Td " + b"".join(wrap if i % 400 == 399 else step for i in range(n)) + b"ET"
    p = raw / "dense-glyphs.pdf"
    p.write_bytes(_pdf([body]))
    return p


def scanned_copy(src: Path, out: Path, angle: float = 0.0, noise: float = 0.0, dpi: int = 200, seed: int = 3) -> Path:
    """A scanned form of a text PDF: every page rasterized at `dpi`, optionally turned by `angle`
    degrees and given Gaussian noise, saved as an image-only PDF of the same page size."""
    import numpy as np
    import pdfplumber
    from PIL import Image

    rng = np.random.default_rng(seed)
    pages = []
    with pdfplumber.open(src) as pdf:
        for page in pdf.pages:
            im = page.to_image(resolution=dpi).original.convert("L")
            if angle:
                im = im.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
            if noise:
                a = np.asarray(im).astype(np.float32) + rng.normal(0, noise, (im.height, im.width))
                im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
            pages.append(im.convert("RGB"))
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out
