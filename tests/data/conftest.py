import numpy as np
import pytest

from rnn_viz.data import load_dataset


@pytest.fixture
def load_file(tmp_path):
    """Write ``content`` (str or bytes) to tmp_path/name and load it as data.source = "file"."""
    def load(name, content=None, **keys):
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif content is not None:
            path.write_bytes(content)
        keys.setdefault("seq_len", 5)
        return load_dataset({"source": "file", "path": name, **keys}, tmp_path, seed=0)
    return load


def series_csv(n=40, header="t,temp,hum", seed=0, sep=","):
    rng = np.random.default_rng(seed)
    rows = [header] if header else []
    for i in range(n):
        rows.append(sep.join([str(i), f"{20 + rng.normal():.3f}", f"{50 + 5 * rng.normal():.2f}"]))
    return "\n".join(rows) + "\n"
