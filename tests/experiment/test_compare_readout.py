"""Compare mode's readout from two traces: what share of full BPTT's flow truncation cuts, and
whether the runs look alike (the default experiment) or not (a task that needs long memory)."""
from __future__ import annotations

import numpy as np
import pytest

from rnn_viz.engine.bptt import Truncation, block_chains
from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.compare_readout import ALIKE_RATIO, truncation_effect
from rnn_viz.experiment.presets import PRESETS_DIR
from rnn_viz.experiment.session import Session


def _default_compare():
    d = cfgmod.to_dict(cfgmod.default_config())
    d["compare"] = {"label": "truncated", "training": {"bptt": "truncated", "k1": 1, "k2": 5}}
    cfg = cfgmod.config_from_dict(d, "test")
    return Session.from_configs((cfg, cfgmod.compare_config(cfg)), PRESETS_DIR)


def test_the_cut_share_is_the_flow_outside_the_truncation_windows():
    T = 8
    F = np.tril(np.ones((T, T)))  # every path of full BPTT carries 1
    trace = {"flow/0": F, "dL_dh_norm/0": np.ones(T)}
    effect = truncation_effect(trace, trace, 1, 3)
    inside = sum(min(t + 1, 3) for t in range(T))  # row t reaches back to max(0, t - 2)
    assert effect.cut_share == pytest.approx(1 - inside / F.sum())
    assert effect.profile_ratio == 1.0 and effect.alike and effect.loss_gap is None
    # the kept-rows form gives the same share for the same rows
    rows = np.array([2, 5, 7])
    windowed = {"flow_rows": rows, "flow_window/0": F[rows], "dL_dh_norm/0": np.ones(T)}
    starts = block_chains(T, Truncation(1, 3)).window_start()[rows]
    outside = sum(int(s) for s in starts)
    assert truncation_effect(windowed, windowed, 1, 3).cut_share == pytest.approx(outside / F[rows].sum())


def test_different_runs_are_not_called_alike():
    T = 6
    a = {"flow/0": np.tril(np.ones((T, T))), "dL_dh_norm/0": np.full(T, 10.0)}
    b = {"flow/0": np.eye(T), "dL_dh_norm/0": np.ones(T)}
    effect = truncation_effect(a, b, 1, 1, loss_a=1.0, loss_b=2.0)
    assert not effect.alike and effect.profile_ratio == pytest.approx(10.0) and effect.loss_gap == 1.0
    assert "differ up to 10x" in effect.text()
    assert truncation_effect({"dL_dh_norm/0": np.ones(T)}, b, 1, 1) is None  # no flow matrix: nothing to say


def test_on_the_default_experiment_truncation_cuts_much_and_changes_little():
    session = _default_compare()
    for _ in session.run(60, heavy_last=True, level="metrics"):
        pass
    a, b = (r.trace for r in session.evaluate(heavy=True))
    effect = truncation_effect(a, b, 1, 5)
    assert effect.cut_share > 0.3  # a lot is cut ...
    assert effect.profile_ratio < ALIKE_RATIO and effect.alike  # ... yet the gradients look alike
    assert "this task needs only the last few steps" in effect.text()
