"""The training worker: steps a Session in a QThread and posts at most ~30 records a second.

The worker owns the session while it runs; the UI thread talks to it only through ``request_stop``,
``frame_done`` and the LiveRef it was given (the live settings of every run, read at the top of
each update), never by touching the trainers directly.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QThread, Signal, Slot

__all__ = ["Post", "Pace", "TrainingWorker", "WorkerHandle", "SPEED_MAX", "REDRAW_MS", "TRACE_LEVEL", "ROW_LEVEL",
           "running_threads"]

SPEED_MAX = 0  # "as fast as possible": post by time, not by count
REDRAW_MS = 33  # at most one post (and so one frame) per REDRAW_MS; POST_SHARE spaces them further when frames are slow
# The one place that says how much trace the app's updates compute: what the live views draw
# (loss_mask, window_start, inputs, targets, predictions, hidden/cell/gates, dL_dh_norm(_sample),
# dL_dc, whh_sigma_max, and param/* to recompute heavy parts later), not the rest of trace.npz.
TRACE_LEVEL = "live"
# An update whose trace no view will see (most of them at full speed) needs only its metrics row:
# the level `rnn-viz run` computes.
ROW_LEVEL = "metrics"
# At full speed, at most this share of the training time goes to the extra work of heavy traces
# (at T = 200, H = 128, 2 layers one heavy trace costs ~0.45 s, four updates: one every ~12 s).
HEAVY_BUDGET = 0.03
# At full speed, the worker's pauses for the window take at most this share of its time: from each
# post until the window says its frame is drawn (render, paint, and both threads waking up), as the
# worker measures it. Slow frames lower the frame rate rather than the training rate (issue 13 asks
# that training in the window keep >= 90% of the headless rate, 80% for a small model; traced updates'
# extra time is HEAVY_BUDGET's). The window's own frame time (what paced posts until issue 13's fifth
# round) left the wake-ups out and averaged a traced post's frame with the cheap frames of the
# row-only posts between: a small model's posts came 12-17 times a second and cost training 15-25%.
POST_SHARE = 0.1


def _running_mean(old: float | None, new: float) -> float:
    """The running averages' rule: the newest value weighs a fifth."""
    return new if old is None else 0.8 * old + 0.2 * new


class _StepCost:
    """Running averages of the time of a cheap and of a heavy update (seconds)."""

    def __init__(self):
        self.cheap = self.heavy = None

    def add(self, heavy: bool, seconds: float) -> None:
        new = _running_mean(self.heavy if heavy else self.cheap, seconds)
        if heavy:
            self.heavy = new
        else:
            self.cheap = new

    @property
    def heavy_extra(self) -> float:
        """What a traced update costs beyond a cheap one. Before any cheap update is timed, the whole
        traced update: the next trace then waits too long rather than following the first at once."""
        if self.heavy is None:
            return 0.0
        return self.heavy if self.cheap is None else max(0.0, self.heavy - self.cheap)


@dataclass(frozen=True, slots=True)
class Post:
    """What the worker hands to the UI: the newest records and every metrics row since last time.

    ``records``: one traced StepRecord per run (run 0 first; heavy while the worker's
    ``heavy_wanted``), or None when this post carries metrics
    rows only. ``rows[i]``: run i's metrics rows of every update since the previous post, this one
    included, so the curves miss nothing although most traces are dropped.
    """

    generation: int
    records: tuple | None
    rows: tuple[tuple, ...] = ()
    steps_per_second: float = 0.0
    final: bool = False


@dataclass
class _Pending:
    rows: list = field(default_factory=list)  # one list of rows per run

    def add(self, records) -> None:
        if not self.rows:
            self.rows = [[] for _ in records]
        for rows, record in zip(self.rows, records):
            rows.append(record.metrics)

    def __bool__(self) -> bool:
        return any(self.rows)


class _Pacing:
    """How far apart the worker posts at full speed: at least ``interval``, and so far apart that its
    pause per post (a running average, seconds) is at most POST_SHARE of the time."""

    def __init__(self):
        self.pause: float | None = None

    def add(self, seconds: float) -> None:
        self.pause = _running_mean(self.pause, seconds)

    def gap(self, interval: float) -> float:
        if self.pause is None:
            return interval
        return max(interval, self.pause * (1 - POST_SHARE) / POST_SHARE)


