"""The ``rnn-viz`` command: the desktop app (default), ``rnn-viz run``, headless training, and
``rnn-viz presets``, the guided experiments by name.

Qt is imported only inside the functions that open the window or render plots, so ``rnn-viz run``
works on machines without a display or Qt's system libraries. Usage and files: docs/cli.md.
"""
from __future__ import annotations

import os

# One BLAS thread, set before numpy loads: on two cores a second OpenBLAS thread spin-waits against
# the window's thread (or any other busy process) and made steps 5-30x slower in measurements
# (docs/benchmarks.md); the engine's matrices are too small to gain from it. Users may override it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import contextlib
import dataclasses
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path


def _interrupted_while_starting(signum, frame):
    # Ctrl-C while numpy loads (a second or more on a busy machine): nothing to clean up yet, and a
    # KeyboardInterrupt here would print a traceback from inside the imports.
    if sys.stderr is not None:
        print("rnn-viz: interrupted while starting", file=sys.stderr, flush=True)
    os._exit(130)


_MAIN_THREAD = threading.current_thread() is threading.main_thread()
_SIGINT_BEFORE = signal.signal(signal.SIGINT, _interrupted_while_starting) if _MAIN_THREAD else None

from rnn_viz.arg_types import count, positive
from rnn_viz.console import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_PIPE, stdout_closed
from rnn_viz.console import duration as _duration
from rnn_viz.console import say as _say
from rnn_viz.data import DataError
from rnn_viz.engine import DivergenceError, EngineError
from rnn_viz.experiment.config import (
    ConfigError,
    ExperimentConfig,
    apply_overrides,
    compare_config,
    compare_label,
    load_config,
    to_dict,
    to_toml,
)
from rnn_viz.experiment.budget import BudgetError, check_runs
from rnn_viz.experiment.io import MetricsWriter, RunFileError, load_checkpoint, save_checkpoint, write_trace
from rnn_viz.experiment.metrics_history import run_histories, with_history
from rnn_viz.experiment.io import remove_stale_temp_files
from rnn_viz.experiment.live import LIVE_KEYS
from rnn_viz.experiment.numeric_warnings import NumericWarnings
from rnn_viz.experiment.presets import list_presets, preset_paths, resolve_experiment

if _MAIN_THREAD:  # None: a handler not set from Python (an embedding program's)
    signal.signal(signal.SIGINT, signal.default_int_handler if _SIGINT_BEFORE is None else _SIGINT_BEFORE)


__all__ = ["main"]

PROGRESS_SECONDS = 1.0

NO_DISPLAY = """\
rnn-viz: no display to open the window on ({why}).
  Train without a window:   rnn-viz run default --steps 500 --out runs/first
  Open it on a virtual X screen:   xvfb-run -a rnn-viz{args}
  (xvfb-run is in the Debian package xvfb; `rnn-viz presets` lists the experiments by name)"""


def _fail(message: str) -> int:
    _say("rnn-viz: " + " ".join(str(message).split()))  # always one line
    return EXIT_ERROR


# --- the window ----------------------------------------------------------------------------------

