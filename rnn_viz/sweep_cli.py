"""``rnn-viz sweep``: one experiment per grid point, here (processes) or on a Dask cluster.

Usage and files: docs/cli.md and docs/file-formats.md. Exit codes: 0 every point succeeded, 2 a point
failed or an argument is bad, 130 Ctrl-C (the rows of finished points are kept).
"""
from __future__ import annotations

import os

# One BLAS thread per process, set before numpy loads (inherited by the worker processes): the
# points run side by side, so more threads per point would only fight over the cores.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import shlex
import sys
import time
from pathlib import Path

from rnn_viz.arg_types import count, positive
from rnn_viz.console import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
from rnn_viz.console import duration as _duration
from rnn_viz.console import say as _say
from rnn_viz.data import DataError
from rnn_viz.engine import EngineError
from rnn_viz.experiment import sweep
from rnn_viz.experiment.config import ConfigError, load_config
from rnn_viz.experiment.presets import resolve_experiment

__all__ = ["main"]

BAR_WIDTH = 24
PROGRESS_SECONDS = 1.0


def _fail(message: str) -> int:
    _say("rnn-viz sweep: " + " ".join(str(message).split()))
    return EXIT_ERROR


class _Progress:
    """A bar with points done, failures and the time left, redrawn in place on a terminal."""

    def __init__(self, total: int, quiet: bool, clock=time.monotonic):
        self.total, self.quiet, self.clock = total, quiet, clock
        self.done = self.failed = 0
        self.start = self.last = clock()
        self.tty = bool(sys.stderr is not None and sys.stderr.isatty())

    def update(self, failed: bool) -> None:
        self.done += 1
        self.failed += int(failed)
        now = self.clock()
        if self.quiet or (now - self.last < PROGRESS_SECONDS and self.done < self.total):
            return
        self.last = now
        rate = self.done / max(now - self.start, 1e-9)
        eta = (self.total - self.done) / rate
        filled = int(BAR_WIDTH * self.done / max(self.total, 1))
        line = (f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.done}/{self.total} points"
                f"{f', {self.failed} failed' if self.failed else ''}  ETA {_duration(eta)}")
        _say(("\r" + line) if self.tty else line, end="" if self.tty and self.done < self.total else "\n")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rnn-viz sweep",
        description="Run one experiment per grid point and write DIR/sweep.csv, DIR/sweep.toml and a "
                    "figure per measure (DIR/<measure>.png, .svg).")
    p.add_argument("experiment", metavar="EXPERIMENT|PRESET", help="experiment file (.toml) or preset name")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=VALUES", required=True,
                   help="a setting and its values: a,b,c (TOML values) or START:STOP:COUNT (linspace, ends "
                        f"included); at most {sweep.MAX_GRIDS}")
    p.add_argument("--measure", required=True, metavar="M[,M...]",
                   help="what to measure at each point: " + ", ".join(sweep.MEASURES))
    p.add_argument("--out", required=True, metavar="DIR", help="directory for the sweep's files")
    p.add_argument("--steps", type=count, default=0, metavar="N",
                   help="updates per point before measuring (default 0: at the initial weights)")
    p.add_argument("--jobs", type=positive, default=os.cpu_count() or 1, metavar="N",
                   help="points run at once, one process each (default: the CPU count)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the points on this Dask distributed cluster (pip install 'rnn-viz[cluster]')")
    p.add_argument("--resume", action="store_true", help="go on with the sweep in DIR: skip points that succeeded")
    p.add_argument("--force", action="store_true", help="write into DIR even if it holds an earlier sweep")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return p


