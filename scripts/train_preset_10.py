"""Train the PyTorch model that guided experiment 10 imports: resources/presets/10-your-model.safetensors.

A GRU forecaster written the way a PyTorch user would write it (its recurrent module under
``encoder.``, its readout under ``head.``), trained in torch on the sine task's batches drawn by
rnn-viz's own data layer, so the experiment's data is the data it was trained on. Seeded: running it
again writes the same file. Needs torch (pip install torch==2.13.0) and safetensors.

    .venv/bin/python scripts/train_preset_10.py          # ~10 s on one core
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from rnn_viz.data import load_dataset

OUT = Path(__file__).resolve().parents[1] / "resources" / "presets" / "10-your-model.safetensors"
DATA = {"source": "sine", "seq_len": 40, "batch_size": 32}  # as in 10-your-model.toml
HIDDEN, UPDATES, SEED = 16, 600, 10


class Forecaster(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.GRU(1, HIDDEN, batch_first=True)
        self.head = torch.nn.Linear(HIDDEN, 1)

    def forward(self, x):
        h, _ = self.encoder(x)
        return self.head(h)


def main() -> None:
    torch.manual_seed(SEED)
    data = load_dataset(DATA, seed=SEED)
    rng = np.random.default_rng(SEED)
    model = Forecaster()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for update in range(1, UPDATES + 1):
        batch = data.sample(rng, DATA["batch_size"])
        x = torch.from_numpy(batch.inputs.astype(np.float32))
        y = torch.from_numpy(batch.targets.astype(np.float32))
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if update % 100 == 0:
            print(f"update {update}: mse {loss.item():.4f}")
    # float32, as most training scripts leave their weights; rnn-viz reads them into float64.
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(OUT),
              metadata={"trained_by": "scripts/train_preset_10.py"})
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
