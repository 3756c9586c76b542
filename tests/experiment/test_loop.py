"""The training loop: determinism, lockstep comparison, exact resume, divergence, live settings."""
import dataclasses

import numpy as np
import pytest

from rnn_viz.engine import DivergenceError, spectral_radius
from rnn_viz.experiment.config import apply_overrides, default_config
from rnn_viz.experiment.loop import Trainer, train
from rnn_viz.experiment.session import CompareTrainer


def assert_same_rows(got, want):
    """Rows equal in every column but the wall time (NaN = not evaluated counts as equal)."""
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_equal({k: v for k, v in g.items() if k != "step_seconds"},
                                {k: v for k, v in w.items() if k != "step_seconds"})


def small(*overrides):
    return apply_overrides(default_config(), ["data.seq_len=12", "data.batch_size=4", "model.hidden_size=8", *overrides])


def test_same_config_trains_identically_and_records_the_metrics_row():
    a = [r.metrics for r in train(Trainer(small()), 5)]
    b = [r.metrics for r in train(Trainer(small()), 5)]
    assert_same_rows(a, b)
    trainer = Trainer(small())
    assert list(a[0]) == trainer.metric_columns()
    assert [r["step"] for r in a] == [1, 2, 3, 4, 5]


def test_record_trace_is_at_the_parameters_before_the_update():
    trainer = Trainer(small())
    before = {k: v.copy() for k, v in trainer.params.items()}
    preview = trainer.evaluate(heavy=True)
    rec = trainer.step()
    for k in before:
        np.testing.assert_array_equal(rec.trace[f"param/{k}"], before[k])
        assert not np.array_equal(trainer.params[k], before[k]) or k.startswith("b")
    # evaluate() shows exactly the batch update 1 then used, and its loss
    np.testing.assert_array_equal(preview.trace["inputs"], rec.trace["inputs"])
    assert float(preview.trace["loss"]) == rec.metrics["loss"]
    assert "flow/0" in preview.trace and "flow/0" not in rec.trace
    heavy = trainer.heavy_trace(rec)
    np.testing.assert_array_equal(heavy["grad/Whh.0"], rec.trace["grad/Whh.0"])
    assert heavy["flow/0"].shape == (12, 12)


def test_last_update_of_a_bounded_run_carries_the_heavy_trace():
    records = list(train(Trainer(small()), 3))
    assert [r.heavy for r in records] == [False, False, True]


def test_live_settings_change_learning_rate_and_clipping_between_updates():
    trainer = Trainer(small())
    gen = train(trainer)
    first = next(gen)
    trainer.set_live(trainer.live.replace(learning_rate=0.5, clip_norm=0.1))
    second = next(gen)
    assert first.metrics["learning_rate"] == 0.01 and second.metrics["learning_rate"] == 0.5
    assert trainer.clip_norm == 0.1 and trainer.checkpoint()["live"][()].count("0.1") == 1


def test_checkpoint_resumes_exactly():
    # spectra on every row: a run's last update always has them, so a split run has one more row with them
    whole = [r.metrics for r in train(Trainer(small("training.optimizer='adam'", "training.spectra_every=1")), 6)]
    first = Trainer(small("training.optimizer='adam'", "training.spectra_every=1"))
    head = [r.metrics for r in train(first, 3, heavy_last=False)]
    resumed = Trainer.from_checkpoint(first.checkpoint())
    tail = [r.metrics for r in train(resumed, 3)]
    assert_same_rows(head + tail, whole)


def test_divergence_keeps_every_piece_of_state():
    trainer = Trainer(small("model.activation='linear'", "model.spectral_radius=1.5", "training.optimizer='sgd'",
                            "training.learning_rate=1e308"))
    with pytest.raises(DivergenceError) as err:
        for _ in range(5):
            snapshot = (trainer.checkpoint(), trainer.step_count)
            trainer.step()
    assert f"update {snapshot[1] + 1}" in str(err.value)
    saved, _ = snapshot
    now = trainer.checkpoint()
    assert set(now) == set(saved)
    for k in saved:
        assert now[k].tobytes() == saved[k].tobytes(), k


def test_compare_runs_in_lockstep_from_the_same_weights_on_the_same_batches():
    cfg = small()
    other = dataclasses.replace(cfg, training=dataclasses.replace(cfg.training, bptt="truncated", k1=1, k2=3))
    pair = CompareTrainer(cfg, other)
    assert pair.same_init and pair.shared_batches
    ra, rb = pair.step(heavy=True)
    np.testing.assert_array_equal(ra.trace["inputs"], rb.trace["inputs"])
    np.testing.assert_array_equal(ra.trace["param/Whh.0"], rb.trace["param/Whh.0"])
    assert ra.metrics["loss"] == rb.metrics["loss"]  # same weights, same batch, same forward pass
    assert ra.metrics["grad_norm"] != rb.metrics["grad_norm"]  # truncation changes the gradient
    F = rb.trace["flow/0"]
    t, k = np.indices(F.shape)
    assert np.all(F[t - k >= 3] == 0) and np.any(ra.trace["flow/0"][t - k >= 3] > 0)
    ra2, _ = pair.step()
    assert not np.array_equal(ra2.trace["inputs"], ra.trace["inputs"])


def test_compare_with_different_shapes_uses_the_same_seed():
    cfg = small()
    lstm = apply_overrides(cfg, ["model.cell='lstm'"])
    pair = CompareTrainer(cfg, lstm)
    assert not pair.same_init
    ra, rb = pair.step()
    assert ra.step == rb.step == 1


def test_flow_sample_selects_which_sample_the_heavy_trace_inspects():
    trainer = Trainer(small())
    trainer.set_flow_sample(2)
    rec = trainer.evaluate(heavy=True)
    assert int(rec.trace["flow_sample"]) == 2
    with pytest.raises(Exception, match="flow sample"):
        trainer.set_flow_sample(-1)


def test_compare_of_two_inits_keeps_both_inits():
    cfg = small("model.init='identity'")
    other = apply_overrides(cfg, ["model.init='gaussian'", "model.spectral_radius=0.5"])
    pair = CompareTrainer(cfg, other)
    assert not pair.same_init
    np.testing.assert_array_equal(pair.a.params["Whh.0"], np.eye(8))
    np.testing.assert_allclose(spectral_radius(pair.b.params["Whh.0"]), 0.5, rtol=1e-12)
    # the same seed still gives both runs the same input and readout weights
    np.testing.assert_array_equal(pair.a.params["Wxh.0"], pair.b.params["Wxh.0"])


def test_trace_arrays_are_read_only_where_they_are_made():
    # Defect: the app's history keeps references to traces; one in-place edit would corrupt it.
    trainer = Trainer(small())
    records = [trainer.evaluate(heavy=True), trainer.step(), trainer.step(heavy=True)]
    traces = [r.trace for r in records] + [trainer.heavy_trace(records[1])]
    for trace in traces:
        for key, value in trace.items():
            if isinstance(value, np.ndarray):
                with pytest.raises(ValueError, match="read-only"):
                    value[...] = 0
        with pytest.raises(TypeError):
            trace["loss"] = np.array(0.0)
    assert all(np.all(np.isfinite(trainer.params[k])) for k in trainer.params)  # training is unaffected
