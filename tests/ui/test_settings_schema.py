"""The settings panel is built from the schema and holds every value the experiment file holds."""
from __future__ import annotations

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.live import LIVE_KEYS
from rnn_viz.ui.controls import RESET_MARK, BigIntSpinBox, SettingsPanel
from tests.ui.app_fixtures import make_window, small_config

BIG = {"seed": 3_000_000_000, "bptt": "truncated", "k1": 2**33, "k2": 2**34, "val_every": 2**35}


def test_values_beyond_32_bits_and_a_large_spectral_radius_are_held_exactly(qtbot, tmp_path):
    # Defect: the panel's 32-bit spin boxes crashed (or clamped) on values the file accepts.
    config = small_config(training=BIG, model={"spectral_radius": 150.0})
    window = make_window(qtbot, tmp_path, config=config)
    panel = window.panel
    for key, value in BIG.items():
        if key != "bptt":
            assert panel.widget("training", key).value() == value
    assert panel.widget("model", "spectral_radius").value() == 150.0
    assert panel.values()["training"]["seed"] == 3_000_000_000
    assert panel.pending_keys() == []  # nothing was clamped into a pending change
    panel.widget("training", "seed").setValue(2**40)
    assert window.edited_config.training.seed == 2**40
    assert isinstance(panel.widget("training", "seed"), BigIntSpinBox)


def test_the_big_int_box_steps_types_and_stays_in_range(qtbot):
    box = BigIntSpinBox(0, 2**63 - 1)
    qtbot.addWidget(box)
    seen = []
    box.valueChanged.connect(seen.append)
    box.setValue(2**63 - 2)
    box.stepBy(5)
    assert box.value() == 2**63 - 1 and seen == [2**63 - 2, 2**63 - 1]
    box.lineEdit().setText("123456789012")
    box.editingFinished.emit()
    assert box.value() == 123456789012 and box.lineEdit().text() == "123456789012"
    box.lineEdit().setText("oops")
    box.editingFinished.emit()
    assert box.value() == 123456789012 and box.lineEdit().text() == "123456789012"


def test_every_schema_setting_has_a_widget_and_the_live_ones_are_marked_live(qtbot):
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.set_values(cfgmod.to_dict(small_config()))
    for s in cfgmod.MODEL_SETTINGS + cfgmod.TRAINING_SETTINGS:
        label, _ = panel._rows[(s.section, s.name)]
        assert panel.widget(s.section, s.name) is not None
        assert (RESET_MARK not in label.text()) == (s.section == "training" and s.name in LIVE_KEYS), s.name


def test_nesterov_is_offered_with_momentum_and_reaches_the_trainer(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    panel = window.panel
    label, box = panel._rows[("training", "nesterov")]
    assert not box.isVisibleTo(panel)  # adam: no momentum, no Nesterov
    panel.widget("training", "optimizer").setCurrentText("momentum")
    assert box.isVisibleTo(panel)
    panel.widget("training", "nesterov").setChecked(True)
    assert window.edited_config.training.nesterov
    window.acts.reset.trigger()
    assert window.controller.trainer.optimizer.nesterov and window.controller.trainer.optimizer.name == "momentum"


def test_the_panels_flow_sample_is_the_views_sample_selection(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.panel.widget("training", "flow_sample").setValue(2)
    assert window.controller.sample == 2
    assert int(window.controller.record.trace["flow_sample"]) == 2
