"""File actions: experiments, sequences (with preview), checkpoints, exports, the recent-files and
presets menus, drag and drop. Every user-caused error ends in a dialog in plain words and leaves the
app as it was.

The actions work on ``window.document`` (the experiment being edited: path, edited config, saved
state) and ``window.controller`` (the model); from the window itself they use only its dialogs
(``prompts``, a parent for messages), the app settings (recent files), menus, views and status bar.
"""
from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGraphicsItem, QMenu

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.presets import PRESETS_DIR, preset_paths
from rnn_viz.ui import export
from rnn_viz.ui.dialogs import show_message
from rnn_viz.ui.errors import error_text
from rnn_viz.ui.preview import SEQUENCE_SUFFIXES

WEIGHTS_DROP_SUFFIXES = (".safetensors", ".pt", ".pth")  # dropped: import (.npz stays a sequence)

__all__ = [
    "open_experiment", "save_experiment", "open_sequence", "open_dropped", "import_model", "save_checkpoint",
    "load_checkpoint", "export_view", "export_all_views", "install_export_menus", "refresh_recent_menu",
    "fill_presets_menu", "explain_error", "dropped_path", "PRESETS_DIR",
]

EXPERIMENT_SUFFIXES = (".toml",)


def explain_error(window, title: str, exc: BaseException) -> None:
    """Show an error in a dialog (error_text)."""
    show_message(window, title, error_text(exc))


# --- experiments ------------------------------------------------------------------------------------

def open_experiment(window, path: Path | None = None, ask: bool = True) -> bool:
    """Open an experiment file; asks about unsaved changes first when ``ask``."""
    if ask and not window.maybe_save("opening another experiment"):
        return False
    if path is None:
        path = window.prompts.open_path("experiment", "Open experiment")
        if path is None:
            return False
    path = Path(path)
    try:
        config = cfgmod.load_config(path)
    except cfgmod.ConfigError as exc:
        explain_error(window, "Cannot open this experiment", exc)
        return False
    controller = window.controller
    old_base = controller.base_dir
    controller.base_dir = path.resolve().parent
    if not window.apply_config(config):
        controller.base_dir = old_base
        return False
    if _is_preset(path):
        # A guided experiment is a template: Save asks where to put the user's copy.
        window.document.open(None, controller.config, preset_path=path)
    else:
        window.document.open(path, controller.config)
        _remember(window, path)
    return True


def _is_preset(path: Path) -> bool:
    try:
        return path.resolve().parent == PRESETS_DIR.resolve()
    except OSError:
        return False


def _absolute_data_path(config, base_dir: Path):
    """The config with a relative data.path made absolute (so it survives a move of the experiment)."""
    raw = config.data.get("path")
    if not raw or Path(raw).is_absolute():
        return config
    data = dict(config.data)
    data["path"] = str((Path(base_dir) / raw).resolve())
    d = cfgmod.to_dict(config)
    d["data"] = data
    return cfgmod.config_from_dict(d, "experiment")


def save_experiment(window, ask: bool = False, path: Path | None = None) -> bool:
    """Save the settings shown as TOML (the same file ``rnn-viz run`` reads). True if saved."""
    doc = window.document
    if path is None:
        path = doc.path if not ask else None
    if path is None:
        suggested = doc.path.name if doc.path else "experiment.toml"
        path = window.prompts.save_path("experiment", "Save experiment", suggested)
        if path is None:
            return False
    path = Path(path)
    config = doc.edited
    try:
        if path.resolve().parent != window.controller.base_dir:
            config = _absolute_data_path(config, window.controller.base_dir)
        path.write_text(cfgmod.to_toml(config), encoding="utf-8")
    except (OSError, cfgmod.ConfigError) as exc:
        explain_error(window, "Cannot save the experiment", exc)
        return False
    window.controller.base_dir = path.resolve().parent
    doc.saved(path, config)
    _remember(window, path)
    window.statusBar().showMessage(f"Saved {path}", 5000)
    return True


def _remember(window, path: Path) -> None:
    window.app_settings.add_recent_file(path)
    refresh_recent_menu(window)


def refresh_recent_menu(window) -> None:
    menu: QMenu = window.menus["recent"]
    menu.clear()
    recent = window.app_settings.recent_files()
    for i, path in enumerate(recent):
        action = menu.addAction(f"&{i + 1} {path.name}  ({path.parent})")
        action.setObjectName(f"RecentFile{i}")
        action.triggered.connect(lambda _=False, p=path: open_experiment(window, p))
    if not recent:
        menu.addAction("(none yet)").setEnabled(False)
    else:
        menu.addSeparator()
        clear = menu.addAction("Clear list")
        clear.triggered.connect(lambda: (window.app_settings.clear_recent_files(), refresh_recent_menu(window)))


