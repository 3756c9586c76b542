"""The Dynamics view: resolve() draws exactly the dyn/ keys of experiment.dynamics.analyse (no Qt),
and the window computes them off the GUI thread on request, draws and exports them."""
import csv
from xml.etree import ElementTree

import numpy as np
import pytest

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.dynamics import analyse
from rnn_viz.experiment.loop import Trainer
from rnn_viz.ui.state import RunView, ViewState
from rnn_viz.ui.views.dynamics import HIST_BINS, DynamicsResult, resolve
from tests.ui.app_fixtures import bring_into_sight, make_window, small_config


@pytest.fixture(scope="module", params=["rnn", "lstm"])
def analysed(request):
    cfg = small_config(model={"cell": request.param, "num_layers": 2} if request.param == "lstm" else {})
    trainer = Trainer(cfg)
    trace = trainer.evaluate(heavy=False).trace
    return cfg, trainer, trace, analyse(trainer, trace)


def _state(cfg, trace, **kw):
    return ViewState(trace=trace, history={}, config=cfgmod.to_dict(cfg), **kw)


def test_resolve_draws_the_analysis_keys(analysed):
    cfg, trainer, trace, dyn = analysed
    L = trainer.spec.num_layers
    for layer in range(L):
        frame = resolve(_state(cfg, {**trace, **dyn}, sample=1), {}, "A", layer)
        np.testing.assert_array_equal(frame.exponents, dyn[f"dyn/lyapunov/{layer}"])
        assert frame.flow_slope == float(dyn[f"dyn/flow_slope/{layer}"])
        whh = dyn[f"dyn/whh_eig/{layer}"]
        assert len(frame.whh) == whh.shape[0] and len(frame.gate_names) == whh.shape[0]
        for got, want in zip(frame.whh, whh):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(frame.step_eig, dyn[f"dyn/step_jacobian_eig/{layer}"])
        sv = dyn[f"dyn/jacobian_sv/{layer}"]
        assert frame.sv_counts.shape == (HIST_BINS,) and frame.sv_counts.sum() == np.sum(np.isfinite(sv) & (sv > 0))
        assert frame.sv_edges[0] <= np.log10(sv[sv > 0]).min() and frame.sv_edges[-1] >= np.log10(sv[sv > 0]).max()
    # fixed points: split by max |lambda| < 1 and projected on the first two principal axes
    axes = dyn["dyn/fp/pca"][:2]
    xy = dyn["dyn/fp/state"] @ axes.T
    stable = dyn["dyn/fp/max_abs_eig"] < 1
    np.testing.assert_allclose(frame.stable[0], xy[stable, 0])
    np.testing.assert_allclose(frame.saddle[1], xy[~stable, 1])
    assert frame.stable[0].size + frame.saddle[0].size == dyn["dyn/fp/q"].size
    # the selected sample's trajectory, in the same stacked state the finder used
    parts = []
    for l in range(L):
        parts.append(trace[f"hidden/{l}"][1])
        if trainer.spec.cell == "lstm":
            parts.append(trace[f"cell/{l}"][1])
    np.testing.assert_allclose(frame.path[0], np.concatenate(parts, axis=-1) @ axes[0])
    columns, rows = frame.table
    assert "lyapunov" in columns and "fp_max_abs_eig" in columns and rows.shape[1] == len(columns)
    np.testing.assert_array_equal(rows[: len(dyn["dyn/lyapunov/0"]), columns.index("lyapunov")][: len(frame.exponents)],
                                  dyn[f"dyn/lyapunov/{L - 1}"])


