"""The memory budget (issue 11): estimates from shapes alone, above the measured peak, and a clear
refusal with exit 2 before anything is trained or written."""
import tracemalloc

import numpy as np
import pytest

from rnn_viz.experiment import budget
from rnn_viz.experiment.config import apply_overrides, default_config
from rnn_viz.experiment.loop import Trainer

from .test_cli import DEFAULT, SMALL, assert_one_line_error, run


def _measured_peak(trainer) -> int:
    trainer.step()  # warm caches outside the measurement
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        trainer.step(heavy=True)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("cell, B, T, H, L", [
    ("rnn", 8, 60, 24, 1), ("rnn", 48, 30, 8, 2), ("lstm", 4, 80, 20, 1), ("lstm", 16, 20, 12, 2),
    ("gru", 6, 50, 28, 1), ("gru", 24, 40, 8, 3),
])
def test_the_estimate_covers_the_measured_peak_without_being_absurd(cell, B, T, H, L):
    cfg = apply_overrides(default_config(), [f"data.seq_len={T}", f"data.batch_size={B}", f"model.hidden_size={H}",
                                             f"model.num_layers={L}", f'model.cell="{cell}"', "data.val_size=4"])
    trainer = Trainer(cfg)
    need = budget.estimate_trainer(trainer).total
    peak = _measured_peak(trainer)
    assert peak <= need <= 4 * peak + 2**20, (peak, need)


def test_the_issue_s_cases_are_estimated_from_shapes_alone():
    flow = budget.estimate("rnn", 1, 100_000, 32, 1, 1, 1)
    assert flow.largest()[0] == "flow" and flow.flow == 2 * 100_000**2 * 8  # 74.5 GiB per copy
    big_batch = budget.estimate("rnn", 65536, 10_000, 32, 1, 1, 1)
    assert big_batch.io >= 9.7 * budget.GiB and big_batch.activations >= 156 * budget.GiB


def test_budget_sources(monkeypatch):
    assert budget.budget_bytes(2.5, {})[0] == int(2.5 * budget.GiB)
    assert budget.budget_bytes(None, {budget.BUDGET_ENV: "3"}) == (3 * budget.GiB, "RNN_VIZ_MEMORY_GB=3")
    monkeypatch.setattr(budget, "available_memory", lambda: 10 * budget.GiB)
    assert budget.budget_bytes(None, {})[0] == 8 * budget.GiB
    for bad in ("lots", "-1", "0", "inf"):
        with pytest.raises(budget.BudgetError, match="RNN_VIZ_MEMORY_GB"):
            budget.budget_bytes(None, {budget.BUDGET_ENV: bad})


def test_an_experiment_over_budget_exits_2_naming_need_budget_and_setting(tmp_path, capsys):
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "o", *SMALL,
                    "--set", "data.seq_len=100000", "--set", "data.batch_size=1", "--memory-budget", "1")
    # Even the kept flow rows (2048 x T) do not fit 1 GiB: the message quotes what the run would need
    # with them (3.2 GiB; at 4 GiB it runs), not the 149.2 GiB of the whole (T, T) matrix.
    assert code == 2
    assert_one_line_error(err, "needs about 3.2 GiB", "budget is 1.0 GiB (--memory-budget 1)",
                          "the flow matrix", "lower data.seq_len")
    assert not (tmp_path / "o").exists()


def test_the_environment_variable_sets_the_budget(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(budget.BUDGET_ENV, "0.000001")
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "o", *SMALL)
    assert code == 2
    assert_one_line_error(err, "(RNN_VIZ_MEMORY_GB=0.000001)")
    monkeypatch.delenv(budget.BUDGET_ENV)
    assert run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "o", *SMALL)[0] == 0


def test_a_bad_memory_budget_flag_is_a_usage_error(capsys):
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", "x", "--memory-budget", "-2")
    assert code == 2 and "expected a number of GiB > 0" in err


def test_a_flow_matrix_over_budget_runs_with_its_kept_rows(tmp_path, capsys):
    from rnn_viz.engine.trace import MAX_FLOW_ROWS
    from rnn_viz.experiment.io import read_trace
    sets = ["data.seq_len=2500", "data.batch_size=1"]
    cfg = apply_overrides(default_config(), SMALL[1:-1:2] + sets)
    trainer = Trainer(cfg)
    full, window = budget.estimate_trainer(trainer), budget.estimate_trainer(trainer, flow_rows=MAX_FLOW_ROWS)
    assert window.flow == 2 * MAX_FLOW_ROWS * 2500 * 8 * trainer.spec.num_layers < full.flow
    gib = (full.total + window.total) / 2 / budget.GiB  # T x T does not fit, R x T does
    args = [a for s in sets for a in ("--set", s)]
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "o", *SMALL, *args,
                    "--memory-budget", f"{gib:.6f}")
    assert code == 0, err
    tr = read_trace(tmp_path / "o" / "trace.npz")
    assert not any(k.startswith("flow/") for k in tr)
    rows = tr["flow_rows"]
    assert rows.dtype == np.int64 and len(rows) == MAX_FLOW_ROWS and rows[-1] == np.flatnonzero(tr["loss_mask"][int(tr["flow_sample"])])[-1]
    assert tr["flow_window/0"].shape == (MAX_FLOW_ROWS, 2500)
