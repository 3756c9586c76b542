"""rnn-viz as users install it (issue 10): build the wheel (`pip wheel --no-deps`) and the sdist,
check they carry every module and shipped file, then install the wheel into fresh venvs in a temporary
folder outside the clone: with the newest supported PySide6 it lists the presets, trains
`1-vanishing-gradients` and the text task, runs every preset by name headless and opens each from
File > Guided experiments offscreen; with the oldest it runs the export tests (every view to PNG, SVG
and CSV, the SVGs parsed) and the same wheel checks. pip's cache keeps the installs to seconds.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from rnn_viz.experiment import presets

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What the build must leave out of its copy of the clone.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "runs",
                                     ".hypothesis", ".pytest_cache")
SHIPPED_SUFFIXES = (".toml", ".csv", ".txt", ".safetensors", ".npz")
PIP = ["-m", "pip", "--disable-pip-version-check", "-q"]


def _run(argv, cwd: Path, timeout: int = 900, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env=env)
    assert result.returncode == 0, f"{' '.join(map(str, argv))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _clean_env(home: Path) -> dict:
    """The environment of a user's shell: no PYTHONPATH into the clone, settings in a fresh folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(XDG_CONFIG_HOME=str(home / "config"), QT_QPA_PLATFORM="offscreen")
    return env


def _bound(package: str, op: str) -> str:
    """The version after ``op`` in ``package``'s requirement in pyproject.toml (the one owner)."""
    for req in PYPROJECT["project"]["dependencies"]:
        name = re.split(r"[<>=!~ ]", req, maxsplit=1)[0]
        if name.lower() == package.lower():
            m = re.search(re.escape(op) + r"\s*([0-9][0-9.]*)", req)
            assert m, f"{req}: no {op} bound"
            return m.group(1)
    raise AssertionError(f"{package} is not a dependency in pyproject.toml")


def _shipped_files() -> list[str]:
    """Every file under resources/ that the package data must carry, relative to resources/."""
    folder = ROOT / "resources"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and (p.suffix in SHIPPED_SUFFIXES or p.name == "__init__.py"))


def _modules() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "rnn_viz").rglob("*.py"))


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """(wheel, sdist) built from a clean copy of the clone (stale build/ files cannot leak in)."""
    tmp = tmp_path_factory.mktemp("build")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCES)
    dist = tmp / "dist"
    _run([sys.executable, *PIP, "wheel", "--no-deps", "-w", dist, src], cwd=tmp)
    code = f"import setuptools.build_meta as b; print(b.build_sdist({str(dist)!r}))"
    _run([sys.executable, "-c", code], cwd=src)
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    return wheel, sdist


def test_wheel_and_sdist_carry_every_module_and_shipped_file(build):
    wheel, sdist = build
    with zipfile.ZipFile(wheel) as z:
        in_wheel = set(z.namelist())
    missing = [m for m in _modules() if m not in in_wheel]
    assert not missing, ("modules missing from the wheel (add their package to [tool.setuptools] packages "
                         f"in pyproject.toml): {missing}")
    shipped = _shipped_files()
    assert "presets/default.toml" in shipped and "text/lighthouse.txt" in shipped
    missing = [f for f in shipped if f"rnn_viz/resources/{f}" not in in_wheel]
    assert not missing, f"shipped files missing from the wheel: {missing}"
    with tarfile.open(sdist) as t:
        in_sdist = {name.split("/", 1)[1] for name in t.getnames() if "/" in name}
    missing = [f for f in _modules() + [f"resources/{f}" for f in shipped] if f not in in_sdist]
    assert not missing, f"files missing from the sdist: {missing}"


@pytest.fixture
def workdir(tmp_path):
    """A temporary folder outside the clone; its venv (about 250 MB of Qt) is removed afterwards."""
    yield tmp_path
    shutil.rmtree(tmp_path / "venv", ignore_errors=True)