def display_problem(environ=None, platform: str | None = None) -> str | None:
    """Why Qt could not open a window here (it would abort the process), or None if it can."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform in ("win32", "darwin"):
        return None
    has_x, has_wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    requested = env.get("QT_QPA_PLATFORM", "")
    # QT_QPA_PLATFORM may list fallbacks ("wayland;xcb") and carry options ("xcb:option=value").
    names = [part.split(":")[0].strip() for part in requested.split(";") if part.strip()]
    if not names:
        return None if has_x or has_wayland else "DISPLAY and WAYLAND_DISPLAY are not set"
    for name in names:
        if name == "xcb" and has_x or name.startswith("wayland") and has_wayland:
            return None
        if name != "xcb" and not name.startswith("wayland"):
            return None  # offscreen, minimal, vnc, eglfs, ...: no display server needed
    return f"QT_QPA_PLATFORM={requested} but DISPLAY and WAYLAND_DISPLAY are not set"


def _gui(given: str | None) -> int:
    path = None
    if given is not None:
        try:
            path = str(resolve_experiment(given))
        except ConfigError as exc:
            return _fail(str(exc))
    why = display_problem()
    if why is not None:
        _say(NO_DISPLAY.format(why=why, args=f" gui {given}" if given else ""))
        return EXIT_ERROR
    try:
        from rnn_viz.ui.app import run_app
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("rnn_viz"):
            return _fail("the desktop app is not part of this build yet; train headless with `rnn-viz run`")
        return _fail(f"cannot start the app: {exc}. Run `bash scripts/setup.sh` to install what it needs")
    except ImportError as exc:
        return _fail(f"cannot start Qt: {exc}. Run `bash scripts/setup.sh` to install its system libraries")
    return int(run_app(path) or 0)


# --- headless training ---------------------------------------------------------------------------

class _StopRequest:
    """First Ctrl-C: finish the current update, then stop and write the files. Second: stop at once."""

    def __init__(self, quiet: bool):
        self.requested = False
        self.quiet = quiet
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        if not self.quiet:
            _say("stopping after this update and writing the files (Ctrl-C again to stop at once)")

    def __enter__(self):
        # Signal handlers can only be set from the main thread (an embedding app may call main()).
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._previous or signal.default_int_handler)


class _Progress:
    """A line on stderr about once a second: step, loss, gradient norm, speed, time left."""

    def __init__(self, total: int, first_step: int, quiet: bool, clock=time.monotonic):
        self.total, self.first_step, self.quiet, self.clock = total, first_step, quiet, clock
        self.start = self.last = clock()

    def update(self, record) -> None:
        now = self.clock()
        if self.quiet or now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        done = record.step - self.first_step
        rate = done / max(now - self.start, 1e-9)
        eta = (self.total - done) / rate if rate > 0 else float("inf")
        _say(f"step {record.step}/{self.first_step + self.total}  loss {record.loss:.6g}  "
             f"grad_norm {record.grad_norm:.3g}  {rate:.1f} steps/s  ETA {_duration(eta)}")


def _with_absolute_path(cfg: ExperimentConfig, base_dir: Path) -> ExperimentConfig:
    """``cfg`` with a relative ``data.path`` (and ``model.weights``) made absolute, so config.toml
    works from the run's folder and two experiments in different folders compare by the file they read."""
    if cfg.model.weights is not None:
        from rnn_viz.experiment.weights_init import weights_path

        model = dataclasses.replace(cfg.model, weights=str(weights_path(cfg.model.weights, base_dir)))
        cfg = dataclasses.replace(cfg, model=model)
    raw = cfg.data.get("path")
    if not isinstance(raw, str) or not raw.strip():
        return cfg  # no file, or the text task's built-in text
    path = Path(os.path.expanduser(raw))
    if path.is_absolute():
        return cfg
    return dataclasses.replace(cfg, data={**cfg.data, "path": str((base_dir / path).resolve())})


def _resume_trainer(trainer_cls, checkpoint: str, cfg: ExperimentConfig, base_dir: Path):
    """A trainer continuing from ``checkpoint``; the experiment must be the one it was saved for,
    except for the live settings (LIVE_KEYS: learning rate, clipping, ...), which take the
    experiment's value.

    Only the checkpoint's marks and config are read before the comparison; the trainer (and so the
    data file) comes from the experiment given, never from the checkpoint's embedded config."""
    from rnn_viz.experiment.config import from_json
    from rnn_viz.experiment.io import read_checkpoint_config
    from rnn_viz.experiment.restore import checkpoint_layout, restore_state

    saved_cfg = from_json(read_checkpoint_config(checkpoint), checkpoint)
    saved = to_dict(_with_absolute_path(saved_cfg, base_dir))
    wanted = _with_absolute_path(cfg, base_dir)
    if cfg.training.loss == "auto":
        wanted = dataclasses.replace(wanted, training=dataclasses.replace(wanted.training, loss=saved_cfg.training.loss))
    wanted_d = to_dict(wanted)
    differences, live = [], {}
    for section in ("data", "model", "training"):
        for key in sorted(set(saved[section]) | set(wanted_d[section])):
            there, here = saved[section].get(key), wanted_d[section].get(key)
            if there == here or (section == "model" and here is None and "weights" in wanted_d["model"]):
                continue  # a key the weights file decided when the run started (recorded there)
            if section == "training" and key in LIVE_KEYS:
                live[key] = here
            else:
                differences.append(f"{section}.{key} = {there!r} there, {here!r} here")
    if differences:
        raise ConfigError(
            "saved for a different experiment: " + "; ".join(differences[:3])
            + ("; ..." if len(differences) > 3 else "")
            + ". Resume with the experiment file it was saved for (its config is in the run's config.toml)",
            source=checkpoint,
        )
    if wanted.model.weights is not None:
        # The weights file decided the model when the run started; the checkpoint recorded it, and a
        # resume never reads the weights file again.
        wanted = dataclasses.replace(wanted, model=saved_cfg.model)
    trainer = trainer_cls(wanted, base_dir, read_weights=False)
    restore_state(trainer, load_checkpoint(checkpoint, checkpoint_layout(trainer)), checkpoint)
    trainer.set_live(trainer.live.replace(**live))
    return trainer, wanted, live


