"""What `rnn-viz run` tells the user about a trainer before it trains (the app can show the same).

Pure functions of a Trainer returning lines; the front end decides where they go.
"""
from __future__ import annotations

from .parity import parity_line

__all__ = ["import_lines", "validation_note"]


def import_lines(trainer, quiet: bool = False) -> list[str]:
    """What a weights file gave and ``parity with torch: ...``; with ``quiet`` only a parity warning.
    Empty without ``[model] weights``."""
    if trainer.imported is None:
        return []
    line, warning = parity_line(trainer.parity, trainer.config.training.dtype)
    if quiet:
        return [line] if warning else []
    return [*trainer.import_summary, line]


def validation_note(trainer) -> str | None:
    """``note: data.val_fraction leaves no validation windows (...)`` for a file whose held-out part
    fits no window (the app's preview warns the same), else None."""
    details = trainer.dataset.details
    if "validation_note" not in details or trainer.dataset.validation is not None:
        return None
    if trainer.config.data.get("val_fraction", 0) <= 0:
        return None  # no validation was asked for
    note = str(details["validation_note"]).removeprefix("validation: none ")
    return f"note: data.val_fraction leaves no validation windows {note}"
