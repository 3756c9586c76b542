"""The instrumented NumPy engine: cells, BPTT (full and truncated), losses, optimizers, trace."""
from .bptt import Truncation
from .errors import DivergenceError, EngineError
from .init import INITS, init_params, sigma_max, spectral_radius
from .losses import LOSSES
from .network import ACTIVATIONS, CELLS, NetSpec
from .optim import OPTIMIZERS, Optimizer
from .step import evaluate, train_step, whh_spectra

__all__ = [
    "ACTIVATIONS", "CELLS", "INITS", "LOSSES", "OPTIMIZERS", "DivergenceError", "EngineError",
    "NetSpec", "Optimizer", "Truncation", "evaluate", "init_params", "sigma_max", "spectral_radius",
    "train_step", "whh_spectra",
]
