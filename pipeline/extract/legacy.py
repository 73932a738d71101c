"""Legacy Word (.doc) and WPS (.wps) files: converted to .docx by LibreOffice, then read by
the docx backend. Without LibreOffice on the machine the file is reported, not guessed at."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..errors import ExtractError
from .docx import extract_docx
from .reading import Reading

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
        # its own session: on a timeout the whole group goes, soffice.bin with the soffice script
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=CONVERT_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ExtractError(f"LibreOffice took longer than {CONVERT_TIMEOUT} s to convert it and was stopped") from exc
    out = out_dir / (path.stem + ".docx")
    if proc.returncode != 0 or not out.exists():
        raise ExtractError("LibreOffice could not convert it (damaged, empty or not a Word file)", detail=(stderr or stdout).strip()[:300])
    return out


def extract_legacy(path: Path, workdir: Path | None = None) -> Reading:
    if workdir is None:
        with tempfile.TemporaryDirectory() as tmp:
            return extract_docx(convert_to_docx(path, Path(tmp)), path.name)
    return extract_docx(convert_to_docx(path, workdir), path.name)
