"""Scratch arrays reused from one update to the next, one set per thread.

A fresh (T, B, H) array per update costs page faults (about 1,500 per update at B = 32, T = 100,
H = 64, measured) once the allocator has handed the previous one back to the system. Arrays that
never leave one evaluate() call (the input projections, the readout's adjoint, the pre-activation
adjoints) come from here instead. Per thread, so the app's worker and its window thread never share
one; keyed by name, and each name keeps the arrays of its two most recently used trailing shapes, so
that a training batch and a validation set taking turns (B = 32 and 256, say) each keep theirs
instead of mapping a fresh one at every turn.

It also remembers which arrays are views of one packed vector (the gradients, the optimizer's
results), so that the optimizer, the gradient norm and the finiteness checks can take the vector
instead of one NumPy call per parameter.
"""
from __future__ import annotations

import threading
import weakref

import numpy as np

_local = threading.local()


# shapes kept per name: the training batch's and the validation set's
_SHAPES_PER_NAME = 2


def scratch(name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised contiguous array of ``shape`` and ``dtype`` that this thread gets back on the
    next call with the same name and trailing shape: the caller must not let it outlive the
    computation it belongs to. A shorter leading axis than the array kept is served by its first
    rows."""
    shape = tuple(shape)
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    kept = pool.setdefault(name, [])
    dtype = np.dtype(dtype)
    for i, a in enumerate(kept):
        if a.shape[1:] == shape[1:] and a.dtype == dtype:
            if a.shape[0] < shape[0]:
                a = np.empty(shape, dtype)
            del kept[i]
            break
    else:
        a = np.empty(shape, dtype)
    kept.insert(0, a)
    del kept[_SHAPES_PER_NAME:]
    return a[: shape[0]]


def detach() -> dict | None:
    """This thread's scratch arrays, taken from it (None if it has none), for the next thread that
    does the same work (attach): a new thread otherwise maps every array afresh, which at T = 200,
    H = 128, 2 layers made the first validation row after each Start of the app 0.3 s slower."""
    pool = getattr(_local, "pool", None)
    _local.pool = None
    return pool


def attach(pool: dict | None) -> None:
    """Give this thread the arrays detach() took from another, unless it has arrays of its own. The
    caller makes sure no other thread still uses them."""
    if pool is not None and getattr(_local, "pool", None) is None:
        _local.pool = pool


# Records pack() keeps per thread (weak references: a record holds no memory), oldest dropped first.
_MAX_PACKED = 64


def pack(vector: np.ndarray, views: list[np.ndarray]) -> None:
    """Record that ``views`` (the array objects themselves) are the consecutive pieces of the 1-D
    ``vector``, in order, so that code given those arrays can work on the one vector instead
    (packed_vector). Per thread, by weak reference: the record lasts while the arrays do."""
    records = getattr(_local, "packed", None)
    if records is None:
        records = _local.packed = {}
    if not views:
        return
    records[id(views[0])] = (weakref.ref(vector), tuple(map(weakref.ref, views)))
    while len(records) > _MAX_PACKED:
        del records[next(iter(records))]


def _record(arrays: list, i: int):
    """(vector, n) if arrays[i:i + n] are exactly the views of a live pack() record, else None."""
    rec = getattr(_local, "packed", {}).get(id(arrays[i]))
    if rec is None or len(arrays) - i < len(rec[1]):
        return None
    vector = rec[0]()
    if vector is None:
        return None
    for a, ref in zip(arrays[i:], rec[1]):
        if a is not ref():
            return None
    return vector, len(rec[1])


def packed_vector(arrays: list) -> np.ndarray | None:
    """The vector recorded by pack() whose pieces are exactly ``arrays`` (the same objects, in
    order), or None. Read it, never write it: the arrays are views of it."""
    found = _record(arrays, 0) if arrays else None
    return found[0] if found is not None and found[1] == len(arrays) else None


def packed_cover(arrays: list) -> list:
    """``arrays`` with every run of pack()ed views that is a whole record, in order, replaced by
    its vector: the same entries in fewer arrays (for a whole-set reduction such as a finiteness
    check)."""
    out, i = [], 0
    while i < len(arrays):
        found = _record(arrays, i)
        if found is None:
            out.append(arrays[i])
            i += 1
        else:
            out.append(found[0])
            i += found[1]
    return out
