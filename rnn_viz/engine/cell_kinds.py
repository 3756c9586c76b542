"""What each recurrent cell is made of, for the code that names, checks or draws its parts.

The one owner of these facts: network.py derives CELLS and GATES from CELL_KINDS, the experiment
file's rule "only the rnn cell takes an activation" reads ``takes_activation``, and the views name
and colour the gates from ``gates``, ``sigmoid_gates`` and ``candidate``. The gate order is
PyTorch's and is the order of the row blocks cells.py slices (lstm i f g o, gru r z n).
"""
from __future__ import annotations

from dataclasses import dataclass

from .activations import GATED_HIDDEN

__all__ = ["CellKind", "CELL_KINDS", "hidden_nonlinearity"]


@dataclass(frozen=True, slots=True)
class CellKind:
    """One cell. ``gates``: the names of its gate blocks in order, one block of H rows each in W_xh,
    W_hh, b_h and of the trace's ``gates/<l>`` (B, T, G*H) columns; empty for rnn, which has one
    block, its pre-activation. ``sigmoid_gates``: those squashed to 0..1, in the same order;
    ``candidate``: the tanh block (-1..1) or None. ``takes_activation``: the hidden nonlinearity is
    a setting (``model.activation``); gated cells have fixed ones. ``cell_state``: a c_t besides h_t."""

    name: str
    gates: tuple[str, ...]
    sigmoid_gates: tuple[str, ...]
    candidate: str | None
    takes_activation: bool
    cell_state: bool

    @property
    def gated(self) -> bool:
        return bool(self.gates)

    @property
    def blocks(self) -> int:
        """G: the row blocks of W_xh and W_hh (the gates, or the rnn's one pre-activation)."""
        return len(self.gates) or 1

    def block(self, gate: str) -> int:
        """The index of ``gate``'s block: its columns are [i * H, (i + 1) * H) of ``gates/<l>``."""
        return self.gates.index(gate)


CELL_KINDS = {
    "rnn": CellKind("rnn", (), (), None, takes_activation=True, cell_state=False),
    "lstm": CellKind("lstm", ("i", "f", "g", "o"), ("i", "f", "o"), "g", takes_activation=False, cell_state=True),
    "gru": CellKind("gru", ("r", "z", "n"), ("r", "z"), "n", takes_activation=False, cell_state=False),
}


def hidden_nonlinearity(cell: str, activation: str) -> str:
    """The ``activations.OUTPUT_RANGES`` key of h_t's values: the rnn cell's ``activation``, and
    GATED_HIDDEN for lstm and gru (whose h_t ignores the activation setting)."""
    return activation if CELL_KINDS[cell].takes_activation else GATED_HIDDEN
