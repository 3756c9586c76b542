"""The training worker in its QThread, and the bounded histories the controller keeps."""
from __future__ import annotations

import numpy as np
import pytest

from rnn_viz.engine.errors import DivergenceError
from rnn_viz.experiment.live import LiveRef, LiveSettings
from rnn_viz.experiment.record import StepRecord
from rnn_viz.ui.history import MetricsHistory, TraceHistory
from rnn_viz.ui.worker import SPEED_MAX, TrainingWorker, WorkerHandle


class CountingTrainer:
    """Stands in for a Session: each step returns one record per run whose trace holds its step
    number; ``live`` is what the worker last handed it."""

    def __init__(self, diverge_at=None, pair=False):
        self.step_count = 0
        self.heavy_steps = []
        self.live = None
        self.diverge_at = diverge_at
        self.pair = pair

    def set_live(self, live):
        self.live = live

    def step(self, heavy=False, level="full"):
        self.level = level
        if self.step_count + 1 == self.diverge_at:
            raise DivergenceError("loss", self.step_count + 1)
        self.step_count += 1
        if heavy:
            self.heavy_steps.append(self.step_count)
        rec = StepRecord(self.step_count, {"n": np.array(self.step_count)},
                         {"step": self.step_count, "loss": 1.0 / self.step_count}, heavy)
        return (rec, rec) if self.pair else (rec,)


def _run(qtbot, worker, timeout=10_000):
    posts, failures = [], []
    worker.posted.connect(posts.append)
    worker.failed.connect(lambda g, e: failures.append((g, e)))
    handle = WorkerHandle(worker)
    with qtbot.waitSignal(worker.finished, timeout=timeout) as finished:
        handle.start()
    assert handle.stop() and handle.thread.isFinished()
    return posts, failures, finished.args


def test_max_steps_posts_every_row_and_ends_on_a_heavy_record(qtbot):
    trainer = CountingTrainer()
    worker = TrainingWorker(trainer, generation=4, speed=SPEED_MAX, max_steps=25, frame_timeout=0)
    posts, failures, args = _run(qtbot, worker)
    assert args == [4] and not failures
    rows = [row["step"] for p in posts for row in p.rows[0]]
    assert rows == list(range(1, 26))  # every update's metrics, in order, once
    assert posts[-1].final and posts[-1].records[0].step == 25 and posts[-1].records[0].heavy
    assert all(p.generation == 4 for p in posts)
    # Only posted records are heavy: the trace work is spent on what will be drawn.
    assert trainer.heavy_steps == [p.records[0].step for p in posts if p.records is not None]


def test_speed_posts_every_n_updates(qtbot):
    trainer = CountingTrainer()
    worker = TrainingWorker(trainer, generation=0, speed=5, max_steps=20, interval=0, frame_timeout=0)
    posts, _, _ = _run(qtbot, worker)
    assert [p.records[0].step for p in posts] == [5, 10, 15, 20]
    assert [len(p.rows[0]) for p in posts] == [5, 5, 5, 5]


def test_divergence_is_reported_with_the_rows_before_it(qtbot):
    trainer = CountingTrainer(diverge_at=8)
    worker = TrainingWorker(trainer, generation=2, speed=100, frame_timeout=0)
    posts, failures, _ = _run(qtbot, worker)
    assert len(failures) == 1 and failures[0][0] == 2 and isinstance(failures[0][1], DivergenceError)
    assert [row["step"] for p in posts for row in p.rows[0]] == list(range(1, 8))
    assert trainer.step_count == 7


