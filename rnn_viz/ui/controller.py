"""The controller: owns the training session (one trainer, or two in compare mode), the live settings
of each run, the worker thread, the runs' bounded histories and the shared selection, and redraws
the views from the newest record at most ~30 times a second.

Live settings (experiment.live.LIVE_KEYS) are one frozen record per run in a LiveRef: an edit
replaces it, the worker reads it at the top of each update, and whenever the worker has stopped
(Pause, the end of Step, a checkpoint, Reset) the controller writes it into the trainers itself, so
no edit is lost between the two. A live edit of run A reaches every run whose ``[compare]``
section does not set that key, and never one that does.

Records arrive from the worker by queued signal; the slot only stores the newest one and asks for a
frame. A single-shot QTimer, never closer than REDRAW_MS to the previous frame, builds one ViewState
and renders every view, so slow redraws drop records instead of queueing them. After a frame is
painted the worker is told it may go on (see TrainingWorker). A generation counter discards records
posted before a Reset.
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.config import ExperimentConfig
from rnn_viz.experiment.live import LiveRef, LiveSettings
from rnn_viz.ui.background import run_while_painting
from rnn_viz.ui.history import MetricsHistory, TraceHistory
from rnn_viz.ui.state import ViewState
from rnn_viz.ui.worker import REDRAW_MS, SPEED_MAX, Pace, TrainingWorker, WorkerHandle

__all__ = ["Controller", "Status", "default_compare", "BuildBusyError", "BUILD_MESSAGE"]


def _draws_heavy(view) -> bool:
    """A view's DRAWS_HEAVY (rnn_viz.ui.views.base.BaseView); one that does not say is assumed to."""
    return bool(getattr(view, "DRAWS_HEAVY", True))


@dataclasses.dataclass(frozen=True, slots=True)
class Status:
    """What the status bar shows."""

    step: int
    loss: float
    loss_b: float | None
    steps_per_second: float
    running: bool
    label_a: str
    label_b: str | None


def default_compare(cfg: ExperimentConfig) -> ExperimentConfig:
    """``cfg`` as a compare experiment: run A full BPTT, run B truncated with cfg's k1/k2 (a
    ``[compare]`` section of overrides), unless cfg already has a ``[compare]`` section."""
    if cfg.compare is not None:
        return cfg
    d = cfgmod.to_dict(cfg)
    t = cfg.training
    d["training"]["bptt"] = "full"
    d["compare"] = {"label": f"truncated BPTT (k1={t.k1}, k2={t.k2})",
                    "training": {"bptt": "truncated", "k1": t.k1, "k2": t.k2}}
    return cfgmod.config_from_dict(d, "compare mode")


def run_label(cfg: ExperimentConfig) -> str:
    """A short name for a run: its BPTT mode and cell ("full BPTT, rnn")."""
    t = cfg.training
    mode = "full BPTT" if t.bptt == "full" else f"truncated BPTT (k1={t.k1}, k2={t.k2})"
    return f"{mode}, {cfg.model.cell}"


def _loop():
    # The training loop imports the engine and data layers; loaded when the first model is built so
    # the window can appear before them.
    from rnn_viz.experiment import loop

    return loop


def _session_module():
    from rnn_viz.experiment import session

    return session


BUILD_MESSAGE = "Building the model and computing the flow matrix\u2026"


class BuildBusyError(RuntimeError):
    """A second model was asked for while the first is still being built."""


