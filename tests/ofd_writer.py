"""Writes an OFD file (GB/T 33190) from a text PDF, as an OFD converter does: every glyph a
TextObject at its place (millimetres, baseline-positioned TextCode), every ruling line a
PathObject, fonts as shared resources. The tests read the samples in this form."""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pdfplumber

MM = 25.4 / 72  # millimetres per point
ASCENT = 0.88
NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _f(v: float) -> str:
    return f"{v * MM:.3f}"


def _runs(chars: list[dict]) -> list[list[dict]]:
    """Glyphs written one after another on one line in one font: one TextCode each."""
    out: list[list[dict]] = []
    for c in chars:
        prev = out[-1][-1] if out else None
        if (prev is not None and abs(c["top"] - prev["top"]) < 0.5 and c["fontname"] == prev["fontname"] and c["size"] == prev["size"]
                and 0 <= c["x0"] - prev["x0"] <= 3 * c["size"]):
            out[-1].append(c)
        else:
            out.append([c])
    return out


def _delta_x(steps: list[float]) -> str:
    """DeltaX with repeats written `g N d`, as OFD writers compress them."""
    parts: list[str] = []
    i = 0
    while i < len(steps):
        j = i
        while j < len(steps) and abs(steps[j] - steps[i]) < 1e-6:
            j += 1
        d = f"{steps[i] * MM:.4f}"
        parts.append(f"g {j - i} {d}" if j - i > 2 else " ".join([d] * (j - i)))
        i = j
    return " ".join(parts)


def pdf_to_ofd(pdf_path: Path, out: Path) -> Path:
    fonts: dict[str, int] = {}
    pages: list[str] = []
    next_id = 100
    with pdfplumber.open(pdf_path) as pdf:
        width, height = float(pdf.pages[0].width), float(pdf.pages[0].height)
        for page in pdf.pages:
            objs = []
            for run in _runs([c for c in page.chars if c["text"].strip()]):
                first, last = run[0], run[-1]
                fid = fonts.setdefault(first["fontname"], len(fonts) + 1)
                next_id += 1
                size = float(first["size"])
                deltas = _delta_x([b["x0"] - a["x0"] for a, b in itertools.pairwise(run)])
                objs.append(f'<ofd:TextObject ID="{next_id}" Boundary="{_f(first["x0"])} {_f(first["top"])} {_f(last["x1"] - first["x0"])} '
                            f'{_f(size)}" Font="{fid}" Size="{_f(size)}"><ofd:TextCode X="0" Y="{_f(ASCENT * size)}"'
                            + (f' DeltaX="{deltas}"' if deltas else "") + f'>{escape("".join(c["text"] for c in run))}</ofd:TextCode></ofd:TextObject>')
            for e in page.edges:
                next_id += 1
                x0, top, x1, bottom = float(e["x0"]), float(e["top"]), float(e["x1"]), float(e["bottom"])
                objs.append(f'<ofd:PathObject ID="{next_id}" Boundary="{_f(x0)} {_f(top)} {_f(x1 - x0 or 0.01)} {_f(bottom - top or 0.01)}" '
                            f'LineWidth="0.25"><ofd:AbstractData>M 0 0 L {_f(x1 - x0)} {_f(bottom - top)}</ofd:AbstractData></ofd:PathObject>')
            pages.append(f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Area><ofd:PhysicalBox>0 0 {_f(float(page.width))} '
                         f'{_f(float(page.height))}</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="{len(pages) + 2}">'
                         + "".join(objs) + "</ofd:Layer></ofd:Content></ofd:Page>")
    bold = ' Bold="true"'
    font_xml = "".join(f'<ofd:Font ID="{i}" FontName="{escape(name)}"{bold if "Bold" in name else ""}/>' for name, i in fonts.items())
    page_list = "".join(f'<ofd:Page ID="{1000 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages)))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} DocType="OFD" Version="1.0"><ofd:DocBody>'
                              "<ofd:DocInfo><ofd:DocID>0</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        z.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {NS}><ofd:CommonData><ofd:MaxUnitID>{next_id}'
                                         f"</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {_f(width)} {_f(height)}</ofd:PhysicalBox>"
                                         "</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
                                         f"<ofd:Pages>{page_list}</ofd:Pages></ofd:Document>")
        z.writestr("Doc_0/PublicRes.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {NS} BaseLoc="Res"><ofd:Fonts>{font_xml}</ofd:Fonts></ofd:Res>')
        for n, xml in enumerate(pages):
            z.writestr(f"Doc_0/Pages/Page_{n}/Content.xml", xml)
    return out
