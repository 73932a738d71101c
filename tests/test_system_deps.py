"""scripts/system-deps, the set-up step for what pip cannot install (LibreOffice, Chromium, CJK
fonts): its decisions, run for real with a PATH that lacks the tools, in its dry-run mode.

A machine with none of them is shown by scripts/fresh-machine-check (a debootstrapped Debian with
only Python and make), which takes half an hour and is not part of the suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "system-deps"
BASH = shutil.which("bash") or "/bin/bash"
EVERYTHING = "libreoffice-writer-nogui chromium fonts-noto-cjk fontconfig"
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"  # util-linux: on every Debian
UNPRIVILEGED = [SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups"]  # nobody


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A folder the unprivileged user can read too (pytest's own is its owner's alone)."""
    d = Path(tempfile.mkdtemp(prefix="system-deps-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d)


def _bin(tmp: Path, *tools: str) -> Path:
    """A folder holding only these commands of this machine (links to them), for PATH."""
    d = tmp / "bin"
    d.mkdir(mode=0o755)
    for t in tools:
        found = shutil.which(t)
        assert found, f"{t} is needed on this machine for the test (make system-deps installs it)"
        (d / t).symlink_to(found)
    return d


def _run(path: Path | str, *args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": str(path), "LANG": "C.UTF-8"}
    return subprocess.run([*(prefix or []), BASH, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)


def _as_unprivileged() -> list[str]:
    """Run as nobody when the tests run as root (as CI does); a user who is not root already is."""
    return UNPRIVILEGED if os.geteuid() == 0 else []


def test_everything_present_is_a_quiet_check_that_installs_nothing() -> None:
    for args in ((), ("--dry-run",)):
        res = _run(os.environ["PATH"], *args)
        assert (res.returncode, res.stdout, res.stderr) == (0, "", ""), res.stderr
    # and as a user who could install nothing: nothing is needed, so nothing is asked
    res = _run(os.environ["PATH"], prefix=_as_unprivileged())
    assert (res.returncode, res.stderr) == (0, "")


def test_missing_tools_as_root_with_apt_get_are_installed_by_exactly_their_packages(tmp_path: Path) -> None:
    if os.geteuid() != 0:  # not root: the same PATH gives the refusal, checked in the next test
        res = _run(_bin(tmp_path, "apt-get"), "--dry-run")
        assert res.returncode == 1 and "cannot install packages" in res.stderr
        return
    everything = _run(_bin(tmp_path, "apt-get"), "--dry-run")
    assert everything.returncode == 0, everything.stderr
    assert everything.stderr.splitlines() == [
        "system-deps: missing what pip cannot install:",
        "  LibreOffice (soffice): legacy .doc/.wps notices",
        "  Chromium: the reports rendered headless",
        "  CJK fonts: Chinese text rendered into PDFs",
        "system-deps: installing them (Debian, Ubuntu): apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
        f"--no-install-recommends {EVERYTHING}",
        "system-deps: dry run, nothing installed"]
    # soffice and the fonts there (fc-list finds a Chinese face): only Chromium is asked for
    (tmp_path / "bin" / "soffice").symlink_to(shutil.which("soffice") or "")
    (tmp_path / "bin" / "fc-list").symlink_to(shutil.which("fc-list") or "")
    some = _run(tmp_path / "bin", "--dry-run")
    assert some.returncode == 0 and "  Chromium: the reports rendered headless" in some.stderr
    assert ("apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium\n"
            in some.stderr), some.stderr
    assert "LibreOffice" not in some.stderr and "CJK" not in some.stderr


def test_a_user_who_cannot_install_is_told_the_exact_command_and_make_stops(tmp_path: Path) -> None:
    res = _run(_bin(tmp_path, "apt-get"), "--dry-run", prefix=_as_unprivileged())
    assert res.returncode == 1
    assert res.stderr.splitlines()[-3:] == [
        "system-deps: this user cannot install packages (not root, and no sudo without a password). As root, run:",
        f"  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {EVERYTHING}    # Debian, Ubuntu",
        "then run make again."]
    # the same without --dry-run: nothing is tried, the same words, exit 1 (make stops there)
    real = _run(tmp_path / "bin", prefix=_as_unprivileged())
    assert (real.returncode, real.stderr) == (1, res.stderr)


def test_no_package_manager_names_the_commands_of_both(tmp_path: Path) -> None:
    res = _run(_bin(tmp_path), "--dry-run")
    assert res.returncode == 1
    assert "system-deps: neither apt-get nor dnf is here" in res.stderr
    assert f"  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {EVERYTHING}    # Debian, Ubuntu" in res.stderr
    assert "  dnf install -y libreoffice-writer chromium google-noto-sans-cjk-fonts fontconfig    # Fedora" in res.stderr


def test_make_test_runs_it_first_and_ci_calls_the_same_step() -> None:
    root = SCRIPT.parents[1]
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    assert "\ntest: system-deps " in makefile and "\nsystem-deps:" in makefile and "scripts/system-deps" in makefile
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/system-deps" in ci and "apt-get" not in ci
