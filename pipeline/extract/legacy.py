"""Legacy Word (.doc) and WPS (.wps) files: converted to .docx by LibreOffice, then read by
the docx backend. Without LibreOffice on the machine the file is reported, not guessed at."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import ExtractError
from ..model import Block
from .docx import extract_docx

CONVERT_TIMEOUT = 180


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(path: Path, out_dir: Path) -> Path:
    exe = soffice()
    if exe is None:
        raise ExtractError(f"{path.name}: .{path.suffix.lstrip('.')} needs LibreOffice (soffice) to convert it, "
                           "and it is not installed on this machine; convert it to .docx by hand or install LibreOffice")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "docx:MS Word 2007 XML",
               "--outdir", str(out_dir), str(path)]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=CONVERT_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ExtractError(f"{path.name}: LibreOffice took longer than {CONVERT_TIMEOUT} s to convert it") from exc
    out = out_dir / (path.stem + ".docx")
    if res.returncode != 0 or not out.exists():
        raise ExtractError(f"{path.name}: LibreOffice could not convert it: {(res.stderr or res.stdout).strip()[:300]}")
    return out


def extract_legacy(path: Path, workdir: Path | None = None) -> tuple[list[Block], int | None]:
    if workdir is None:
        with tempfile.TemporaryDirectory() as tmp:
            return extract_docx(convert_to_docx(path, Path(tmp)), path.name)
    return extract_docx(convert_to_docx(path, workdir), path.name)
