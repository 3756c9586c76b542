"""NumPy's RuntimeWarnings during training, held back and named in one line.

Before a divergence NumPy prints up to 23 lines of "RuntimeWarning: overflow encountered in matmul"
(many of them while the last good update's trace is computed, after the divergence itself). Inside
``with NumericWarnings(say, quiet) as numeric:`` they are recorded instead; ``numeric.fold(error)``
gives the divergence with them named (formatted when shown, so the late ones count), and without a
divergence one summary line goes to ``say`` at the end. Other warnings pass through unchanged.
Only for the main thread: ``warnings.catch_warnings`` is process-wide.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable

__all__ = ["NumericWarnings"]


class NumericWarnings:
    """Context manager recording RuntimeWarnings; see the module docstring."""

    def __init__(self, say: Callable[[str], None], quiet: bool = False):
        self.say, self.quiet = say, quiet
        self._catcher = warnings.catch_warnings(record=True)
        self.caught: list = []
        self.folded = False

    def __enter__(self) -> NumericWarnings:
        self.caught = self._catcher.__enter__()
        warnings.simplefilter("default", RuntimeWarning)  # each distinct warning once
        return self

    def messages(self) -> list[str]:
        """The distinct RuntimeWarning texts so far, in order."""
        return list(dict.fromkeys(str(w.message) for w in self.caught if issubclass(w.category, RuntimeWarning)))

    def fold(self, error: BaseException) -> _Folded:
        """``error`` with the warnings named, as an object whose ``str()`` is the message."""
        self.folded = True
        return _Folded(error, self)

    def __exit__(self, *exc) -> None:
        others = [w for w in self.caught if not issubclass(w.category, RuntimeWarning)]
        found = self.messages()
        self._catcher.__exit__(*exc)
        for w in others:  # not ours to fold: pass them on as they were
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if found and not self.folded and not self.quiet:
            self.say(f"note: NumPy warned during training: {'; '.join(found[:3])}")


class _Folded:
    def __init__(self, error: BaseException, numeric: NumericWarnings):
        self.error, self.numeric = error, numeric

    def __str__(self) -> str:
        found = self.numeric.messages()
        if not found:
            return str(self.error)
        more = "; ..." if len(found) > 3 else ""
        return f"{self.error} (NumPy warned before it: {'; '.join(found[:3])}{more})"
