"""Damaged checkpoints, hundreds of times: the reader either restores a trainer that can train, or
raises RunFileError/ConfigError with a one-line message; never anything else (issue 11)."""
from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rnn_viz.experiment.config import ConfigError
from rnn_viz.experiment.io import RunFileError, load_checkpoint
from rnn_viz.experiment.loop import Trainer
from rnn_viz.experiment.restore import checkpoint_layout, restore_state

from . import hostile as h

EXAMPLES = int(os.environ.get("RNN_VIZ_FUZZ_EXAMPLES", "300"))
FAST = settings(deadline=None, max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    path = h.good_checkpoint(tmp_path_factory.mktemp("fuzz") / "checkpoint.npz")
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        # Where the interesting bytes are: each member's local header and the first bytes of its
        # .npy header, and the central directory.
        spots = []
        for info in zf.infolist():
            spots += range(info.header_offset, info.header_offset + 30 + len(info.filename) + 120)
        spots += range(data.rfind(b"PK\x01\x02", 0, data.find(b"PK\x05\x06")) - 2000, len(data))
    return data, sorted({s for s in spots if 0 <= s < len(data)})


def _outcome(path, experiment_model: bool):
    try:
        if experiment_model:
            trainer = Trainer(h.small_config())
            restore_state(trainer, load_checkpoint(path, checkpoint_layout(trainer)), str(path))
        else:
            trainer = Trainer.from_checkpoint(load_checkpoint(path), source=str(path))
    except (RunFileError, ConfigError) as exc:
        message = str(exc)
        assert message and "\n" not in message and str(path) in message, message
        return "refused"
    record = trainer.step()  # a restored trainer must train
    assert np.isfinite(record.metrics["loss"])
    return "loaded"


@FAST
@given(data=st.data(), experiment_model=st.booleans())
def test_byte_flips_in_zip_and_npy_headers(original, tmp_path, data, experiment_model):
    raw, spots = original
    damaged = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.sampled_from(spots) if data.draw(st.booleans()) else st.integers(0, len(raw) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(damaged))
    event(_outcome(path, experiment_model))


@FAST
@given(cut=st.integers(0, 10**9), experiment_model=st.booleans())
def test_truncations(original, tmp_path, cut, experiment_model):
    raw, _ = original
    path = tmp_path / "cut.npz"
    path.write_bytes(raw[: cut % len(raw)])
    assert _outcome(path, experiment_model) == "refused"
