"""OCR of image-only pages (scanned, stamped copies): the page is rendered, straightened, its
ruling lines found in the image, its text read by RapidOCR (PP-OCRv4 detection and recognition
models shipped inside the `rapidocr_onnxruntime` wheel, run offline by onnxruntime), and both
become a virtual page the PDF layout code reads like a text page.

Optional: `pip install 'notice-pipeline[ocr]'`. Without it, a scanned page is reported.
Each OCR line keeps its confidence: characters carry it (`ocr_conf`), low-confidence lines are
reported with their page, box and text, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from .virtual import OCR_FONT, VirtualPage, char, edge

DPI = 200
LOW_CONFIDENCE = 0.80  # a line read below this is reported
EXTRA = "pip install 'notice-pipeline[ocr]'"
PACKAGE = "rapidocr_onnxruntime"


def available() -> bool:
    """Whether the ocr extra is installed, without importing it: importing onnxruntime and OpenCV
    slows the pdfminer parsing of every later text PDF in the process by a fifth."""
    import importlib.util
    import sys

    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE] is not None
    try:
        return importlib.util.find_spec(PACKAGE) is not None
    except (ImportError, ValueError):
        return False


@cache
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


@dataclass
class OcrLine:
    text: str
    confidence: float
    box: tuple[float, float, float, float]  # PDF points: x0, top, x1, bottom


def _skew(gray: Any) -> float:
    """The page's skew in degrees, by the projection profile: text rows are sharpest when level."""
    import cv2
    import numpy as np

    small = cv2.resize(gray, (gray.shape[1] // 4, gray.shape[0] // 4), interpolation=cv2.INTER_AREA)
    ink = (small < 160).astype(np.float32)
    h, w = ink.shape
    centre = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rows = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_NEAREST).sum(axis=1)
        return float(np.var(rows))

    best = max((a / 10 for a in range(-30, 31, 2)), key=sharpness)
    return max((best + a / 100 for a in range(-10, 11, 2)), key=sharpness)


def _straighten(gray: Any) -> Any:
    import cv2

    angle = _skew(gray)
    if abs(angle) < 0.05:
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def _rules(gray: Any, scale: float) -> list[dict]:
    """Ruling lines: long thin runs of ink, kept by a morphological opening along each axis."""
    import cv2

    # no blur: a 0.5 pt rule is one or two pixels at 200 dpi; the long opening kernels remove speckle
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    h, w = ink.shape
    out = []
    for kernel, horizontal in (((max(w // 30, 20), 1), True), ((1, max(h // 40, 20)), False)):
        lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        lines = cv2.dilate(lines, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
        contours, _ = cv2.findContours(lines, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in contours:
            x, y, cw, ch = cv2.boundingRect(c)
            if (cw if horizontal else ch) < 40:
                continue
            if horizontal:
                mid = (y + ch / 2) * scale
                out.append(edge(x * scale, mid, (x + cw) * scale, mid))
            else:
                mid = (x + cw / 2) * scale
                out.append(edge(mid, y * scale, mid, (y + ch) * scale))
    return out


def _width(ch: str) -> float:
    return 1.0 if ord(ch) > 0x2E80 else 0.55


def ocr_page(image: Any, width: float, height: float, page_no: int) -> tuple[VirtualPage, list[OcrLine]]:
    """One page image (PIL) of a page `width` × `height` points → a virtual page and its lines."""
    import numpy as np

    gray = np.asarray(image.convert("L"))
    gray = _straighten(gray)
    scale = width / gray.shape[1]  # points per pixel
    page = VirtualPage(width, height, page_number=page_no)
    page.edges = _rules(gray, scale)
    found, _ = _engine()(np.stack([gray] * 3, axis=-1))
    lines = []
    for box, text, conf in found or []:
        text = text.strip()
        if not text:
            continue
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        x0, x1, top, bottom = min(xs) * scale, max(xs) * scale, min(ys) * scale, max(ys) * scale
        lines.append(OcrLine(text, float(conf), (x0, top, x1, bottom)))
        # characters spread over the line's box by their width (full-width Han, half-width Latin)
        units = sum(_width(ch) for ch in text) or 1
        step = (x1 - x0) / units
        size = min(bottom - top, step * 1.05)
        mid = (top + bottom) / 2
        x = x0
        for ch in text:
            w = _width(ch) * step
            if ch.strip():
                page.chars.append(char(ch, x, mid - size / 2, x + w, mid + size / 2, OCR_FONT, ocr_conf=float(conf)))
            x += w
    return page, lines
