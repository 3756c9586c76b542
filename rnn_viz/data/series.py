"""A user's numbers -> Dataset: column choice, missing values, chronological split, z-scores, windows.

A long series (a table, or a 1-D/2-D array) is one sequence split in time: the first part trains,
the last ``val_fraction`` validates. Ready-made sequences (a 3-D array, or an .npz with inputs and
targets) are split by sequence, the last ones validating. Training batches are windows of
``seq_len`` steps drawn from the training part; validation is a fixed set of non-overlapping windows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import missing as mv
from .dataset import Batch, Dataset, frozen_batch
from .errors import DataError

MAX_VAL_WINDOWS = 256


@dataclass(frozen=True, eq=False)
class Numbers:
    """What a file loader hands over. ``values``: (n, C) for a long series or (N, T, C) for
    sequences, NaN where missing. ``usable[j]``: column j holds numbers (the default inputs).
    ``positions`` (n,) names rows in messages (file rows, or steps from 0). ``targets`` (N, T, O) or
    (N, T) and ``mask`` (N, T) when the file gives them explicitly."""

    name: str
    values: np.ndarray
    columns: tuple[str, ...]
    usable: tuple[bool, ...]
    labels: tuple[str, ...]
    positions: np.ndarray
    unit: str = "rows"
    why_unusable: dict = field(default_factory=dict)  # column -> reason it holds no numbers
    targets: np.ndarray | None = None
    mask: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    time: np.ndarray | None = None  # (n,) Unix seconds of a long series' time column, if it has one
    time_name: str | None = None  # that column's name

    @property
    def is_sequences(self) -> bool:
        return self.values.ndim == 3


def pick_columns(src: Numbers, chosen: list, key: str, default: list[int]) -> list[int]:
    """``data.inputs``/``data.targets`` (names or indices from 0) -> column indices; [] -> default."""
    if not chosen:
        return list(default)
    out = []
    listing = ", ".join(src.columns[:12]) + (", ..." if len(src.columns) > 12 else "")
    for item in chosen:
        if isinstance(item, int):
            if item >= len(src.columns):
                raise DataError(f"data.{key}: column index {item} is out of range; {src.name} has columns "
                                f"0 to {len(src.columns) - 1} ({listing})")
            j = item
        elif item in src.columns:
            j = src.columns.index(item)
        else:
            raise DataError(f'data.{key}: {src.name} has no column named "{item}"; its columns: {listing}')
        if not src.usable[j]:
            why = src.why_unusable.get(j, "it does not hold numbers")
            raise DataError(f"data.{key}: {src.name}, {src.labels[j]} cannot be used: {why}")
        out.append(j)
    return out


def _names(src: Numbers, cols: list[int]) -> str:
    return ", ".join(src.columns[j] for j in cols)


def _windows(mask: np.ndarray, L: int, h: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts of windows with at least one loss step. mask: (N, T). Returns (seq (W,), start (W,))."""
    N, T = mask.shape
    starts = np.arange(0, T - L - h + 1, stride)
    if starts.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    csum = np.concatenate([np.zeros((N, 1), np.int64), np.cumsum(mask, axis=1)], axis=1)
    has_loss = csum[:, starts + h + L] - csum[:, starts + h] > 0
    seq, k = np.nonzero(has_loss)
    return seq.astype(np.int64), starts[k].astype(np.int64)


def _gather(X, Y, M, seq, start, L, h, offset: tuple[int, int] = (0, 0), sequences: bool = False) -> Batch:
    """Windows (seq[b], start[b]) -> Batch with inputs (B, L, I), targets (B, L, O) or (B, L), mask (B, L).

    ``offset`` (sequences, steps) places the part X was cut from in the loaded data, for the batch's
    ``row_start`` (and ``sequence`` when ``sequences``)."""
    steps = start[:, None] + np.arange(L)[None, :]
    s = seq[:, None]
    return Batch(X[s, steps], Y[s, steps + h], M[s, steps + h], start + offset[1],
                 seq + offset[0] if sequences else None)


