"""Paths in experiment files stay in the experiment's folder or are shown before they are read."""
import os

import pytest

from rnn_viz.experiment.config import ConfigError, apply_overrides, default_config, to_toml
from pathlib import Path

from rnn_viz.experiment.paths import check_paths, files_read, outside_paths

from .test_cli import run


def text_config(path):
    return apply_overrides(default_config(), ['data.source="text"', f"data.path={path!r}".replace("'", '"'),
                                              "data.seq_len=12", "data.batch_size=4", "model.hidden_size=8"])


@pytest.mark.parametrize("raw, why", [
    ("../../../../etc/passwd", "leaves the experiment's folder (..)"),
    ("/etc/passwd", "is an absolute path"),
    ("~/notes.txt", "is in the home folder"),
])
def test_paths_leaving_the_folder_are_found(tmp_path, raw, why):
    (found,) = outside_paths(text_config(raw), tmp_path)
    assert found.key == "data.path" and found.why == why and not found.path.is_relative_to(tmp_path)


def test_paths_inside_the_folder_and_the_builtin_text_are_not(tmp_path):
    (tmp_path / "sub").mkdir()
    assert outside_paths(text_config("sub/../book.txt"), tmp_path) == []
    assert outside_paths(text_config(str(tmp_path / "book.txt")), tmp_path) == []
    assert outside_paths(text_config(""), tmp_path) == []


def test_a_symlink_out_of_the_folder_counts_as_outside(tmp_path):
    (tmp_path / "exp").mkdir()
    (tmp_path / "secret.txt").write_text("x")
    os.symlink(tmp_path / "secret.txt", tmp_path / "exp" / "book.txt")
    (found,) = outside_paths(text_config("book.txt"), tmp_path / "exp")
    assert found.why == "is a link out of the experiment's folder" and found.path == tmp_path / "secret.txt"


def test_the_compare_run_s_path_is_checked_too(tmp_path):
    cfg = apply_overrides(text_config(""), ['compare.data.path="../x.txt"'])
    assert [f.key for f in outside_paths(cfg, tmp_path)] == ["compare.data.path"]


def test_a_declined_path_is_refused_before_reading(tmp_path):
    asked = []
    with pytest.raises(ConfigError, match=r"^e\.toml: not read: data\.path = '\.\./x\.txt' leaves"):
        check_paths(text_config("../x.txt"), tmp_path, lambda p: asked.append(p) or False, "e.toml")
    assert [p.raw for p in asked] == ["../x.txt"]


def test_headless_run_names_the_outside_file_on_stderr_before_reading_it(tmp_path, capsys):
    (tmp_path / "outside.txt").write_text("hello world, " * 40)
    (tmp_path / "exp").mkdir()
    exp = tmp_path / "exp" / "e.toml"
    exp.write_text(to_toml(text_config("../outside.txt")), encoding="utf-8")
    code, err = run(capsys, "run", exp, "--steps", 1, "--out", tmp_path / "o", "--quiet")
    assert code == 0, err
    assert err.splitlines()[0] == (f"rnn-viz: note: data.path = '../outside.txt' leaves the experiment's folder (..): "
                                   f"rnn-viz reads {tmp_path / 'outside.txt'}, outside {tmp_path / 'exp'}")


def test_files_read_lists_every_file_for_a_checkpoint_s_confirmation(tmp_path):
    cfg = apply_overrides(text_config("book.txt"), ['compare.data.path="/abs/other.txt"'])
    assert files_read(cfg, tmp_path) == [("data.path", tmp_path / "book.txt"),
                                         ("compare.data.path", Path("/abs/other.txt"))]
    assert files_read(text_config(""), tmp_path) == []
    same = apply_overrides(text_config("book.txt"), ["compare.training.learning_rate=0.5"])
    assert files_read(same, tmp_path) == [("data.path", tmp_path / "book.txt")]
