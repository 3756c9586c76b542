"""A short seeded randomized session of the window (issue 11): a few hundred actions, train, pause,
step, reset, compare on and off, setting edits (bad values too), presets opened, window and dock
resizes, with the real views, offscreen. It fails on any exception that escapes into Qt (pytest-qt
reports those), on an "unexpected error" dialog or training failure, on a hang (a bounded wait, and
a watchdog that dumps every thread's stack and ends the process), and on a training thread left
running after the window closes. (The watchdog writes the stacks to RNN_VIZ_HANG_FILE, default
hang.txt in the test's tmp_path; RNN_VIZ_HANG_SECONDS shortens it when hunting a hang.)"""
import faulthandler
import random
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.presets import preset_paths
from rnn_viz.ui.worker import running_threads

from .app_fixtures import make_window, small_config

ACTIONS = 200
HANG_SECONDS = int(__import__("os").environ.get("RNN_VIZ_HANG_SECONDS", 240))  # the watchdog: far above the session's own length, so only a hang reaches it

# (section, key, values): good values kept small (the session must stay short) and bad ones
EDITS = (
    ("training", "learning_rate", (0.01, 0.001, -1.0, "fast")),
    ("training", "clip_norm", (0.0, 1.0, 0.5)),
    ("training", "bptt", ("full", "truncated", "sideways")),
    ("training", "k1", (3, 9, 0)),
    ("training", "k2", (5, 57, 2)),
    ("training", "dtype", ("float32", "float64")),
    ("training", "flow_sample", (0, 2, 50)),
    ("training", "seed", (0, 7, 3_000_000_000)),
    ("data", "seq_len", (8, 12, 54, 0)),
    ("data", "batch_size", (1, 3, 4)),
    ("model", "hidden_size", (4, 8, 0)),
    ("model", "cell", ("rnn", "lstm", "gru")),
    ("model", "num_layers", (1, 2, 9)),
)
# presets are opened as shrunk copies (their full size takes seconds per trace)
SHRINK = {"data": {"seq_len": 12, "batch_size": 4, "val_size": 8}, "model": {"hidden_size": 8}}


def _shrunk_preset(path, folder):
    d = cfgmod.to_dict(cfgmod.load_config(path))
    for section, values in SHRINK.items():
        for key, value in values.items():
            if key in d.get(section, {}) and not (section == "model" and d["model"].get("weights")):
                d[section][key] = value
    try:
        cfg = cfgmod.config_from_dict(d, path.name)
    except cfgmod.ConfigError:
        return None
    out = folder / path.name
    out.write_text(cfgmod.to_toml(cfg), encoding="utf-8")
    return out


@pytest.fixture
def watchdog(tmp_path):
    import os
    stacks = open(os.environ.get("RNN_VIZ_HANG_FILE", tmp_path / "hang.txt"), "w")
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True, file=stacks)
    yield
    faulthandler.cancel_dump_traceback_later()


def _edit(window, section, key, value):
    d = cfgmod.to_dict(window.document.edited)
    d[section] = {**d.get(section, {}), key: value}
    window.on_settings_edited({s: d[s] for s in ("data", "model", "training") if s in d})


def _settle(qtbot, passes=3):
    app = QApplication.instance()
    for _ in range(passes):
        app.processEvents()


@pytest.mark.parametrize("seed", [11, 12])
def test_a_random_session_never_fails_hangs_or_leaks_a_thread(qtbot, tmp_path, watchdog, seed):
    rng = random.Random(seed)
    window = make_window(qtbot, tmp_path, config=small_config(), views=None)
    window.resize(1016, 423)
    c = window.controller
    failures = []
    c.failed.connect(lambda title, text: failures.append((title, text)))
    presets = preset_paths()
    docks = list(window.view_docks.values()) + [window.settings_dock]
    done = []
    for i in range(ACTIONS):
        r = rng.random()
        if r < 0.14:
            window.acts.train.trigger()
            done.append("train/pause")
        elif r < 0.24:
            if not c.running:
                target = c.trainer.step_count + 1
                window.acts.step.trigger()
                qtbot.waitUntil(lambda: not c.running, timeout=30_000)
                done.append("step")
        elif r < 0.30:
            window.reset_model()
            done.append("reset")
        elif r < 0.36:
            window.set_compare(not c.compare)
            done.append("compare")
        elif r < 0.62:
            section, key, values = rng.choice(EDITS)
            _edit(window, section, key, rng.choice(values))
            done.append(f"edit {key}")
        elif r < 0.66:
            shrunk = _shrunk_preset(rng.choice(presets), tmp_path)
            if shrunk is not None:
                window.files.open_experiment(shrunk, ask=False)
                done.append("preset")
        elif r < 0.80:
            sub = rng.sample(docks, rng.randint(1, 3))
            orientation = rng.choice([Qt.Orientation.Horizontal, Qt.Orientation.Vertical])
            window.resizeDocks(sub, [rng.choice([68, rng.randint(20, 400)]) for _ in sub], orientation)
            done.append("dock")
        elif r < 0.88:
            window.resize(rng.choice([1016, rng.randint(500, 1400)]), rng.choice([423, rng.randint(300, 900)]))
            done.append("resize")
        elif r < 0.94:
            c.set_time_step(rng.randint(0, 60))
            done.append("time step")
        else:
            c.set_speed(rng.choice([0, 1, 5]))
            done.append("speed")
        _settle(qtbot)
        box = window.findChild(QMessageBox, "ErrorDialog")
        if box is not None and box.isVisible():
            assert "unexpected" not in box.text().lower(), (i, done[-5:], box.text())
            box.close()
        assert not failures, (i, done[-5:], failures)
    kinds = {d.split()[0] for d in done}
    assert {"train/pause", "step", "reset", "compare", "edit", "preset", "dock", "resize"} <= kinds
    window.close()
    assert running_threads() == []
    assert [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon] == []
