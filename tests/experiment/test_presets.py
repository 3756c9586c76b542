"""The guided experiments in resources/presets (issue 5): each loads, trains like `rnn-viz run`, and
shows its phenomenon numerically, not by eye. Seeded; long runs are shortened where noted.

The measured figures are attached with ``record_property`` (see them with ``--junitxml``) and are
the ones quoted in docs/experiments/.
"""
import math

import numpy as np
import pytest

from rnn_viz.engine import DivergenceError
from rnn_viz.engine.step import evaluate_loss
from rnn_viz.experiment import presets
from rnn_viz.experiment.config import ConfigError, apply_overrides, compare_config, load_config
from rnn_viz.experiment.loop import Trainer, train
from rnn_viz.experiment.session import CompareTrainer

# `default` first, then by number and suffix (issue 10: the order of `rnn-viz presets` and the menu).
EXPECTED = [
    "default", "1-vanishing-gradients", "2-exploding-gradients", "3-edge-of-chaos", "4-truncation-blind-spot",
    "5-gates-lstm", "5b-gates-gru", "6-init-identity-vs-small", "6b-init-identity-vs-large",
    "7-transition-to-chaos", "8-dynamical-isometry", "9-flip-flop-fixed-points", "10-your-model",
]
WITH_COMPARE = {"2-exploding-gradients", "4-truncation-blind-spot", "5-gates-lstm", "5b-gates-gru",
                "6-init-identity-vs-small", "6b-init-identity-vs-large", "8-dynamical-isometry"}
# T = 3500: its full flow matrix (T x T chains) takes minutes, so test_presets_dynamics.py trains it
# two updates without the heavy trace instead.
LONG = {"7-transition-to-chaos"}


def preset(name, *overrides):
    return apply_overrides(load_config(presets.find_preset(name)), overrides)


def at_init(cfg):
    """The heavy trace of the first batch at the initial parameters (what `--steps 0` writes)."""
    return Trainer(cfg).evaluate(heavy=True).trace


# --- every preset -------------------------------------------------------------------------------

def test_presets_are_listed_in_order_with_their_text():
    listed = presets.list_presets()
    assert [p.name for p in listed] == EXPECTED
    for p in listed:
        assert p.error is None, p.error
        assert p.title and p.explanation.strip()
        if p.name != "default":
            assert p.look_at and p.equation, p.name
            assert (p.compare is not None) == (p.name in WITH_COMPARE), p.name
    assert [p.name for p in listed if p.decay_plot] == [presets.EDGE_OF_CHAOS]


def test_a_bad_file_is_listed_with_its_error_and_find_names_what_exists(tmp_path):
    (tmp_path / "1-good.toml").write_text('[preset]\ntitle = "Good"\nexplanation = "E."\n')
    (tmp_path / "2-bad.toml").write_text('[model]\ncell = "transformer"\n')
    good, bad = presets.list_presets(tmp_path)
    assert (good.title, good.error) == ("Good", None)
    assert bad.title == "2-bad" and "model.cell" in bad.error and '"rnn", "lstm", "gru"' in bad.error
    assert presets.find_preset("1-good.toml", tmp_path) == tmp_path / "1-good.toml"
    with pytest.raises(ConfigError, match="allowed: 1-good, 2-bad"):
        presets.find_preset("3-missing", tmp_path)
    assert presets.list_presets(tmp_path / "nowhere") == []


@pytest.mark.parametrize("name", [n for n in EXPECTED if n not in LONG])
def test_every_preset_and_its_compare_run_train_two_updates(name):
    cfg = load_config(presets.find_preset(name))
    runs = [cfg] + ([compare_config(cfg)] if cfg.compare is not None else [])
    for run in runs:
        trainer = Trainer(run)
        if name == "2-exploding-gradients" and run is cfg:
            # The unclipped run is meant to diverge, and does so on its second update.
            with pytest.raises(DivergenceError, match="update 2"):
                list(train(trainer, 2))
            assert trainer.step_count == 1
            continue
        records = list(train(trainer, 2))
        assert [r.step for r in records] == [1, 2]
        assert all(math.isfinite(r.metrics["loss"]) for r in records)
        T = run.data["seq_len"]
        assert records[-1].trace["flow/0"].shape == (T, T)


# --- 1. gradients vanish -------------------------------------------------------------------------

