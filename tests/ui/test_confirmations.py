"""Before rnn-viz reads a file that a shared file chose, the window asks, naming the path: a data
path leaving the experiment's folder, the files of a checkpoint's embedded experiment. An
experiment that cannot fit the memory budget is refused in words. Declining or refusing leaves the
app as it was."""
import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from rnn_viz.experiment.config import apply_overrides, default_config, to_toml
from rnn_viz.experiment.io import save_checkpoint
from rnn_viz.experiment.loop import Trainer
from rnn_viz.ui.confirm import CHECKPOINT_TITLE, OUTSIDE_TITLE

from .app_fixtures import make_window

TEXT = "the quick brown fox jumps over the lazy dog. " * 40


def _text_experiment(folder, data_path):
    cfg = apply_overrides(default_config(), ['data.source="text"', f'data.path="{data_path}"', "data.seq_len=12",
                                             "data.batch_size=4", "model.hidden_size=8"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "shared.toml"
    path.write_text(to_toml(cfg), encoding="utf-8")
    return path


def _error_text(window) -> str:
    box = window.findChild(QMessageBox, "ErrorDialog")
    assert box is not None, "no error dialog shown"
    return box.text()


def _confirmations(window):
    return [a for a in window.prompts.asked if a[0] == "confirm"]


@pytest.fixture
def window(qtbot, tmp_path):
    return make_window(qtbot, tmp_path)


def test_a_data_path_out_of_the_folder_is_named_before_it_is_read(window, tmp_path):
    secret = tmp_path / "private.txt"
    secret.write_text(TEXT, encoding="utf-8")
    experiment = _text_experiment(tmp_path / "downloads", "../private.txt")
    trainer, config = window.controller.trainer, window.controller.config
    window.prompts.confirm_answer = False
    assert not window.files.open_experiment(experiment)
    ((_, title, text),) = _confirmations(window)
    assert title == OUTSIDE_TITLE and str(secret.resolve()) in text and "data.path" in text
    assert "not read" in _error_text(window) and str(secret.resolve()) in _error_text(window)
    assert window.controller.trainer is trainer and window.controller.config == config  # nothing changed

    window.prompts.confirm_answer = True
    assert window.files.open_experiment(experiment)
    assert window.controller.config.data["source"] == "text"


def test_a_data_path_inside_the_folder_needs_no_question(window, tmp_path):
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "book.txt").write_text(TEXT, encoding="utf-8")
    assert window.files.open_experiment(_text_experiment(tmp_path / "exp", "book.txt"))
    assert _confirmations(window) == []


def _text_checkpoint(tmp_path):
    book = tmp_path / "elsewhere" / "book.txt"
    book.parent.mkdir()
    book.write_text(TEXT, encoding="utf-8")
    cfg = apply_overrides(default_config(), ['data.source="text"', f'data.path="{book}"', "data.seq_len=12",
                                             "data.batch_size=4", "model.hidden_size=8"])
    trainer = Trainer(cfg, tmp_path)
    trainer.step()
    path = tmp_path / "from-a-colleague.npz"
    save_checkpoint(path, trainer.checkpoint())
    return path, book


def test_a_checkpoint_names_the_files_its_experiment_would_read_first(window, tmp_path):
    path, book = _text_checkpoint(tmp_path)
    trainer = window.controller.trainer
    window.prompts.confirm_answer = False
    assert not window.files.load_checkpoint(path)
    ((_, title, text),) = _confirmations(window)
    assert title == CHECKPOINT_TITLE and str(book) in text and "data.path" in text
    assert window.controller.trainer is trainer

    window.prompts.confirm_answer = True
    assert window.files.load_checkpoint(path)
    assert window.controller.trainer.step_count == 1 and window.controller.config.data["source"] == "text"


def test_a_checkpoint_of_a_builtin_task_loads_without_a_question(window, tmp_path):
    trainer = Trainer(window.controller.config, tmp_path)
    trainer.step()
    save_checkpoint(tmp_path / "c.npz", trainer.checkpoint())
    assert window.files.load_checkpoint(tmp_path / "c.npz")
    assert _confirmations(window) == []


def test_an_experiment_over_the_memory_budget_is_refused_in_words(window, monkeypatch):
    c = window.controller
    trainer, config, record = c.trainer, c.config, c.record
    monkeypatch.setenv("RNN_VIZ_MEMORY_GB", "0.0000001")
    assert not window.reset_model()
    text = _error_text(window)
    assert "needs about" in text and "RNN_VIZ_MEMORY_GB" in text and "lower" in text
    assert "unexpected" not in text
    assert c.trainer is trainer and c.config == config and c.record is record
    monkeypatch.delenv("RNN_VIZ_MEMORY_GB")
    assert window.reset_model() and c.trainer is not trainer