def _zscore(train: np.ndarray, labels: list[str], name: str, part: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and std (ddof 0) of ``train`` (..., C); DataError for a constant column."""
    flat = train.reshape(-1, train.shape[-1])
    mean, std = flat.mean(axis=0), flat.std(axis=0)
    for j in range(flat.shape[1]):
        col = flat[:, j]
        if col.size and (col.max() == col.min() or std[j] == 0):
            how = f"constant ({col[0]:g} everywhere" if col.max() == col.min() else "as good as constant (its spread underflows"
            raise DataError(f"{name}: {labels[j]} is {how} in the {part}), so it cannot be z-scored and tells the "
                            "model nothing; leave it out of data.inputs/data.targets or set data.normalize = false")
    return mean, std


def build(src: Numbers, d: dict) -> Dataset:
    """Numbers + resolved ``[data]`` table -> Dataset. Raises DataError for every user mistake."""
    # Overflow in the statistics of extreme values is caught below and reported in words.
    with np.errstate(all="ignore"):
        return _build(src, d)


def _build(src: Numbers, d: dict) -> Dataset:
    name, L, h, stride, vf = src.name, d["seq_len"], d["horizon"], d["stride"], d["val_fraction"]
    explicit = src.targets is not None
    usable = [j for j, ok in enumerate(src.usable) if ok]
    if not usable:
        raise DataError(f"{name}: no column holds numbers; " + _why(src))
    if explicit and (d["inputs"] or d["targets"]):
        raise DataError(f"data.inputs/data.targets choose columns, but {name} gives inputs and targets explicitly; "
                        "leave them out")
    if explicit:
        h = 0  # explicit targets are aligned with their inputs already
    inputs = pick_columns(src, d["inputs"], "inputs", usable)
    targets = pick_columns(src, d["targets"], "targets", inputs) if not explicit else []
    used = sorted(set(inputs) | set(targets))
    labels = [src.labels[j] for j in used]
    values = src.values[..., used]
    if src.is_sequences:
        report = []
        nan = np.isnan(values)
        for k, label in enumerate(labels):
            seqs = np.flatnonzero(nan[..., k].any(axis=1))
            if seqs.size:
                report.append(mv.MissingColumn(label, int(nan[..., k].sum()), mv.spans(seqs, "sequences")))
        values, kept = mv.fill_sequences(values, d["missing"], labels, name)
    else:
        report = mv.report(values, labels, src.positions, src.unit)
        values, kept = mv.fill(values, d["missing"], labels, name)
    filled = sum(c.count for c in report)
    missing_line = mv.describe(report, d["missing"])
    pos = {j: k for k, j in enumerate(used)}
    X = values[..., [pos[j] for j in inputs]]
    if explicit:
        Y, M = src.targets[kept], src.mask[kept]
    else:
        Y = values[..., [pos[j] for j in targets]]
        M = np.ones(Y.shape[:-1], dtype=bool)
    if not src.is_sequences:
        X, Y, M = X[None], Y[None], M[None]
    classes = Y.ndim == 2
    N, T = X.shape[:2]
    need = L + h
    what = "the series has" if not src.is_sequences else "each sequence has"
    if T < need:
        extra = f" + data.horizon {h}" if h != 1 else " + 1"
        raise DataError(f"{name}: {what} {_count(T, 'time step')}, but a window needs data.seq_len{extra} = {need}; "
                        f"lower data.seq_len to at most {max(T - h, 0)}" + (" or use a longer file" if T - h < 1 else ""))
    # Chronological split: the last val_fraction of the steps (or of the sequences) validates.
    if src.is_sequences:
        n_val = min(int(round(N * vf)), N - 1)
        tr, va = (slice(0, N - n_val), slice(None)), (slice(N - n_val, N), slice(None))
        n_train = N - n_val
    else:
        n_val = int(round(T * vf))
        n_train = T - n_val
        if n_train < need:
            raise DataError(f"{name}: the training part ({n_train} of {T} steps, data.val_fraction = {vf:g}) is "
                            f"shorter than one window of {need} steps; lower data.val_fraction or data.seq_len")
        tr, va = (slice(None), slice(0, n_train)), (slice(None), slice(n_train, T))
    norm = {}
    in_labels = [src.labels[j] for j in inputs]
    if d["normalize"]:
        part = "training part" if src.is_sequences or n_val else "file"
        mean, std = _zscore(X[tr], in_labels, name, part)
        X = (X - mean) / std
        norm["input_mean"], norm["input_std"] = mean, std
        if not classes:
            t_labels = [src.labels[j] for j in targets] if not explicit else [f"target {k}" for k in range(Y.shape[-1])]
            tmean, tstd = _zscore(Y[tr][M[tr]], t_labels, name, part)
            Y = (Y - tmean) / tstd
            norm["target_mean"], norm["target_std"] = tmean, tstd
    Xtr, Ytr, Mtr = X[tr], Y[tr], M[tr]
    seq, start = _windows(Mtr, L, h, stride)
    if seq.size == 0:
        raise DataError(f"{name}: no training window of {L} steps holds a loss step (the mask is False there)")
    if classes:
        n_classes = int(Y.max()) + 1
        counts = np.bincount(Ytr[Mtr].ravel(), minlength=n_classes)  # classes come with explicit targets: h = 0
        p = counts[counts > 0] / counts.sum()
        chance, chance_acc, loss, out_size = float(-(p * np.log(p)).sum()), float(p.max()), "cross_entropy", n_classes
    else:
        chance = float(np.mean(np.var(Ytr[:, h:][Mtr[:, h:]], axis=0)))
        chance_acc, loss, out_size = None, "mse", Y.shape[-1]
    stats = [chance, *(v for a in norm.values() for v in np.ravel(a))]
    if not (np.isfinite(X).all() and (classes or np.isfinite(Y).all()) and np.isfinite(stats).all()):
        raise DataError(f"{name}: values are too extreme to compute with (squares and sums overflow to infinity); "
                        "rescale the data")
    val_offset = (N - n_val, 0) if src.is_sequences else (0, n_train)
    validation, val_note = _validation(X[va], Y[va], M[va], L, h, n_val, src.is_sequences, val_offset)

    def draw(rng: np.random.Generator, B: int) -> Batch:
        k = rng.integers(0, seq.size, size=B)
        return _gather(Xtr, Ytr, Mtr, seq[k], start[k], L, h, sequences=src.is_sequences)

    in_names = tuple(src.columns[j] for j in inputs)
    out_names = tuple(src.columns[j] for j in targets) if not explicit else tuple(f"target {k}" for k in range(out_size))
    lines = [_shape_line(src, N, T, kept)]
    if explicit:
        lines.append(f"inputs: {len(inputs)} feature(s) ({_names(src, inputs)}) -> explicit targets ({loss}"
                     + (f", {out_size} classes" if classes else "") + ")")
    else:
        ahead = {0: "at the same step", 1: "1 step ahead"}.get(h, f"{h} steps ahead")
        lines.append(f"inputs: {_names(src, inputs)} -> targets: {_names(src, targets)} {ahead} ({loss})")
    lines.append(missing_line)
    lines.append("normalised: z-scores with the training part's mean and standard deviation" if d["normalize"]
                 else "not normalised (data.normalize = false)")
    unit = "sequences" if src.is_sequences else "steps"
    lines.append(f"split: training {n_train} {unit} ({_count(seq.size, 'window')} of {L}, stride {stride}); {val_note}")
    chance_words = (f"chance (class frequencies): loss {chance:.4f}, accuracy {chance_acc:.1%}" if classes
                    else f"chance (predict the training mean): mse {chance:.4f}")
    lines.append(chance_words)
    lines.extend(src.notes)
    time, time_name = _time_axis(src, kept, T)
    details = dict(norm, input_columns=in_names, target_columns=out_names, train_size=n_train, val_size=n_val,
                   filled=filled if d["missing"] != "drop" else 0, dropped=(filled and d["missing"] == "drop"),
                   missing=tuple(report), windows=int(seq.size), horizon=h, time=time, time_name=time_name,
                   validation_note=val_note,
                   series=X)  # (N, T, I): the inputs the windows are cut from, filled and normalised (N = 1: one series)
    return Dataset(
        name=name, loss=loss, allowed_losses=(loss,), input_size=X.shape[-1], output_size=out_size, seq_len=L,
        chance_loss=chance, chance_accuracy=chance_acc, summary="\n".join(lines), vocab=None,
        validation=validation, input_names=in_names, output_names=out_names, details=details, _draw=draw,
    )


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _why(src: Numbers) -> str:
    if not src.why_unusable:
        return "nothing to learn from"
    j, why = next(iter(src.why_unusable.items()))
    return f"e.g. {src.labels[j]}: {why}"


def _shape_line(src: Numbers, N: int, T: int, kept: np.ndarray) -> str:
    if src.is_sequences:
        dropped = src.values.shape[0] - N
        return f"{src.name}: {N} sequences of {T} steps" + (f" ({dropped} dropped for missing values)" if dropped else "")
    dropped = src.values.shape[0] - T
    return f"{src.name}: {T} time steps" + (f" ({dropped} rows dropped for missing values)" if dropped else "")


def _time_axis(src: Numbers, kept: np.ndarray, T: int) -> tuple[np.ndarray, str]:
    """The time of every step of the loaded data: (T,) float64 Unix seconds from a date column, else
    the file's row numbers (a table) or the step index (arrays, and each ready-made sequence)."""
    if src.is_sequences:
        return np.arange(T, dtype=np.float64), "step"
    if src.time is not None:
        return np.asarray(src.time, dtype=np.float64)[kept], src.time_name or "time"
    return np.asarray(src.positions, dtype=np.float64)[kept], "row" if src.unit == "rows" else "step"


def _validation(X, Y, M, L, h, n_val, sequences, offset=(0, 0)) -> tuple[Batch | None, str]:
    """Non-overlapping windows of the held-out part (at most MAX_VAL_WINDOWS, evenly spread)."""
    if n_val == 0:
        return None, "no validation (data.val_fraction = 0)"
    seq, start = _windows(M, L, h, L)
    if seq.size == 0:
        if sequences:
            return None, f"validation: none ({n_val} held-out sequences, but none has a loss step)"
        return None, (f"validation: none (the held-out {n_val} steps are fewer than the {L + h} a window needs; "
                      "raise data.val_fraction or lower data.seq_len)")
    if seq.size > MAX_VAL_WINDOWS:
        pick = np.linspace(0, seq.size - 1, MAX_VAL_WINDOWS).round().astype(int)
        seq, start = seq[pick], start[pick]
    b = _gather(X, Y, M, seq, start, L, h, offset, sequences)
    unit = "sequences" if sequences else "steps"
    return (frozen_batch(b.inputs, b.targets, b.mask, b.row_start, b.sequence),
            f"validation {n_val} {unit} ({_count(seq.size, 'window')})")
