"""[model] gain and the [dynamics] table: validation, defaults, round trips, --set."""
import pytest

from rnn_viz.experiment.config import (ConfigError, apply_overrides, config_from_dict, from_json, load_config,
                                       to_dict, to_json, to_toml)
from rnn_viz.experiment.dynamics_config import DynamicsConfig, resolve


def _error(d):
    with pytest.raises(ConfigError) as info:
        config_from_dict(d, "exp.toml")
    return str(info.value)


def test_gain_only_with_gaussian_and_without_spectral_radius():
    cfg = config_from_dict({"model": {"init": "gaussian", "gain": 1.5}})
    assert cfg.model.gain == 1.5 and "spectral_radius" not in to_dict(cfg)["model"]
    assert _error({"model": {"gain": 1.5}}).startswith(
        'exp.toml: model.gain is not allowed with model.init = "orthogonal"; allowed: only with init = "gaussian"')
    assert _error({"model": {"init": "gaussian", "gain": 1.5, "spectral_radius": 1.0}}).startswith(
        "exp.toml: model.gain is not allowed together with model.spectral_radius; allowed: one of the two")


def test_setting_gain_or_spectral_radius_replaces_the_other():
    base = config_from_dict({"model": {"init": "gaussian", "spectral_radius": 0.9}})
    with_gain = apply_overrides(base, ["model.gain=2"])
    assert with_gain.model.gain == 2.0
    back = apply_overrides(with_gain, ["model.spectral_radius=1.2"])
    assert back.model.gain is None and back.model.spectral_radius == 1.2


def test_dynamics_table_round_trips_and_leaves_network_dependent_defaults_unset(tmp_path):
    cfg = config_from_dict({"data": {"source": "impulse", "seq_len": 40},
                            "dynamics": {"transient": 5, "fixed_point_input": [0.5]}})
    assert cfg.dynamics == DynamicsConfig(transient=5, fixed_point_input=(0.5,))
    path = tmp_path / "e.toml"
    path.write_text(to_toml(cfg))
    assert load_config(path) == cfg and from_json(to_json(cfg)) == cfg
    assert "dynamics" not in to_dict(config_from_dict({}))  # absent unless given
    r = resolve(cfg.dynamics, "lstm", 16, 40, 1)
    assert (r.exponents, r.transient, r.lag, r.fixed_point_input) == (10, 5, 39, (0.5,))
    d = resolve(None, "rnn", 4, 1000, 2)
    assert (d.exponents, d.transient, d.lag, d.fixed_point_input) == (4, 100, 999, (0.0, 0.0))
    assert (d.fixed_point_starts, d.q_tolerance, d.dedupe_distance) == (256, 1e-10, 1e-3)
    assert resolve(None, "rnn", 4, 40, 1).transient == 10  # min(100, T / 4)


@pytest.mark.parametrize("table, fragment", [
    ({"exponents": 0}, "dynamics.exponents = 0 is not allowed; allowed: an integer >= 1"),
    ({"q_tolerance": 0}, "dynamics.q_tolerance = 0 is not allowed; allowed: a finite number > 0"),
    ({"fixed_point_input": "one"}, 'dynamics.fixed_point_input = "one" is not allowed; allowed: "zero" or a list'),
    ({"fixed_point_input": [1, True]}, "dynamics.fixed_point_input"),
    ({"lags": 3}, "unknown key dynamics.lags; allowed: exponents, transient, lag"),
])
def test_bad_dynamics_keys_name_themselves(table, fragment):
    assert fragment in _error({"dynamics": table})


def test_settings_that_do_not_fit_the_network_name_the_key():
    with pytest.raises(ConfigError, match="dynamics.lag = 50 is not allowed here; allowed: at most T - 1 = 39"):
        resolve(DynamicsConfig(lag=50), "rnn", 8, 40, 1)
    with pytest.raises(ConfigError, match="dynamics.transient = 39 .* at most T - 2 = 38"):
        resolve(DynamicsConfig(transient=39), "rnn", 8, 40, 1)
    assert resolve(DynamicsConfig(exponents=16), "lstm", 8, 40, 1).exponents == 16  # S = 2H for lstm


def test_the_compare_run_is_analysed_with_the_same_dynamics_settings():
    from rnn_viz.experiment.config import compare_config
    from rnn_viz.experiment.presets import find_preset

    cfg = load_config(find_preset("8-dynamical-isometry"))
    assert cfg.dynamics.fixed_point_starts == 16
    assert compare_config(cfg).dynamics == cfg.dynamics and compare_config(cfg).model.init == "gaussian"
