"""Experiment files and --set values as untrusted input (issue 11): bombs, huge numbers, special
paths and a BOM each give one line naming the file, never a traceback or a hang."""
import os
import sys

import pytest

from rnn_viz import cli
from rnn_viz.experiment.config import ConfigError, apply_overrides, default_config, load_config
from rnn_viz.experiment.tomlfile import MAX_TOML_BYTES, MAX_TOML_DEPTH, parse_toml

from .test_cli import DEFAULT, SMALL, assert_one_line_error, run


@pytest.mark.parametrize("text, fragment", [
    ("a = " + "[" * 5000 + "]" * 5000, f"nested more than {MAX_TOML_DEPTH} levels"),
    ("a = " + "{b = " * 3000 + "1" + "}" * 3000, f"nested more than {MAX_TOML_DEPTH} levels"),
    ("[data]\nseq_len = " + "9" * 5000, "a number of 5000 characters"),
    ("[data]\nseq_len = " + "1" * 30, "outside TOML's 64-bit range"),
    ("a" + ".a" * 3000 + " = 1", f"nested more than {MAX_TOML_DEPTH} levels"),
])
def test_bombs_in_a_file_are_one_line(tmp_path, capsys, text, fragment):
    path = tmp_path / "bomb.toml"
    path.write_text(text, encoding="utf-8")
    code, err = run(capsys, "run", path, "--steps", 1, "--out", tmp_path / "o")
    assert code == 2
    assert_one_line_error(err, str(path), fragment)
    assert not (tmp_path / "o").exists()


def test_brackets_and_digits_inside_strings_and_comments_are_not_structure():
    text = 'a = "' + "[" * 100 + '"\nb = \'' + "9" * 500 + "'\n# " + "{" * 100 + '\nc = """\n' + "]" * 50 + '\n"""\n'
    assert parse_toml(text, "x.toml")["a"] == "[" * 100


@pytest.mark.parametrize("value, fragment", [
    ("9" * 5000, "a number of 5000 characters"),
    ("[" * 5000 + "]" * 5000, "nested more than"),
    ("18446744073709551616", "64-bit range"),
])
def test_bombs_in_set_are_one_line(value, fragment):
    with pytest.raises(ConfigError, match=fragment) as info:
        apply_overrides(default_config(), [f"training.seed={value}"])
    assert str(info.value).startswith("--set: ") and "\n" not in str(info.value)


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + DEFAULT.read_bytes())
    assert load_config(path) == load_config(DEFAULT)


def test_a_file_too_large_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.toml"
    with open(path, "wb") as f:
        f.truncate(MAX_TOML_BYTES + 10)  # sparse: nothing is written
    with pytest.raises(ConfigError, match="larger than 1024 KB"):
        load_config(path)


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_as_experiment_is_refused_at_once(tmp_path, capsys):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    code, err = run(capsys, "run", fifo, "--steps", 1, "--out", tmp_path / "o")
    assert code == 2
    assert_one_line_error(err, str(fifo), "FIFO (named pipe), not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_as_experiment_is_refused(tmp_path, capsys):
    code, err = run(capsys, "run", "/dev/zero", "--steps", 1, "--out", tmp_path / "o")
    assert code == 2
    assert_one_line_error(err, "/dev/zero", "character device, not a regular file")


def test_a_symlink_loop_and_a_nul_byte(tmp_path, capsys):
    loop = tmp_path / "loop.toml"
    os.symlink(loop, loop)
    code, err = run(capsys, "run", loop, "--steps", 1, "--out", tmp_path / "o")
    assert code == 2
    assert_one_line_error(err, "symlink loop")
    code, err = run(capsys, "run", "exp\x00.toml", "--steps", 1, "--out", tmp_path / "o")
    assert code == 2
    assert_one_line_error(err, "NUL character")


def test_set_with_ordinary_values_still_works(tmp_path, capsys):
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "o", *SMALL, "--set", "training.bptt=truncated",
                    "--set", "training.seed=3000000000")
    assert code == 0, err