def test_stop_request_ends_the_loop_and_live_settings_are_read_between_steps(qtbot):
    trainer = CountingTrainer()
    live = LiveRef((LiveSettings(0.1, 0.0, 0.0),))
    worker = TrainingWorker(trainer, generation=0, live=live, frame_timeout=0)
    handle = WorkerHandle(worker)
    seen = []
    worker.posted.connect(seen.append)
    handle.start()
    qtbot.waitUntil(lambda: trainer.step_count > 50)
    assert trainer.live == (LiveSettings(0.1, 0.0, 0.0),)
    live.set((LiveSettings(0.5, 1.0, 0.0),))
    qtbot.waitUntil(lambda: trainer.live == (LiveSettings(0.5, 1.0, 0.0),))
    assert handle.stop() and not handle.is_running()
    qtbot.waitUntil(lambda: sum(len(p.rows[0]) for p in seen) == trainer.step_count)


def test_worker_waits_for_each_frame_before_going_on(qtbot):
    trainer = CountingTrainer()
    worker = TrainingWorker(trainer, generation=0, speed=1, interval=0, frame_timeout=30)
    handle = WorkerHandle(worker)
    posts = []
    worker.posted.connect(posts.append)
    handle.start()
    qtbot.waitUntil(lambda: len(posts) == 1)
    assert trainer.step_count == 1  # drawn-or-not, it waits: no runaway queue of records
    worker.frame_done()
    qtbot.waitUntil(lambda: len(posts) == 2)
    assert handle.stop()
    assert trainer.step_count == 2


def test_compare_pairs_post_both_runs(qtbot):
    worker = TrainingWorker(CountingTrainer(pair=True), generation=0, max_steps=3, frame_timeout=0)
    posts, _, _ = _run(qtbot, worker)
    assert len(posts[-1].records) == 2
    assert sum(len(p.rows[1]) for p in posts) == 3


def test_metrics_history_decimates_and_keeps_old_views_valid():
    h = MetricsHistory(capacity=8)
    h.extend({"step": i, "loss": float(i)} for i in range(1, 9))
    before = h.columns()["step"]
    np.testing.assert_array_equal(before, np.arange(1, 9))
    h.append({"step": 9, "loss": 9.0, "val_loss": 0.5})
    h.extend({"step": i, "loss": float(i)} for i in range(10, 40))
    assert len(h) <= 8 and h.rows_seen == 39 and h.stride >= 4
    steps = h.columns()["step"]
    assert np.all(np.diff(steps) > 0) and steps[0] == 1
    np.testing.assert_array_equal(before, np.arange(1, 9))  # a ViewState's arrays never change under it
    assert not steps.flags.writeable
    val = h.columns()["val_loss"]
    assert np.isnan(val[0]) and len(val) == len(steps)


def test_trace_history_stays_within_its_budget_and_spans_the_run():
    one = {"a": np.zeros(1000)}  # 8 kB
    h = TraceHistory(max_entries=10, budget_bytes=40_000)
    for step in range(1, 1001):
        h.offer(step, one)
    assert len(h) <= 5  # 40 kB / 8 kB
    steps = h.steps
    assert steps[0] == 1 and steps[-1] > 500 and steps == sorted(steps)
    with pytest.raises(IndexError):
        h[len(h)]


def test_the_app_asks_for_the_live_trace_level(qtbot):
    from rnn_viz.ui.worker import TRACE_LEVEL

    trainer = CountingTrainer()
    worker = TrainingWorker(trainer, generation=0, max_steps=2, frame_timeout=0)
    _run(qtbot, worker)
    assert trainer.level == TRACE_LEVEL == "live"


def test_posts_are_spaced_so_the_pauses_for_the_window_keep_to_their_share():
    from rnn_viz.ui.worker import POST_SHARE, _Pacing

    pacing = _Pacing()
    assert pacing.gap(1 / 30) == 1 / 30  # nothing measured yet: the redraw interval alone
    pacing.add(0.001)
    assert pacing.gap(1 / 30) == 1 / 30  # cheap frames: never more often than the interval
    for _ in range(60):
        pacing.add(0.05)  # slow frames: a post every 0.45 s at a share of 0.1
    gap = pacing.gap(1 / 30)
    assert gap > 1 / 30
    assert pacing.pause / (pacing.pause + gap) == pytest.approx(POST_SHARE, rel=1e-6)