def _run_config(trainer, wanted: ExperimentConfig) -> ExperimentConfig:
    """The experiment this run trains, with the live settings (learning rate, clipping) it uses."""
    return dataclasses.replace(wanted, training=trainer.live.into(wanted.training))


def _built(make, experiment: str):
    try:
        return make()
    except (ConfigError, DataError) as exc:
        # Settings only found wrong once the data is loaded: name the experiment they came from.
        if isinstance(exc, ConfigError) and exc.source is not None:
            raise
        raise ConfigError(str(exc), source=experiment) from None


def _run(args) -> int:
    # Imported here: `rnn-viz` (the window) should not pay for the training loop's imports.
    from rnn_viz.experiment.loop import Trainer
    from rnn_viz.experiment.session import Session

    args.experiment = str(resolve_experiment(args.experiment))  # a file, or a preset's name
    cfg = apply_overrides(load_config(args.experiment), args.set)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _fail(f"{out}: exists and is not a directory")
    if out.exists() and not args.force:
        return _fail(f"{out}: already exists; choose another --out or add --force to overwrite its files")
    base_dir = Path(args.experiment).resolve().parent
    from rnn_viz.experiment.paths import check_paths, tell

    check_paths(cfg, base_dir, tell(_say), args.experiment)  # before any data file is read
    live: dict = {}
    if args.compare:
        if cfg.compare is None:
            return _fail(f"{args.experiment}: --compare needs a [compare] section in the experiment")
        if args.resume:
            return _fail("--compare cannot be combined with --resume; resume each run on its own")
        cfg = _with_absolute_path(cfg, base_dir)
        session = _built(lambda: Session.from_configs((cfg, compare_config(cfg, args.experiment)), base_dir),
                         args.experiment)
        wanted = tuple(run.config for run in session.runs)
    elif args.resume:
        trainer, wanted_one, live = _resume_trainer(Trainer, args.resume, cfg, base_dir)
        session, wanted = Session((trainer,)), (wanted_one,)
    else:
        # The full data path goes into the trace and checkpoint too, so a resume from any folder
        # (e.g. with DIR/config.toml) finds the same file.
        session = _built(lambda: Session((Trainer(_with_absolute_path(cfg, base_dir), base_dir),)), args.experiment)
        wanted = (session.runs[0].config,)  # resolved: the task's loss in place of "auto"
    for run in session.runs:
        _report_import(run, args.quiet)  # each run's weights file, if it has one; also after a resume
    check_runs(list(session.runs), args.memory_budget)  # before the first update allocates anything
    if args.dynamics:
        for run in session.runs:
            _check_dynamics(run, args.experiment)
    # Run A's files in DIR, run B's (with --compare) in DIR/compare.
    folders = (out, out / "compare")[:len(session)]
    run_cfgs = tuple(_run_config(run, w) for run, w in zip(session.runs, wanted))
    for folder, run_cfg in zip(folders, run_cfgs):
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(folder)
        (folder / "config.toml").write_text(to_toml(run_cfg), encoding="utf-8")
    first = session.step_count
    if not args.quiet:
        if live:
            _say("resuming with " + ", ".join(f"training.{k} = {v}" for k, v in live.items()))
        what = f"{args.steps} updates" if args.steps else "no updates (trace of the first batch only)"
        if args.compare:
            what += f" of run A and of run B ({compare_label(cfg)})"
        start = f" from update {first}" if first else ""
        _say(f"rnn-viz run: {what}{start} -> {out}")
        if cfg.compare is not None and not args.compare:
            _say("note: this experiment has a [compare] run; add --compare to train it alongside")

    last, error, status = None, None, EXIT_OK
    progress = _Progress(args.steps, first, args.quiet)
    with contextlib.ExitStack() as stack:
        writers = [stack.enter_context(MetricsWriter(folder / "metrics.csv", columns=run.metric_columns()))
                   for folder, run in zip(folders, session.runs)]
        # what each checkpoint carries as history/ (a resume goes on from the checkpoint's; read again: small)
        histories = run_histories(session.runs, load_checkpoint(args.resume) if args.resume else None)
        stop = stack.enter_context(_StopRequest(args.quiet))
        numeric = stack.enter_context(NumericWarnings(_say, args.quiet))
        try:
            if args.steps and not stop.requested:
                # per update only what metrics.csv needs; the last one (written to trace.npz) in full
                for records in session.run(args.steps, heavy_last=True, level="metrics"):
                    for writer, history, run, record in zip(writers, histories, session.runs, records):
                        # a run stopped by Ctrl-C: this row is its last, with the spectra
                        row = run.final_metrics(record) if stop.requested else record.metrics
                        writer.write(row)
                        history.append(row)
                    last = records
                    progress.update(records[0])
                    if args.checkpoint_every and records[0].step % args.checkpoint_every == 0:
                        for folder, run, history in zip(folders, session.runs, histories):
                            save_checkpoint(folder / "checkpoint.npz", with_history(run, history))
                    if stop.requested:
                        break
        except DivergenceError as exc:
            error = numeric.fold(exc)
        if stop.requested:
            status = EXIT_INTERRUPTED
        # The trace of the last update, at its parameters before the update; heavy parts are
        # recomputed when the run stopped early. Without an update: the batch update 1 would use.
        if last is not None:
            traces = [run.heavy_trace(record) for run, record in zip(session.runs, last)]
        else:
            traces = [record.trace for record in session.evaluate(heavy=True)]
        if args.dynamics:
            traces = [_with_dynamics(run, trace) for run, trace in zip(session.runs, traces)]
        for folder, run, trace, history in zip(folders, session.runs, traces, histories):
            # The checkpoint first: it is small and is what lets the run go on; the trace may not fit.
            save_checkpoint(folder / "checkpoint.npz", with_history(run, history))
            try:
                write_trace(folder / "trace.npz", trace, run.config_json())
            except RunFileError as exc:
                raise RunFileError(f"{exc}; {folder / 'checkpoint.npz'} was written, so the run can go on "
                                   "with --resume") from None

    done = session.step_count - first
    if error is not None:
        kept = {0: "no updates", 1: f"update {first + 1}"}.get(done, f"updates {first + 1}-{session.step_count}")
        where = f"{out} and {out / 'compare'}" if args.compare else str(out)
        import shlex

        from rnn_viz.experiment.advice import divergence_advice

        cause = getattr(error, "error", error)  # NumericWarnings folds the DivergenceError
        i = min(getattr(cause, "run", 0), len(session.runs) - 1)
        # config.toml holds every --set of this run, so starting over from it changes only the clipping
        advice = divergence_advice(cause, session.runs[i].config, session.runs[i], cli=True,
                                   checkpoint=str(folders[i] / "checkpoint.npz"),
                                   experiment=f"{shlex.quote(str(folders[i] / 'config.toml'))} --out NEW_DIR")
        return _fail(f"{error} The files in {where} hold {kept}; " + " ".join(advice.tips))
    if args.plots:
        plot_status = _plots(folders, traces, run_cfgs)
        if plot_status != EXIT_OK:
            return plot_status
    if not args.quiet:
        loss = f"; last loss {last[0].loss:.6g}" if last is not None else ""
        stopped = " (stopped by Ctrl-C)" if status == EXIT_INTERRUPTED else ""
        files = "config.toml, metrics.csv, trace.npz, checkpoint.npz"
        if args.compare:
            _say(f"done: {done} updates of each run{stopped}{loss}; wrote {files} of run A in {out}, "
                 f"of run B in {out / 'compare'}")
        else:
            _say(f"done: {done} updates{stopped}{loss}; wrote {files} in {out}")
    return status


