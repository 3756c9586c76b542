"""The words an error is shown in: the typed errors' own messages, anything else named plainly.

Its own module so that dialogs can word errors without importing the file actions (and the file
actions without importing the dialogs they open).
"""
from __future__ import annotations

__all__ = ["error_text"]


def _user_error_types() -> tuple[type, ...]:
    from rnn_viz.data import DataError
    from rnn_viz.engine.errors import EngineError
    from rnn_viz.experiment.budget import BudgetError
    from rnn_viz.experiment.errors import ConfigError
    from rnn_viz.experiment.io import RunFileError
    from rnn_viz.ui.controller import BuildBusyError
    from rnn_viz.ui.export import ExportError

    return (ConfigError, DataError, RunFileError, EngineError, ExportError, OSError, BuildBusyError,
            BudgetError)


def error_text(exc: BaseException) -> str:
    """``str(exc)`` for the errors a user can cause (they name the file and key), else a plain
    "something unexpected" line with the exception's type."""
    if isinstance(exc, _user_error_types()):
        return str(exc)
    return f"Something unexpected went wrong ({type(exc).__name__}): {exc}"