def test_results_handed_over_are_drawn_for_their_run_only(analysed):
    cfg, _, trace, dyn = analysed
    mine = DynamicsResult(trace, dyn, update=7)
    state = _state(cfg, trace, trace_b=trace, more_runs=(RunView("C", "third", trace, {}, {}, "0:C"),))
    assert len(state.runs) == 3
    frame = resolve(state, {"0:C": mine}, "C")
    np.testing.assert_array_equal(frame.exponents, dyn["dyn/lyapunov/0"])
    assert "update 7" in frame.status
    other = resolve(state, {"0:C": mine}, "B")
    assert "not computed" in other.title and other.exponents.size == 0
    # a new model (another model_id) does not draw the old model's results
    assert "not computed" in resolve(_state(cfg, trace, model_id=1), {"0:A": mine}, "A").title


def test_without_a_trace_or_dyn_keys_nothing_is_drawn(analysed):
    cfg, _, trace, _ = analysed
    assert resolve(_state(cfg, None), {}).exponents.size == 0
    frame = resolve(_state(cfg, trace), {})
    assert "not computed" in frame.title and frame.stable[0].size == 0 and frame.table[1].shape[0] == 0


def test_window_computes_off_the_gui_thread_draws_and_exports(qtbot, tmp_path):
    from rnn_viz.ui import export
    from rnn_viz.ui.views import WINDOW_VIEWS

    window = make_window(qtbot, tmp_path, views=WINDOW_VIEWS)
    # As a user finds it: laid out (its first show re-tabs the docks, which would put the Dynamics
    # tab raised below behind another again, and a view out of sight keeps its frame for later).
    qtbot.waitUntil(lambda: window._first_show_done)
    runner = window.dynamics
    view = dict((n, v) for n, v, _ in window.views)["dynamics"]
    assert window.dynamics_action.shortcut().toString() == "Ctrl+D"
    assert window.view_docks["dynamics"].toggleViewAction() in window.menus["view"].actions()
    with qtbot.waitSignal(runner.finished, timeout=60_000):
        window.dynamics_action.trigger()
        assert view.progress.isVisibleTo(view) and not view.compute_button.isEnabled()
    # A redraw may still be on its way after the first 'finished': wait until the view is idle.
    qtbot.waitUntil(lambda: not view.progress.isVisibleTo(view), timeout=60_000)
    assert runner.error is None and view.compute_button.isEnabled()
    # the numbers drawn are analyse() of the shown trace at its parameters
    c = window.controller
    want = analyse(c.trainer, c.record.trace)
    np.testing.assert_allclose(view.frame.exponents, want["dyn/lyapunov/0"])
    x, y = view.lyap_item.getData()
    np.testing.assert_allclose(y, want["dyn/lyapunov/0"])
    assert view.stable_item.data.size + view.saddle_item.data.size == want["dyn/fp/q"].size

    png, svg, table = tmp_path / "d.png", tmp_path / "d.svg", tmp_path / "d.csv"
    export.export_png(view, png, width=640)
    assert png.stat().st_size > 1000
    export.export_svg(view, svg)
    assert len(list(ElementTree.parse(svg).getroot().iter())) > 5
    columns = export.export_csv(view, table)
    with table.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == columns and len(rows) > 1
    assert [float(r[columns.index("lyapunov")]) for r in rows[1: 1 + want["dyn/lyapunov/0"].size]] == \
        pytest.approx(want["dyn/lyapunov/0"].tolist())


def test_a_pause_recomputes_when_the_view_is_shown(qtbot, tmp_path):
    from rnn_viz.ui.views import WINDOW_VIEWS
    from tests.ui.app_fixtures import step

    window = make_window(qtbot, tmp_path, views=WINDOW_VIEWS)
    with qtbot.waitSignal(window.dynamics.finished, timeout=60_000):
        bring_into_sight(qtbot, window, "dynamics")  # shown with nothing computed: computes
    first = window.dynamics.view.frame.status
    with qtbot.waitSignal(window.dynamics.finished, timeout=60_000):
        step(qtbot, window, 1)  # Step ends with training paused
    assert "update 1" in window.dynamics.view.frame.status and first != window.dynamics.view.frame.status