def sweep_figures(out: Path, keys, values, measures, rows) -> str | None:
    """``rnn-viz sweep``'s figures (offscreen Qt, imported here only); why they failed, or None."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from rnn_viz.ui.sweep_plot import render_sweep_plots
    except ImportError as exc:
        return f"cannot load Qt: {exc}"
    render_sweep_plots(out, keys, values, measures, rows)
    return None


def _check_dynamics(trainer, source: str) -> None:
    """Refuse ``[dynamics]`` settings that do not fit this network before training, not after."""
    from rnn_viz.experiment.dynamics import settings_for

    try:
        settings_for(trainer, trainer.dataset.seq_len)
    except ConfigError as exc:
        raise exc.located(source) if exc.source is None else exc from None


def _with_dynamics(trainer, trace):
    """The trace with the ``dyn/`` keys of the dynamics analysis added (``--dynamics``)."""
    from rnn_viz.experiment.dynamics import analyse

    return {**trace, **analyse(trainer, trace)}


def _report_import(trainer, quiet: bool) -> None:
    """The weights file's summary and parity; the note on missing validation windows."""
    from rnn_viz.experiment.run_notes import import_lines, validation_note

    for line in import_lines(trainer, quiet):
        _say(line)
    note = validation_note(trainer)
    if note and not quiet:
        _say(note)


