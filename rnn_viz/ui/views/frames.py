"""What a view draws, as a value: the pure half of a view, and the test of "did it change".

A view is split in two. ``resolve(state, ...) -> frame`` is a pure function of the ViewState (and
the view's own choices, such as a selected run or fraction) that returns a frozen dataclass of
read-only arrays, numbers and strings: every number and word the view will show. ``apply(frame)``
only hands that to the plot items (setData, setImage, setText, setValue). The view applies a frame
only when it differs from the last one applied (``same``), so a redraw tick that changes nothing
costs one resolve and no Qt work. No Qt here: frames are built and compared in plain tests.
"""
from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["frozen", "same"]

SAMPLED = 4096  # arrays larger than this are first compared on a sample of their values


def frozen(values, dtype=np.float64) -> np.ndarray:
    """A read-only array of ``values`` (copied only when the dtype or layout asks for it)."""
    out = np.array(values, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def same(a, b) -> bool:
    """Whether two frames draw the same thing: dataclasses field by field, sequences and dicts item
    by item, arrays by shape, dtype and values (NaN equal to NaN), everything else by ``==``."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        nan = a.dtype.kind in "fc"
        # A new trace's panels differ nearly everywhere: a sample of every 61st value says so
        # in a few µs, where the whole comparison of a (128, 200) panel took ~0.1 ms. In memory
        # order (ravel "K": a view of a transposed copy, no copy), the same for both when their
        # strides agree.
        if (a.size > SAMPLED and a.strides == b.strides
                and not np.array_equal(a.ravel("K")[::61], b.ravel("K")[::61], equal_nan=nan)):
            return False
        return bool(np.array_equal(a, b, equal_nan=nan))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        if type(a) is not type(b):
            return False
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # NaN readouts
    return type(a) is type(b) and a == b
