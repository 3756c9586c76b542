"""The window's actions (with shortcuts and objectNames) and the menus that hold them."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle

from rnn_viz.ui.shortcuts import TRAINING_SHORTCUTS

__all__ = ["Actions", "build_actions", "build_menus"]


@dataclass
class Actions:
    train: QAction
    step: QAction
    reset: QAction
    compare: QAction
    open_experiment: QAction
    save_experiment: QAction
    save_experiment_as: QAction
    open_sequence: QAction
    import_model: QAction
    save_checkpoint: QAction
    load_checkpoint: QAction
    export_all: QAction
    quit: QAction
    restore_layout: QAction
    layouts: dict[str, QAction]  # rnn_viz.ui.layouts.LAYOUTS name -> its checkable action
    equations: QAction
    shortcuts: QAction
    user_guide: QAction
    about: QAction


def _action(window: QMainWindow, name: str, text: str, tip: str, shortcut=None, icon=None) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setStatusTip(tip)
    keys = [] if shortcut is None else [QKeySequence(k) for k in (shortcut if isinstance(shortcut, tuple) else (shortcut,))]
    action.setToolTip(tip if not keys else f"{tip} ({' or '.join(k.toString() for k in keys)})")
    if keys:
        action.setShortcuts(keys)
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
    window.addAction(action)  # shortcuts work even when the menu bar or toolbar is hidden
    return action


def build_actions(window: QMainWindow) -> Actions:
    sp = QStyle.StandardPixmap
    return Actions(
        train=_action(window, "TrainAction", "Train", "Start or pause training",
                      TRAINING_SHORTCUTS["train"], sp.SP_MediaPlay),
        step=_action(window, "StepAction", "Step", "Make one update and draw it",
                     TRAINING_SHORTCUTS["step"],
                     sp.SP_MediaSkipForward),
        reset=_action(window, "ResetAction", "Reset", "Build a fresh model from the settings (applies every "
                      "setting marked \u21bb)", "Ctrl+R", sp.SP_BrowserReload),
        compare=_action(window, "CompareAction", "Compare mode", "Train two runs side by side on the same "
                        "batches: full against truncated BPTT, or the experiment's [compare] run", "Ctrl+M"),
        open_experiment=_action(window, "OpenExperimentAction", "Open experiment\u2026",
                                "Open an experiment file (.toml)", "Ctrl+Shift+O"),
        save_experiment=_action(window, "SaveExperimentAction", "Save experiment",
                                "Save the settings as an experiment file (.toml)", QKeySequence.StandardKey.Save),
        save_experiment_as=_action(window, "SaveExperimentAsAction", "Save experiment as\u2026",
                                   "Save the settings under a new name", QKeySequence.StandardKey.SaveAs),
        open_sequence=_action(window, "OpenSequenceAction", "Open sequence\u2026",
                              "Train on your own sequences (.csv, .tsv, .npy, .npz, .txt)", "Ctrl+O"),
        import_model=_action(window, "ImportModelAction", "Import trained model\u2026",
                             "Inspect your own PyTorch RNN, LSTM or GRU: a state dict (.safetensors, .pt, "
                             ".pth, .npz), then the data to run it on", "Ctrl+I"),
        save_checkpoint=_action(window, "SaveCheckpointAction", "Save checkpoint\u2026",
                                "Save weights, optimizer and random state so training resumes exactly"),
        load_checkpoint=_action(window, "LoadCheckpointAction", "Load checkpoint\u2026",
                                "Resume training from a checkpoint (.npz)"),
        export_all=_action(window, "ExportAllAction", "Export all views\u2026",
                           "Write every view as PNG, SVG and CSV, with metrics.csv and the experiment file",
                           "Ctrl+E"),
        quit=_action(window, "QuitAction", "Quit", "Close rnn-viz", QKeySequence.StandardKey.Quit),
        restore_layout=_action(window, "RestoreLayoutAction", "Restore default layout",
                               "Put every view back where it started"),
        layouts=_layout_actions(window),
        equations=_action(window, "EquationsAction", "Equations",
                          "The equations of the recurrent network, BPTT and truncated BPTT", "F1"),
        shortcuts=_action(window, "ShortcutsAction", "Keyboard shortcuts",
                          "Every keyboard shortcut of the window", "Ctrl+/"),
        # no key: F1, the usual help key, has long been Equations here
        user_guide=_action(window, "UserGuideAction", "User guide",
                           "The user guide, with pictures, inside the app"),
        about=_action(window, "AboutAction", "About rnn-viz", "What rnn-viz is"),
    )


def _layout_actions(window: QMainWindow) -> dict[str, QAction]:
    """All views (Ctrl+1), Tabs (Ctrl+2), Focus (Ctrl+3): one checked at a time."""
    from rnn_viz.ui.layouts import LAYOUT_TIPS, LAYOUT_TITLES

    group = QActionGroup(window)
    group.setExclusive(True)
    actions = {}
    for i, (name, title) in enumerate(LAYOUT_TITLES.items(), start=1):
        action = _action(window, f"Layout{name.capitalize()}Action", title, LAYOUT_TIPS[name], f"Ctrl+{i}")
        action.setCheckable(True)
        group.addAction(action)
        actions[name] = action
    return actions


def build_menus(window: QMainWindow, a: Actions, view_docks, settings_dock) -> dict[str, QMenu]:
    """File, Training, View and Help menus; returns them by name (the Export and Recent submenus
    too, which the window fills)."""
    bar = window.menuBar()
    menus: dict[str, QMenu] = {}
    file_menu = bar.addMenu("&File")
    file_menu.setObjectName("FileMenu")
    file_menu.addAction(a.open_experiment)
    menus["recent"] = file_menu.addMenu("Open recent")
    menus["recent"].setObjectName("RecentMenu")
    menus["presets"] = file_menu.addMenu("Guided experiments")
    menus["presets"].setObjectName("PresetsMenu")
    file_menu.addAction(a.save_experiment)
    file_menu.addAction(a.save_experiment_as)
    file_menu.addSeparator()
    file_menu.addAction(a.open_sequence)
    file_menu.addAction(a.import_model)
    file_menu.addSeparator()
    file_menu.addAction(a.save_checkpoint)
    file_menu.addAction(a.load_checkpoint)
    file_menu.addSeparator()
    menus["export"] = file_menu.addMenu("Export view")
    menus["export"].setObjectName("ExportMenu")
    file_menu.addAction(a.export_all)
    file_menu.addSeparator()
    file_menu.addAction(a.quit)
    menus["file"] = file_menu

    training = bar.addMenu("&Training")
    training.setObjectName("TrainingMenu")
    for action in (a.train, a.step, a.reset):
        training.addAction(action)
    training.addSeparator()
    training.addAction(a.compare)
    menus["training"] = training

    view = bar.addMenu("&View")
    view.setObjectName("ViewMenu")
    view.addAction(settings_dock.toggleViewAction())
    for dock in view_docks:
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    for action in a.layouts.values():
        view.addAction(action)
    view.addAction(a.restore_layout)
    menus["view"] = view

    help_menu = bar.addMenu("&Help")
    help_menu.setObjectName("HelpMenu")
    help_menu.addAction(a.user_guide)
    help_menu.addAction(a.equations)
    help_menu.addAction(a.shortcuts)
    help_menu.addAction(a.about)
    menus["help"] = help_menu
    return menus