def test_1_flow_falls_below_pascanus_bound_over_the_delay(record_property):
    cfg = preset("1-vanishing-gradients")
    tr = at_init(cfg)
    F, b = tr["flow/0"], int(tr["flow_sample"])
    delay, bound = cfg.data["delay"], 0.9 ** cfg.data["delay"]
    loss_steps = np.nonzero(tr["loss_mask"][b])[0]
    assert list(loss_steps) == [55, 56, 57, 58, 59]
    ratios = np.array([F[t, t - delay] / F[t, t] for t in loss_steps])
    record_property("flow_ratio_over_50_steps", ratios.tolist())
    record_property("undercut_factor", (bound / ratios).tolist())
    assert np.all(ratios < bound), f"F[t, t-50] / F[t, t] = {ratios}, bound 0.9^50 = {bound:.3e}"
    # The Jacobian-chain inspector's factors: every step Jacobian has norm below 1.
    assert np.all(tr["jacobian_norm/0"][1:] < 1.0)
    assert tr["whh_sigma_max/0"] == pytest.approx(0.9, rel=1e-12)


# --- 2. gradients explode -------------------------------------------------------------------------

def test_2_unclipped_run_diverges_with_state_intact_and_clipped_run_trains(record_property):
    cfg = preset("2-exploding-gradients")
    trainer = Trainer(cfg)
    first = trainer.step()
    assert first.metrics["grad_norm"] > 1e6
    saved = trainer.checkpoint()
    with pytest.raises(DivergenceError, match="update 2"):
        trainer.step()
    now = trainer.checkpoint()
    assert set(now) == set(saved)
    for k in saved:
        assert now[k].tobytes() == saved[k].tobytes(), k

    clipped = Trainer(compare_config(cfg))
    assert clipped.clip_norm == 1.0
    losses = [r.metrics["loss"] for r in train(clipped, 100, heavy_last=False)]
    val = clipped.dataset.validation
    final, _ = evaluate_loss(clipped.spec, clipped.params, val.inputs, val.targets, val.mask, clipped.loss)
    record_property("clipped", {"first_loss": losses[0], "val_loss_after_100": final,
                                "chance": clipped.dataset.chance_loss})
    assert losses[0] == first.metrics["loss"]  # same weights, same first batch
    assert final < clipped.dataset.chance_loss and final < 1e-5 * losses[0]


# --- 3. the edge of chaos -----------------------------------------------------------------------

@pytest.mark.parametrize("rho", [0.5, 0.8, 1.0, 1.2, 1.5])
def test_3_measured_decay_is_log_rho(rho, record_property):
    tr = at_init(preset("3-edge-of-chaos", f"model.spectral_radius={rho}"))
    decay = presets.measured_decay(tr)
    record_property("decay_minus_log_rho", decay - math.log(rho))
    assert presets.decay_row(tr) == 39
    assert abs(decay - math.log(rho)) < 0.01


def test_3_measured_decay_reads_the_kept_flow_rows_when_only_those_are_there():
    full = at_init(preset("3-edge-of-chaos", "model.spectral_radius=0.8"))
    trainer = Trainer(preset("3-edge-of-chaos", "model.spectral_radius=0.8"))
    trainer.flow_rows = 5
    window = trainer.evaluate(heavy=True).trace
    assert "flow/0" not in window and len(window["flow_rows"]) == 5
    assert presets.measured_decay(window) == pytest.approx(presets.measured_decay(full), rel=1e-12)


def test_3_a_summed_profile_is_not_exact_but_one_row_is():
    # Why the measurement takes one loss term: ||dL/dh_t|| sums paths of every length.
    tr = at_init(preset("3-edge-of-chaos", "model.spectral_radius=0.8"))
    profile = tr["dL_dh_norm/0"]
    lags = np.arange(len(profile))[::-1]
    summed = np.polyfit(lags, np.log(profile), 1)[0]
    assert abs(summed - math.log(0.8)) > 0.05
    assert abs(presets.measured_decay(tr) - math.log(0.8)) < 1e-9


# --- 4. truncation's blind spot -------------------------------------------------------------------

def test_4_no_gradient_crosses_the_gap_under_truncation(record_property):
    cfg = preset("4-truncation-blind-spot")
    full, cut = at_init(cfg), at_init(compare_config(cfg))
    L, k2, alphabet = cfg.data["length"], compare_config(cfg).training.k2, cfg.data["alphabet"]
    assert k2 < cfg.data["delay"]
    np.testing.assert_array_equal(full["inputs"], cut["inputs"])
    b = int(cut["flow_sample"])
    recall = np.nonzero(cut["loss_mask"][b])[0]
    # From the recall steps back to the steps that showed the symbols: exactly zero when truncated.
    assert np.all(cut["flow/0"][np.ix_(recall, range(L))] == 0.0)
    reach = recall[0] - k2 + 1  # the earliest step any recall loss reaches under truncation
    assert np.all(cut["window_start"][recall] >= reach)
    assert np.all(cut["dL_dh/0"][:, :reach] == 0.0) and np.all(cut["dL_dh_norm/0"][reach:] > 0.0)
    # ... so the weights that read the symbols get no gradient at all: nothing can learn to store them.
    assert np.all(cut["grad/Wxh.0"][:, :alphabet] == 0.0)
    t, k = np.indices(cut["flow/0"].shape)
    assert np.all(cut["flow/0"][t - k >= k2] == 0.0)
    # Full BPTT: the same paths carry a signal.
    assert np.all(full["flow/0"][np.ix_(recall, range(L))] > 0.0)
    assert np.all(full["dL_dh_norm/0"] > 0.0)
    assert np.linalg.norm(full["grad/Wxh.0"][:, :alphabet]) > 0.0
    record_property("full_flow_across_gap", full["flow/0"][np.ix_(recall, range(L))].tolist())