def test_a_setting_that_does_not_fit_is_said_in_words(qtbot, tmp_path):
    from rnn_viz.ui.views import WINDOW_VIEWS

    cfg = cfgmod.config_from_dict({**cfgmod.to_dict(small_config()), "dynamics": {"exponents": 50}}, "test")
    window = make_window(qtbot, tmp_path, config=cfg, views=WINDOW_VIEWS)
    qtbot.waitUntil(lambda: window._first_show_done)  # laid out, as a user finds it
    with qtbot.waitSignal(window.dynamics.finished, timeout=60_000):
        window.dynamics_action.trigger()
    assert "exponents" in window.dynamics.error
    assert "Cannot compute the dynamics" in window.dynamics.view.status.plain_text
    assert window.dynamics.view.compute_button.isEnabled()


def test_new_updates_do_not_redraw_a_computed_result(qtbot, analysed):
    from dataclasses import replace

    from rnn_viz.ui.views.dynamics import DynamicsView

    cfg, _, trace, dyn = analysed
    view = DynamicsView()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    view.set_results({"0:A": DynamicsResult(trace, dyn, 3)})
    state = _state(cfg, trace)
    view.render(state)
    drawn = view.frame
    view.render(replace(state, trace=dict(trace)))  # the next update's trace: same result shown
    assert view.frame is drawn
    view.render(replace(state, sample=1))  # another sample: its trajectory
    assert view.frame is not drawn and "update 3" in view.frame.status


def test_compare_mode_computes_every_run_and_the_view_picks_one(qtbot, tmp_path):
    from rnn_viz.ui.views import WINDOW_VIEWS
    from tests.ui.app_fixtures import step

    window = make_window(qtbot, tmp_path, config=small_config(training={"k1": 2, "k2": 4}), views=WINDOW_VIEWS)
    window.acts.compare.trigger()
    step(qtbot, window, 2)
    runner, view = window.dynamics, window.dynamics.view
    qtbot.waitUntil(lambda: not runner.busy, timeout=60_000)
    with qtbot.waitSignal(runner.finished, timeout=60_000):
        window.dynamics_action.trigger()
    c = window.controller
    state = c.render_now()
    assert set(view.results()) == {r.id for r in state.runs}
    box = view.run_selector.box
    box.setCurrentIndex(box.findData("B"))
    view.redraw()
    trainer_b = c.session.runs[1]
    want = analyse(trainer_b, state.runs[1].trace)
    np.testing.assert_allclose(view.frame.exponents, want["dyn/lyapunov/0"])
    assert view.frame.title.startswith("Run B")


def test_a_request_for_what_the_running_job_computes_is_not_queued_again(qtbot, tmp_path):
    from rnn_viz.ui.views import WINDOW_VIEWS
    from tests.ui.app_fixtures import step

    window = make_window(qtbot, tmp_path, views=WINDOW_VIEWS)
    runner = window.dynamics
    qtbot.waitUntil(lambda: not runner.busy, timeout=60_000)
    started = []
    runner.started.connect(lambda: started.append(1))
    with qtbot.waitSignal(runner.finished, timeout=60_000):
        window.dynamics_action.trigger()  # shows the dock (a request on Show) and requests: one job
        assert runner.busy and runner.request() and not runner._again
    qtbot.wait(200)
    assert not runner.busy and len(started) == 1
    # A request for another state (one more update) while a job runs is computed after it.
    with qtbot.waitSignal(runner.finished, timeout=60_000):
        assert runner.request()
        step(qtbot, window, 1)
    qtbot.waitUntil(lambda: not runner.busy, timeout=60_000)
    assert len(started) >= 3 and "update 1" in runner.view.frame.status


def test_a_job_whose_window_went_away_ends_without_a_traceback(qtbot):
    import shiboken6

    from rnn_viz.ui.dynamics_job import _Job, _Signals

    signals = _Signals()
    job = _Job(signals, 0, [("0:1", None, {}, 1)])  # fails in analyse: a failure to report
    shiboken6.delete(signals)
    job.run()  # reporting to nobody: no RuntimeError("Signal source has been deleted")
