"""The data layer: built-in tasks and a user's own files -> Dataset -> Batch (inputs, targets, mask).

Qt-free and engine-free. Every mistake a user can make raises DataError, whose message names the
file (row, column) or the ``data.<key>`` at fault. Formats and tasks: docs/data-formats.md.
"""
from __future__ import annotations

from pathlib import Path

from .config import DATA_SOURCES, SCHEMAS, resolve_data_section
from .dataset import Batch, Dataset
from .errors import DataError
from .files import FilePreview, inspect_file, load_file, load_text_source
from .missing import MissingColumn
from .reading import resolve_path
from .tasks import BUILDERS

__all__ = [
    "DATA_SOURCES", "SCHEMAS", "Batch", "DataError", "Dataset", "FilePreview", "MissingColumn",
    "inspect_file", "load_dataset", "resolve_data_section",
]


def load_dataset(section: dict, base_dir: Path | str | None = None, seed: int = 0) -> Dataset:
    """A ``[data]`` table (resolved or not) -> Dataset; deterministic for a given (section, seed).

    A relative ``data.path`` is taken from ``base_dir`` (the experiment file's folder). ``seed``
    fixes the validation batch of the synthetic tasks; training batches come from the generator
    passed to ``Dataset.sample``.
    """
    d = resolve_data_section(section)
    base = Path(base_dir) if base_dir is not None else None
    try:
        if d["source"] in BUILDERS:
            return BUILDERS[d["source"]](d, int(seed or 0))
        if d["source"] == "text":
            return load_text_source(d, base)
        return load_file(resolve_path(d["path"], base), d)
    except MemoryError:
        raise DataError(f"data.path: {d.get('path')}: too large to load into memory") from None