# --- 5. gates keep the signal alive ---------------------------------------------------------------

# Shortened: T = 30 instead of 50, 16 units instead of 32, 300 updates (the preset needs ~1000).
SHORT_ADDING = ["data.seq_len=30", "data.val_size=128", "model.hidden_size=16", "training.learning_rate=0.02",
                "training.val_every=100000"]


def across(trace, key):
    """||dL/d._0|| / ||dL/d._{T-1}|| of a (B, T, H) adjoint: what is left of the signal 29 steps back."""
    norm = np.linalg.norm(trace[key], axis=(0, 2))
    return float(norm[0] / norm[-1])


@pytest.mark.parametrize(("name", "steps"), [("5-gates-lstm", 300), ("5b-gates-gru", 150)])
def test_5_gated_cell_beats_the_rnn_after_the_same_updates(name, steps, record_property):
    cfg = preset(name, *SHORT_ADDING)
    pair = CompareTrainer(cfg, compare_config(cfg))
    key_b = "dL_dc/0" if pair.b.spec.cell == "lstm" else "dL_dh/0"  # the LSTM's cell state carries it
    before = across(pair.b.evaluate(heavy=False).trace, key_b)
    for _ in range(steps):
        pair.step()
    val = pair.a.dataset.validation
    rnn, gated = (evaluate_loss(r.spec, r.params, val.inputs, val.targets, val.mask, r.loss)[0] for r in (pair.a, pair.b))
    chance = pair.a.dataset.chance_loss
    signal_a = across(pair.a.evaluate(heavy=False).trace, "dL_dh/0")
    signal_b = across(pair.b.evaluate(heavy=False).trace, key_b)
    record_property("val_loss", {"rnn": rnn, pair.b.spec.cell: gated, "chance": chance, "updates": steps})
    record_property("signal_across", {"rnn": signal_a, f"{key_b} before": before, f"{key_b} after": signal_b})
    assert rnn > 0.8 * chance, f"the RNN left chance: {rnn:.4f} (chance {chance:.4f})"
    assert gated < 0.2 * rnn, f"{pair.b.spec.cell} {gated:.4f} against rnn {rnn:.4f}"
    # Trained, the gated cell carries the error signal across the sequence; the RNN's has vanished.
    assert signal_b > 0.01 and signal_b > 1e3 * signal_a


# --- 6. initialisation decides the horizon -------------------------------------------------------

def gradient_ratio(cfg):
    """||dL/dh_0|| / ||dL/dh_{T-1}|| at initialisation (the loss sits at step T - 1 only)."""
    norm = at_init(cfg)["dL_dh_norm/0"]
    return float(norm[0] / norm[-1])


def test_6_identity_init_carries_the_gradient_across_100_steps(record_property):
    cfg = preset("6-init-identity-vs-small")
    assert cfg.data["seq_len"] == 100 and cfg.model.activation == "relu"
    identity = gradient_ratio(cfg)
    small = gradient_ratio(compare_config(cfg))
    large = gradient_ratio(compare_config(preset("6b-init-identity-vs-large")))
    record_property("gradient_ratio", {"identity": identity, "gaussian_0.5": small, "gaussian_2.0": large})
    assert 0.1 < identity < 10
    assert small < 1e-6
    assert large > 1e3


# --- 10. an imported PyTorch model --------------------------------------------------------------

def test_10_the_imported_model_forecasts_before_any_update_and_matches_torch(record_property):
    cfg = preset("10-your-model")
    trainer = Trainer(cfg)
    assert trainer.imported is not None and trainer.config.model.cell == "gru"
    assert (trainer.config.model.weights_module, trainer.config.model.readout_module) == ("encoder", "head")
    assert trainer.parity < 1e-10
    loss = float(trainer.evaluate(heavy=False).trace["loss"])
    record_property("loss_at_import", loss)
    assert loss < 0.1 * trainer.dataset.chance_loss  # a trained model, not a fresh one