def test_a_pace_skips_the_cold_first_update_and_bounds_traces_by_training_time():
    from rnn_viz.ui.worker import HEAVY_BUDGET, Pace

    pace = Pace()
    assert pace.trace_due(0.0)  # a new model: nothing learnt, the first post may carry a trace
    pace.add_update(True, 5.0)  # the model's first update (allocating its buffers): not counted
    assert pace.cost.heavy is None
    pace.add_update(True, 0.31)
    # Before a cheap update is timed, a trace counts whole, so the next waits rather than follows at once.
    assert pace.cost.heavy_extra == pytest.approx(0.31)
    pace.add_update(False, 0.01)
    assert pace.cost.heavy_extra == pytest.approx(0.30)
    pace.since_trace = 0.99 * 0.30 / HEAVY_BUDGET
    assert not pace.trace_due(1 / 30)
    pace.since_trace = 1.01 * 0.30 / HEAVY_BUDGET
    assert pace.trace_due(1 / 30)


def test_a_start_after_a_pause_takes_no_trace_until_the_models_budget_allows(qtbot):
    from rnn_viz.ui.worker import HEAVY_BUDGET, Pace

    trainer = CountingTrainer()
    pace = Pace()
    for traced, seconds in ((True, 5.0), (False, 0.01), (True, 0.31)):
        pace.add_update(traced, seconds)
    due = 0.30 / HEAVY_BUDGET  # 10 s of training after the last trace
    pace.since_trace = due - 5.0

    def train(n: int) -> list:
        worker = TrainingWorker(trainer, generation=0, interval=0, frame_timeout=0, pace=pace)
        assert worker.pace is pace
        posts = []
        worker.posted.connect(posts.append)
        handle = WorkerHandle(worker)
        start = trainer.step_count
        handle.start()
        qtbot.waitUntil(lambda: trainer.step_count >= start + n)
        assert handle.stop()
        qtbot.waitUntil(lambda: sum(len(p.rows[0]) for p in posts) == trainer.step_count - start)
        return posts

    posts = train(30)  # a Start: every post carries rows only (a fresh pace would trace at once)
    assert trainer.heavy_steps == [] and all(p.records is None for p in posts)
    assert pace.since_trace >= due - 5.0  # the training time goes on from where it was, not from 0
    pace.since_trace = 2 * due  # as after more training (the instant updates above made the cheap cost ~0)
    posts = train(30)  # the next Start: its first post is due a trace, and the time since is counted afresh
    assert trainer.heavy_steps and trainer.heavy_steps[0] == next(p.records[0].step for p in posts if p.records)
    assert len(trainer.heavy_steps) == 1 and pace.since_trace < due


class ScratchTrainer(CountingTrainer):
    """Each step takes one engine scratch array in the worker's thread and notes which it got."""

    def __init__(self):
        super().__init__()
        self.arrays = []

    def step(self, heavy=False, level="full"):
        from rnn_viz.engine.workspace import scratch

        self.arrays.append(scratch("test.worker", (4, 3), np.float64))
        return super().step(heavy, level)


def test_a_models_workers_hand_their_scratch_arrays_on_from_thread_to_thread(qtbot):
    from rnn_viz.ui.worker import Pace

    trainer, pace = ScratchTrainer(), Pace()
    for _ in range(2):  # a Start, a Pause, a Start: each worker in a new thread
        _run(qtbot, TrainingWorker(trainer, generation=0, max_steps=3, frame_timeout=0, pace=pace))
    assert len(trainer.arrays) == 6
    first = trainer.arrays[0]
    assert all(np.shares_memory(a, first) for a in trainer.arrays)
    # another model's workers (another Pace) never get them
    other = ScratchTrainer()
    _run(qtbot, TrainingWorker(other, generation=1, max_steps=1, frame_timeout=0, pace=Pace()))
    assert not np.shares_memory(other.arrays[0], first)
