"""The experiment layer: the experiment file, the files a run writes, and what one update yields."""
from .config import (
    ConfigError,
    ExperimentConfig,
    ModelConfig,
    PresetConfig,
    TrainingConfig,
    apply_overrides,
    compare_config,
    compare_label,
    config_from_dict,
    default_config,
    from_json,
    load_config,
    to_dict,
    to_json,
    to_toml,
)
from .io import (
    MetricsWriter,
    RunFileError,
    load_checkpoint,
    read_metrics,
    read_trace,
    save_checkpoint,
    write_trace,
)
from .record import StepRecord

__all__ = [
    "ConfigError", "ExperimentConfig", "ModelConfig", "PresetConfig", "TrainingConfig",
    "apply_overrides", "compare_config", "compare_label", "config_from_dict", "default_config",
    "from_json", "load_config", "to_dict", "to_json", "to_toml",
    "MetricsWriter", "RunFileError", "load_checkpoint", "read_metrics", "read_trace",
    "save_checkpoint", "write_trace", "StepRecord",
]
