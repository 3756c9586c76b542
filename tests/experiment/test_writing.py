"""Writing a run's files (issue 11): checkpoint before trace, a full disk names the file and keeps
the previous checkpoint, stale temp files are removed, NumPy warnings fold into the divergence
line, and Ctrl-C at any moment exits 130 without a traceback."""
import errno
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rnn_viz import cli
from rnn_viz.experiment import io as runio
from rnn_viz.experiment.io import load_checkpoint, remove_stale_temp_files

from .test_cli import DEFAULT, SMALL, assert_one_line_error, run

ROOT = Path(__file__).resolve().parents[2]


def test_the_checkpoint_is_written_before_the_trace(tmp_path, capsys, monkeypatch):
    order = []
    for name in ("save_checkpoint", "write_trace"):
        real = getattr(cli, name)
        monkeypatch.setattr(cli, name, lambda *a, _real=real, _name=name: order.append(_name) or _real(*a))
    assert run(capsys, "run", DEFAULT, "--steps", 2, "--out", tmp_path / "o", *SMALL)[0] == 0
    assert order == ["save_checkpoint", "write_trace"]


def _disk_full_for(monkeypatch, victim: str):
    real = np.savez

    def savez(file, **arrays):
        if f".{victim}.tmp-" in getattr(file, "name", ""):
            file.write(b"PK\x03\x04 partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(file, **arrays)
    monkeypatch.setattr(runio.np, "savez", savez)


def test_a_full_disk_names_the_checkpoint_and_keeps_the_previous_one(tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    assert run(capsys, "run", DEFAULT, "--steps", 1, "--out", out, *SMALL)[0] == 0
    _disk_full_for(monkeypatch, "checkpoint.npz")
    code, err = run(capsys, "run", DEFAULT, "--steps", 3, "--out", out, *SMALL, "--force")
    assert code == 2
    assert_one_line_error(err, f"{out / 'checkpoint.npz'}: could not be written (No space left on device); "
                               "the previous checkpoint.npz is kept")
    assert ".tmp-" not in err
    assert int(load_checkpoint(out / "checkpoint.npz")["step"]) == 1
    assert not list(out.glob(".*tmp*"))


def test_a_full_disk_for_the_trace_still_leaves_the_checkpoint(tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    _disk_full_for(monkeypatch, "trace.npz")
    code, err = run(capsys, "run", DEFAULT, "--steps", 2, "--out", out, *SMALL)
    assert code == 2
    assert_one_line_error(err, f"{out / 'trace.npz'}: could not be written (No space left on device)",
                          "checkpoint.npz was written", "--resume")
    assert int(load_checkpoint(out / "checkpoint.npz")["step"]) == 2


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.skipif(os.name != "posix", reason="process liveness is checked on POSIX only")
def test_stale_temp_files_of_dead_processes_are_removed_at_the_next_run(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    dead = out / f".checkpoint.npz.tmp-{_dead_pid()}"
    alive = out / f".trace.npz.tmp-{os.getppid()}"  # a running process (pytest's parent)
    unrelated = out / ".notes.tmp-abc"
    for f in (dead, alive, unrelated):
        f.write_bytes(b"x")
    assert remove_stale_temp_files(out) == [dead]
    assert alive.exists() and unrelated.exists()
    dead2 = out / f".trace.npz.tmp-{_dead_pid()}"
    dead2.write_bytes(b"x")
    assert run(capsys, "run", DEFAULT, "--steps", 1, "--out", out, *SMALL, "--force")[0] == 0
    assert not dead2.exists() and alive.exists()


def test_numpy_warnings_before_a_divergence_fold_into_its_line(tmp_path, capsys):
    code, err = run(capsys, "run", DEFAULT, "--steps", 30, "--out", tmp_path / "o", "--quiet",
                    "--set", "training.optimizer=sgd", "--set", "training.learning_rate=1e3",
                    "--set", 'model.activation="relu"')
    assert code == 2
    assert_one_line_error(err, "diverged at update", "(NumPy warned before it: overflow encountered")
    assert "RuntimeWarning" not in err


def _child(code: str, *args) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # A shell that started the test run in the background leaves SIGINT ignored, and a child inherits
    # that; the child here is a terminal user's process, which Ctrl-C reaches.
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery")
def test_ctrl_c_while_numpy_loads_exits_130_without_a_traceback():
    # Deterministic: the signal arrives exactly while rnn-viz imports its data layer (and numpy).
    child = _child("""
        import importlib.abc, os, signal, sys
        class Interrupt(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "rnn_viz.data":
                    os.kill(os.getpid(), signal.SIGINT)
                return None
        sys.meta_path.insert(0, Interrupt())
        from rnn_viz.cli import main
        sys.exit(main(sys.argv[1:]))
    """, "run", DEFAULT, "--steps", 1, "--out", "/nonexistent/never")
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert "Traceback" not in err and err.strip() == "rnn-viz: interrupted while starting"


@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery")
@pytest.mark.parametrize("when", ["loading", "training"])
def test_ctrl_c_during_start_up_or_training_exits_130_without_a_traceback(tmp_path, when):
    # The signal is sent once the child reports where it is, not after a guessed delay.
    child = _child("""
        import sys
        from rnn_viz import cli
        from rnn_viz.experiment import loop
        when = sys.argv[1]
        real_init, real_step = loop.Trainer.__init__, loop.Trainer.step
        def announce():
            print("ready", file=sys.stderr, flush=True)
            import time
            time.sleep(30)  # wait here for the signal
        def init(self, *a, **k):
            if when == "loading":
                announce()
            real_init(self, *a, **k)
        def step(self, *a, **k):
            record = real_step(self, *a, **k)
            if when == "training" and record.step == 3:
                announce()
            return record
        loop.Trainer.__init__, loop.Trainer.step = init, step
        sys.exit(cli.main(sys.argv[2:]))
    """, when, "run", DEFAULT, "--steps", 1000, "--out", tmp_path / "o", *SMALL)
    assert child.stderr.readline().strip() == "ready"
    child.send_signal(signal.SIGINT)
    if when == "training":  # the first Ctrl-C finishes the update; the second stops at once
        child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert "Traceback" not in err, err
