"""The main window: six views in docks, the settings dock, the training toolbar, menus, status bar.

The window assembles docks, layout and wiring. The experiment being edited is the Document
(rnn_viz.ui.document), which the settings panel, the title and the guided dock follow; training
lives in the Controller; file and export actions in :mod:`rnn_viz.ui.files`.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.live import LIVE_KEYS
from rnn_viz.experiment.schema import without_unused
from rnn_viz.ui import files
from rnn_viz.ui.actions import build_actions, build_menus
from rnn_viz.ui.controller import Controller, Status
from rnn_viz.ui.controls import SettingsPanel
from rnn_viz.ui.document import Document
from rnn_viz.ui.dialogs import Prompts, divergence_advice, show_message
from rnn_viz.ui.settings import AppSettings
from rnn_viz.ui.toolbar import TrainingToolbar
from rnn_viz.ui.view_titles import WINDOW_VIEW_TITLES

__all__ = ["MainWindow"]

APP_TITLE = "rnn-viz"


def _default_views():
    from rnn_viz.ui.views import WINDOW_VIEWS

    return WINDOW_VIEWS


class MainWindow(QMainWindow):
    """``path``: an experiment file to open (None: the default experiment). ``settings``: where to
    remember geometry and recent files (tests pass a temporary one). ``views``: (name, class, title)
    triples (default: rnn_viz.ui.views.WINDOW_VIEWS). ``defer_views``: build the frame (menus,
    settings, empty docks) only; the views and the first model follow in ``build_views``, which
    the app calls once the frame is on screen (rnn_viz.ui.first_frame)."""

    viewsBuilt = Signal()

    def __init__(self, path: Path | None = None, *, settings: AppSettings | None = None, views=None,
                 config: cfgmod.ExperimentConfig | None = None, defer_views: bool = False):
        super().__init__()
        self.setObjectName("MainWindow")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.app_settings = settings or AppSettings()
        prompts = Prompts(self, self.app_settings)
        self._equations = None

        self.views: list[tuple[str, QWidget, str]] = []  # filled by build_views
        self.view_docks: dict[str, QDockWidget] = {}
        self._view_specs = views
        for name, title in ([(n, t) for n, _, t in views] if views is not None else WINDOW_VIEW_TITLES):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"{name}Dock")
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            self.view_docks[name] = dock

        self.panel = SettingsPanel(self)
        self.panel.setMinimumWidth(290)  # every field readable; the views take the rest
        self.settings_dock = QDockWidget("Settings", self)
        self.settings_dock.setObjectName("SettingsDock")
        self.settings_dock.setWidget(self.panel)

        from rnn_viz.ui.guided import GuidedDock

        self.guided = GuidedDock(self)
        self.acts = build_actions(self)
        self.toolbar = TrainingToolbar([self.acts.train, self.acts.step, self.acts.reset], self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.menus = build_menus(self, self.acts, list(self.view_docks.values()), self.settings_dock)
        self.menus["view"].insertAction(self.menus["view"].actions()[1], self.guided.dock.toggleViewAction())
        self.acts.compare.setCheckable(True)
        self._build_status_bar()
        self._arrange_docks()
        self._default_layout = None  # taken at the first show, when the docks have their sizes
        self._restored_state = False

        base_dir = Path(path).resolve().parent if path else Path.cwd()
        start_config = config or cfgmod.default_config()
        self.controller = Controller(start_config, base_dir, [], self)
        self.document = Document(start_config, self)
        self.files = files.FileActions(self.document, self.controller, files.FileUI(
            prompts=prompts, parent=self, status=lambda text: self.statusBar().showMessage(text, 5000),
            recent=self.app_settings, menus=self.menus, views=self.views))
        self._connect()
        self.files.refresh_recent_menu()
        self.files.fill_presets_menu()
        self.dynamics = None
        self._restore_window()
        self._initial = (path, start_config)
        self.views_ready = False  # True once build_views has built the views and the first model
        if not defer_views:
            self.build_views()

    def build_views(self) -> None:
        """Make the views, put them in their docks, wire them, and build and draw the first model
        (once; MainWindow(defer_views=True) leaves this for after the frame is painted)."""
        if self._initial is None:
            return
        for name, cls, title in (self._view_specs if self._view_specs is not None else _default_views()):
            view = cls()
            self.view_docks[name].setWidget(view)
            self.views.append((name, view, title))
            view.timeStepSelected.connect(self.controller.set_time_step)
        self.controller.set_views([v for _, v, _ in self.views])
        self.files.install_export_menus()
        from rnn_viz.ui.dynamics_job import install_dynamics

        self.dynamics = install_dynamics(self)
        path, start_config = self._initial
        self._initial = None
        self._open_initial(path, start_config)
        self.views_ready = True
        self.viewsBuilt.emit()

    # --- construction -------------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("StatusBar")
        self.status_step = QLabel("update 0", self)
        self.status_step.setObjectName("StatusStep")
        self.status_loss = QLabel("loss -", self)
        self.status_loss.setObjectName("StatusLoss")
        self.status_rate = QLabel("", self)
        self.status_rate.setObjectName("StatusRate")
        self.status_mode = QLabel("", self)
        self.status_mode.setObjectName("StatusMode")
        for w in (self.status_mode, self.status_step, self.status_loss, self.status_rate):
            w.setMinimumWidth(80)
            bar.addPermanentWidget(w)

    # Two rows: the wide-and-short views on top, the ones that need height (stacked plots, the
    # square flow matrix with its Jacobian chain) below; (row share of the height, [(view, width share)]).
    LAYOUT = ((34, (("graph", 65), ("predictions", 35))),
              (66, (("heatmaps", 25), ("gradients", 25), ("flow", 27), ("curves", 23))))

    TABBED = {"dynamics": "flow"}  # a view shown as a tab behind another (computed on request)

    def _layout_rows(self) -> list[list[str]]:
        d = self.view_docks
        rows = [[name for name, _ in row if name in d] for _, row in self.LAYOUT]
        placed = {n for row in rows for n in row} | {n for n, behind in self.TABBED.items() if behind in d}
        rows[-1] += [n for n in d if n not in placed]  # views this layout does not know go last
        return [r for r in rows if r]

    def _arrange_docks(self) -> None:
        """Settings on the left; the views in the two rows of LAYOUT."""
        d = self.view_docks
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.settings_dock)
        self.guided.arrange(self.settings_dock)
        rows = self._layout_rows()
        if not rows:
            return
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d[rows[0][0]])
        # Rows first (vertical splits), then the columns inside each row: splitting in the other
        # order nests a later row under one dock instead of across the window.
        for above, row in zip(rows, rows[1:]):
            self.splitDockWidget(d[above[0]], d[row[0]], Qt.Orientation.Vertical)
        for row in rows:
            for left, right in zip(row, row[1:]):
                self.splitDockWidget(d[left], d[right], Qt.Orientation.Horizontal)
        for name, behind in self.TABBED.items():
            if name in d and behind in d:
                self.tabifyDockWidget(d[behind], d[name])
                d[behind].raise_()

    def _default_sizes(self) -> None:
        """The settings column narrow, the rows and columns shared as in LAYOUT (once shown)."""
        d = self.view_docks
        self.resizeDocks([self.settings_dock], [330], Qt.Orientation.Horizontal)
        rows = self._layout_rows()
        shares = {name: share for _, row in self.LAYOUT for name, share in row}
        heights = [h for h, _ in self.LAYOUT][: len(rows)]
        self.resizeDocks([d[r[0]] for r in rows], [h * self.height() // 100 for h in heights],
                         Qt.Orientation.Vertical)
        views_width = max(100, self.width() - 330)
        for row in rows:
            self.resizeDocks([d[n] for n in row], [shares.get(n, 20) * views_width // 100 for n in row],
                             Qt.Orientation.Horizontal)

    def _connect(self) -> None:
        c, a, tb = self.controller, self.acts, self.toolbar
        a.train.triggered.connect(c.toggle)
        a.step.triggered.connect(self._step)
        a.reset.triggered.connect(self.reset_model)
        a.compare.toggled.connect(self.set_compare)
        a.open_experiment.triggered.connect(lambda: self.files.open_experiment())
        a.save_experiment.triggered.connect(lambda: self.files.save_experiment())
        a.save_experiment_as.triggered.connect(lambda: self.files.save_experiment(ask=True))
        a.open_sequence.triggered.connect(lambda: self.files.open_sequence())
        a.import_model.triggered.connect(lambda: self.files.import_model())
        a.save_checkpoint.triggered.connect(lambda: self.files.save_checkpoint())
        a.load_checkpoint.triggered.connect(lambda: self.files.load_checkpoint())
        a.export_all.triggered.connect(lambda: self.files.export_all_views())
        a.quit.triggered.connect(self.close)
        a.restore_layout.triggered.connect(self.restore_default_layout)
        a.equations.triggered.connect(self.show_equations)
        a.about.triggered.connect(self._about)
        self.panel.edited.connect(self.on_settings_edited)
        self.panel.browseRequested.connect(lambda: self.files.open_sequence())
        tb.speedChanged.connect(c.set_speed)
        tb.timeStepChanged.connect(c.set_time_step)
        tb.sampleChanged.connect(c.set_sample)
        tb.historyChanged.connect(c.set_history_index)
        c.runningChanged.connect(self._on_running)
        c.statusChanged.connect(self._on_status)
        c.modelChanged.connect(self._on_model)
        c.selectionChanged.connect(self._on_selection)
        c.historyChanged.connect(lambda _n: tb.set_history(c.traces.steps))
        c.diverged.connect(self._on_diverged)
        c.failed.connect(lambda title, text: show_message(self, title, text))
        c.busyChanged.connect(self._on_busy)
        doc = self.document
        doc.opened.connect(self.guided.show_for)
        doc.valuesChanged.connect(self.panel.set_values)
        doc.errorChanged.connect(self.panel.set_error)
        doc.changed.connect(self._update_title)
        doc.changed.connect(self._sync_compare_action)

    def _restore_window(self) -> None:
        geometry = self.app_settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1500, 950)
        state = self.app_settings.window_state()
        if state is not None:
            self._restored_state = self.restoreState(state, self.app_settings.layout_version)

    def _open_initial(self, path: Path | None, config) -> None:
        if path is not None:
            if not self.files.open_experiment(Path(path), ask=False):
                self._build_default(config)
        else:
            self._build_default(config)

    def _build_default(self, config) -> None:
        try:
            self.controller.reset(config, compare=config.compare is not None)
        except Exception as exc:  # the default experiment cannot fail unless the install is broken
            show_message(self, "Cannot build the model", str(exc))
            return
        self.set_document(None, self.controller.config)

    # --- document state -----------------------------------------------------------------------------

    def set_document(self, path: Path | None, config, *, opened: bool = True,
                     preset_path: Path | None = None) -> None:
        """The experiment now shown was just opened (or, ``opened`` False, saved) as ``path`` (None:
        not saved yet); ``preset_path``: the guided experiment it was opened from, if any."""
        if opened:
            self.document.open(path, config, preset_path)
        else:
            self.document.saved(path, config)

    # The document owns these; the window only forwards them (for the file actions and tests).
    @property
    def edited_config(self):
        return self.document.edited

    @property
    def experiment_path(self) -> Path | None:
        return self.document.path

    @property
    def settings_error(self) -> str | None:
        return self.document.error

    def is_dirty(self) -> bool:
        return self.document.is_dirty()

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title()}[*] \u2013 {APP_TITLE}")
        self.setWindowModified(self.document.is_dirty())

    @property
    def prompts(self):
        """The dialogs the file actions ask through (tests put a fake in their place)."""
        return self.files.ui.prompts

    @prompts.setter
    def prompts(self, prompts) -> None:
        self.files.ui.prompts = prompts

    # --- settings and model -------------------------------------------------------------------------

    def on_settings_edited(self, values: dict) -> None:
        """The settings panel changed: validate, apply live keys at once, keep the rest for Reset."""
        d = cfgmod.to_dict(self.document.edited)
        d.update({k: v for k, v in values.items() if k in ("data", "model", "training")})
        d["model"] = without_unused(cfgmod.MODEL_SETTINGS, d["model"])
        try:
            cfg = cfgmod.config_from_dict(d, "settings")
        except cfgmod.ConfigError as exc:
            self.document.set_error(str(exc).removeprefix("settings: "))
            return
        # The panel shows what the values resolved to: a new source's defaults, a derived length.
        self.document.edit(cfg)
        if self.guided.settings_edited(self.controller.config, cfg):
            return
        c, t = self.controller, cfg.training
        changed = {k: getattr(t, k) for k in LIVE_KEYS if getattr(t, k) != getattr(c.config.training, k)}
        if changed:
            c.edit_live(**changed)
            self.document.live_applied(c.config)

    def reset_model(self) -> bool:
        """Reset: a fresh model from the settings shown. On a bad setting, explain and keep the old one."""
        if self.document.error:
            show_message(self, "Cannot build this model", f"Fix this setting first: {self.document.error}")
            return False
        return self.apply_config(self.document.edited)

    def apply_config(self, config, compare: bool | None = None) -> bool:
        return self.files.apply_config(config, compare)

    def set_compare(self, on: bool) -> None:
        """Compare mode on: run A full BPTT, run B truncated with the current k1/k2 (or the
        experiment's [compare] run); off: one run, the [compare] section dropped."""
        if on == self.controller.compare and (on == (self.document.edited.compare is not None)):
            return
        if on:
            from rnn_viz.ui.controller import default_compare

            try:
                config = default_compare(self.document.edited)
            except cfgmod.ConfigError as exc:
                self.files.explain_error("Cannot start compare mode", exc)
                self._sync_compare_action()
                return
        else:
            config = dataclasses.replace(self.document.edited, compare=None)
        if not self.apply_config(config, compare=on):
            self._sync_compare_action()

    def _sync_compare_action(self) -> None:
        self.acts.compare.blockSignals(True)
        self.acts.compare.setChecked(self.controller.compare)
        self.acts.compare.blockSignals(False)
        self.acts.save_checkpoint.setEnabled(not self.controller.compare)

    def _step(self) -> None:
        if not self.controller.running:
            self.controller.step_once()

    # --- controller feedback ------------------------------------------------------------------------

    def _on_running(self, running: bool) -> None:
        icon = self.style().standardIcon(
            self.style().StandardPixmap.SP_MediaPause if running else self.style().StandardPixmap.SP_MediaPlay)
        self.acts.train.setText("Pause" if running else "Train")
        self.acts.train.setIcon(icon)
        self.acts.step.setEnabled(not running)

    def _on_status(self, s: Status) -> None:
        self.status_step.setText(f"update {s.step}")
        if s.loss_b is not None:
            self.status_loss.setText(f"loss {_fmt(s.loss)} (A) / {_fmt(s.loss_b)} (B)")
        else:
            self.status_loss.setText(f"loss {_fmt(s.loss)}")
        self.status_rate.setText(f"{s.steps_per_second:.1f} updates/s" if s.running and s.steps_per_second else
                                 ("training\u2026" if s.running else "paused"))
        self.status_mode.setText(f"A: {s.label_a}  |  B: {s.label_b}" if s.label_b else _mode(self.controller.config))

    def _on_busy(self, message: str) -> None:
        """A model is being built off the GUI thread: say so, and wait with a busy cursor."""
        if message:
            self.statusBar().showMessage(message)
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        else:
            QApplication.restoreOverrideCursor()
            self.statusBar().clearMessage()

    def _on_model(self) -> None:
        c = self.controller
        self.toolbar.set_time_range(c.seq_len)
        self.toolbar.set_sample_range(c._batch_size())
        self.toolbar.set_history([])
        self.toolbar.set_time_step(c.time_step)
        self.toolbar.set_sample(c.sample)

    def _on_selection(self, t: int, b: int) -> None:
        self.toolbar.set_time_step(t)
        self.toolbar.set_sample(b)

    def _on_diverged(self, error, config) -> None:
        happened, advice = divergence_advice(error, config)
        show_message(self, "Training diverged", happened, name="DivergenceDialog", details=advice)

    def show_equations(self) -> None:
        from rnn_viz.ui.equations import EquationsDialog

        if self._equations is None:
            self._equations = EquationsDialog(self)
        self._equations.show()
        self._equations.raise_()

    def _about(self) -> None:
        QMessageBox.about(self, "About rnn-viz", "<b>rnn-viz</b>: watch the error signal travel back through "
                          "time in a recurrent network, live while it trains, and compare full with "
                          "truncated backpropagation through time.")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._default_layout is None:
            # Dock sizes only take once the window has its size: after this first show.
            QTimer.singleShot(0, self._first_shown)

    def _first_shown(self) -> None:
        if self._default_layout is not None:
            return
        if self._restored_state:
            self._default_layout = b""  # the user's layout is up; Restore rebuilds the default
        else:
            self._default_sizes()
            self._default_layout = self.saveState(self.app_settings.layout_version)

    def restore_default_layout(self) -> None:
        for dock in [self.settings_dock, *self.view_docks.values()]:
            dock.setFloating(False)
            dock.show()
        if self._default_layout:
            self.restoreState(self._default_layout, self.app_settings.layout_version)
        else:
            self._arrange_docks()
            self._default_sizes()

    # --- drag and drop, closing ----------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if files.dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = files.dropped_path(event.mimeData())
        if path is None:
            return
        event.acceptProposedAction()
        # Leave the drop handler before a modal preview opens.
        QTimer.singleShot(0, lambda: self.files.open_dropped(path))

    def closeEvent(self, event) -> None:
        if not self.files.maybe_save("quitting"):
            event.ignore()
            return
        self.controller.shutdown()
        self.app_settings.save_window(self.saveGeometry(), self.saveState(self.app_settings.layout_version))
        self.app_settings.sync()
        event.accept()


def _fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:.4g}"


def _mode(cfg) -> str:
    t = cfg.training
    bptt = "full BPTT" if t.bptt == "full" else f"TBPTT(k1={t.k1}, k2={t.k2})"
    return f"{cfg.model.cell} {cfg.model.hidden_size}x{cfg.model.num_layers}, {bptt}"

