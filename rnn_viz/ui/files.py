"""File actions: experiments, sequences (with preview), checkpoints, exports, the recent-files and
presets menus, drag and drop. Every user-caused error ends in a dialog in plain words and leaves the
app as it was.

``FileActions(document, controller, ui)`` works on the Document (the experiment being edited:
path, edited config, saved state) and the Controller (the model); ``ui`` (a FileUI) is all it needs
from the window: the prompts (paths, previews, PNG options, unsaved changes), a parent for message
boxes, a status-bar line, the recent-files list, the menus it fills and the views it exports.
"""
from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGraphicsItem, QMenu, QWidget

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.paths import check_paths
from rnn_viz.experiment.presets import PRESETS_DIR, preset_paths
from rnn_viz.ui import export
from rnn_viz.ui.confirm import approve_outside, checkpoint_files_approved
from rnn_viz.ui.dialogs import show_message
from rnn_viz.ui.errors import error_text
from rnn_viz.ui.preview import SEQUENCE_SUFFIXES

WEIGHTS_DROP_SUFFIXES = (".safetensors", ".pt", ".pth")  # dropped: import (.npz stays a sequence)

__all__ = ["FileActions", "FileUI", "explain_error", "dropped_path", "PRESETS_DIR"]

EXPERIMENT_SUFFIXES = (".toml",)


def explain_error(parent: QWidget, title: str, exc: BaseException) -> None:
    """Show an error in a dialog (error_text)."""
    show_message(parent, title, error_text(exc))


@dataclasses.dataclass(eq=False)
class FileUI:
    """What the file actions need from the window. ``prompts``: dialogs.Prompts (or a test's fake);
    ``parent``: of message boxes; ``status``: shows a short status-bar message; ``recent``: keeps
    the recent files (AppSettings); ``menus``: "recent", "presets", "export"; ``views``: (name,
    view, title) of the views to export."""

    prompts: object
    parent: QWidget
    status: Callable[[str], None]
    recent: object
    menus: Mapping[str, QMenu]
    views: Sequence[tuple[str, QWidget, str]]


# --- helpers without state -----------------------------------------------------------------------------

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


def _scene_of(item):
    return item.scene() if isinstance(item, QGraphicsItem) else item


