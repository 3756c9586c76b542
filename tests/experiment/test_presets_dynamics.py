"""Guided experiments 7-9, the dynamics lens: each asserts the numbers its page reports.

Run with --junitxml to see the measured values (record_property).
"""
import math

import numpy as np
import pytest

from rnn_viz.experiment import presets
from rnn_viz.experiment.config import apply_overrides, compare_config, load_config
from rnn_viz.experiment.dynamics import analyse
from rnn_viz.experiment.loop import Trainer, train


def preset(name, *overrides):
    return apply_overrides(load_config(presets.find_preset(name)), overrides)


def dynamics_at_init(cfg, fixed_points=False):
    trainer = Trainer(cfg)
    with np.errstate(all="ignore"):  # the chaotic runs' gradients overflow over 3,500 steps
        trace = trainer.evaluate(heavy=False).trace
    return trainer, trace, analyse(trainer, trace, fixed_points=fixed_points)


# --- 7. the transition to chaos ----------------------------------------------------------------

def test_7_trains_two_updates_without_the_heavy_trace():
    trainer = Trainer(preset("7-transition-to-chaos"))
    with np.errstate(all="ignore"):
        records = list(train(trainer, 2, heavy_last=False))
    assert [r.step for r in records] == [1, 2] and all(math.isfinite(r.loss) for r in records)


@pytest.mark.parametrize("gain, below, above", [(0.5, -0.1, None), (0.8, -0.1, None), (1.5, None, 0.02),
                                                (2.0, None, 0.02)])
def test_7_top_exponent_changes_sign_at_the_transition_and_the_gradient_follows(gain, below, above, record_property):
    _, _, dyn = dynamics_at_init(preset("7-transition-to-chaos", f"model.gain={gain}"))
    top, slope = float(dyn["dyn/lyapunov/0"][0]), float(dyn["dyn/flow_slope/0"])
    record_property(f"top_lyapunov_g{gain}", top)
    record_property(f"flow_slope_g{gain}", slope)
    if below is not None:
        assert top < below
    if above is not None:
        assert top > above
    # the error signal's per-step growth is the same product of Jacobians: it crosses zero with it
    assert abs(slope - top) < 0.01
    assert dyn["dyn/lyapunov/0"].shape == (10,) and dyn["dyn/jacobian_sv/0"].shape == (200,)
    assert np.all(np.isfinite(dyn["dyn/jacobian_sv/0"]))


def test_7_circular_law_of_the_gaussian_weights(record_property):
    for gain in (0.5, 1.5):
        trainer = Trainer(preset("7-transition-to-chaos", f"model.gain={gain}"))
        W = trainer.params["Whh.0"]
        assert abs(W.std() * math.sqrt(200) / gain - 1.0) < 0.02  # N(0, g^2/H), not rescaled
        moduli = np.abs(np.linalg.eigvals(W))
        record_property(f"rho_over_g_{gain}", moduli.max() / gain)
        assert (moduli <= 1.05 * gain).mean() >= 0.95
        assert abs((moduli <= gain / 2).mean() - 0.25) <= 0.05
        assert 0.97 * gain <= moduli.max() <= 1.16 * gain


# --- 8. dynamical isometry ---------------------------------------------------------------------

def test_8_orthogonal_keeps_every_singular_value_gaussian_spreads_them(record_property):
    ortho_ratio, gauss_spread = [], []
    for seed in range(10):
        cfg = preset("8-dynamical-isometry", f"training.seed={seed}")
        for run, out in ((cfg, ortho_ratio), (compare_config(cfg), gauss_spread)):
            _, trace, dyn = dynamics_at_init(run)
            assert np.abs(trace["hidden/0"]).mean() < 0.1  # tanh nearly linear
            assert int(dyn["dyn/lag"]) == 49  # dh_T/dh_0 over T = 50 steps
            sv = dyn["dyn/jacobian_sv/0"]
            out.append(sv[0] / sv[-1] if run is cfg else np.percentile(sv, 90) / np.percentile(sv, 10))
    record_property("orthogonal_max_over_min_median", float(np.median(ortho_ratio)))
    record_property("orthogonal_max_over_min_max", float(np.max(ortho_ratio)))
    record_property("gaussian_p90_over_p10_median", float(np.median(gauss_spread)))
    assert max(ortho_ratio) < 10
    assert min(gauss_spread) > 1e6


# --- 9. memory as fixed points -----------------------------------------------------------------

def _eight_memories(trainer, record_property):
    """The shown batch's fixed points: exactly 8 stable, one per sign pattern of the 3 outputs."""
    trace = trainer.evaluate(heavy=False).trace
    record_property("final_loss", float(trace["loss"]))
    assert float(trace["loss"]) < 0.1  # chance (predict 0) is 0.90
    dyn = analyse(trainer, trace)
    moduli, unstable = dyn["dyn/fp/max_abs_eig"], dyn["dyn/fp/unstable"]
    record_property("fixed_points", len(moduli))
    record_property("saddles", int((unstable > 0).sum()))
    record_property("slow_points", int(dyn["dyn/slow/q"].size))
    assert np.all(dyn["dyn/fp/q"] <= 1e-10)
    assert int((moduli < 1 - 1e-3).sum()) == 8
    assert np.array_equal(unstable > 0, moduli > 1)
    assert dyn["dyn/fp/state"].shape == (len(moduli), 32) and dyn["dyn/fp/pca"].shape == (3, 32)
    # the 8 stable points are the 8 memories: their readouts carry the 8 sign patterns
    stable = dyn["dyn/fp/state"][moduli < 1 - 1e-3]
    signs = {tuple(np.sign(h @ trainer.params["Why"].T + trainer.params["by"]).astype(int)) for h in stable}
    assert len(signs) == 8


def test_9_opens_trained_with_exactly_eight_stable_fixed_points(record_property):
    cfg = preset("9-flip-flop-fixed-points")
    assert cfg.model.weights is not None and cfg.model.weights.endswith("9-flip-flop-fixed-points.safetensors")
    trainer = Trainer(cfg)
    assert trainer.spec.cell == "rnn" and trainer.spec.hidden_size == 32 and trainer.spec.activation == "tanh"
    _eight_memories(trainer, record_property)


def test_9_the_script_that_made_the_weights_trains_a_network_with_eight_stable_fixed_points(record_property):
    # scripts/train_preset_9.py's recipe, trained here as the test did before the weights shipped
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "train_preset_9.py"
    spec = importlib.util.spec_from_file_location("train_preset_9", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    trainer = script.trained()
    assert trainer.step_count == 1500 and trainer.config.model.weights is None
    _eight_memories(trainer, record_property)
    # the shipped file holds a network of the recipe's shape (the same numbers on this machine)
    shipped = Trainer(preset("9-flip-flop-fixed-points"))
    assert shipped.params.keys() == trainer.params.keys()
    assert all(shipped.params[k].shape == trainer.params[k].shape for k in trainer.params)