def _export_torch(args) -> int:
    from rnn_viz.experiment.export_torch import export_torch

    state = export_torch(args.checkpoint, args.out, args.format, args.force)
    _say(f"wrote {len(state)} tensors to {args.out}")
    return EXIT_OK


def _plots(folders, traces, cfgs) -> int:
    """Every view into each run's folder; with --compare, DIR as compare mode draws the two runs
    and DIR/compare run B alone."""
    # Plots need no screen: Qt renders them offscreen unless the caller chose a platform.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from rnn_viz.ui.plots import render_run_plots
    except ImportError as exc:
        return _fail(f"cannot render plots ({exc}); the run's files are written. "
                     "Run `bash scripts/setup.sh` to install Qt's system libraries")
    for i, (out, trace, cfg) in enumerate(zip(folders, traces, cfgs)):
        both = i == 0 and len(folders) > 1
        compare = {"compare": (traces[1], folders[1] / "metrics.csv", cfgs[1])} if both else {}
        render_run_plots(out, trace, out / "metrics.csv", cfg, **compare)
    return EXIT_OK


def _presets() -> int:
    """``rnn-viz presets``: one NAME<TAB>TITLE line per guided experiment, in the presets' order."""
    for info in list_presets():
        print(f"{info.name}\t{' '.join(info.title.split())}")
    return EXIT_OK


# --- the command line ----------------------------------------------------------------------------

COMMANDS = ("gui", "run", "presets", "sweep", "export-torch")

