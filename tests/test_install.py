"""A fresh, non-editable install runs the samples from any folder, with its settings from the
folder's pyproject.toml: the suites and the registry ship inside the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import duckdb
import pytest

from .conftest import NOTICES, SAMPLES

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with the project's wheel installed (not editable); its dependencies are this
    environment's, reached through a .pth line, so no download is needed."""
    tmp = tmp_path_factory.mktemp("install")
    wheels = tmp / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, cwd=tmp)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", "--no-deps", "--no-index",
                    *map(str, wheels.glob("*.whl"))], check=True, capture_output=True)
    return venv


@pytest.mark.slow
def test_a_wheel_install_runs_the_samples_with_settings_from_pyproject(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import pipeline; print(pipeline.__file__)"],
                           cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    assert where.startswith(str(installed)), where  # the wheel's copy, not the checkout
    version = subprocess.run([str(installed / "bin" / "notice-pipeline"), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "notice-pipeline 0.1.0"

    (tmp_path / "inbox").mkdir()
    for doc in NOTICES:
        shutil.copy(SAMPLES / f"{doc}.pdf", tmp_path / "inbox")
    (tmp_path / "pyproject.toml").write_text('[tool.notice-pipeline]\nraw = "inbox"\ncurated = "out/tables"\njobs = 2\nkeep_versions = 3\n')
    done = subprocess.run([str(installed / "bin" / "notice-pipeline"), "run", "--no-progress"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "GX_ANALYTICS_ENABLED": "False", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM read_parquet('{tmp_path}/out/tables/measures/*.parquet')").fetchone()[0] == 191
    assert (tmp_path / "out" / "reports" / "latest" / "summary.html").exists()  # reports/ beside curated by default
    assert (tmp_path / "interim").is_dir()


@pytest.mark.slow
def test_an_unknown_setting_is_named(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "notice-pipeline.toml").write_text('raw = "x"\nkeep_version = 3\n')
    done = subprocess.run([str(installed / "bin" / "notice-pipeline"), "run"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0
    assert "notice-pipeline.toml: unknown setting(s) keep_version" in done.stderr
