"""`rnn-viz run --plots --dynamics` adds dynamics.{png,svg,csv} (drawn from trace.npz's dyn/ keys);
`--plots` alone does not."""
import csv
from xml.etree import ElementTree

import numpy as np
import pytest
from PySide6.QtGui import QImage

from rnn_viz import cli
from rnn_viz.experiment.io import read_trace
from rnn_viz.experiment.presets import PRESETS_DIR

SMALL = ["--set", "data.seq_len=12", "--set", "data.batch_size=4", "--set", "data.val_size=8",
         "--set", "model.hidden_size=6", "--set", "dynamics.fixed_point_starts=16", "--quiet"]


@pytest.mark.parametrize("dynamics", [True, False])
def test_plots_write_the_dynamics_view_only_with_dynamics(qtbot, tmp_path, capsys, dynamics):
    out = tmp_path / "run"
    args = ["run", str(PRESETS_DIR / "default.toml"), "--steps", "1", "--out", str(out), "--plots", *SMALL]
    assert cli.main(args + (["--dynamics"] if dynamics else [])) == 0, capsys.readouterr().err
    written = {p.name for p in out.iterdir() if p.stem == "dynamics"}
    if not dynamics:
        assert written == set()
        return
    assert written == {"dynamics.png", "dynamics.svg", "dynamics.csv"}
    assert not QImage(str(out / "dynamics.png")).isNull()
    assert len(list(ElementTree.parse(out / "dynamics.svg").getroot().iter())) > 5
    with (out / "dynamics.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    trace = read_trace(out / "trace.npz")
    lam = trace["dyn/lyapunov/0"]
    col = rows[0].index("lyapunov")
    np.testing.assert_allclose([float(r[col]) for r in rows[1:1 + lam.size]], lam)
    fp = rows[0].index("fp_max_abs_eig")
    np.testing.assert_allclose([float(r[fp]) for r in rows[1:] if r[fp]], trace["dyn/fp/max_abs_eig"])
