"""trace.npz of a file source carries data/* and val/*; `rnn-viz run` notes a file without validation windows."""
from __future__ import annotations

import numpy as np

from rnn_viz import cli
from rnn_viz.engine.network import forward
from rnn_viz.experiment.config import config_from_dict
from rnn_viz.experiment.io import read_trace
from rnn_viz.experiment.loop import Trainer, train


def _exp(tmp_path, **data):
    path = tmp_path / "s.csv"
    path.write_text("x\n" + "\n".join(f"{np.sin(i / 4):.5f}" for i in range(200)) + "\n")
    exp = tmp_path / "exp.toml"
    extra = "".join(f"{k} = {v}\n" for k, v in data.items())
    exp.write_text(f'[data]\nsource = "file"\npath = "s.csv"\nseq_len = 12\nbatch_size = 3\n{extra}'
                   '[model]\nhidden_size = 4\n')
    return exp


def test_every_record_has_the_batch_rows_and_the_heavy_trace_the_validation_windows(tmp_path):
    cfg = config_from_dict({"data": {"source": "file", "path": str(_exp(tmp_path).parent / "s.csv"), "seq_len": 12,
                                     "batch_size": 3}, "model": {"hidden_size": 4}})
    trainer = Trainer(cfg, tmp_path)
    record = next(train(trainer, 1, heavy_last=False))
    assert "data/row_start" in record.trace and "val/inputs" not in record.trace
    full = trainer.heavy_trace(record)
    np.testing.assert_array_equal(full["data/row_start"], record.trace["data/row_start"])
    params = {k: full[f"param/{k}"] for k in trainer.spec.param_shapes()}
    _, y = forward(trainer.spec, params, full["val/inputs"])
    np.testing.assert_array_equal(full["val/predictions"], y.transpose(1, 0, 2))
    assert full["val/inputs"].shape == (len(full["val/row_start"]), 12, 1) and len(full["val/row_start"]) <= 16


def test_run_writes_the_keys_and_notes_missing_validation_unless_quiet(tmp_path, capsys):
    exp = _exp(tmp_path)
    assert cli.main(["run", str(exp), "--steps", "1", "--out", str(tmp_path / "r")]) == 0
    trace = read_trace(tmp_path / "r" / "trace.npz")
    assert str(trace["data/time_name"]) == "row" and trace["data/time"].shape == (3, 12)
    assert "note: data.val_fraction" not in capsys.readouterr().err
    exp = _exp(tmp_path, val_fraction=0.05)
    assert cli.main(["run", str(exp), "--steps", "0", "--out", str(tmp_path / "n")]) == 0
    err = capsys.readouterr().err
    assert "note: data.val_fraction leaves no validation windows (the held-out 10 steps are fewer than the 13" in err
    assert cli.main(["run", str(exp), "--steps", "0", "--out", str(tmp_path / "q"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
