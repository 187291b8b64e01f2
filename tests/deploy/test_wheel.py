"""Installable: `pip wheel .`, a fresh virtual environment outside the source tree, the console script.

The wheel must carry every package and its data (templates, taxonomy, weights, word lists); the console
script must work from any directory with a config.yaml there. The fresh environment gets the wheel only;
its third-party dependencies are borrowed from the test environment by a .pth line, so the test needs no
download and nothing of the source tree is importable from it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "data" / "recorded" / "boamp" / "mapa_2024_contract_notice.json"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the source tree with the project's wheel installed (and no editable finder)."""
    tmp = tmp_path_factory.mktemp("installed")
    checkout = tmp / "checkout"  # pip builds in the tree it is given: a copy, so the source tree stays clean
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "private"))
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(checkout), "--no-deps", "--no-build-isolation", "-q", "-w", wheels],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("ess_tender_watch-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WATCH_", "PYTHON"))}
    return subprocess.run(
        [str(venv / "bin" / "ess-watch"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_wheel_carries_every_package_and_its_data(installed: Path) -> None:
    (wheel,) = (installed.parent / "wheels").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "newsletter/content.py",
        "templates/digest.html.j2",
        "templates/newsletter.md.j2",
        "classify/taxonomy.yaml",
        "classify/weights.yaml",
        "classify/cpv_fr.csv",
        "classify/known_words.txt",
        "settings/config.py",
        "mail/message.py",
        "formatting/templates.py",
        "archive/tenders.py",
        "spiders/settings.py",
        "watch/cli.py",
        "run_watch.py",
    ):
        assert expected in names, expected
    assert not any(n.startswith("tests/") for n in names)


def test_the_console_script_runs_from_any_directory(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [installed / "bin" / "python", "-c", "import watch, classify, templates; print(watch.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(installed) in where and str(ROOT) not in where  # the wheel's code, not the source tree's

    proc = _run(installed, tmp_path, "--help")
    assert proc.returncode == 0 and "check-config" in proc.stdout, proc.stderr

    (tmp_path / "config.yaml").write_text("logging:\n  file: ''\n", encoding="utf-8")
    proc = _run(installed, tmp_path, "check-config")
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout
    assert (tmp_path / "data" / "watch.db").exists()  # relative paths are read from the config's directory
    assert (tmp_path / "private" / "secret.key").stat().st_mode & 0o777 == 0o600

    proc = _run(installed, tmp_path, "inspect", str(RECORDED))
    assert proc.returncode == 0, proc.stderr
    assert "24-" in proc.stdout  # the recorded notice, mapped and classified by the installed package

    proc = _run(installed, tmp_path, "demo")  # the recorded notices belong to a source checkout
    assert proc.returncode == 2 and "make demo" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1

    other = tmp_path / "elsewhere"
    other.mkdir()
    proc = _run(installed, other, "--config", str(tmp_path / "config.yaml"), "check-config")
    assert proc.returncode == 0, proc.stderr