class Controller(QObject):
    """Drives training for a window. ``views``: objects with ``render(ViewState)``."""

    runningChanged = Signal(bool)
    statusChanged = Signal(object)  # Status
    modelChanged = Signal()  # a new trainer (Reset, open, checkpoint): shapes may have changed
    frameRendered = Signal(object)  # the ViewState just drawn
    historyChanged = Signal(int)  # number of remembered heavy traces
    selectionChanged = Signal(int, int)  # time step, sample
    diverged = Signal(object, object)  # DivergenceError, the config it happened with
    failed = Signal(str, str)  # title, message in plain words
    busyChanged = Signal(str)  # what the controller is computing off the GUI thread ("" when done)

    def __init__(self, config: ExperimentConfig, base_dir: Path, views: Sequence = (), parent=None):
        super().__init__(parent)
        self.views = list(views)
        self.base_dir = Path(base_dir)
        self.config = config
        self.trainer = None  # a Trainer, or in compare mode a CompareTrainer
        self.session = None  # the same runs as a Session (what the worker steps)
        self.live: LiveRef | None = None  # the live settings of every run, owned here
        self.compare = config.compare is not None
        self.generation = 0
        self.speed = SPEED_MAX
        self._handle: WorkerHandle | None = None
        self.pace = Pace()  # what the workers learn of the model's costs, kept across Starts
        self._old_handles: list[WorkerHandle] = []
        self.record = None
        self.record_b = None
        self.metrics = MetricsHistory()
        self.metrics_b = MetricsHistory()
        self.history_note = ""  # what the curves say about run A's history (a checkpoint without one)
        self.traces = TraceHistory()
        self.history_index: int | None = None  # None: live
        self.time_step = 0
        self.sample = 0
        self.rate = 0.0
        self._dirty = False
        self._state: ViewState | None = None
        self._config_map: Mapping | None = None
        self._config_map_b: Mapping | None = None
        self._last_frame = 0.0
        self._building = False  # a model is being built off the GUI thread
        self._timer = QTimer(self)
        self._timer.setObjectName("RedrawTimer")
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._frame)
        self._watch_heavy(self.views)

    def set_views(self, views: Sequence) -> None:
        """Draw into ``views`` from now on (the window builds them after its first paint); the
        current state, if any, is drawn into them at the next frame."""
        self.views = list(views)
        self._watch_heavy(self.views)
        if self.trainer is not None:
            self._request_frame()

    def _watch_heavy(self, views) -> None:
        for view in views:
            if _draws_heavy(view) and hasattr(view, "installEventFilter"):
                view.installEventFilter(self)

    # --- building models ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._handle is not None

    @property
    def labels(self) -> tuple[str, str | None]:
        if not self.compare:
            return "run", None
        b = cfgmod.compare_label(self.config) or "run B"
        return run_label(self.config), b

    @property
    def config_b(self) -> ExperimentConfig | None:
        return cfgmod.compare_config(self.config) if self.compare else None

    @property
    def dataset(self):
        return getattr(self.trainer, "dataset", None) or getattr(getattr(self.trainer, "a", None), "dataset", None)

    def reset(self, config: ExperimentConfig | None = None, compare: bool | None = None) -> None:
        """Stop training and build a fresh model from ``config`` (default: the current one).

        Raises the loop's errors (ConfigError, DataError) with the previous model still in place.
        """
        config = config or self.config
        compare = self.compare if compare is None else compare
        if compare:
            config = default_compare(config)
        base_dir = self.base_dir

        def build():
            if compare:
                return _session_module().CompareTrainer(config, cfgmod.compare_config(config), base_dir)
            return _loop().Trainer(config, base_dir)

        def config_of(trainer) -> ExperimentConfig:
            if not compare and config.model.weights is not None:
                # The weights file decided the architecture: the panel, title and status show it
                # (cell, sizes, layers, modules), not the keys the experiment left unset.
                return dataclasses.replace(config, model=trainer.config.model)
            return config

        self._install(build, config_of, compare)

    def _install(self, build, config_of, compare: bool) -> None:
        """Build a trainer (``build()``), evaluate its first full trace, and only then replace the
        current model. The building and the trace (the flow matrix is the heavy part) run off the
        GUI thread; everything that can fail happens before anything is replaced, so a bad setting
        or file leaves the old model, its histories and a running worker exactly as they were."""
        if self._building:
            raise BuildBusyError("a model is being built already; try again when it is ready")
        sample_wanted = self.sample

        def job():
            trainer = build()
            config = config_of(trainer)
            session = trainer if compare else _session_module().Session((trainer,))
            configs = (config, cfgmod.compare_config(config)) if compare else (config,)
            sample = min(sample_wanted, max(0, int(config.data.get("batch_size", 1)) - 1))
            # Run B's settings are run A's under its [compare] section's own values.
            session.set_live(tuple(LiveSettings.of(c.training).replace(flow_sample=sample) for c in configs))
            # an update and its trace that cannot fit in memory are refused in words, before the trace
            from rnn_viz.experiment.budget import check_runs

            check_runs(session.runs)
            return trainer, session, config, sample, session.evaluate(heavy=True)  # the last step that can fail

        self._building = True
        self.busyChanged.emit(BUILD_MESSAGE)
        try:
            trainer, session, config, sample, records = run_while_painting(job)
        finally:
            self._building = False
            self.busyChanged.emit("")
        self.stop()
        self.generation += 1  # records still in flight from the old model are dropped
        self.trainer, self.session, self.config, self.compare = trainer, session, config, compare
        self.live = LiveRef(session.live)
        self.pace = Pace()  # a new model: its costs are learnt again, and its first trace is drawn below
        self._config_map = None
        self.metrics.clear()
        self.metrics_b.clear()
        self.history_note = ""
        self.traces.clear()
        self.history_index = None
        self.rate = 0.0
        self.sample = sample
        self.record = records[0]
        self.record_b = records[1] if compare else None
        self._request_frame()
        self.modelChanged.emit()
        self.historyChanged.emit(0)
        self._emit_status()

    def load_checkpoint(self, arrays: Mapping) -> None:
        base_dir = self.base_dir
        self._install(lambda: _loop().Trainer.from_checkpoint(arrays, base_dir),
                      lambda t: dataclasses.replace(t.config, training=t.live.into(t.config.training)), False)
        # The curves go on from the checkpoint's history (or say that it carries none).
        from rnn_viz.experiment.metrics_history import restore_history

        self.history_note = restore_history(self.metrics, arrays, self.trainer)
        self._request_frame()

    def checkpoint(self) -> dict:
        """The trainer's state for a checkpoint (training pauses for it and goes on afterwards)."""
        if self.compare:
            raise ValueError("checkpoints hold one run; leave compare mode to save one")
        was_running = self.running
        self.stop()  # also hands the trainer every live edit made while it ran
        try:
            from rnn_viz.experiment.metrics_history import with_history

            return with_history(self.trainer, self.metrics)
        finally:
            if was_running:
                self.start()

    def _batch_size(self) -> int:
        return int(self.config.data.get("batch_size", 1))

    def _runs(self) -> tuple:
        return self.session.runs

    def run_configs(self) -> tuple[ExperimentConfig, ...]:
        """Every run's experiment, run A first (run B's is built from A's and its [compare] section)."""
        return (self.config, self.config_b) if self.compare else (self.config,)

    def _reinspect(self) -> None:
        """Recompute the shown records' heavy parts for the selected sample (same batch, same weights)."""
        shown = [self.record, self.record_b] if self.compare else [self.record]
        if any(r is None for r in shown):
            return
        fresh = []
        for run, rec in zip(self._runs(), shown):
            trace = run.heavy_trace(dataclasses.replace(rec, heavy=False))
            fresh.append(dataclasses.replace(rec, trace=trace, heavy=True))
        self.record = fresh[0]
        self.record_b = fresh[1] if self.compare else None
        self._request_frame()

    # --- running ------------------------------------------------------------------------------------

    def start(self, max_steps: int | None = None) -> None:
        if self.running or self.trainer is None:
            return
        worker = TrainingWorker(self.session, self.generation, live=self.live, speed=self.speed, max_steps=max_steps,
                                pace=self.pace)
        worker.heavy_wanted = self.heavy_wanted()
        worker.posted.connect(self._on_post)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        self._handle = WorkerHandle(worker)
        self._handle.start()
        self.runningChanged.emit(True)
        self._emit_status()

    def step_once(self) -> None:
        """One update, drawn (the Step button)."""
        self.start(max_steps=1)

    def toggle(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def stop(self) -> None:
        """Pause: stop the worker after its current update and wait for its thread."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        handle.stop()
        self._hand_live_to_trainers()
        self.runningChanged.emit(False)
        self._emit_status()

    def _hand_live_to_trainers(self) -> None:
        """The worker has stopped: write the live settings into the trainers, so an edit made during
        its last update (Step, Pause, a checkpoint) reaches the next one."""
        if self.session is not None and self.live is not None:
            self.session.set_live(self.live.value)

    def shutdown(self) -> None:
        self._timer.stop()
        self.stop()

    def _on_finished(self, generation: int) -> None:
        # The worker ended by itself (max_steps reached or an error): release its thread.
        handle = self._handle
        if handle is not None and handle.worker.generation == generation and handle.worker.done:
            self._handle = None
            handle.stop()
            self._hand_live_to_trainers()
            self.runningChanged.emit(False)
            self._emit_status()

    def _on_post(self, post) -> None:
        if post.generation != self.generation:
            return
        histories = (self.metrics, self.metrics_b) if self.compare else (self.metrics,)
        for history, rows in zip(histories, post.rows):
            history.extend(rows)
        if post.steps_per_second:
            self.rate = post.steps_per_second
        if post.records is not None:
            self.record = post.records[0]
            self.record_b = post.records[1] if self.compare else None
            if self.record.heavy:
                kept = self.traces.offer(self.record.step, self.record.trace,
                                         self.record_b.trace if self.record_b is not None else None)
                if kept:
                    self.historyChanged.emit(len(self.traces))
        self._emit_status()
        self._request_frame()

    def _on_failed(self, generation: int, error: Exception) -> None:
        if generation != self.generation:
            return
        from rnn_viz.engine.errors import DivergenceError

        if isinstance(error, DivergenceError):
            # The advice speaks of the settings of the run that diverged (run B has its own).
            configs = self.run_configs()
            self.diverged.emit(error, configs[min(getattr(error, "run", 0), len(configs) - 1)])
        else:
            self.failed.emit("Training stopped", f"Training stopped because of an unexpected error:\n{error}")

    # --- live settings ------------------------------------------------------------------------------

    def edit_live(self, **changes) -> None:
        """A live edit of run A (``training.<key>`` values, keys from LIVE_KEYS): it reaches every run
        whose ``[compare]`` section does not set that key. Training goes on; the next update of
        each run uses the new values (if the worker is stopped, the trainers get them now)."""
        if self.trainer is None:
            return
        current = self.live.value
        live_a = current[0].replace(**changes)  # validates before anything changes
        self.config = dataclasses.replace(self.config, training=dataclasses.replace(self.config.training, **changes))
        self._config_map = None
        if self.compare:
            mine = cfgmod.compare_config(self.config).training  # A's settings under B's own overrides
            live_b = current[1].replace(**{k: getattr(mine, k) for k in changes})
            new = (live_a, live_b)
        else:
            new = (live_a,)
        self.live.set(new)
        if self._handle is None:
            self.session.set_live(new)
        if "flow_sample" in changes:
            # The panel's flow sample and the views' sample selector are one selection.
            self.set_sample(changes["flow_sample"])
        self._request_frame()

    def set_learning_rate(self, lr: float) -> None:
        self.edit_live(learning_rate=lr)

    def set_clipping(self, clip_norm: float, clip_value: float) -> None:
        self.edit_live(clip_norm=clip_norm, clip_value=clip_value)

    def set_speed(self, speed: int) -> None:
        self.speed = speed
        if self._handle is not None:
            self._handle.worker.speed = speed

    # --- selection ----------------------------------------------------------------------------------

    def set_time_step(self, t: int) -> None:
        t = max(0, min(int(t), self.seq_len - 1))
        if t != self.time_step:
            self.time_step = t
            self._request_frame()
            self.selectionChanged.emit(self.time_step, self.sample)

    def set_sample(self, b: int) -> None:
        b = max(0, min(int(b), self._batch_size() - 1))
        if b == self.sample:
            return
        self.sample = b
        if self.trainer is not None:
            # The sample is a selection shared by every run, not a setting of run A's experiment.
            self.live.set(tuple(s.replace(flow_sample=b) for s in self.live.value))
            if not self.running:
                # Paused: recompute the flow matrix for the newly chosen sample at once.
                self.session.set_live(self.live.value)
                self._reinspect()
        self._request_frame()
        self.selectionChanged.emit(self.time_step, self.sample)

    def set_history_index(self, index: int | None) -> None:
        """Show a remembered trace (index into ``traces``) or, with None, the live one."""
        if index is not None and not 0 <= index < len(self.traces):
            index = None
        self.history_index = index
        self._request_frame()

    @property
    def seq_len(self) -> int:
        trace = self.record.trace if self.record is not None else None
        if trace is not None and "inputs" in trace:
            return int(trace["inputs"].shape[1])
        return int(self.config.data.get("seq_len", 1))

    # --- drawing ------------------------------------------------------------------------------------

    def build_state(self) -> ViewState | None:
        if self.record is None:
            return None
        if self.history_index is not None:
            entry = self.traces[self.history_index]
            trace, trace_b = entry.trace, entry.trace_b
        else:
            trace = self.record.trace
            trace_b = self.record_b.trace if self.record_b is not None else None
        if self._config_map is None:
            self._config_map = cfgmod.FrozenDict(cfgmod.to_dict(self.config))
            b = self.config_b
            self._config_map_b = cfgmod.FrozenDict(cfgmod.to_dict(b)) if b is not None else None
        ds = self.dataset
        label_a, label_b = self.labels
        return ViewState(
            trace=trace, history=self.metrics.columns(), config=self._config_map,
            time_step=min(self.time_step, self.seq_len - 1), sample=self.sample,
            trace_b=trace_b, history_b=self.metrics_b.columns() if self.compare else None,
            label_a=label_a if self.compare else "run A", label_b=label_b or "run B",
            config_b=self._config_map_b if self.compare else None,
            chance_loss=getattr(ds, "chance_loss", None), chance_accuracy=getattr(ds, "chance_accuracy", None),
            vocab=getattr(ds, "vocab", None), model_id=self.generation, history_note=self.history_note,
        )

    def _request_frame(self) -> None:
        """Draw soon: at once if the last frame is REDRAW_MS old, else when it will be."""
        self._dirty = True
        if not self._timer.isActive():
            wait = REDRAW_MS - (time.perf_counter() - self._last_frame) * 1000
            self._timer.start(max(0, int(wait)))

    def _frame(self) -> None:
        self._last_frame = time.perf_counter()
        if self._dirty:
            self.render_now()
            # Paint now rather than on a later pass of the event loop, so the frame is painted while
            # the worker waits for it (painting competes badly with a computing worker for the GIL).
            # The posted events paint what the frame changed (canvases, readouts) and nothing else:
            # repainting each view besides painted its controls, and the dock and window under
            # them, at every frame for nothing (view.repaint() never reached the canvas).
            QCoreApplication.sendPostedEvents()
        if self._handle is not None:
            worker = self._handle.worker
            worker.heavy_wanted = self.heavy_wanted()
            worker.frame_done()

    def heavy_wanted(self) -> bool:
        """Whether a view that draws a trace's heavy parts (flow matrix, Jacobian norms) is open:
        its dock not closed. Only then does training compute them. A dock tabbed behind another
        counts as open (its view is drawn when its tab is picked, and the remembered traces of the
        history slider and the exports need the heavy parts), although it is not drawn meanwhile."""
        return any(_draws_heavy(v) and (not hasattr(v, "isVisibleTo") or v.isVisibleTo(v.window()))
                   for v in self.views)

    def eventFilter(self, watched, event) -> bool:
        # A view of heavy parts coming into sight: the next traces carry them again, and a paused
        # run's shown record gets them now (recomputed from its batch and weights, as for a new sample).
        if event.type() == QEvent.Type.Show:
            if self._handle is not None:
                self._handle.worker.heavy_wanted = True
            elif self.record is not None and not self.record.heavy:
                QTimer.singleShot(0, self._reinspect)
        return False

    def render_now(self) -> ViewState | None:
        """Draw every view from the newest state now (frames do this when something changed)."""
        self._dirty = False
        state = self.build_state()
        if state is None:
            return None
        for view in self.views:
            view.render(state)
        self._state = state
        self.frameRendered.emit(state)
        return state

    def _emit_status(self) -> None:
        rec, rec_b = self.record, self.record_b
        steps = int(self.trainer.step_count) if self.trainer is not None else 0
        loss = _last(self.metrics.columns(), "loss", rec)
        loss_b = _last(self.metrics_b.columns(), "loss", rec_b) if self.compare else None
        label_a, label_b = self.labels
        self.statusChanged.emit(Status(steps, loss, loss_b, self.rate, self.running, label_a, label_b))


def _last(columns: Mapping, key: str, record) -> float:
    col = columns.get(key)
    if col is not None and len(col):
        return float(col[-1])
    if record is not None and key in record.trace:
        return float(record.trace[key])
    return math.nan