class Pace:
    """What the worker has learnt of one model, kept across its Starts and Steps: the running costs of
    a cheap and a traced update, the pause per post, and the training time since the views got their
    last trace. The controller makes one per model (Reset, opening a file or a checkpoint), whose
    first trace it has just drawn, and hands it to every worker of that model, so a Start neither
    traces at once nor learns the costs again. Before, each Pause and Start cost a heavy trace
    (0.5-0.8 s at T = 200, H = 128, 2 layers) on top of HEAVY_BUDGET: 5% of ten seconds of training."""

    def __init__(self):
        self.cost = _StepCost()
        self.pacing = _Pacing()
        self.since_trace = 0.0  # seconds of training (paused time not counted)
        self._first = True
        self._scratch: dict | None = None
        self._scratch_lock = threading.Lock()

    def hand_over(self, scratch: dict | None) -> None:
        """Keep an ending worker's scratch arrays (engine.workspace.detach) for the model's next
        worker, so that its thread does not map them afresh."""
        with self._scratch_lock:
            self._scratch = scratch

    def take_over(self) -> dict | None:
        """The scratch arrays the previous worker handed over (None if none): taken, so that no two
        threads ever hold them."""
        with self._scratch_lock:
            scratch, self._scratch = self._scratch, None
        return scratch

    def add_update(self, traced: bool, seconds: float) -> None:
        """One update's time. A model's first update is not counted: it allocates the engine's
        workspace and trace buffers (0.55 s against 0.075 s for the next cheap one at T = 200,
        H = 128, 2 layers, measured), and the running mean would carry that for dozens of traces."""
        if self._first:
            self._first = False
        else:
            self.cost.add(traced, seconds)

    def trace_due(self, interval: float) -> bool:
        """Whether a post now should carry a trace: at most one per ``interval``, and the extra work
        of traces within HEAVY_BUDGET of the training time."""
        return self.since_trace >= max(interval, self.cost.heavy_extra / HEAVY_BUDGET)


