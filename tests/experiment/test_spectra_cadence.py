"""metrics.csv's W_hh spectra: after update 1, every training.spectra_every-th and the last update;
exact (the values of a run that computes them every update) where present, empty elsewhere."""
import math

import numpy as np

from rnn_viz.experiment.config import apply_overrides, default_config
from rnn_viz.experiment.loop import Trainer, train

SPECTRA = ("sigma_max/0", "rho/0")


def small(*overrides):
    return apply_overrides(default_config(), ["data.seq_len=10", "data.batch_size=4", "model.hidden_size=6", *overrides])


def test_rows_with_spectra_follow_the_cadence_and_equal_every_update_values():
    every = [r.metrics for r in train(Trainer(small("training.spectra_every=1")), 11)]
    some = [r.metrics for r in train(Trainer(small("training.spectra_every=4")), 11, level="metrics")]
    for e, s in zip(every, some):
        has = s["step"] in (1, 4, 8, 11)
        for key in SPECTRA:
            assert math.isnan(s[key]) != has, f"update {s['step']}: {key} = {s[key]}"
            if has:
                assert s[key] == e[key], f"update {s['step']}: {key} {s[key]} != {e[key]}"
        assert s["loss"] == e["loss"] and s["grad_norm"] == e["grad_norm"]


def test_trace_of_a_metrics_level_update_is_recomputed_in_full_with_spectra():
    trainer = Trainer(small("training.spectra_every=100"))
    records = list(train(trainer, 3, heavy_last=False, level="metrics"))
    assert "whh_rho/0" not in records[1].trace and "hidden/0" not in records[1].trace
    full = trainer.heavy_trace(records[-1])
    assert {"whh_rho/0", "whh_sigma_max/0", "hidden/0", "flow/0"} <= set(full)
    assert np.isfinite(float(full["whh_rho/0"]))


def test_final_metrics_fill_the_spectra_of_a_stopped_run():
    trainer = Trainer(small())
    trainer.step(level="metrics")
    record = trainer.step(level="metrics")  # update 2 of a run stopped by Ctrl-C: not known to be the last
    assert math.isnan(record.metrics["rho/0"])
    row = trainer.final_metrics(record)
    reference = Trainer(small("training.spectra_every=1"))
    reference.step()
    np.testing.assert_equal(row, {**reference.step().metrics, "step_seconds": row["step_seconds"]})
