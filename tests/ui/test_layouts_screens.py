"""Every view legible on the screens people have (issue 9, "Screens and layouts").

One subprocess per screen (tests/ui/layout_probe.py) builds the window with empty settings, so in
that screen's default layout, trains the default experiment and a two-layer LSTM at T = 400 in
single and compare mode, and measures every view in front with each tab brought forward in turn:
plot areas at least 150 x 150 logical px and inside the canvas, no two texts intersecting (axis
labels, titles, legends, tick labels), no line of text broken inside a word. The subprocesses start
together on first use and run in parallel; each test reads its screen's report and fails with every
fault of one view, naming the screen, case, tabs in front and the texts that collide.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# name -> (width, height, Qt scale factor): logical size = width / scale x height / scale.
SCREENS = {
    "1280x720": (1280, 720, 1),
    "1366x768": (1366, 768, 1),
    "1920x1080": (1920, 1080, 1),
    "2560x1440": (2560, 1440, 1),
    "1920x1080@2": (1920, 1080, 2),  # 960 x 540 logical: the Tabs layout
}
DEFAULT_LAYOUT = {"1280x720": "tabs", "1366x768": "tabs", "1920x1080": "all", "2560x1440": "all",
                  "1920x1080@2": "tabs"}
VIEWS = ("graph", "heatmaps", "gradients", "flow", "curves", "predictions", "dynamics")
TIMEOUT = 600

_runs: dict[str, tuple[subprocess.Popen, Path]] = {}
_reports: dict[str, dict] = {}


def _start_all(tmp: Path) -> None:
    for name, (width, height, scale) in SCREENS.items():
        folder = tmp / name.replace("@", "_dpr")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "screen.json").write_text(json.dumps({"screens": [{
            "name": "probe", "x": 0, "y": 0, "width": width, "height": height,
            "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}), encoding="utf-8")
        env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={folder / 'screen.json'}",
               "QT_SCALE_FACTOR": str(scale), "PYTHONPATH": str(ROOT)}
        out = folder / "report.json"
        log = (folder / "log.txt").open("w")
        _runs[name] = (subprocess.Popen([sys.executable, "-m", "tests.ui.layout_probe", str(out)], cwd=ROOT,
                                        env=env, stdout=log, stderr=subprocess.STDOUT), out)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if not _runs:
        _start_all(tmp_path_factory.mktemp("screens"))

    def get(name: str) -> dict:
        if name not in _reports:
            process, out = _runs[name]
            try:
                code = process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
            log = out.with_name("log.txt").read_text(encoding="utf-8", errors="replace")
            assert code == 0 and out.exists(), f"the probe on {name} failed (exit {code}):\n{log[-4000:]}"
            _reports[name] = json.loads(out.read_text(encoding="utf-8"))
        return _reports[name]

    yield get
    for process, _ in _runs.values():
        if process.poll() is None:
            process.kill()


def _describe(faults: list[dict]) -> str:
    lines = [f"{len(faults)} fault(s):"]
    for f in faults[:40]:
        lines.append(f"  [{f['case']}; tabs in front: {f['front'] or '-'}] {f['kind']}: {f['what']}")
    if len(faults) > 40:
        lines.append(f"  ... and {len(faults) - 40} more")
    return "\n".join(lines)


@pytest.mark.parametrize("screen", SCREENS)
def test_the_window_fits_the_screen_in_its_default_layout(report, screen):
    r = report(screen)
    assert r["layout"] == DEFAULT_LAYOUT[screen], f"{screen}: opened in {r['layout']!r}"
    window = [f for f in r["faults"] if f["view"] == "window"]
    assert not window, _describe(window)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("screen", SCREENS)
def test_view_is_legible(report, screen, view):
    faults = [f for f in report(screen)["faults"] if f["view"] == view]
    assert not faults, f"the {view} view on a {screen} screen: " + _describe(faults)
