"""Where the flow view's parts go: square matrices as large as the view allows, the chain plot below
them (a tall view) or beside them (a wide, low one: a 1366x768 screen gives the view a strip), and
the least canvas at which every plot keeps MIN_PLOT px both ways (smaller views scroll).

Pure arithmetic on measured sizes (logical pixels), so it is tested without Qt.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Geometry", "Fit", "fit_layout", "minimum_canvas", "MIN_PLOT", "MIN_CHAIN_WIDTH"]

MIN_PLOT = 150.0        # the least height (and width) of a plot area the views promise
MIN_CHAIN_WIDTH = 240.0  # the chain's plot area beside the matrices: a path of 20 steps stays readable
LEGEND_WIDTH = 110.0    # the chain legend's widest entry ("- - actual ratio" at 8 pt) and a margin
SPACING = 6.0           # between items of the view's layouts (set on them)
MARGIN = 2.0            # px a fit keeps above MIN_PLOT: the measured overheads are rounded by the layout
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
    ``matrix_width``: the matrices' column with the colour bar (beside); ``chain``: the chain's
    data area (width, height) that leaves."""

    beside: bool
    side: float
    matrix_height: float
    matrix_width: float
    chain: tuple[float, float] = (0.0, 0.0)

    @property
    def legible(self) -> bool:
        """Whether every plot area gets MIN_PLOT px both ways (and a little to spare)."""
        return min(self.side, *self.chain) >= MIN_PLOT + MARGIN


@dataclass(frozen=True, slots=True)
class _Option:
    side: float
    score: float
    chain: tuple[float, float]


def _sides(g: Geometry) -> tuple[_Option, _Option]:
    """The matrix side, score and chain data area of each arrangement, stacked and beside. The chain
    keeps MIN_PLOT (and MARGIN) of height (below) or MIN_CHAIN_WIDTH (beside) while the matrices
    still get MIN_PLOT (and MARGIN); in a smaller view the matrices and the chain share what is left equally. The score is
    the smaller of the matrix side, or the chain's data area when that is below MIN_PLOT: the
    arrangement with the larger matrices wins unless it squeezes the chain."""
    n = max(g.runs, 1)
    rows = g.height - g.text_height - 3 * SPACING
    across = g.width - g.bar_width - (n + 1) * SPACING
    wide = across / n - g.matrix_w_over
    left = rows - SPACING - g.chain_h_over - g.matrix_h_over  # for both data areas, one above the other
    least = MIN_PLOT + MARGIN
    side = min(wide, left - least if left - least >= least else left / 2)
    chain = (g.width - g.chain_w_over, left - side)
    stacked = _Option(side, _score(side, min(chain)), chain)
    high = rows - g.matrix_h_over
    left = across - SPACING - g.chain_w_over - n * g.matrix_w_over  # for n + 1 data areas side by side
    # the chain takes what the matrices leave above their least, up to MIN_CHAIN_WIDTH (continuous in left)
    width = min(MIN_CHAIN_WIDTH, max(left - n * least, left / (n + 1)))
    side = min(high, (left - width) / n)
    chain = (left - n * side, rows - g.chain_h_over)  # the chain's column takes what the matrices leave
    # a chain narrower than its legend's widest entry would break names: never beside then
    beside = _Option(side, _score(side, min(width, chain[1])) if width >= LEGEND_WIDTH else 0.0, chain)
    return stacked, beside


def _score(side: float, chain: float) -> float:
    """The matrix side while the chain keeps MIN_PLOT, else the smaller of the two."""
    return side if chain >= MIN_PLOT - 0.5 else min(side, chain)


def fit_layout(g: Geometry) -> Fit:
    """The arrangement that squeezes neither matrices nor chain (the current one unless the other
    scores SWITCH times higher; beside only when BESIDE_BIAS times better; always the one that
    gives every plot MIN_PLOT when only one does), and the sizes that make the matrices' data
    areas square."""
    stacked, beside = _sides(g)
    b = beside.score / BESIDE_BIAS
    put_beside = b > stacked.score * SWITCH if not g.beside else b * SWITCH >= stacked.score
    ok = [_legible(o.side, o.chain) and (o is stacked or o.score > 0) for o in (stacked, beside)]
    if ok[0] != ok[1]:
        put_beside = ok[1]
    chosen = beside if put_beside else stacked
    side = max(chosen.side, 40.0)
    n = max(g.runs, 1)
    return Fit(put_beside, side, side + g.matrix_h_over,
               n * (side + g.matrix_w_over) + g.bar_width + (n + 1) * SPACING, chosen.chain)


def _legible(side: float, chain: tuple[float, float]) -> bool:
    return min(side, *chain) >= MIN_PLOT + MARGIN


def minimum_canvas(g: Geometry) -> tuple[float, float]:
    """The least (width, height) of the area ``g`` measures at which fit_layout gives every plot
    MIN_PLOT px (with MARGIN): ``g``'s own size when it already does, else grown in the direction
    that needs the smaller extra area, height first (a view scrolls down more naturally than across).
    The overheads are those measured at ``g``'s width, so a taller area keeps them."""
    if fit_layout(g).legible:
        return g.width, g.height
    n, least = max(g.runs, 1), MIN_PLOT + MARGIN + 1.0
    texts = g.text_height + 4 * SPACING
    stacked = (max(n * (least + g.matrix_w_over) + g.bar_width + (n + 1) * SPACING, least + g.chain_w_over),
               texts + g.matrix_h_over + g.chain_h_over + 2 * least + SPACING)
    beside = (n * (least + g.matrix_w_over) + g.bar_width + (n + 2) * SPACING + g.chain_w_over + MIN_CHAIN_WIDTH,
              texts + max(g.matrix_h_over, g.chain_h_over) + least)
    options = []
    for w, h in (stacked, beside):
        w, h = max(w, g.width), max(h, g.height)
        options.append((w > g.width, w * h, (w, h)))
    return min(options)[2]