def fill_presets_menu(window, folder: Path = PRESETS_DIR) -> None:
    """One entry per shipped experiment file, in the presets' order (its [preset] title, else its name)."""
    menu: QMenu = window.menus["presets"]
    menu.clear()
    paths = preset_paths(folder)
    for path in paths:
        try:
            title = tomllib.loads(path.read_text(encoding="utf-8")).get("preset", {}).get("title", path.stem)
        except (OSError, ValueError):
            title = path.stem
        action = menu.addAction(str(title))
        action.setObjectName(f"Preset_{path.stem}")
        action.setStatusTip(str(path))
        action.triggered.connect(lambda _=False, p=path: open_experiment(window, p))
    if not paths:
        menu.addAction("(none installed)").setEnabled(False)


# --- sequences ----------------------------------------------------------------------------------------

def open_sequence(window, path: Path | None = None) -> bool:
    """File > Open sequence: preview the file, then train on it. Errors leave everything as it was."""
    if path is None:
        path = window.prompts.open_path("sequence", "Open sequence")
        if path is None:
            return False
    path = Path(path)
    if path.suffix.lower() not in SEQUENCE_SUFFIXES:
        show_message(window, "Cannot open this file",
                     f"{path.name}: rnn-viz reads sequences from {', '.join(SEQUENCE_SUFFIXES)} files.")
        return False
    base_dir = window.controller.base_dir
    try:
        section = window.prompts.sequence_preview(path, dict(window.document.edited.data), base_dir)
    except Exception as exc:  # the data layer's DataError, or an unreadable file
        explain_error(window, "Cannot read this sequence file", exc)
        return False
    if section is None:
        return False
    d = cfgmod.to_dict(window.document.edited)
    d["data"] = section
    try:
        config = cfgmod.config_from_dict(d, "sequence")
    except cfgmod.ConfigError as exc:
        explain_error(window, "Cannot use this sequence file", exc)
        return False
    return window.apply_config(config, compare=window.controller.compare)


def dropped_path(mime) -> Path | None:
    """The one local file in a drop that rnn-viz can open, or None."""
    if not mime.hasUrls():
        return None
    urls = [u for u in mime.urls() if u.isLocalFile()]
    if len(urls) != 1:
        return None
    path = Path(urls[0].toLocalFile())
    if path.suffix.lower() in SEQUENCE_SUFFIXES + EXPERIMENT_SUFFIXES + WEIGHTS_DROP_SUFFIXES:
        return path
    return None


def open_dropped(window, path: Path) -> bool:
    if path.suffix.lower() in EXPERIMENT_SUFFIXES:
        return open_experiment(window, path)
    if path.suffix.lower() in WEIGHTS_DROP_SUFFIXES:
        return import_model(window, path)
    return open_sequence(window, path)


def import_model(window, path: Path | None = None) -> bool:
    """File > Import trained model (and a dropped weights file): choose the file, then the data in
    the dialog; on Accept the window opens the experiment (unsaved, ``[model] weights``). A bad
    file is one message naming the file and key, and the window keeps what it showed."""
    from rnn_viz.experiment.parity import parity_line

    if not window.maybe_save("importing a model"):
        return False
    if path is None:
        path = window.prompts.open_path("weights", "Import trained model")
        if path is None:
            return False
    try:
        config = window.prompts.import_model(Path(path), window.document.edited, window.controller.base_dir)
    except Exception as exc:  # DataError/ConfigError from reading the file, naming it and the key
        explain_error(window, "Cannot import this model", exc)
        return False
    if config is None:
        return False
    if not window.apply_config(config, compare=False):
        return False
    c = window.controller
    window.document.open(None, c.config)
    line, _ = parity_line(c.trainer.parity, c.config.training.dtype)
    window.statusBar().showMessage(f"Imported {Path(path).name}: {line}", 15000)
    return True


# --- checkpoints --------------------------------------------------------------------------------------

