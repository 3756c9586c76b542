"""Character-level text: next-character prediction with one-hot inputs and a vocabulary from the file."""
from __future__ import annotations

import unicodedata

import numpy as np

from ..package_data import resource_path
from .dataset import Batch, Dataset, frozen_batch
from .errors import DataError

# Shipped in the wheel (resources/text), found through importlib.resources wherever rnn-viz is installed.
DEFAULT_TEXT = resource_path("text", "lighthouse.txt")
# One-hot inputs grow with the vocabulary; past this the rarest characters share one symbol.
MAX_VOCAB = 256
UNKNOWN = "\ufffd"
MAX_VAL_WINDOWS = 64


def char_name(ch: str) -> str:
    """A printable name for a vocabulary entry (newline and space are invisible otherwise)."""
    return {"\n": "\\n", "\t": "\\t", " ": "space"}.get(ch, ch if ch.isprintable() else f"U+{ord(ch):04X}")


def build_text(text: str, name: str, d: dict) -> Dataset:
    """Text -> Dataset. inputs (B, T, V) one-hot of characters t; targets (B, T) int64, the
    character t + 1; mask all True. The last ``val_fraction`` of the text validates."""
    L, vf = d["seq_len"], d["val_fraction"]
    text = unicodedata.normalize("NFC", text)
    if not text:
        raise DataError(f"{name}: the file is empty (no text)")
    if len(text) < L + 1:
        raise DataError(f"{name}: the text has {len(text)} characters, but a window needs data.seq_len + 1 = "
                        f"{L + 1}; lower data.seq_len to at most {len(text) - 1}")
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    uniq, inverse, counts = np.unique(points, return_inverse=True, return_counts=True)
    note = ""
    if uniq.size > MAX_VOCAB:
        keep = np.sort(np.argsort(-counts, kind="stable")[: MAX_VOCAB - 1])
        remap = np.full(uniq.size, MAX_VOCAB - 1)
        remap[keep] = np.arange(keep.size)
        rare = int(counts.sum() - counts[keep].sum())
        note = (f"\n{uniq.size} distinct characters: the {MAX_VOCAB - 1} most frequent are kept, the other "
                f"{uniq.size - keep.size} ({rare} occurrences) share the symbol {UNKNOWN}")
        vocab = tuple(chr(int(c)) for c in uniq[keep]) + (UNKNOWN,)
        codes = remap[inverse.ravel()]
    else:
        vocab = tuple(chr(int(c)) for c in uniq)
        codes = inverse.ravel()
    codes = codes.astype(np.int64)
    V, n = len(vocab), codes.size
    n_val = int(round(n * vf))
    n_train = n - n_val
    if n_train < L + 1:
        raise DataError(f"{name}: the training part ({n_train} of {n} characters, data.val_fraction = {vf:g}) is "
                        f"shorter than one window of {L + 1}; lower data.val_fraction or data.seq_len")
    train, held = codes[:n_train], codes[n_train:]
    eye = np.eye(V)

    def windows(source: np.ndarray, starts: np.ndarray) -> Batch:
        steps = starts[:, None] + np.arange(L + 1)[None, :]
        w = source[steps]
        return Batch(eye[w[:, :-1]], w[:, 1:].copy(), np.ones((starts.size, L), dtype=bool))

    def draw(rng: np.random.Generator, B: int) -> Batch:
        return windows(train, rng.integers(0, n_train - L, size=B))

    validation, val_line = None, "no validation (data.val_fraction = 0)"
    if n_val:
        starts = np.arange(0, held.size - L, L)
        if starts.size == 0:
            val_line = f"validation: none (the held-out {held.size} characters are fewer than {L + 1})"
        else:
            if starts.size > MAX_VAL_WINDOWS:
                starts = starts[np.linspace(0, starts.size - 1, MAX_VAL_WINDOWS).round().astype(int)]
            b = windows(held, starts)
            validation = frozen_batch(b.inputs, b.targets, b.mask)
            val_line = f"validation: last {n_val} characters ({starts.size} windows)"
    freq = np.bincount(train[1:], minlength=V)
    p = freq[freq > 0] / freq.sum()
    chance, chance_acc = float(-(p * np.log(p)).sum()), float(p.max())
    common = vocab[int(np.argmax(freq))]
    summary = (
        f"text: {name}, {n} characters, vocabulary of {V}{note}\n"
        f"next-character prediction, T = {L}, cross-entropy on every step\n"
        f"training: first {n_train} characters; {val_line}\n"
        f"chance (character frequencies): loss {chance:.4f}, accuracy {chance_acc:.1%} "
        f"(always '{char_name(common)}'); uniform guess: loss {np.log(V):.4f}"
    )
    return Dataset(
        name=name, loss="cross_entropy", allowed_losses=("cross_entropy",), input_size=V, output_size=V,
        seq_len=L, chance_loss=chance, chance_accuracy=chance_acc, summary=summary, vocab=vocab,
        validation=validation, input_names=tuple(char_name(c) for c in vocab),
        output_names=tuple(char_name(c) for c in vocab),
        details={"characters": n, "train_size": n_train, "val_size": n_val}, _draw=draw,
    )
