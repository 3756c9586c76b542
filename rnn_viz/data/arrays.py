""".npy and .npz data files, read through the one archive reader (rnn_viz/data/archive.py): never
unpickled, every header checked before its data is read. This module holds only the data files'
own rules: which members count, and that they hold numbers."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from . import archive
from .archive import Entry
from .errors import DataError
from .reading import check_fits, display_name

NPZ_KEYS = ("inputs", "targets", "mask")
_NUMBERS = Entry(kinds="biuf")  # bool, signed and unsigned integers, floats


def _fits(name: str, header: archive.Header) -> None:
    # The data layer converts to float64: count that copy too.
    count = math.prod(header.shape)
    check_fits(name, header.nbytes + count * 8, f"an array of shape {header.shape}")


def read_npy(path: Path) -> np.ndarray:
    """The array of a .npy file (never unpickled). DataError for anything but a numeric array."""
    name = display_name(path)
    try:
        return archive.read_npy(path, _NUMBERS, name, check=lambda header: _fits(name, header))
    except MemoryError:
        raise DataError(f"{name}: too large to load into memory") from None


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an .npz that matter: ``inputs`` (and ``targets``, ``mask``) if present, else
    its only array (under the key "series"). DataError for anything else."""
    name = display_name(path)
    try:
        with archive.open_archive(path, "data file", name) as ar:
            members = ar.names
            if not members:
                raise DataError(f"{name}: holds no arrays (an .npz is a zip of .npy files, as numpy.savez writes)")
            if "inputs" in members:
                wanted = {k: k for k in NPZ_KEYS if k in members}
            elif len(members) == 1:
                wanted = {members[0]: "series"}
            else:
                listed = ", ".join(sorted(members)[:10])
                raise DataError(f"{name}: holds several arrays ({listed}); expected a single array, or one "
                                "named inputs (with targets and mask optional)")
            headers = {key: ar.header(key, _NUMBERS.kinds) for key in wanted}
            for key, header in headers.items():
                _fits(f"{name}[{key}]", header)
            check_fits(name, sum(h.nbytes * 2 for h in headers.values()), "its arrays")
            return {as_key: ar.array(key, _NUMBERS) for key, as_key in wanted.items()}
    except MemoryError:
        raise DataError(f"{name}: too large to load into memory") from None
