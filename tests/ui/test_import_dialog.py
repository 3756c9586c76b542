"""File > Import trained model: the dialog's preview, opening the model, bad files, drag and drop,
and the whole way of a user: import -> TBPTT fine-tuning -> checkpoint -> export-torch -> torch."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QUrl

from rnn_viz import cli
from rnn_viz.data.weights import read_state_dict
from rnn_viz.experiment import config as cfgmod
from rnn_viz.ui import files
from rnn_viz.ui.import_dialog import ImportModelDialog
from tests.ui.app_fixtures import make_window, small_config, step

PRESETS = Path(__file__).resolve().parents[2] / "resources" / "presets"
WEIGHTS = PRESETS / "10-your-model.safetensors"


def _copy_weights(tmp_path: Path) -> Path:
    return Path(shutil.copy(WEIGHTS, tmp_path / "model.safetensors"))


def test_dialog_previews_the_architecture_parameters_and_parity(qtbot, tmp_path):
    dialog = ImportModelDialog(_copy_weights(tmp_path), small_config(), tmp_path)
    qtbot.addWidget(dialog)
    text = dialog.summary.toPlainText()
    assert 'nn.GRU at "encoder": 1 layer(s), input 1, hidden 16' in text
    assert 'readout: nn.Linear at "head" (16 -> 1)' in text
    # 3 gates x 16 x (1 + 16) + 2 x 48 biases (bh and bhn folded: 48 + 16) + readout 16 + 1
    assert dialog.preview.parameters == 48 * 1 + 48 * 16 + 48 + 16 + 16 + 1
    assert "897 parameters" in text
    assert text.splitlines()[-1].startswith("parity with torch: ")
    assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    assert not dialog.activation.isEnabled()  # a GRU has no activation to choose
    cfg = dialog.config()
    assert cfg.model.weights == str(tmp_path / "model.safetensors") and cfg.data["source"] == "sine"


def test_data_that_does_not_fit_disables_ok_and_names_the_key(qtbot, tmp_path):
    dialog = ImportModelDialog(_copy_weights(tmp_path), small_config(), tmp_path)
    qtbot.addWidget(dialog)
    dialog.data.setCurrentIndex(dialog.data.findData("adding"))  # 2 inputs per step; the GRU takes 1
    assert "encoder.weight_ih_l0" in dialog.error.text() and "model.safetensors" in dialog.error.text()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    assert dialog.config() is None
    dialog.data.setCurrentIndex(dialog.data.findData("sine"))
    assert dialog.config() is not None


def test_users_csv_through_the_sequence_preview(qtbot, tmp_path):
    csv = tmp_path / "series.csv"
    values = np.sin(np.arange(300) / 5.0)
    csv.write_text("date,value\n" + "".join(f"2020-01-{1 + i // 24:02d}T{i % 24:02d}:00,{v:.5f}\n"
                                            for i, v in enumerate(values)), encoding="utf-8")
    window = make_window(qtbot, tmp_path)
    window.prompts.open_answer = csv

    def use_file(dialog):
        dialog.set_file_data(window.prompts.sequence_preview(csv, {"seq_len": 30}, tmp_path))

    window.prompts.import_edit = use_file
    assert window.files.import_model(_copy_weights(tmp_path))
    trainer = window.controller.trainer
    assert trainer.imported is not None and trainer.config.data["source"] == "file"
    assert window.document.edited.model.weights == str(tmp_path / "model.safetensors")
    assert "parity with torch" in window.statusBar().currentMessage()


def test_import_opens_the_model_as_an_unsaved_experiment_saved_like_any_other(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    weights = _copy_weights(tmp_path)
    window.prompts.open_answer = weights
    window.acts.import_model.trigger()
    trainer = window.controller.trainer
    state = read_state_dict(weights)
    np.testing.assert_array_equal(trainer.params["Whh.0"], state["encoder.weight_hh_l0"].astype(np.float64))
    assert window.document.path is None and ("import", "model.safetensors") in window.prompts.asked
    shown = window.document.edited.model  # the panel shows what the file decided, not unset keys
    assert (shown.cell, shown.hidden_size, shown.num_layers) == ("gru", 16, 1)
    assert "gru 16x1" in window.status_mode.text()
    out = tmp_path / "mine.toml"
    assert window.files.save_experiment(path=out)
    again = cfgmod.load_config(out)
    assert again.model.weights == str(weights)


def _broken(tmp_path: Path) -> Path:
    state = {k: v for k, v in read_state_dict(WEIGHTS).items() if k != "encoder.weight_hh_l0"}
    from safetensors.numpy import save_file

    path = tmp_path / "broken.safetensors"
    save_file(state, str(path))
    return path


@pytest.mark.parametrize("make", [_broken, lambda p: (p / "junk.safetensors").write_bytes(b"\x00" * 40) and p / "junk.safetensors"])
def test_a_bad_file_is_one_message_and_the_window_keeps_its_state(qtbot, tmp_path, make):
    from PySide6.QtWidgets import QMessageBox

    window = make_window(qtbot, tmp_path)
    bad = make(tmp_path)
    trainer, toml = window.controller.trainer, cfgmod.to_toml(window.document.edited)
    before = sorted(tmp_path.rglob("*"))
    assert not window.files.import_model(bad)
    box = window.findChild(QMessageBox, "ErrorDialog")
    assert box is not None and bad.name in box.text()
    if make is _broken:
        assert "encoder.weight_hh_l0" in box.text()
    assert window.controller.trainer is trainer and cfgmod.to_toml(window.document.edited) == toml
    assert sorted(tmp_path.rglob("*")) == before  # nothing written


def test_dropping_a_weights_file_starts_the_import(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    weights = _copy_weights(tmp_path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(weights))])
    assert files.dropped_path(mime) == weights
    assert window.files.open_dropped(weights)
    assert ("import", "model.safetensors") in window.prompts.asked
    assert window.controller.trainer.imported is not None


def test_import_tbptt_checkpoint_then_export_loads_strictly_into_torch(qtbot, tmp_path, capsys):
    """Issue 12's 'done when': a user's weights and data, fine-tuned with TBPTT(k1, k2) in the
    window, saved as a checkpoint, exported by the CLI and loaded back into torch strictly."""
    torch = pytest.importorskip("torch")
    window = make_window(qtbot, tmp_path, config=small_config(training={"bptt": "truncated", "k1": 3, "k2": 6}))
    weights = _copy_weights(tmp_path)
    assert window.files.import_model(weights)
    cfg = window.controller.trainer.config.training
    assert (cfg.bptt, cfg.k1, cfg.k2) == ("truncated", 3, 6)
    step(qtbot, window, 3)
    trainer = window.controller.trainer
    assert trainer.step_count == 3
    assert not np.array_equal(trainer.params["Whh.0"], read_state_dict(weights)["encoder.weight_hh_l0"])
    ckpt = tmp_path / "tuned.npz"
    assert window.files.save_checkpoint(ckpt)

    out = tmp_path / "tuned.safetensors"
    assert cli.main(["export-torch", str(ckpt), str(out)]) == 0, capsys.readouterr().err
    state = read_state_dict(out)

    class Forecaster(torch.nn.Module):  # the user's own module: GRU under "encoder", Linear under "head"
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.GRU(1, 16, batch_first=True, dtype=torch.float64)
            self.head = torch.nn.Linear(16, 1, dtype=torch.float64)

        def forward(self, x):
            return self.head(self.encoder(x)[0])

    model = Forecaster()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    x = np.random.default_rng(1).normal(size=(2, 7, 1))
    from rnn_viz.engine.network import forward

    _, y = forward(trainer.spec, dict(trainer.params), x)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(y.transpose(1, 0, 2), expected, rtol=1e-10, atol=1e-12)