class FileActions:
    """The File menu's actions and what they share, on one Document and one Controller."""

    def __init__(self, document, controller, ui: FileUI):
        self.document = document
        self.controller = controller
        self.ui = ui

    def explain_error(self, title: str, exc: BaseException) -> None:
        explain_error(self.ui.parent, title, exc)

    def maybe_save(self, what: str) -> bool:
        """True if it is fine to throw the current experiment away (saved, discarded or unchanged)."""
        if not self.document.is_dirty():
            return True
        answer = self.ui.prompts.unsaved_changes(what)
        if answer == "save":
            return self.save_experiment()
        return answer == "discard"

    def _path_to_open(self, path, kind: str, title: str, before: str | None = None):
        """The file to open: ``path``, or the one chosen in a file dialog of ``kind`` (None when the user
        cancels). ``before``: what opening it does ("loading a checkpoint"), to ask about unsaved changes
        first (None when it throws nothing away); a refusal is None too."""
        if before is not None and not self.maybe_save(before):
            return None
        if path is None:
            path = self.ui.prompts.open_path(kind, title)
        return path

    def apply_config(self, config, compare: bool | None = None) -> bool:
        """A new model from ``config`` (Reset, open, compare on/off); on failure explain and keep the old."""
        compare = (config.compare is not None) if compare is None else compare
        try:
            self.controller.reset(config, compare=compare)
        except Exception as exc:
            self.explain_error("Cannot build this model", exc)
            return False
        self.document.applied_config(self.controller.config)
        return True

    def open_experiment(self, path: Path | None = None, ask: bool = True) -> bool:
        """Open an experiment file; asks about unsaved changes first when ``ask``."""
        path = self._path_to_open(path, "experiment", "Open experiment", "opening another experiment" if ask else None)
        if path is None:
            return False
        path = Path(path)
        try:
            config = cfgmod.load_config(path)
            # a data or weights file outside the experiment's folder is read only once the user agrees
            check_paths(config, path.resolve().parent, approve_outside(self.ui.prompts), source=str(path))
        except cfgmod.ConfigError as exc:
            self.explain_error("Cannot open this experiment", exc)
            return False
        controller = self.controller
        old_base = controller.base_dir
        controller.base_dir = path.resolve().parent
        if not self.apply_config(config):
            controller.base_dir = old_base
            return False
        if _is_preset(path):
            # A guided experiment is a template: Save asks where to put the user's copy.
            self.document.open(None, controller.config, preset_path=path)
        else:
            self.document.open(path, controller.config)
            self._remember(path)
        return True

    def save_experiment(self, ask: bool = False, path: Path | None = None) -> bool:
        """Save the settings shown as TOML (the same file ``rnn-viz run`` reads). True if saved."""
        doc = self.document
        if path is None:
            path = doc.path if not ask else None
        if path is None:
            suggested = doc.path.name if doc.path else "experiment.toml"
            path = self.ui.prompts.save_path("experiment", "Save experiment", suggested)
            if path is None:
                return False
        path = Path(path)
        config = doc.edited
        try:
            if path.resolve().parent != self.controller.base_dir:
                config = _absolute_data_path(config, self.controller.base_dir)
            path.write_text(cfgmod.to_toml(config), encoding="utf-8")
        except (OSError, cfgmod.ConfigError) as exc:
            self.explain_error("Cannot save the experiment", exc)
            return False
        self.controller.base_dir = path.resolve().parent
        doc.saved(path, config)
        self._remember(path)
        self.ui.status(f"Saved {path}")
        return True

    def _remember(self, path: Path) -> None:
        self.ui.recent.add_recent_file(path)
        self.refresh_recent_menu()

    def refresh_recent_menu(self) -> None:
        menu: QMenu = self.ui.menus["recent"]
        menu.clear()
        recent = self.ui.recent.recent_files()
        for i, path in enumerate(recent):
            action = menu.addAction(f"&{i + 1} {path.name}  ({path.parent})")
            action.setObjectName(f"RecentFile{i}")
            action.triggered.connect(lambda _=False, p=path: self.open_experiment(p))
        if not recent:
            menu.addAction("(none yet)").setEnabled(False)
        else:
            menu.addSeparator()
            clear = menu.addAction("Clear list")
            clear.triggered.connect(lambda: (self.ui.recent.clear_recent_files(), self.refresh_recent_menu()))

    def fill_presets_menu(self, folder: Path = PRESETS_DIR) -> None:
        """One entry per shipped experiment file, in the presets' order (its [preset] title, else its name)."""
        menu: QMenu = self.ui.menus["presets"]
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
            action.triggered.connect(lambda _=False, p=path: self.open_experiment(p))
        if not paths:
            menu.addAction("(none installed)").setEnabled(False)

    def open_sequence(self, path: Path | None = None) -> bool:
        """File > Open sequence: preview the file, then train on it. Errors leave everything as it was."""
        path = self._path_to_open(path, "sequence", "Open sequence")
        if path is None:
            return False
        path = Path(path)
        if path.suffix.lower() not in SEQUENCE_SUFFIXES:
            show_message(self.ui.parent, "Cannot open this file",
                         f"{path.name}: rnn-viz reads sequences from {', '.join(SEQUENCE_SUFFIXES)} files.")
            return False
        base_dir = self.controller.base_dir
        try:
            section = self.ui.prompts.sequence_preview(path, dict(self.document.edited.data), base_dir)
        except Exception as exc:  # the data layer's DataError, or an unreadable file
            self.explain_error("Cannot read this sequence file", exc)
            return False
        if section is None:
            return False
        d = cfgmod.to_dict(self.document.edited)
        d["data"] = section
        try:
            config = cfgmod.config_from_dict(d, "sequence")
        except cfgmod.ConfigError as exc:
            self.explain_error("Cannot use this sequence file", exc)
            return False
        return self.apply_config(config, compare=self.controller.compare)

    def open_dropped(self, path: Path) -> bool:
        if path.suffix.lower() in EXPERIMENT_SUFFIXES:
            return self.open_experiment(path)
        if path.suffix.lower() in WEIGHTS_DROP_SUFFIXES:
            return self.import_model(path)
        return self.open_sequence(path)

    def import_model(self, path: Path | None = None) -> bool:
        """File > Import trained model (and a dropped weights file): choose the file, then the data in
        the dialog; on Accept the window opens the experiment (unsaved, ``[model] weights``). A bad
        file is one message naming the file and key, and the window keeps what it showed."""
        from rnn_viz.experiment.parity import parity_line

        path = self._path_to_open(path, "weights", "Import trained model", "importing a model")
        if path is None:
            return False
        try:
            config = self.ui.prompts.import_model(Path(path), self.document.edited, self.controller.base_dir)
        except Exception as exc:  # DataError/ConfigError from reading the file, naming it and the key
            self.explain_error("Cannot import this model", exc)
            return False
        if config is None:
            return False
        if not self.apply_config(config, compare=False):
            return False
        c = self.controller
        self.document.open(None, c.config)
        line, _ = parity_line(c.trainer.parity, c.config.training.dtype)
        self.ui.status(f"Imported {Path(path).name}: {line}")
        return True

    def save_checkpoint(self, path: Path | None = None) -> bool:
        from rnn_viz.experiment.io import save_checkpoint as write

        if self.controller.compare:
            show_message(self.ui.parent, "Cannot save a checkpoint", "A checkpoint holds one run. Leave "
                         "compare mode (Training > Compare mode) to save one.")
            return False
        if path is None:
            path = self.ui.prompts.save_path("checkpoint", "Save checkpoint", "checkpoint.npz")
            if path is None:
                return False
        try:
            write(path, self.controller.checkpoint())
        except Exception as exc:
            self.explain_error("Cannot save the checkpoint", exc)
            return False
        self.ui.status(f"Saved checkpoint {path}")
        return True

    def load_checkpoint(self, path: Path | None = None) -> bool:
        from rnn_viz.experiment.io import load_checkpoint as read

        path = self._path_to_open(path, "checkpoint", "Load checkpoint", "loading a checkpoint")
        if path is None:
            return False
        try:
            arrays = read(path)
            # the experiment inside a checkpoint was never chosen by this user: ask before it reads files
            if not checkpoint_files_approved(self.ui.prompts, arrays, self.controller.base_dir, str(path)):
                self.ui.status(f"Not loaded: {path} (its files were not read)")
                return False
            self.controller.load_checkpoint(arrays)
        except Exception as exc:
            self.explain_error("Cannot load this checkpoint", exc)
            return False
        self.document.open(None, self.controller.config, checkpoint=Path(path))
        note = f"; {self.controller.history_note}" if self.controller.history_note else ""
        self.ui.status(f"Resumed from {path} at update {self.controller.trainer.step_count}{note}")
        return True

    def _view(self, name: str):
        for n, view, title in self.ui.views:
            if n == name:
                return view, title
        raise KeyError(name)

    def export_view(self, name: str, fmt: str, path: Path | None = None, png: tuple | None = None) -> Path | None:
        """Export one view in ``fmt``; asks for the path (and PNG size) unless given."""
        view, title = self._view(name)
        self.controller.render_now()
        if path is None:
            path = self.ui.prompts.save_path(fmt, f"Export {title} as {fmt.upper()}",
                                             f"{export.safe_name(name)}.{fmt}")
            if path is None:
                return None
        width = height = None
        dpi = 96.0
        if fmt == "png":
            png = png or self.ui.prompts.png_options(max(view.width(), 16), max(view.height(), 16))
            if png is None:
                return None
            width, height, dpi = png
        try:
            export.export_view(view, Path(path), fmt, width=width, height=height, dpi=dpi)
        except Exception as exc:
            self.explain_error(f"Cannot export {title}", exc)
            return None
        self.ui.status(f"Exported {title} to {path}")
        return Path(path)

    def export_all_views(self, folder: Path | None = None, png: tuple | None = None) -> list[Path]:
        """Every view as PNG, SVG and CSV, plus metrics.csv and experiment.toml, into one folder."""
        if folder is None:
            folder = self.ui.prompts.directory("Export all views to folder")
            if folder is None:
                return []
        if png is None:
            png = self.ui.prompts.png_options(1200, 800)
            if png is None:
                return []
        width, height, dpi = png
        c = self.controller
        c.render_now()
        columns = [run.metric_columns() for run in c.session.runs]  # metrics.csv's order, per run
        try:
            written = export.export_all([(n, v) for n, v, _ in self.ui.views], Path(folder), width=width,
                                        height=height or None, dpi=dpi, history=c.metrics.columns(),
                                        metric_columns=columns[0],
                                        experiment_toml=cfgmod.to_toml(self.document.edited))
            if c.compare:
                export.write_metrics_csv(Path(folder) / "metrics_b.csv", c.metrics_b.columns(), columns[-1])
                written.append(Path(folder) / "metrics_b.csv")
        except Exception as exc:
            self.explain_error("Cannot export the views", exc)
            return []
        self.ui.status(export.summary(written, Path(folder)))
        return written

    def install_export_menus(self) -> None:
        """File > Export view > (view) > PNG/SVG/CSV, and the same in each view's right-click menu."""
        menu: QMenu = self.ui.menus["export"]
        for name, view, title in self.ui.views:
            sub = menu.addMenu(title)
            context = QMenu(f"Export {title}", self.ui.parent)
            context.setObjectName(f"ExportContext_{name}")
            for fmt in export.FORMATS:
                for target in (sub, context):
                    action = QAction(f"{fmt.upper()}\u2026", target)
                    action.setObjectName(f"Export_{name}_{fmt}")
                    action.triggered.connect(lambda _=False, n=name, f=fmt: self.export_view(n, f))
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
