"""Scratch arrays reused from one update to the next, one set per thread.

A fresh (T, B, H) array per update costs page faults (about 1,500 per update at B = 32, T = 100,
H = 64, measured) once the allocator has handed the previous one back to the system. Arrays that
never leave one evaluate() call (the input projections, the readout's adjoint, the pre-activation
adjoints) come from here instead. Per thread, so the app's worker and its window thread never share
one; keyed by name, so each name holds the latest shape only.

It also remembers which arrays are views of one packed vector (the gradients, the optimizer's
results), so that the optimizer, the gradient norm and the finiteness checks can take the vector
instead of one NumPy call per parameter.
"""
from __future__ import annotations

import operator
import threading

import numpy as np

_local = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised contiguous array of ``shape`` and ``dtype`` that this thread gets back on the
    next call with the same name: the caller must not let it outlive the computation it belongs to.
    A shorter leading axis than the array kept under that name is served by its first rows."""
    shape = tuple(shape)
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    a = pool.get(name)
    if a is None or a.shape[1:] != shape[1:] or a.shape[0] < shape[0] or a.dtype != np.dtype(dtype):
        a = pool[name] = np.empty(shape, dtype)
    return a[: shape[0]]


def pack(name: str, vector: np.ndarray, views: list[np.ndarray]) -> None:
    """Record that ``views`` (the array objects themselves) are the consecutive pieces of the 1-D
    ``vector``, in order, so that code given those arrays can work on the one vector instead
    (packed_vector). Per thread; each name keeps its latest record only."""
    records = getattr(_local, "packed", None)
    if records is None:
        records = _local.packed = {}
    records[name] = (vector, tuple(views))


def packed_vector(arrays: list) -> np.ndarray | None:
    """The vector recorded by pack() whose pieces are exactly ``arrays`` (the same objects, in
    order), or None. Read it, never write it: the arrays are views of it."""
    for vector, views in getattr(_local, "packed", {}).values():
        if len(views) == len(arrays) and all(map(operator.is_, arrays, views)):
            return vector
    return None


def packed_cover(arrays: list) -> list:
    """``arrays`` with every run of pack()ed views that is a whole record, in order, replaced by
    its vector: the same entries in fewer arrays (for a whole-set reduction such as a finiteness
    check)."""
    records = getattr(_local, "packed", None)
    if not records:
        return arrays
    first = {id(views[0]): (vector, views) for vector, views in records.values() if views}
    out, i, n = [], 0, len(arrays)
    while i < n:
        rec = first.get(id(arrays[i]))
        if rec is not None and len(arrays) - i >= len(rec[1]) and all(map(operator.is_, arrays[i:], rec[1])):
            out.append(rec[0])
            i += len(rec[1])
        else:
            out.append(arrays[i])
            i += 1
    return out