def _parser() -> argparse.ArgumentParser:
    names = ", ".join(p.stem for p in preset_paths()) or "(none installed)"
    parser = argparse.ArgumentParser(
        prog="rnn-viz",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Watch the error signal travel back through time in a recurrent network. "
                    "With no command, opens the desktop app.",
        epilog="Shorthand: `rnn-viz FILE.toml` or `rnn-viz NAME` opens the app on that experiment.\n"
               "An EXPERIMENT is a file, or the name of a guided experiment shipped with rnn-viz:\n"
               + textwrap.fill(names, 96, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False)
               + "\n(`rnn-viz presets` prints each with its title).",
    )
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("experiment", nargs="?", metavar="EXPERIMENT",
                     help="experiment file (.toml) or preset name to open")
    run = sub.add_parser("run", help="train without a window and write the run's files",
                         description="Train headless; writes DIR/config.toml, metrics.csv, trace.npz, "
                                     "checkpoint.npz (docs/file-formats.md).")
    run.add_argument("experiment", metavar="EXPERIMENT",
                     help="experiment file (.toml) or preset name, e.g. default or 1-vanishing-gradients")
    run.add_argument("--steps", type=count, required=True, metavar="N",
                     help="updates to train (0: only the trace of the first batch)")
    run.add_argument("--out", required=True, metavar="DIR", help="directory for the run's files (must not exist)")
    run.add_argument("--force", action="store_true", help="write into DIR even if it exists (overwrites its files)")
    run.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                     help="override a setting, e.g. --set training.bptt=truncated (repeatable)")
    run.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint.npz of an earlier run")
    run.add_argument("--checkpoint-every", type=count, default=0, metavar="N",
                     help="also save DIR/checkpoint.npz every N updates (default: only at the end)")
    run.add_argument("--plots", action="store_true", help="render every view to DIR (offscreen Qt)")
    run.add_argument("--compare", action="store_true",
                     help="also train the experiment's [compare] run in lockstep; its files go to DIR/compare")
    run.add_argument("--dynamics", action="store_true",
                     help="add the dynamics analysis (Lyapunov spectrum, Jacobian spectra, fixed points; "
                          "the [dynamics] table) to trace.npz as dyn/* keys")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    export = sub.add_parser("export-torch", help="write a checkpoint's weights as a PyTorch state dict",
                            description="Write CHECKPOINT's weights for torch's load_state_dict(strict=True): "
                                        "under the prefixes they were imported from, else rnn. and readout. "
                                        "(docs/file-formats.md).")
    export.add_argument("checkpoint", metavar="CHECKPOINT.npz", help="checkpoint.npz of a run")
    export.add_argument("out", metavar="OUT", help="file to write (.safetensors, .npz, .pt or .pth)")
    export.add_argument("--format", choices=("safetensors", "npz", "pt"),
                        help="file format (default: from OUT's suffix; must agree with it)")
    export.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    run.add_argument("--memory-budget", type=_gib, default=None, metavar="GiB",
                     help="refuse experiments whose update and trace need more memory than this "
                          "(default: $RNN_VIZ_MEMORY_GB, else 80%% of the memory available)")
    run.add_argument("--threads", type=positive, default=1, metavar="N",
                     help="BLAS threads (default 1, overriding OPENBLAS_NUM_THREADS and the like; "
                          "more only helps on idle cores)")
    sub.add_parser("presets", help="list the guided experiments: NAME<TAB>TITLE, one per line")
    sub.add_parser("sweep", help="one experiment per grid point: sweep.csv and a figure per measure "
                                 "(rnn-viz sweep --help)")
    return parser


def _gib(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of GiB > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of GiB > 0, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``rnn-viz`` and ``rnn-viz-cli``; returns the exit code (0 ok, 2 error,
    130 stopped by Ctrl-C with the files written, 141 its output's reader went away)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:  # outside a run's own handling: parsing, the window's start-up
        _say("rnn-viz: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of our output closed it (`| head`): nothing left to say
        stdout_closed()
        return EXIT_PIPE


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        return _gui(None)
    if argv[0] == "sweep":  # its own parser and executors, in rnn_viz/sweep_cli.py
        from rnn_viz.sweep_cli import main as sweep_main

        return sweep_main(argv[1:], figures=sweep_figures)
    if len(argv) == 1 and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        return _gui(argv[0])  # `rnn-viz FILE.toml` (as a file manager starts it) or `rnn-viz NAME`
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse has already explained
        return int(exc.code or 0)
    if args.command in (None, "gui"):
        return _gui(getattr(args, "experiment", None))
    if args.command == "presets":
        return _presets()
    try:
        if args.command == "export-torch":
            return _export_torch(args)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=args.threads):
            return _run(args)
    except (ConfigError, DataError, RunFileError, EngineError, BudgetError) as exc:
        return _fail(str(exc))
    except DivergenceError as exc:
        return _fail(str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")
    except KeyboardInterrupt:
        _say("rnn-viz: interrupted; metrics.csv holds the updates finished so far")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
