"""What the command-line tools (``rnn-viz run``, ``rnn-viz sweep``) share: exit codes and how they
speak on the terminal."""
from __future__ import annotations

import os
import sys

__all__ = ["EXIT_OK", "EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_PIPE", "say", "duration", "stdout_closed"]

# 141: as a process stopped by SIGPIPE reports, which Python turns into BrokenPipeError instead.
EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_PIPE = 0, 2, 130, 141


def stdout_closed() -> None:
    """The reader of stdout went away (``rnn-viz presets | head``): what is still buffered goes to
    the null device, so that Python's flush at exit does not print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):  # no stdout at all (a gui-script), or not a file
        pass


def say(message: str, end: str = "\n") -> None:
    """``message`` on stderr. A gui-script started without a console has no stderr at all."""
    if sys.stderr is not None:
        print(message, file=sys.stderr, end=end, flush=True)


def duration(seconds: float) -> str:
    """``seconds`` as "42 s", "3 min 07 s" or "2 h 05 min"; "?" when not known (NaN or infinite)."""
    if seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
