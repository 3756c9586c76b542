"""Presets by name (issue 10): `rnn-viz presets`, and `run`, `gui` and the bare `rnn-viz NAME`
resolving an existing file first, then a preset's name (with or without .toml); `python -m rnn_viz`."""
import os
import subprocess
import sys
import types

import pytest

from rnn_viz import cli
from rnn_viz.experiment import presets
from rnn_viz.experiment.config import ConfigError, load_config
from rnn_viz.experiment.io import read_metrics
from tests.experiment.test_cli import SMALL, assert_one_line_error, run


def test_presets_prints_name_tab_title_default_first_then_by_number(capsys):
    assert cli.main(["presets"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert out.endswith("\n") and lines
    rows = [line.split("\t") for line in lines]
    assert all(len(r) == 2 and r[0] and r[1] for r in rows), lines
    names = [r[0] for r in rows]
    assert names[0] == "default"
    assert names == [p.stem for p in sorted(presets.PRESETS_DIR.glob("*.toml"), key=lambda p: presets.preset_order(p.stem))]
    for name, title in rows:
        preset = load_config(presets.PRESETS_DIR / f"{name}.toml").preset
        assert title == " ".join(preset.title.split()), name


def test_preset_order_puts_2_before_10_and_5_before_5b():
    stems = ["10-imported", "default", "5b-gates-gru", "2-exploding", "zzz-extra", "5-gates-lstm", "1-vanishing"]
    assert sorted(stems, key=presets.preset_order) == [
        "default", "1-vanishing", "2-exploding", "5-gates-lstm", "5b-gates-gru", "10-imported", "zzz-extra"]


def test_resolve_prefers_an_existing_file_then_the_name_then_the_name_minus_toml(tmp_path, monkeypatch):
    folder = tmp_path / "shipped"
    folder.mkdir()
    (folder / "1-first.toml").write_text("[model]\nhidden_size = 4\n")
    (folder / "default.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    assert presets.resolve_experiment("1-first", folder) == folder / "1-first.toml"
    assert presets.resolve_experiment("1-first.toml", folder) == folder / "1-first.toml"
    # A file of that name in the working folder wins over the shipped preset.
    (tmp_path / "1-first.toml").write_text("[model]\nhidden_size = 5\n")
    assert presets.resolve_experiment("1-first.toml", folder).resolve() == (tmp_path / "1-first.toml").resolve()
    (tmp_path / "1-first").mkdir()  # a directory is not a regular file: the name still resolves
    assert presets.resolve_experiment("1-first", folder) == folder / "1-first.toml"
    with pytest.raises(ConfigError, match=r"nothing: no such experiment file.*presets: default, 1-first$"):
        presets.resolve_experiment("nothing", folder)
    with pytest.raises(ConfigError, match="no such experiment file"):
        presets.resolve_experiment("../shipped/1-first", tmp_path / "elsewhere")


def test_run_trains_a_preset_by_name_and_its_file_name(tmp_path, capsys):
    for i, name in enumerate(["1-vanishing-gradients", "1-vanishing-gradients.toml"]):
        out = tmp_path / f"out{i}"
        code, err = run(capsys, "run", name, "--steps", 2, "--out", out, *SMALL)
        assert code == 0, err
        assert read_metrics(out / "metrics.csv")["step"].tolist() == [1, 2]
        shipped = load_config(presets.PRESETS_DIR / "1-vanishing-gradients.toml")
        assert load_config(out / "config.toml").model.cell == shipped.model.cell


@pytest.mark.parametrize("argv", [["run", "no-such-preset", "--steps", "1", "--out", "d"],
                                  ["gui", "no-such-preset"], ["no-such-preset"], ["frobnicate"]])
def test_an_unknown_name_exits_2_with_the_list(capsys, argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = run(capsys, *argv)
    assert code == 2
    assert_one_line_error(err, f"{argv[-1] if argv[0] != 'run' else argv[1]}: no such experiment file",
                          "presets: default, 1-vanishing-gradients, 2-exploding-gradients")
    assert not (tmp_path / "d").exists()


def test_gui_and_the_bare_name_open_the_preset_file(capsys, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    opened = []
    fake = types.ModuleType("rnn_viz.ui.app")
    fake.run_app = lambda path: opened.append(path) or 0
    monkeypatch.setitem(sys.modules, "rnn_viz.ui.app", fake)
    assert run(capsys, "gui", "3-edge-of-chaos")[0] == 0
    assert run(capsys, "3-edge-of-chaos")[0] == 0
    assert run(capsys, "default.toml")[0] == 0
    assert opened == [str(presets.PRESETS_DIR / "3-edge-of-chaos.toml")] * 2 + [str(presets.PRESETS_DIR / "default.toml")]


def test_help_names_the_shorthand_and_the_presets(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "rnn-viz FILE.toml" in out and "rnn-viz NAME" in out and "rnn-viz presets" in out
    for path in presets.preset_paths():
        assert path.stem in out


def test_the_no_display_hint_works_from_anywhere(capsys, monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli.sys, "platform", "linux")
    code, err = run(capsys, "2-exploding-gradients")
    assert code == 2
    hint = next(line for line in err.splitlines() if "Train without a window" in line)
    assert hint.split(":", 1)[1].split()[:3] == ["rnn-viz", "run", "default"]  # a name, not a source path
    assert "xvfb-run -a rnn-viz gui 2-exploding-gradients" in err  # the window hint repeats what was typed


def test_python_dash_m_rnn_viz_is_the_command():
    result = subprocess.run([sys.executable, "-m", "rnn_viz", "presets"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("default\t")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_gui_of_a_fifo_says_what_it_is_and_never_opens_it(capsys, monkeypatch, tmp_path):
    """`rnn-viz gui FIFO.toml` used to block in read() before the window; now it names what is there."""
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    opened = []
    fake = types.ModuleType("rnn_viz.ui.app")
    fake.run_app = lambda path: opened.append(path) or 0
    monkeypatch.setitem(sys.modules, "rnn_viz.ui.app", fake)
    fifo = tmp_path / "shared.toml"
    os.mkfifo(fifo)
    for argv in (("gui", str(fifo)), (str(fifo),)):
        code, err = run(capsys, *argv)
        assert code == 2 and "is a FIFO (named pipe), not a regular file" in err and "no such" not in err
        assert len(err.strip().splitlines()) == 1
    assert opened == []
