"""Character-level text: the built-in text, a user's .txt, vocabulary, one-hot inputs, chance."""
import math
from collections import Counter

import numpy as np
import pytest

from rnn_viz.data import load_dataset
from rnn_viz.data.textdata import DEFAULT_TEXT, MAX_VOCAB, UNKNOWN


def test_builtin_text_is_shipped_and_loads_by_default():
    assert DEFAULT_TEXT.is_file() and DEFAULT_TEXT.parent.name == "text"
    ds = load_dataset({"source": "text"}, None, 0)
    text = DEFAULT_TEXT.read_text(encoding="utf-8")
    assert ds.vocab == tuple(sorted(set(text)))
    assert ds.loss == "cross_entropy" and ds.input_size == ds.output_size == len(ds.vocab)
    assert ds.validation is not None and ds.seq_len == 50


def test_inputs_are_one_hot_and_targets_the_next_character(tmp_path):
    (tmp_path / "t.txt").write_text("abcabcabcabcabcabcabcabc", encoding="utf-8")
    ds = load_dataset({"source": "text", "path": "t.txt", "seq_len": 6, "val_fraction": 0}, tmp_path, 0)
    assert ds.vocab == ("a", "b", "c")
    b = ds.sample(np.random.default_rng(0), 5)
    assert b.inputs.shape == (5, 6, 3) and (b.inputs.sum(-1) == 1).all() and b.mask.all()
    current = b.inputs.argmax(-1)
    np.testing.assert_array_equal(b.targets, (current + 1) % 3)
    assert ds.chance_loss == pytest.approx(math.log(3), abs=0.01) and ds.chance_accuracy == pytest.approx(1 / 3, abs=0.02)


def test_a_txt_file_as_data_source_file_is_the_same_task(tmp_path):
    (tmp_path / "t.txt").write_text("hello world\n" * 20, encoding="utf-8")
    a = load_dataset({"source": "text", "path": "t.txt"}, tmp_path, 0)
    b = load_dataset({"source": "file", "path": "t.txt", "val_fraction": 0.1}, tmp_path, 0)
    assert a.vocab == b.vocab and a.summary == b.summary


def test_chance_is_the_unigram_entropy_of_the_training_text(tmp_path):
    text = "aaaaaaab" * 30
    (tmp_path / "u.txt").write_text(text, encoding="utf-8")
    ds = load_dataset({"source": "text", "path": "u.txt", "seq_len": 8, "val_fraction": 0}, tmp_path, 0)
    counts = Counter(text[1:])
    p = np.array(list(counts.values())) / sum(counts.values())
    assert ds.chance_loss == pytest.approx(float(-(p * np.log(p)).sum()))
    assert ds.chance_accuracy == pytest.approx(max(p))
    assert "always 'a'" in ds.summary


def test_a_huge_vocabulary_keeps_the_most_frequent_characters(tmp_path):
    rare = "".join(chr(0x4E00 + i) for i in range(400))
    (tmp_path / "k.txt").write_text("ab " * 500 + rare, encoding="utf-8")
    ds = load_dataset({"source": "text", "path": "k.txt", "seq_len": 10}, tmp_path, 0)
    assert len(ds.vocab) == MAX_VOCAB and ds.vocab[-1] == UNKNOWN
    assert {"a", "b", " "} <= set(ds.vocab)
    assert "share the symbol" in ds.summary


def test_validation_is_the_end_of_the_text(tmp_path):
    (tmp_path / "v.txt").write_text("x" * 90 + "yz" * 5, encoding="utf-8")
    ds = load_dataset({"source": "text", "path": "v.txt", "seq_len": 4, "val_fraction": 0.1}, tmp_path, 0)
    y = ds.vocab.index("y")
    assert (ds.validation.targets == y).any()
    b = ds.sample(np.random.default_rng(0), 100)
    assert not (b.inputs.argmax(-1) == y).any(), "training windows stay in the first 90%"