def save_checkpoint(window, path: Path | None = None) -> bool:
    from rnn_viz.experiment.io import save_checkpoint as write

    if window.controller.compare:
        show_message(window, "Cannot save a checkpoint", "A checkpoint holds one run. Leave compare mode "
                     "(Training > Compare mode) to save one.")
        return False
    if path is None:
        path = window.prompts.save_path("checkpoint", "Save checkpoint", "checkpoint.npz")
        if path is None:
            return False
    try:
        write(path, window.controller.checkpoint())
    except Exception as exc:
        explain_error(window, "Cannot save the checkpoint", exc)
        return False
    window.statusBar().showMessage(f"Saved checkpoint {path}", 5000)
    return True


def load_checkpoint(window, path: Path | None = None) -> bool:
    from rnn_viz.experiment.io import load_checkpoint as read

    if not window.maybe_save("loading a checkpoint"):
        return False
    if path is None:
        path = window.prompts.open_path("checkpoint", "Load checkpoint")
        if path is None:
            return False
    try:
        arrays = read(path)
        window.controller.load_checkpoint(arrays)
    except Exception as exc:
        explain_error(window, "Cannot load this checkpoint", exc)
        return False
    window.document.open(None, window.controller.config)
    window.statusBar().showMessage(f"Resumed from {path} at update {window.controller.trainer.step_count}", 5000)
    return True


# --- exports ------------------------------------------------------------------------------------------

def _view(window, name: str):
    for n, view, title in window.views:
        if n == name:
            return view, title
    raise KeyError(name)


def export_view(window, name: str, fmt: str, path: Path | None = None, png: tuple | None = None) -> Path | None:
    """Export one view in ``fmt``; asks for the path (and PNG size) unless given."""
    view, title = _view(window, name)
    window.controller.render_now()
    if path is None:
        path = window.prompts.save_path(fmt, f"Export {title} as {fmt.upper()}", f"{export.safe_name(name)}.{fmt}")
        if path is None:
            return None
    width = height = None
    dpi = 96.0
    if fmt == "png":
        png = png or window.prompts.png_options(max(view.width(), 16), max(view.height(), 16))
        if png is None:
            return None
        width, height, dpi = png
    try:
        export.export_view(view, Path(path), fmt, width=width, height=height, dpi=dpi)
    except Exception as exc:
        explain_error(window, f"Cannot export {title}", exc)
        return None
    window.statusBar().showMessage(f"Exported {title} to {path}", 5000)
    return Path(path)


def export_all_views(window, folder: Path | None = None, png: tuple | None = None) -> list[Path]:
    """Every view as PNG, SVG and CSV, plus metrics.csv and experiment.toml, into one folder."""
    if folder is None:
        folder = window.prompts.directory("Export all views to folder")
        if folder is None:
            return []
    if png is None:
        png = window.prompts.png_options(1200, 800)
        if png is None:
            return []
    width, _height, dpi = png
    c = window.controller
    c.render_now()
    try:
        written = export.export_all([(n, v) for n, v, _ in window.views], Path(folder), width=width, dpi=dpi,
                                    history=c.metrics.columns(), experiment_toml=cfgmod.to_toml(window.document.edited))
        if c.compare:
            export.write_metrics_csv(Path(folder) / "metrics_b.csv", c.metrics_b.columns())
            written.append(Path(folder) / "metrics_b.csv")
    except Exception as exc:
        explain_error(window, "Cannot export the views", exc)
        return []
    window.statusBar().showMessage(f"Exported {len(written)} files to {folder}", 5000)
    return written


def _scene_of(item):
    return item.scene() if isinstance(item, QGraphicsItem) else item


def install_export_menus(window) -> None:
    """File > Export view > (view) > PNG/SVG/CSV, and the same in each view's right-click menu."""
    menu: QMenu = window.menus["export"]
    for name, view, title in window.views:
        sub = menu.addMenu(title)
        context = QMenu(f"Export {title}", window)
        context.setObjectName(f"ExportContext_{name}")
        for fmt in export.FORMATS:
            for target in (sub, context):
                action = QAction(f"{fmt.upper()}\u2026", target)
                action.setObjectName(f"Export_{name}_{fmt}")
                action.triggered.connect(lambda _=False, n=name, f=fmt: export_view(window, n, f))
                target.addAction(action)
        try:
            scene = _scene_of(view.export_item())
        except Exception:
            scene = None
        if scene is not None and hasattr(scene, "contextMenu"):
            # pyqtgraph adds the scene's entries to every plot's right-click menu; ours replace its
            # generic "Export..." so every export goes through the same code (and CSV is the view's).
            scene.contextMenu = [context]
            view._export_context_menu = context  # keep it alive with the view
