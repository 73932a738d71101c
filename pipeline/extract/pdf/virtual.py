"""Pages that are not pdfplumber's but read like them: characters and ruling lines from another
source (an OFD file's text codes and paths, OCR of a scanned page) laid out by the same
geometry, table and paragraph code as a text PDF. pdfplumber's own table finder runs on them:
it needs only the page's ruling lines (`edges`) and box."""

from __future__ import annotations

from dataclasses import dataclass, field

from pdfplumber.table import TableFinder

OCR_FONT = "OCR"


def char(text: str, x0: float, top: float, x1: float, bottom: float, font: str, **extra: object) -> dict:
    """A character as pdfplumber gives it (the fields the layout code reads)."""
    size = bottom - top
    return {"text": text, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "size": size, "height": size, "width": x1 - x0,
            "fontname": font, "upright": True, "object_type": "char", **extra}


def edge(x0: float, top: float, x1: float, bottom: float) -> dict:
    """A ruling line: horizontal when it is wider than tall."""
    h = (x1 - x0) >= (bottom - top)
    if h:
        top = bottom = (top + bottom) / 2
    else:
        x0 = x1 = (x0 + x1) / 2
    return {"x0": x0, "x1": x1, "top": top, "bottom": bottom, "width": x1 - x0, "height": bottom - top,
            "orientation": "h" if h else "v", "object_type": "line"}


@dataclass
class VirtualPage:
    width: float
    height: float
    chars: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    page_number: int = 1

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)

    def find_tables(self, table_settings: dict) -> list:
        return TableFinder(self, table_settings).tables

    def close(self) -> None:
        pass


@dataclass
class VirtualDocument:
    """What the layout code iterates: pages, produced one at a time when they are costly."""

    pages: list[VirtualPage]