def _venv(tmp: Path, wheel: Path, *requirements: str) -> Path:
    """A fresh venv in ``tmp`` holding the wheel (plus ``requirements``); returns its python."""
    _run([sys.executable, "-m", "venv", tmp / "venv"], cwd=tmp)
    python = tmp / "venv" / "bin" / "python"
    _run([python, *PIP, "install", wheel, *requirements], cwd=tmp, env=_clean_env(tmp))
    return python


def _installed(python: Path, tmp: Path, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    return _run([python, "-c", code], cwd=tmp, env=_clean_env(tmp)).stdout.strip()


def _check_wheel(python: Path, tmp: Path) -> dict:
    """Run wheel_checks.py in the venv from a folder outside the clone; assert on what it saw."""
    out = tmp / "out"
    result = _run([python, Path(__file__).with_name("wheel_checks.py"), out], cwd=tmp, env=_clean_env(tmp))
    facts = json.loads(result.stdout.splitlines()[-1])
    assert Path(facts["module"]).is_relative_to(tmp / "venv"), f"imported rnn_viz from {facts['module']}"

    expected = [p.stem for p in presets.preset_paths()]  # the clone's resources/presets, in order
    titles = {p.stem: presets.preset_info(p).title for p in presets.preset_paths()}
    listed = facts["presets"]
    assert listed["code"] == 0, listed["stderr"]
    assert listed["stdout"].splitlines() == [f"{n}\t{' '.join(titles[n].split())}" for n in expected]

    assert facts["run"]["code"] == 0, facts["run"]["stderr"]
    with (out / "run" / "metrics.csv").open(newline="") as fh:
        assert [row["step"] for row in csv.DictReader(fh)] == ["1", "2", "3"]
    assert (out / "run" / "trace.npz").is_file() and (out / "run" / "checkpoint.npz").is_file()
    assert facts["text"]["code"] == 0, facts["text"]["stderr"]
    assert tomllib.loads((out / "text" / "config.toml").read_text())["data"]["source"] == "text"

    assert facts["every_preset"] == {name: 0 for name in expected}
    assert facts["menu"] == [[f"Preset_{n}", titles[n], True] for n in expected]
    for name in expected:
        assert titles[name] in facts["window_titles"][name], (name, facts["window_titles"][name])
    assert facts["guide"] == {"exists": True, "missing_images": []}, facts["guide"]
    return facts


def test_the_wheel_with_the_newest_supported_pyside6(build, workdir, record_property):
    python = _venv(workdir, build[0])  # pip picks the newest PySide6 the range allows
    facts = _check_wheel(python, workdir)
    version = facts["versions"]["PySide6"]
    upper = tuple(int(x) for x in _bound("PySide6-Essentials", "<").split("."))
    assert tuple(int(x) for x in version.split(".")[:2]) < upper
    record_property("pyside6_newest", version)


def test_the_wheel_with_the_oldest_supported_pyside6_exports_every_view(build, workdir, record_property):
    oldest_qt, oldest_pg = _bound("PySide6-Essentials", ">="), _bound("pyqtgraph", ">=")
    # [test]: pytest and pytest-qt for the export tests, as the project pins them.
    python = _venv(workdir, build[0], f"{build[0]}[test]", f"PySide6-Essentials=={oldest_qt}",
                   f"pyqtgraph=={oldest_pg}")
    version = _installed(python, workdir, "PySide6-Essentials")
    assert tuple(int(x) for x in version.split(".")[:2]) == tuple(int(x) for x in oldest_qt.split(".")[:2])
    record_property("pyside6_oldest", version)
    _check_wheel(python, workdir)
    # The export tests run from a copy of tests/ so they import the installed wheel, not the clone.
    shutil.copytree(ROOT / "tests", workdir / "suite" / "tests", ignore=NOT_SOURCES)
    result = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/ui/test_export.py",
                   "tests/ui/test_pyqtgraph_svg_3495.py"], cwd=workdir / "suite", env=_clean_env(workdir))
    assert re.search(r"\b\d+ passed\b", result.stdout) and "failed" not in result.stdout, result.stdout[-2000:]
