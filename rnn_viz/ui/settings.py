"""What the app remembers between sessions (QSettings): geometry, dock layout, recent files, folders."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

__all__ = ["AppSettings", "ORGANIZATION", "APPLICATION", "MAX_RECENT"]

ORGANIZATION = "rnn-viz"
APPLICATION = "rnn-viz"
MAX_RECENT = 8
# Bump when the dock set or its arrangement changes, so an old saved layout is not restored onto
# different docks (2: the All views / Tabs / Focus layouts).
LAYOUT_VERSION = 2


class AppSettings:
    """Typed access to QSettings. Tests pass an ini file path so they never touch the user's settings."""

    def __init__(self, path: Path | None = None):
        if path is None:
            self._q = QSettings(ORGANIZATION, APPLICATION)
        else:
            self._q = QSettings(str(path), QSettings.Format.IniFormat)

    def sync(self) -> None:
        self._q.sync()

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._q.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._q.setValue("window/geometry", geometry)
        self._q.setValue("window/state", state)

    @property
    def layout_version(self) -> int:
        return LAYOUT_VERSION

    def layout(self) -> str | None:
        """The dock layout chosen last (a name of rnn_viz.ui.layouts.LAYOUTS), None if never chosen
        or saved under another layout version."""
        if str(self._q.value("window/layout_version", "")) != str(LAYOUT_VERSION):
            return None
        value = self._q.value("window/layout")
        return str(value) if value else None

    def set_layout(self, name: str) -> None:
        self._q.setValue("window/layout", name)
        self._q.setValue("window/layout_version", LAYOUT_VERSION)

    def recent_files(self) -> list[Path]:
        value = self._q.value("recent/files", [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        return [Path(v) for v in (value or []) if v]

    def add_recent_file(self, path: Path) -> list[Path]:
        path = Path(path).resolve()
        files = [path] + [p for p in self.recent_files() if p != path]
        files = files[:MAX_RECENT]
        self._q.setValue("recent/files", [str(p) for p in files])
        return files

    def clear_recent_files(self) -> None:
        self._q.setValue("recent/files", [])

    def last_dir(self, kind: str) -> str:
        return str(self._q.value(f"dirs/{kind}", "") or "")

    def set_last_dir(self, kind: str, path: Path) -> None:
        path = Path(path)
        self._q.setValue(f"dirs/{kind}", str(path if path.is_dir() else path.parent))

    def value(self, key: str, default=None):
        return self._q.value(key, default)

    def set_value(self, key: str, value) -> None:
        self._q.setValue(key, value)

    # -- colour scales and shown panels of the views (the modes: views.colour_scale.MODES) ---------
    def colour_scale(self, view: str, quantity: str):
        """The colour scale chosen for ``quantity`` of ``view`` (a colour_scale.Scale), or None if
        none was chosen (or the stored one is not valid any more)."""
        from rnn_viz.ui.views.colour_scale import MODES, Scale, parse_range

        mode = self._q.value(f"colour_scale/{view}/{quantity}/mode")
        if mode not in MODES:
            return None
        typed = parse_range(str(self._q.value(f"colour_scale/{view}/{quantity}/range", "") or ""))
        return Scale(mode, typed)

    def set_colour_scale(self, view: str, quantity: str, scale) -> None:
        self._q.setValue(f"colour_scale/{view}/{quantity}/mode", scale.mode)
        self._q.setValue(f"colour_scale/{view}/{quantity}/range",
                         "" if scale.typed is None else f"{scale.typed[0]!r}, {scale.typed[1]!r}")

    def hidden_panels(self, view: str) -> set[str]:
        """The panels (column keys) the user hid in ``view``."""
        value = self._q.value(f"panels/{view}/hidden", [])
        if isinstance(value, str):  # a one-item list comes back as a lone string
            value = [value]
        return {str(v) for v in (value or []) if v}

    def set_hidden_panels(self, view: str, keys) -> None:
        self._q.setValue(f"panels/{view}/hidden", sorted(keys))

    def side_by_side(self, view: str) -> bool:
        """Whether ``view`` draws the runs of compare mode side by side (default) or one at a time."""
        return str(self._q.value(f"panels/{view}/side_by_side", "true")).lower() not in ("false", "0")

    def set_side_by_side(self, view: str, on: bool) -> None:
        self._q.setValue(f"panels/{view}/side_by_side", "true" if on else "false")
