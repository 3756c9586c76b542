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

import threading
import weakref

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