def main(argv: list[str], figures=None) -> int:
    """``rnn-viz sweep ARGS``; returns the exit code. ``figures``: rnn_viz.cli.sweep_figures (passed
    in, so this module neither imports the cli nor reaches into rnn_viz.ui itself)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return EXIT_ERROR if exc.code else EXIT_OK
    try:
        return _sweep(args, argv, figures)
    except (ConfigError, DataError, EngineError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")


def _sweep(args, argv: list[str], figures=None) -> int:
    path = resolve_experiment(args.experiment)
    cfg = load_config(path)
    grids = [sweep.parse_grid(g) for g in args.grid]
    measures = [m.strip() for m in args.measure.split(",") if m.strip()]
    tasks = sweep.point_tasks(cfg, grids, path.resolve().parent, args.steps, measures)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _fail(f"{out}: exists and is not a directory")
    columns = sweep.csv_columns(grids, measures)
    keep: list[dict] = []
    if args.resume:
        sweep.check_resume(out / "sweep.toml", grids, measures, args.steps)
        keep = [r for r in sweep.read_rows(out / "sweep.csv") if r.get("error") == "" and r.get("point", "").isdigit()]
        done = {int(r["point"]) for r in keep}
        tasks = [t for t in tasks if t["point"] not in done]
    elif out.exists() and any(out.iterdir()) and not args.force:
        return _fail(f"{out}: already exists; choose another --out, add --resume to go on with its sweep "
                     "or --force to overwrite its files")
    out.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["rnn-viz", "sweep", *argv])
    if not args.resume:
        sweep.write_sweep_toml(out / "sweep.toml", command, str(path), grids, measures, args.steps)
    total = len(tasks) + len(keep)
    if not args.quiet:
        where = f"on {args.scheduler}" if args.scheduler else f"{min(args.jobs, max(len(tasks), 1))} process(es)"
        skipped = f" ({len(keep)} done before)" if keep else ""
        _say(f"rnn-viz sweep: {total} points{skipped}, {args.steps} updates each, {where} -> {out}")
    failed, status = 0, EXIT_OK
    progress = _Progress(len(tasks), args.quiet)
    with sweep.SweepWriter(out / "sweep.csv", columns, keep) as writer:
        try:
            for result in _results(tasks, args):
                writer.write(result)
                failed += bool(result["error"])
                progress.update(bool(result["error"]))
        except KeyboardInterrupt:
            status = EXIT_INTERRUPTED
            _say("\nrnn-viz sweep: interrupted; sweep.csv holds the points finished so far")
        except _SchedulerError as exc:
            return _fail(str(exc))
    rows = sweep.read_rows(out / "sweep.csv")
    plot_problem = _plots(out, grids, measures, rows, figures)
    if plot_problem and not args.quiet:
        _say(f"rnn-viz sweep: no figures ({plot_problem}); sweep.csv is written")
    if status == EXIT_INTERRUPTED:
        return status
    if failed:
        first = next(r for r in rows if r.get("error"))
        return _fail(f"{failed} of {len(tasks)} points failed (first: point {first['point']}: {first['error']}); "
                     f"the others are in {out / 'sweep.csv'}; --resume reruns only the failed points")
    if not args.quiet:
        _say(f"done: {total} points in {out / 'sweep.csv'}")
    return EXIT_OK


class _SchedulerError(RuntimeError):
    pass


def _results(tasks: list[dict], args):
    """Each task's result as it finishes, from wherever the points run."""
    if not tasks:
        return
    if args.scheduler:
        yield from _on_cluster(tasks, args.scheduler)
    elif args.jobs == 1 or len(tasks) == 1:
        for task in tasks:
            yield sweep.run_point(task)
    else:
        yield from _on_processes(tasks, min(args.jobs, len(tasks)))


def _outcome(future, task: dict) -> dict:
    """The point's result, or a failed row when the executor itself lost it (a worker killed, a
    worker without rnn-viz): run_point never raises, so anything raised here is the executor's."""
    try:
        return future.result()
    except Exception as exc:
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        return {"point": task["point"], "values": tuple(task["values"]), "measures": {}, "steps": 0,
                "seconds": 0.0, "error": f"the worker failed: {message}"}


def _on_processes(tasks: list[dict], jobs: int):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: a fresh interpreter per worker reads the one-thread BLAS settings above before numpy
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(sweep.run_point, task): task for task in tasks}
        for future in as_completed(futures):
            yield _outcome(future, futures[future])
    except BaseException:
        # Ctrl-C (or a broken worker): stop the running points at once instead of waiting for them.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _on_cluster(tasks: list[dict], address: str):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise _SchedulerError("--scheduler needs Dask distributed: pip install 'rnn-viz[cluster]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise _SchedulerError(f"cannot reach the scheduler at {address}: {exc}") from None
    futures: dict = {}
    try:
        futures = {client.submit(sweep.run_point, task, pure=False): task for task in tasks}
        for future in as_completed(list(futures)):
            yield _outcome(future, futures[future])
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        client.close()


def _plots(out: Path, grids, measures, rows, figures) -> str | None:
    """Write the figures; returns why they could not be drawn, or None."""
    if figures is None:
        return "no figure renderer was given (rnn-viz sweep passes rnn_viz.cli.sweep_figures)"
    return figures(out, [g.key for g in grids], [list(g.values) for g in grids], measures, rows)
