"""Scratch arrays reused from one update to the next, one set per thread.

A fresh (T, B, H) array per update costs page faults (about 1,500 per update at B = 32, T = 100,
H = 64, measured) once the allocator has handed the previous one back to the system. Arrays that
never leave one evaluate() call (the input projections, the readout's adjoint, the pre-activation
adjoints) come from here instead. Per thread, so the app's worker and its window thread never share
one; keyed by name, so each name holds the latest shape only.
"""
from __future__ import annotations

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
