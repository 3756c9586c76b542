"""The main window: six views in docks, the settings dock, the training toolbar, menus, status bar.

The window assembles docks, layout and wiring. The experiment being edited is the Document
(rnn_viz.ui.document), which the settings panel, the title and the guided dock follow; training
lives in the Controller; file and export actions in :mod:`rnn_viz.ui.files`.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.live import LIVE_KEYS
from rnn_viz.experiment.schema import without_unused
from rnn_viz.ui import files, layouts
from rnn_viz.ui.actions import build_actions, build_menus
from rnn_viz.ui.controller import Controller, Status
from rnn_viz.ui.controls import SettingsPanel
from rnn_viz.ui.document import Document
from rnn_viz.ui.dialogs import Prompts, show_divergence, show_message
from rnn_viz.ui.settings import AppSettings
from rnn_viz.ui.steady_label import SteadyLabel
from rnn_viz.ui.toolbar import TrainingToolbar
from rnn_viz.ui.view_titles import WINDOW_VIEW_TITLES

__all__ = ["MainWindow"]

APP_TITLE = "rnn-viz"
DEFAULT_SIZE = QSize(1500, 950)  # the least a first launch's window takes on a large screen


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
        self._focused_view: str | None = None
        self._arrange_docks()
        self._first_show_done = False
        self._restored_state = False

        base_dir = Path(path).resolve().parent if path else Path.cwd()
        start_config = config or cfgmod.default_config()
        self.controller = Controller(start_config, base_dir, [], self)
        self.document = Document(start_config, self)
        self.files = files.FileActions(self.document, self.controller, files.FileUI(
            prompts=prompts, parent=self, status=lambda text: self.statusBar().showMessage(text, 5000),
            recent=self.app_settings, menus=self.menus, views=self.views))
        self._connect()
        from rnn_viz.ui.help import install_help
        from rnn_viz.ui.shortcuts import install_shortcut_filter

        install_help(self)
        self.shortcut_filter = install_shortcut_filter(self, self.acts)
        from rnn_viz.ui.compare_readout import CompareReadout

        self.compare_readout = CompareReadout(self)
        self.files.refresh_recent_menu()
        self.files.fill_presets_menu()
        self.dynamics = None
        self._restore_window()
        self._initial = (path, start_config, config is None)  # no config given: a plain launch
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
            if hasattr(view, "use_settings"):  # a view that remembers choices (colour scales, panels)
                view.use_settings(self.app_settings)
            self.view_docks[name].setWidget(view)
            if hasattr(view, "dock_visibility_changed"):
                self.view_docks[name].visibilityChanged.connect(view.dock_visibility_changed)
            self.views.append((name, view, title))
            view.timeStepSelected.connect(self.controller.set_time_step)
        self.controller.set_views([v for _, v, _ in self.views])
        self.files.install_export_menus()
        from rnn_viz.ui.dynamics_job import install_dynamics

        self.dynamics = install_dynamics(self)
        path, start_config, remembered = self._initial
        self._initial = None
        self._open_initial(path, start_config, remembered=remembered)
        self.views_ready = True
        if self._first_show_done:  # built after the frame was shown (defer_views): fit the guided text now
            self._fit_first_launch()
        self.viewsBuilt.emit()

    # --- construction -------------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("StatusBar")
        # SteadyLabel: a new count or loss (every update) does not lay the whole window out again
        self.status_step = SteadyLabel("update 0", self, min_width=80)
        self.status_step.setObjectName("StatusStep")
        self.status_loss = SteadyLabel("loss -", self, min_width=80)
        self.status_loss.setObjectName("StatusLoss")
        self.status_rate = SteadyLabel("", self, min_width=80)
        self.status_rate.setObjectName("StatusRate")
        self.status_mode = SteadyLabel("", self, min_width=80)
        self.status_mode.setObjectName("StatusMode")
        for w in (self.status_mode, self.status_step, self.status_loss, self.status_rate):
            bar.addPermanentWidget(w)

    def _arrange_docks(self) -> None:
        """Settings (and the guided dock) on the left; the views as the layout chosen says."""
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.settings_dock)
        self.guided.arrange(self.settings_dock)
        self.layouts = layouts.DockLayouts(self, self.view_docks, self.settings_dock)

    def _initial_layout(self) -> str:
        """The layout chosen last, else the default for this screen."""
        name = self.app_settings.layout()
        if name in layouts.LAYOUTS:
            return name
        screen = self.screen() or QApplication.primaryScreen()
        return layouts.default_layout(screen.size())  # the screen's logical size, as the rule is stated

    def set_layout(self, name: str) -> None:
        """Arrange the views as layout ``name`` (View menu, Ctrl+1/2/3) and remember the choice."""
        self.layouts.apply(name, focus=self._focused_view)
        self.app_settings.set_layout(name)
        self._sync_layout_actions()

    def _sync_layout_actions(self) -> None:
        action = self.acts.layouts.get(self.layouts.current)
        if action is not None and not action.isChecked():
            action.blockSignals(True)
            action.setChecked(True)
            action.blockSignals(False)

    def _focus_changed(self, _old, new) -> None:
        """Remember the view last clicked or tabbed into: the Focus layout enlarges it."""
        while new is not None:
            for name, dock in self.view_docks.items():
                if new is dock:
                    self._focused_view = name
                    return
            new = new.parentWidget()

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
        for name, action in a.layouts.items():
            action.triggered.connect(lambda _checked=False, name=name: self.set_layout(name))
        QApplication.instance().focusChanged.connect(self._focus_changed)
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
        """The geometry and dock state saved last, kept inside the screen; the first time, the screen's
        default layout in a window that fills a small screen's available area, or most of a large one."""
        name = self._initial_layout()
        self.layouts.apply(name)
        self._sync_layout_actions()
        geometry = self.app_settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            area = self._available().size()
            if name == "all":  # a large screen: most of it, for every view at once
                self.resize(max(DEFAULT_SIZE.width(), area.width() * 92 // 100),
                            max(DEFAULT_SIZE.height(), area.height() * 92 // 100))
            else:
                self.resize(area)
        self._fit_to_screen()
        state = self.app_settings.window_state()
        if state is not None and self.app_settings.layout() == name:
            self._restored_state = self.restoreState(state, self.app_settings.layout_version)

    def _available(self):
        screen = self.screen() or QApplication.primaryScreen()
        return screen.availableGeometry()

    def _fit_to_screen(self) -> None:
        """No larger than the screen's available area, frame included, and on it (a geometry saved
        on a larger or another screen would open partly off this one)."""
        area = self._available()
        frame = self.frameGeometry()
        extra_w = max(0, frame.width() - self.width())
        extra_h = max(0, frame.height() - self.height())
        width = min(self.width(), area.width() - extra_w)
        height = min(self.height(), area.height() - extra_h)
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        x = min(max(frame.x(), area.x()), area.right() + 1 - frame.width())
        y = min(max(frame.y(), area.y()), area.bottom() + 1 - frame.height())
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)

    def _open_initial(self, path: Path | None, config, remembered: bool = False) -> None:
        """``remembered``: no file and no config given (a plain launch): the first launch opens the
        guided experiment 1, later ones the experiment open at the last close (ui.first_launch)."""
        from rnn_viz.ui import first_launch

        first_launch.remember_last(self.app_settings, self.document)
        self.first_launch = False
        if path is None and remembered:
            path, self.first_launch = first_launch.initial_experiment(self.app_settings)
        if path is not None:
            if not self.files.open_experiment(Path(path), ask=False):
                self._build_default(config)
        else:
            self._build_default(config)
        if self.first_launch:
            first_launch.show_first_hint(self)

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
        runs = self.controller.session.runs if self.controller.session is not None else ()
        trainer = runs[min(getattr(error, "run", 0), len(runs) - 1)] if runs else None
        show_divergence(self, error, config, trainer, self.reset_with_clipping)

    def reset_with_clipping(self) -> bool:
        """The divergence advice's fresh start: Clip norm set to RESTART_CLIP_NORM, then Reset."""
        from rnn_viz.experiment.advice import RESTART_CLIP_NORM

        edited = self.document.edited
        return self.apply_config(dataclasses.replace(
            edited, training=dataclasses.replace(edited.training, clip_norm=RESTART_CLIP_NORM)))

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
        if not self._first_show_done:
            # Dock sizes only take once the window has its size: after this first show.
            QTimer.singleShot(0, self._first_shown)

    def _first_shown(self) -> None:
        if self._first_show_done:
            return
        self._first_show_done = True
        self._fit_to_screen()  # the frame's size is known now
        if not self._restored_state:
            self.layouts.refit()  # the tab groups follow the window's width, known now
            self.layouts.apply_sizes()
        if self.views_ready:
            self._fit_first_launch()

    def _fit_first_launch(self) -> None:
        if self.first_launch:  # the guided text readable without scrolling
            from rnn_viz.ui.first_launch import fit_guided_dock

            fit_guided_dock(self)

    def restore_default_layout(self) -> None:
        """Every view back where the current layout puts it."""
        self.layouts.apply(self.layouts.current or self._initial_layout())
        self.layouts.apply_sizes()

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
        self.app_settings.set_layout(self.layouts.current)  # the saved dock state is of this layout
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

