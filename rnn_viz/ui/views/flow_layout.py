"""Where the flow view's parts go: square matrices as large as the view allows, the chain plot below
them (a tall view) or beside them (a wide, low one: a 1366x768 screen gives the view a strip).

Pure arithmetic on measured sizes (logical pixels), so it is tested without Qt.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Geometry", "Fit", "fit_layout", "MIN_PLOT", "MIN_CHAIN_WIDTH"]

MIN_PLOT = 150.0        # the least height (and width) of a plot area the views promise
MIN_CHAIN_WIDTH = 240.0  # the chain's plot area beside the matrices: a path of 20 steps stays readable
SPACING = 12.0          # between items of the view's layout (pyqtgraph's spacing and margins)
SWITCH = 1.1            # how much larger a matrix must get before the arrangement changes (no flapping)


@dataclass(frozen=True, slots=True)
class Geometry:
    """Measured sizes: the canvas, how many matrices, what each plot adds around its data area
    (axes, title: ``*_over``), the colour bar's width, the text rows' height, and the current
    arrangement."""

    width: float
    height: float
    runs: int
    matrix_w_over: float
    matrix_h_over: float
    bar_width: float
    chain_w_over: float
    chain_h_over: float
    text_height: float
    beside: bool = False


@dataclass(frozen=True, slots=True)
class Fit:
    """``side``: a matrix's data area, square; ``matrix_height``: the matrix row (stacked);
    ``matrix_width``: the matrices' column with the colour bar (beside)."""

    beside: bool
    side: float
    matrix_height: float
    matrix_width: float


def _sides(g: Geometry) -> tuple[float, float]:
    """The matrix side each arrangement allows. The chain keeps MIN_PLOT (below) or MIN_CHAIN_WIDTH
    (beside) while the matrices still get MIN_PLOT; in a smaller view the two share what is left
    equally, so neither collapses."""
    n = max(g.runs, 1)
    rows = g.height - g.text_height - 3 * SPACING
    across = g.width - g.bar_width - (n + 1) * SPACING
    wide = across / n - g.matrix_w_over
    left = rows - SPACING - g.chain_h_over - g.matrix_h_over  # for both data areas, one above the other
    stacked = min(wide, left - MIN_PLOT if left - MIN_PLOT >= MIN_PLOT else left / 2)
    high = rows - g.matrix_h_over
    left = across - SPACING - g.chain_w_over - n * g.matrix_w_over  # for n + 1 data areas side by side
    beside = min(high, (left - MIN_CHAIN_WIDTH) / n if left - MIN_CHAIN_WIDTH >= n * MIN_PLOT else left / (n + 1))
    return stacked, beside


def fit_layout(g: Geometry) -> Fit:
    """The arrangement whose matrices are larger (the current one unless the other's are SWITCH
    times larger),
    and the sizes that make their data areas square."""
    stacked, beside = _sides(g)
    put_beside = beside > stacked * SWITCH if not g.beside else beside * SWITCH >= stacked
    side = max(beside if put_beside else stacked, 40.0)
    n = max(g.runs, 1)
    return Fit(put_beside, side, side + g.matrix_h_over,
               n * (side + g.matrix_w_over) + g.bar_width + (n + 1) * SPACING)
