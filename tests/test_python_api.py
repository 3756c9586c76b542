"""docs/python-api.md runs as written (doctest), and rnn_viz.api agrees with the CLI's own path."""
from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np

from rnn_viz import api
from rnn_viz.experiment.config import load_config
from rnn_viz.experiment.loop import Trainer

ROOT = Path(__file__).resolve().parents[1]


def test_the_python_api_page_runs_as_written(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    # fig.save("flow.png") in the page writes into the working folder: keep it out of the repository
    real_save = api.Figure.save
    monkeypatch.setattr(api.Figure, "save", lambda self, path: real_save(self, tmp_path / Path(path).name))
    result = doctest.testfile(str(ROOT / "docs" / "python-api.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 15 and result.failed == 0
    png = (tmp_path / "flow.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_compute_trace_is_the_trainers_trace():
    path = ROOT / "resources" / "presets" / "10-your-model.toml"
    model = api.load_experiment(path)
    trainer = Trainer(load_config(path))
    batch = trainer.next_batch()
    ours = api.compute_trace(model, batch.inputs, batch.targets, batch.mask)
    theirs = trainer.evaluate(heavy=True).trace
    for key in theirs:
        np.testing.assert_array_equal(np.asarray(ours[key]), np.asarray(theirs[key]), err_msg=key)


def test_figure_repr_png_is_the_png():
    model = api.load_weights(ROOT / "resources" / "presets" / "10-your-model.safetensors")
    x = np.linspace(-1, 1, 21)[None, :, None]
    fig = api.render(api.compute_trace(model, x[:, :-1], x[:, 1:]), "gradients", width=300, height=200)
    assert fig._repr_png_() is fig.png and fig.png[:4] == b"\x89PNG"
