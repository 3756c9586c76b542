"""Hostile and malformed weights files: one DataError naming the file (and entry), never a traceback.

Files are built by hand (no torch needed except for the .pt cases), and a valid one is fuzzed: a safetensors file is 8 bytes of
header length, the JSON header and the data.
"""
from __future__ import annotations

import json
import os
import struct
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnn_viz.data import DataError
from rnn_viz.data.safetensors_check import MAX_HEADER_BYTES, MAX_JSON_DEPTH, check_safetensors
from rnn_viz.data.weights import SAFETENSORS_SNIPPET, read_state_dict


def safetensors_bytes(header: dict | str, data: bytes = b"") -> bytes:
    text = header if isinstance(header, str) else json.dumps(header)
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw + data


def good_header(n: int = 3, dtype: str = "F64") -> dict:
    return {"w": {"dtype": dtype, "shape": [n], "data_offsets": [0, 8 * n]}}


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_hand_made_safetensors_file_reads_back(tmp_path):
    values = np.arange(3.0)
    path = write(tmp_path, "m.safetensors", safetensors_bytes({**good_header(), "__metadata__": {"a": "b"}},
                                                             values.tobytes()))
    out = read_state_dict(path)
    np.testing.assert_array_equal(out["w"], values)


@pytest.mark.parametrize("header, data, fragment", [
    ({"w": {"dtype": "I64", "shape": [3], "data_offsets": [0, 24]}}, bytes(24), "dtype 'I64' is not supported"),
    ({"w": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}}, bytes(6), "allowed: F64, F32, F16"),
    ({"w": {"dtype": "F64", "shape": [3], "data_offsets": [0, 16]}}, bytes(16), "needs 24 bytes"),
    ({"w": {"dtype": "F64", "shape": [3], "data_offsets": [0, 24]}}, bytes(16), "outside the file's 16 data bytes"),
    ({"w": {"dtype": "F64", "shape": [-3], "data_offsets": [0, 24]}}, bytes(24), "integers >= 0"),
    ({"w": {"dtype": "F64", "shape": [3], "data_offsets": [8, 32]}}, bytes(32), "leaves a gap"),
    ({"a": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]},
      "b": {"dtype": "F64", "shape": [2], "data_offsets": [8, 24]}}, bytes(24), "overlaps"),
    ({"w": {"dtype": "F64", "shape": [3]}}, bytes(24), "needs exactly dtype, shape and data_offsets"),
    ([1, 2], b"", "must be a JSON object"),
    ("{not json", b"", "not valid JSON"),
])
def test_bad_safetensors_headers_name_the_file_and_tensor(tmp_path, header, data, fragment):
    path = write(tmp_path, "bad.safetensors", safetensors_bytes(header, data))
    with pytest.raises(DataError) as err:
        read_state_dict(path)
    assert str(err.value).startswith(str(path)) and fragment in str(err.value)


def test_a_header_bigger_than_the_bound_is_refused_before_it_is_read():
    data = struct.pack("<Q", MAX_HEADER_BYTES + 1) + b"{}"
    with pytest.raises(DataError, match="larger than the 16777216 allowed"):
        check_safetensors(data, "big.safetensors")


def test_a_header_past_the_end_and_a_truncated_length_are_refused():
    with pytest.raises(DataError, match="runs past the end"):
        check_safetensors(struct.pack("<Q", 100) + b"{}", "short.safetensors")
    with pytest.raises(DataError, match="shorter than its 8-byte header size"):
        check_safetensors(b"\x01\x02", "tiny.safetensors")


def test_deep_json_is_refused_without_recursing():
    deep = '{"w": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(DataError, match=f"deeper than {MAX_JSON_DEPTH} levels"):
        check_safetensors(safetensors_bytes(deep), "deep.safetensors")


def test_unknown_suffix_missing_file_and_fifo(tmp_path):
    with pytest.raises(DataError, match="unknown weights format '.h5'"):
        read_state_dict(write(tmp_path, "m.h5", b"x"))
    with pytest.raises(DataError, match="no such file"):
        read_state_dict(tmp_path / "none.safetensors")
    fifo = tmp_path / "f.safetensors"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="FIFO|not a regular file"):
        read_state_dict(fifo)


def test_npz_members_must_be_float_arrays(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, **{"rnn.weight_ih_l0": np.zeros((3, 2)), "rnn.step": np.array(3)})
    with pytest.raises(DataError, match=r"rnn.step.*integers"):
        read_state_dict(path)


def test_pickled_npz_member_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, w=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match="pickle|objects"):
        read_state_dict(path)


def test_pt_needs_torch_and_the_message_gives_the_safetensors_snippet(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails as without it
    with pytest.raises(DataError) as err:
        read_state_dict(write(tmp_path, "m.pt", b"PK\x03\x04"))
    assert "needs PyTorch" in str(err.value) and SAFETENSORS_SNIPPET in str(err.value)


def test_a_pickled_module_is_refused_with_save_state_dict(tmp_path):
    import torch

    path = tmp_path / "module.pt"
    torch.save(torch.nn.GRU(2, 3), path)
    with pytest.raises(DataError, match=r"save model.state_dict\(\)"):
        read_state_dict(path)


def test_pt_checkpoints_with_more_than_tensors_and_legacy_files_are_refused(tmp_path):
    import torch

    path = tmp_path / "ckpt.pt"
    torch.save({"model": torch.nn.GRU(2, 3).state_dict(), "epoch": 3}, path)
    with pytest.raises(DataError, match=r"entry 'model' is not a tensor \(OrderedDict\); a training checkpoint\? save model.state_dict\(\)"):
        read_state_dict(path)
    legacy = tmp_path / "legacy.pt"
    torch.save(torch.nn.GRU(2, 3).state_dict(), legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(DataError, match="not a zip-based torch.save file"):
        read_state_dict(legacy)
    ints = tmp_path / "ints.pt"
    torch.save({"w": torch.zeros(3, dtype=torch.int64)}, ints)
    with pytest.raises(DataError, match="w has dtype torch.int64"):
        read_state_dict(ints)


# --- fuzzing: truncations and byte flips of a valid file never escape as anything but DataError ---

_VALID = safetensors_bytes({"a.weight_ih_l0": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 24]},
                            "a.weight_hh_l0": {"dtype": "F64", "shape": [3, 1], "data_offsets": [24, 48]}},
                           np.arange(6, dtype=np.float32).tobytes() + np.arange(3.0).tobytes())


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(_VALID)), flips=st.lists(st.tuples(st.integers(0, len(_VALID) - 1),
                                                                   st.integers(1, 255)), max_size=4))
def test_mutated_safetensors_files_give_a_data_error_or_a_checked_state_dict(tmp_path, cut, flips):
    data = bytearray(_VALID[:cut] if cut < len(_VALID) else _VALID)
    for at, xor in flips:
        if at < len(data):
            data[at] ^= xor
    path = tmp_path / "fuzz.safetensors"
    path.write_bytes(bytes(data))
    try:
        out = read_state_dict(path)
    except DataError as exc:
        assert str(exc).startswith(str(path))
    else:
        assert all(v.dtype.kind == "f" for v in out.values())