class TrainingWorker(QObject):
    """Steps a session (``step(heavy)`` returns one record per run) until stopped.

    ``live``: a LiveRef whose settings the session takes in at the top of every update (None:
    the session's own settings stay).
    ``speed``: updates per post (at most one post per ``interval`` seconds), or SPEED_MAX to post
    whenever ``interval`` has passed and the pauses for the window stay within POST_SHARE.
    ``max_steps``: stop after this many updates (None: run on).
    ``frame_timeout``: after each post, wait up to this long for ``frame_done()`` (0: never wait).
    ``pace``: the model's Pace, shared by its workers (None: a new one).
    ``heavy_wanted``: whether a visible view draws the heavy parts of a trace (flow matrix, Jacobian
    norms); the UI thread sets it each frame, and posted traces carry those parts only while it is
    True (they cost about as much as the update itself at T = 200).

    Why wait: the UI thread paints through many short Python callbacks (pyqtgraph items), and each
    must win the GIL back from a busy worker, so a frame drawn while the worker computes takes ten
    times longer. Training pauses for the few milliseconds of each frame instead, which keeps the
    window fluid and costs training only the redraw budget.
    """

    posted = Signal(object)  # Post
    failed = Signal(int, object)  # generation, the exception (DivergenceError or other)
    finished = Signal(int)  # generation

    def __init__(self, session, generation: int, *, live=None, speed: int = SPEED_MAX,
                 max_steps: int | None = None, interval: float = REDRAW_MS / 1000, frame_timeout: float = 0.5,
                 pace: Pace | None = None):
        super().__init__()  # no parent: it is moved to its thread
        self._session = session
        self.pace = pace if pace is not None else Pace()
        self._live = live
        self.generation = generation
        self.speed = speed
        self.max_steps = max_steps
        self.interval = interval
        self.frame_timeout = frame_timeout
        self.heavy_wanted = True
        self._stop = threading.Event()
        self._drawn = threading.Event()
        self.done = False

    def request_stop(self) -> None:
        """Thread-safe: the loop ends after the current update."""
        self._stop.set()

    def frame_done(self) -> None:
        """Thread-safe: the UI has drawn the last post; training may go on."""
        self._drawn.set()

    @Slot()
    def run(self) -> None:
        from rnn_viz.engine import workspace

        workspace.attach(self.pace.take_over())
        try:
            self._loop()
        finally:
            self.pace.hand_over(workspace.detach())
            # Set before the signal: a queued `finished` of an earlier worker of the same generation
            # (a checkpoint save restarts training) must not be taken for this one's.
            self.done = True
            self.finished.emit(self.generation)

    def _loop(self) -> None:
        # Pause, Reset and closing must not wait for a long update (a minute at seq_len 22,000):
        # the stop flag is the engine's cancellation check, and a cancelled update changes nothing.
        from rnn_viz.experiment import interruptible

        pending = _Pending()
        done = since_post = 0
        pace = self.pace
        last_post = tick = time.perf_counter()
        rate_t0, rate_n, rate = last_post, 0, 0.0
        while not self._stop.is_set():
            if self._live is not None:
                self._session.set_live(self._live.value)
            last = self.max_steps is not None and done + 1 >= self.max_steps
            now = time.perf_counter()
            pace.since_trace += now - tick
            tick = now
            if self.speed == SPEED_MAX:
                post = last or now - last_post >= pace.pacing.gap(self.interval)
                # Traces for the views cost extra (flow matrix, Jacobians): take one only as often
                # as keeps that extra within HEAVY_BUDGET of the time; the posts between carry the
                # metrics rows alone, so curves and status stay live.
                traced = last or (post and pace.trace_due(self.interval))
            else:
                # Slow motion: the user asked to watch every `speed`-th update, so each is drawn.
                post = traced = last or since_post + 1 >= self.speed
            heavy = traced and self.heavy_wanted
            t0 = time.perf_counter()
            try:
                records = tuple(interruptible.step(self._session, self._stop.is_set, heavy=heavy,
                                                   level=TRACE_LEVEL if traced else ROW_LEVEL))
            except interruptible.Cancelled:
                break  # stopped in the middle of the update: none of it was kept
            except Exception as exc:  # divergence and anything else: the UI explains, the thread survives
                if pending:
                    self._post(pending, None, rate, final=True)
                self.failed.emit(self.generation, exc)
                return
            pace.add_update(traced, time.perf_counter() - t0)
            pending.add(records)
            done += 1
            since_post += 1
            rate_n += 1
            now = time.perf_counter()
            if now - rate_t0 >= 0.5:
                rate, rate_t0, rate_n = rate_n / (now - rate_t0), now, 0
            if post:
                if self.speed != SPEED_MAX and not last:
                    self._stop.wait(max(0.0, self.interval - (now - last_post)))
                paused = time.perf_counter()
                self._drawn.clear()
                if traced:
                    self._post(pending, records, rate, final=last)
                    pace.since_trace, tick = 0.0, now  # counted from the end of the traced update
                else:
                    self._post(pending, None, rate, final=False)
                pending = _Pending()
                since_post = 0
                if self.frame_timeout > 0 and not last:
                    self._wait_for_frame()
                last_post = time.perf_counter()
                pace.pacing.add(last_post - paused)
            if last:
                return
        if pending:
            # Stopped between posts: the rows still owed go out without a trace, so the curves
            # miss no update and the views keep the last trace they drew.
            self._post(pending, None, rate, final=True)

    def _wait_for_frame(self) -> None:
        deadline = time.perf_counter() + self.frame_timeout
        while not self._stop.is_set():
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or self._drawn.wait(min(remaining, 0.05)):
                return

    def _post(self, pending: _Pending, records, rate: float, final: bool) -> None:
        self.posted.emit(Post(self.generation, records, tuple(tuple(r) for r in pending.rows), rate, final))


# Every handle whose thread was started, until its thread is seen ended: a QThread object destroyed
# while its thread runs aborts the process, so a handle is never freed before that.
_STARTED: set = set()


def running_threads() -> list[QThread]:
    """The training threads still running (after every stop this is empty: tests check it)."""
    for handle in [h for h in _STARTED if not h.thread.isRunning()]:
        _STARTED.discard(handle)
    return [h.thread for h in _STARTED]


class WorkerHandle:
    """A worker and its QThread, started together and stopped together.

    ``stop()`` requests a cooperative stop and waits for the thread, so a Reset or closing the window
    never destroys a running thread. The stop also cancels an update in progress (the engine polls
    it every few time steps), so the wait is short even in the middle of a long update.
    """

    def __init__(self, worker: TrainingWorker):
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(f"TrainingThread{worker.generation}")
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # The worker's finished is emitted from its own thread; quit() is thread-safe.
        worker.finished.connect(self.thread.quit)

    def start(self) -> None:
        running_threads()  # forget the handles of threads that have ended
        _STARTED.add(self)
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def stop(self, timeout_ms: int | None = None) -> bool:
        """Ask the worker to stop (cancelling an update in progress) and wait for the thread, without
        a deadline unless ``timeout_ms``; True if it ended. A thread still running afterwards stays
        referenced (``running_threads``) until it ends, never destroyed."""
        self.worker.request_stop()
        self.thread.quit()
        return self.thread.wait() if timeout_ms is None else self.thread.wait(timeout_ms)
