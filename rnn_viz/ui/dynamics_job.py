"""Computing the Dynamics view's numbers off the GUI thread: ``experiment.dynamics.analyse`` of each run.

A request takes the state the window shows (each run's trace: its batch and the parameters it was
taken at) and the session's trainers (spec, loss, truncation, ``[dynamics]``), and runs the analysis
as one job on a private one-thread QThreadPool; the results reach the view by a queued signal.
Requests while a job runs are folded into one more job afterwards, unless they ask for exactly what
the running job computes (the same runs, traces and updates: e.g. the view shown by the very action
that started the job). Triggers: the Compute button,
Training > Compute dynamics (Ctrl+D), training pausing and a new model while the view is visible,
and the view being shown with nothing computed for the current model.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QAction, QKeySequence

from rnn_viz.ui.views.dynamics import DynamicsResult, DynamicsView

__all__ = ["DynamicsRunner", "install_dynamics", "SHORTCUT"]

SHORTCUT = "Ctrl+D"


class _Signals(QObject):
    done = Signal(int, object)   # generation, {run id: DynamicsResult}
    failed = Signal(int, str)    # generation, message


class _Job(QRunnable):
    def __init__(self, signals: _Signals, generation: int, jobs):
        super().__init__()
        self.signals, self.generation, self.jobs = signals, generation, jobs

    def run(self) -> None:
        from rnn_viz.experiment.dynamics import analyse

        try:
            out = {}
            for run_id, trainer, trace, update in self.jobs:
                out[run_id] = DynamicsResult(trace, analyse(trainer, trace), update)
        except Exception as exc:  # a setting that does not fit the network, a numerical failure
            self._say("failed", self.generation, str(exc) or type(exc).__name__)
            return
        self._say("done", self.generation, out)

    def _say(self, signal: str, *args) -> None:
        try:
            getattr(self.signals, signal).emit(*args)
        except RuntimeError:
            # The window (and the signals object with it) went away while this job ran, e.g. the
            # app quit without closing it: nobody is left to tell, and no traceback is wanted.
            pass


def _what(jobs) -> tuple:
    """What a job computes, by identity: run ids, their trace objects and update counts."""
    return tuple((run_id, id(trace), update) for run_id, _trainer, trace, update in jobs)


class DynamicsRunner(QObject):
    """Runs the analysis for ``view`` on what ``controller`` shows. ``finished`` fires after each
    job (results or an error), ``started`` when one begins."""

    started = Signal()
    finished = Signal()

    def __init__(self, controller, view: DynamicsView, parent=None):
        super().__init__(parent)
        self.controller, self.view = controller, view
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _Signals()  # no parent: it lives in the GUI thread, emitted from the job's
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)
        self.generation = 0
        self.busy = False
        self._again = False
        self._running: tuple | None = None  # what the running job computes (see _what)
        self.error: str | None = None
        view.computeRequested.connect(self.request)
        view.installEventFilter(self)
        if hasattr(view, "sighted"):  # its dock's tab picked (no Show event comes then)
            view.sighted.connect(self._sighted)

    def request(self) -> bool:
        """Compute for what is shown now (after the running job, if one runs). False: nothing to do."""
        c = self.controller
        state = c.build_state() if c.session is not None else None
        if state is None:
            return False
        trainers = tuple(c.session.runs)
        jobs = [(r.id, t, r.trace, int(t.step_count)) for r, t in zip(state.runs, trainers) if r.trace is not None]
        if self.busy:
            if _what(jobs) != self._running:
                self._again = True
            return True
        if not jobs:
            return False
        self._running = _what(jobs)
        self.generation += 1
        self.busy, self.error = True, None
        names = ", ".join(f"run {r.name}" for r in state.runs[: len(jobs)]) if state.compare else "the trace shown"
        self.view.set_busy(True, f"computing the dynamics of {names}…")
        self.started.emit()
        self.pool.start(_Job(self._signals, self.generation, jobs))
        return True

    def _done(self, generation: int, results: dict) -> None:
        if generation != self.generation:
            return
        self._finish()
        keep = {k: v for k, v in self.view.results().items() if k.split(":")[0] == str(self.controller.generation)}
        keep.update(results)
        self.view.set_error(None)
        self.view.set_results(keep)
        self.finished.emit()
        self._maybe_again()

    def _failed(self, generation: int, message: str) -> None:
        if generation != self.generation:
            return
        self._finish()
        self.error = message
        self.view.set_error(message)
        self.finished.emit()
        self._maybe_again()

    def _finish(self) -> None:
        self.busy, self._running = False, None
        self.view.set_busy(False)

    def _maybe_again(self) -> None:
        if self._again:
            self._again = False
            self.request()

    def request_if_visible(self, *_args) -> None:
        if self.view.on_screen():
            self.request()

    def _on_running(self, running: bool) -> None:
        if not running:
            self.request_if_visible()

    def eventFilter(self, obj, event) -> bool:
        # Shown with nothing computed for the current model (e.g. its tab was just picked): compute.
        if obj is self.view and event.type() == QEvent.Type.Show:
            self._sighted()
        return False

    def _sighted(self) -> None:
        # Came into sight with nothing computed for the current model (e.g. its tab was just picked): compute.
        if self.busy:
            return
        state = self.controller.build_state() if self.controller.session is not None else None
        if state is not None and state.runs[0].id not in self.view.results() \
                and "dyn/lyapunov/0" not in (state.runs[0].trace or {}):
            self.request()

    def shutdown(self, timeout_ms: int = 120_000) -> None:
        """Drop any result still to come and wait for a running job (never leave its thread running)."""
        self.generation += 1
        self._again = False
        self.pool.waitForDone(timeout_ms)


class _CloseWatcher(QObject):
    def __init__(self, runner: DynamicsRunner, parent):
        super().__init__(parent)
        self.runner = runner

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Close:
            self.runner.shutdown()
        return False


def install_dynamics(window) -> DynamicsRunner | None:
    """Wire the window's Dynamics view (if it has one): runner, Training > Compute dynamics, triggers."""
    view = next((v for _, v, _ in window.views if isinstance(v, DynamicsView)), None)
    if view is None:
        return None
    runner = DynamicsRunner(window.controller, view, window)
    action = QAction("Compute dynamics", window)
    action.setObjectName("ComputeDynamicsAction")
    action.setShortcut(QKeySequence(SHORTCUT))
    action.setStatusTip("Lyapunov spectrum, Jacobian spectra and fixed points of the trace shown (Dynamics view)")

    def compute():
        dock = window.view_docks.get("dynamics")
        if dock is not None:
            dock.show()
            dock.raise_()
        runner.request()

    action.triggered.connect(compute)
    window.addAction(action)
    window.menus["training"].addSeparator()
    window.menus["training"].addAction(action)
    window.controller.runningChanged.connect(runner._on_running)
    window.controller.modelChanged.connect(runner.request_if_visible)
    watcher = _CloseWatcher(runner, window)
    window.installEventFilter(watcher)
    window._dynamics_close_watcher = watcher
    window.dynamics_action = action
    return runner
