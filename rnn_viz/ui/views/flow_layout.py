"""Where the flow view's parts go: square matrices as large as the view allows, the chain plot below
them (a tall view) or beside them (a wide, low one: a 1366x768 screen gives the view a strip).

Pure arithmetic on measured sizes (logical pixels), so it is tested without Qt.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Geometry", "Fit", "fit_layout", "MIN_PLOT", "MIN_CHAIN_WIDTH"]

MIN_PLOT = 150.0        # the least height (and width) of a plot area the views promise
MIN_CHAIN_WIDTH = 240.0  # the chain's plot area beside the matrices: a path of 20 steps stays readable
LEGEND_WIDTH = 110.0    # the chain legend's widest entry ("- - actual ratio" at 8 pt) and a margin
SPACING = 6.0           # between items of the view's layouts (set on them)
SWITCH = 1.05           # how much better the other arrangement must score before it is taken (no flapping)
BESIDE_BIAS = 1.2       # a chain below the matrices reads better (wide, one legend line): beside must
                        # give the matrices this much more to be preferred


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


def _sides(g: Geometry) -> tuple[tuple[float, float], tuple[float, float]]:
    """(matrix side, score) of each arrangement, stacked and beside. The chain keeps MIN_PLOT of
    height (below) or MIN_CHAIN_WIDTH (beside) while the matrices still get MIN_PLOT; in a smaller
    view the matrices and the chain share what is left equally. The score is the smaller of the
    matrix side, or the chain's data area when that is below MIN_PLOT: the arrangement with the
    larger matrices wins unless it squeezes the chain."""
    n = max(g.runs, 1)
    rows = g.height - g.text_height - 3 * SPACING
    across = g.width - g.bar_width - (n + 1) * SPACING
    wide = across / n - g.matrix_w_over
    left = rows - SPACING - g.chain_h_over - g.matrix_h_over  # for both data areas, one above the other
    side = min(wide, left - MIN_PLOT if left - MIN_PLOT >= MIN_PLOT else left / 2)
    stacked = (side, _score(side, min(left - side, g.width - g.chain_w_over)))
    high = rows - g.matrix_h_over
    left = across - SPACING - g.chain_w_over - n * g.matrix_w_over  # for n + 1 data areas side by side
    # the chain takes what the matrices leave above MIN_PLOT, up to MIN_CHAIN_WIDTH (continuous in left)
    chain = min(MIN_CHAIN_WIDTH, max(left - n * MIN_PLOT, left / (n + 1)))
    side = min(high, (left - chain) / n)
    # a chain narrower than its legend's widest entry would break names: never beside then
    beside = (side, _score(side, min(chain, rows - g.chain_h_over)) if chain >= LEGEND_WIDTH else 0.0)
    return stacked, beside


def _score(side: float, chain: float) -> float:
    """The matrix side while the chain keeps MIN_PLOT, else the smaller of the two."""
    return side if chain >= MIN_PLOT - 0.5 else min(side, chain)


def fit_layout(g: Geometry) -> Fit:
    """The arrangement that squeezes neither matrices nor chain (the current one unless the other
    scores SWITCH times higher; beside only when BESIDE_BIAS times better), and the sizes that make
    the matrices' data areas square."""
    stacked, beside = _sides(g)
    b = beside[1] / BESIDE_BIAS
    put_beside = b > stacked[1] * SWITCH if not g.beside else b * SWITCH >= stacked[1]
    side = max(beside[0] if put_beside else stacked[0], 40.0)
    n = max(g.runs, 1)
    return Fit(put_beside, side, side + g.matrix_h_over,
               n * (side + g.matrix_w_over) + g.bar_width + (n + 1) * SPACING)
