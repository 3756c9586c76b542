"""argparse types of the command lines (rnn-viz run, rnn-viz sweep): whole numbers with a bound."""
from __future__ import annotations

import argparse

__all__ = ["count", "positive"]


def _at_least(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {value}")
    return value


def count(text: str) -> int:
    """A whole number >= 0 (updates, steps)."""
    return _at_least(text, 0)


def positive(text: str) -> int:
    """A whole number >= 1 (threads, jobs)."""
    return _at_least(text, 1)
